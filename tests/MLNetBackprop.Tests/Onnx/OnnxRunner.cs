using Microsoft.ML;
using Microsoft.ML.Data;
using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;

namespace MLNetBackprop.Tests.Onnx;

/// <summary>Runs an exported ONNX model with ONNX Runtime on every row of a data view, feeding each graph input from the column of its name.</summary>
internal static class OnnxRunner
{
    /// <summary>Each graph output's values, flattened row-major ([rows, width]).</summary>
    public static Dictionary<string, Array> Run(byte[] model, IDataView data)
    {
        using var session = new InferenceSession(model);
        var inputs = new List<NamedOnnxValue>();
        foreach (var (name, meta) in session.InputMetadata)
        {
            var column = data.Schema[name];
            int width = column.Type is VectorDataViewType v ? v.Size : 1;
            inputs.Add(column.Type is VectorDataViewType vt ? Read(vt.ItemType) : Read(column.Type));

            NamedOnnxValue Read(DataViewType item)
            {
                if (item == NumberDataViewType.Single) return Tensor<float>(data, column, width, name);
                if (item == TextDataViewType.Instance) return Tensor<ReadOnlyMemory<char>, string>(data, column, width, name, s => s.ToString());
                if (item == BooleanDataViewType.Instance) return Tensor<bool>(data, column, width, name);
                if (item == NumberDataViewType.Double) return Tensor<double>(data, column, width, name);
                if (item is KeyDataViewType) return Tensor<uint>(data, column, width, name);
                throw new NotSupportedException($"Test runner: input '{name}' of type {column.Type}.");
            }
        }
        using var results = session.Run(inputs);
        var outputs = new Dictionary<string, Array>();
        foreach (var r in results)
        {
            outputs[r.Name] = r.Value switch
            {
                Tensor<float> t => t.ToArray(),
                Tensor<bool> t => t.ToArray(),
                Tensor<uint> t => t.ToArray(),
                Tensor<long> t => t.ToArray(),
                Tensor<string> t => t.ToArray(),
                _ => throw new NotSupportedException($"Test runner: output '{r.Name}' of type {r.Value.GetType()}."),
            };
        }
        return outputs;
    }

    private static NamedOnnxValue Tensor<T>(IDataView data, DataViewSchema.Column column, int width, string name) =>
        Tensor<T, T>(data, column, width, name, x => x);

    private static NamedOnnxValue Tensor<TColumn, T>(IDataView data, DataViewSchema.Column column, int width, string name, Func<TColumn, T> convert)
    {
        var values = Column<TColumn>(data, column.Name).Select(convert).ToArray();
        return NamedOnnxValue.CreateFromTensor(name, new DenseTensor<T>(values, [values.Length / width, width]));
    }

    /// <summary>A column's values, flattened row-major (ML.NET's GetColumn, vectors concatenated).</summary>
    public static T[] Column<T>(IDataView data, string name) =>
        data.Schema[name].Type is VectorDataViewType
            ? data.GetColumn<T[]>(name).SelectMany(v => v).ToArray()
            : data.GetColumn<T>(name).ToArray();
}
