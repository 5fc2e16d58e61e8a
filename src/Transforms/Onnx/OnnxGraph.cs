using System.Buffers.Binary;
using Microsoft.ML.Data;

namespace MLNetBackprop.Onnx;

/// <summary>
/// An ONNX graph being built: nodes in execution order, initializers (the constants), the graph's inputs and outputs,
/// and unique value names. Our layers add their nodes through the typed helpers (<see cref="Node"/>,
/// <see cref="Constant(float[], long[])"/>…); a step that ML.NET's own converter exported is spliced in whole by
/// <see cref="Splice"/>. <see cref="ToModel"/> drops what no output needs and writes the ModelProto.
/// Field numbers are those of onnx.proto (IR version 7).
/// </summary>
internal sealed class OnnxGraph : IOnnxGraph
{
    /// <summary>The default-domain opset our nodes are written for (ML.NET's converter writes opset 12).</summary>
    public const int OpsetVersion = 12;

    private readonly List<NodeEntry> _nodes = [];
    private readonly List<(string Name, byte[] Tensor)> _initializers = [];
    private readonly List<(string Name, byte[] ValueInfo)> _inputs = [];
    private readonly List<(string Name, byte[] ValueInfo)> _outputs = [];
    private readonly HashSet<string> _names = new(StringComparer.Ordinal);
    private readonly Dictionary<string, long> _opsets = new(StringComparer.Ordinal) { [""] = OpsetVersion, ["ai.onnx.ml"] = 2 };
    private long _irVersion = 7;
    private int _splices;

    /// <summary>A node: its operator, its inputs and outputs (names in this graph) and the rest of its fields, already encoded.</summary>
    private sealed record NodeEntry(string Op, string[] Inputs, string[] Outputs, byte[] Rest);

    /// <summary>A name not used yet in this graph, <paramref name="hint"/> itself when free.</summary>
    public string Fresh(string hint)
    {
        if (string.IsNullOrEmpty(hint)) hint = "v";
        if (_names.Add(hint)) return hint;
        for (int k = 0; ; k++)
            if (_names.Add(hint + "_" + k)) return hint + "_" + k;
    }

    /// <summary>Declares a graph input named <paramref name="name"/> of the ONNX type of <paramref name="type"/> (ML.NET's convention: batch dimension −1).</summary>
    public string AddInput(string name, DataViewType type, string column)
    {
        if (!_names.Add(name)) throw new InvalidOperationException($"The ONNX graph already has a value named '{name}'.");
        _inputs.Add((name, ValueInfo(name, type, column)));
        return name;
    }

    /// <summary>Declares <paramref name="value"/> a graph output named <c>column.output</c> (through an Identity node, as ML.NET does).</summary>
    public void AddOutput(string column, string value, DataViewType type)
    {
        string name = Fresh(column + ".output");
        AddNode("Identity", [value], [name], null, "", null);
        _outputs.Add((name, ValueInfo(name, type, column)));
    }

    /// <summary>
    /// Records a column's slot names the way ML.NET's converter does and ML.NET's <c>ApplyOnnxModel</c> reads them back:
    /// an ai.onnx.ml LabelEncoder node named <c>mlnet.column.SlotNames</c> whose keys are the names, with a side output.
    /// </summary>
    public void AddSlotNames(string column, IReadOnlyList<string> slotNames)
    {
        string one = Constant(["one"], 1, 1);
        string output = Fresh($"mlnet.{column}.unusedOutput");
        var attributes = new OnnxAttributes().Strings("keys_strings", slotNames).Ints("values_int64s", Enumerable.Range(0, slotNames.Count).Select(i => (long)i).ToArray());
        AddNode("LabelEncoder", [one], [output], attributes, "ai.onnx.ml", $"mlnet.{column}.SlotNames");
        _outputs.Add((output, ValueInfo(output, NumberDataViewType.Int64, column)));
    }

    /// <summary>
    /// Adds a node of operator <paramref name="op"/> with one output, named after <paramref name="output"/> (made unique),
    /// and returns that output's name.
    /// </summary>
    public string Node(string op, string[] inputs, string output, OnnxAttributes? attributes = null, string domain = "")
    {
        string name = Fresh(output.Length > 0 ? output : op.ToLowerInvariant());
        AddNode(op, inputs, [name], attributes, domain, null);
        return name;
    }

    private void AddNode(string op, string[] inputs, string[] outputs, OnnxAttributes? attributes, string domain, string? nodeName)
    {
        var rest = new ProtoWriter().String(3, nodeName ?? Fresh("node_" + op)).String(4, op);
        attributes?.WriteTo(rest, 5);
        if (domain.Length > 0) rest.String(7, domain);
        _nodes.Add(new NodeEntry(op, inputs, outputs, rest.ToArray()));
    }

    /// <summary>A float tensor constant of shape <paramref name="dims"/> (row-major values).</summary>
    public string Constant(float[] values, params long[] dims)
    {
        CheckCount(values.Length, dims);
        var raw = new byte[values.Length * 4];
        for (int i = 0; i < values.Length; i++) BinaryPrimitives.WriteSingleLittleEndian(raw.AsSpan(i * 4), values[i]);
        return AddTensor("const", 1, dims, t => t.Bytes(9, raw));
    }

    /// <summary>An int64 tensor constant of shape <paramref name="dims"/>.</summary>
    public string Constant(long[] values, params long[] dims)
    {
        CheckCount(values.Length, dims);
        return AddTensor("const", 7, dims, t => t.PackedVarints(7, values));
    }

    /// <summary>A string tensor constant of shape <paramref name="dims"/>.</summary>
    public string Constant(string[] values, params long[] dims)
    {
        CheckCount(values.Length, dims);
        return AddTensor("const", 8, dims, t =>
        {
            foreach (string s in values) t.String(6, s);
        });
    }

    /// <summary>A float scalar, shape [1] (broadcasts against any tensor).</summary>
    public string Scalar(float value) => Constant([value], 1);

    private string AddTensor(string hint, int dataType, long[] dims, Action<ProtoWriter> data)
    {
        string name = Fresh(hint);
        var tensor = new ProtoWriter().PackedVarints(1, dims).Varint(2, dataType);
        data(tensor);
        tensor.String(8, name);
        _initializers.Add((name, tensor.ToArray()));
        return name;
    }

    private static void CheckCount(int count, long[] dims)
    {
        long expected = 1;
        foreach (long d in dims) expected *= d;
        if (expected != count) throw new ArgumentException($"{count} values do not fill a tensor of shape [{string.Join(", ", dims)}].");
    }

    /// <summary>Shorthands for the elementwise and matrix operators our layers use.</summary>
    public string Add(string a, string b, string output = "") => Node("Add", [a, b], output);

    /// <inheritdoc cref="Add"/>
    public string Sub(string a, string b, string output = "") => Node("Sub", [a, b], output);

    /// <inheritdoc cref="Add"/>
    public string Mul(string a, string b, string output = "") => Node("Mul", [a, b], output);

    /// <inheritdoc cref="Add"/>
    public string Div(string a, string b, string output = "") => Node("Div", [a, b], output);

    /// <summary>A one-input operator (Relu, Sigmoid, Tanh, Exp, Sqrt…).</summary>
    public string Unary(string op, string x, string output = "", OnnxAttributes? attributes = null) => Node(op, [x], output, attributes);

    /// <summary>
    /// Splices a model that ML.NET's converter wrote for one pipeline step into this graph: its graph inputs are bound
    /// to <paramref name="bindInput"/>'s values, every other name is renamed to a fresh one; returns, for each graph
    /// output, the name (here) of the value it outputs and the output's original name. Slot-name side outputs
    /// (<c>mlnet.*</c>) are left out. Value infos are dropped (ONNX Runtime infers them).
    /// </summary>
    /// <param name="model">The ModelProto bytes.</param>
    /// <param name="bindInput">Maps an input name of the spliced graph to a value of this graph.</param>
    /// <param name="step">Names the step in errors.</param>
    public List<(string Output, string Value)> Splice(byte[] model, Func<string, string> bindInput, string step)
    {
        ReadOnlyMemory<byte> graph = default;
        foreach (var f in ProtoReader.Fields(model))
        {
            if (f.Number == 1 && f.WireType == 0) _irVersion = Math.Max(_irVersion, (long)f.Varint);
            if (f.Number == 7 && f.WireType == 2) graph = f.Data;
            if (f.Number == 8 && f.WireType == 2)
            {
                string domain = "";
                long version = 0;
                foreach (var g in ProtoReader.Fields(f.Data))
                {
                    if (g.Number == 1) domain = g.AsString();
                    if (g.Number == 2) version = (long)g.Varint;
                }
                _opsets[domain] = Math.Max(_opsets.GetValueOrDefault(domain), version);
            }
        }
        // The step's own names get a per-step prefix: they never take a name the graph's outputs (column.output) will need.
        string prefix = $"step{_splices++}/";
        var rename = new Dictionary<string, string>(StringComparer.Ordinal);
        var graphFields = ProtoReader.Fields(graph);
        foreach (var f in graphFields.Where(f => f.Number == 11))
        {
            string name = NameOf(f.Data);
            rename[name] = bindInput(name);
        }
        string Renamed(string name)
        {
            if (name.Length == 0) return name; // an omitted optional input
            if (!rename.TryGetValue(name, out var renamed)) rename[name] = renamed = Fresh(prefix + name);
            return renamed;
        }
        foreach (var f in graphFields)
        {
            switch (f.Number)
            {
                case 1: // node
                    var inputs = new List<string>();
                    var outputs = new List<string>();
                    var rest = new ProtoWriter();
                    string op = "";
                    foreach (var n in ProtoReader.Fields(f.Data))
                    {
                        if (n.Number == 4) op = n.AsString();
                        if (n.Number == 1) inputs.Add(Renamed(n.AsString()));
                        else if (n.Number == 2) outputs.Add(Renamed(n.AsString()));
                        else if (n.Number == 3) rest.String(3, Fresh(prefix + n.AsString()));
                        else
                        {
                            if (n.Number == 5 && HasSubgraph(n.Data))
                                throw new NotSupportedException($"{step}: its ONNX form holds a subgraph, which this exporter does not splice.");
                            rest.Raw(n);
                        }
                    }
                    _nodes.Add(new NodeEntry(op, [.. inputs], [.. outputs], rest.ToArray()));
                    break;
                case 5: // initializer
                    var tensor = new ProtoWriter();
                    string tensorName = "";
                    foreach (var t in ProtoReader.Fields(f.Data))
                    {
                        if (t.Number == 8) tensorName = Renamed(t.AsString());
                        else tensor.Raw(t);
                    }
                    tensor.String(8, tensorName);
                    _initializers.Add((tensorName, tensor.ToArray()));
                    break;
                case 15:
                    throw new NotSupportedException($"{step}: its ONNX form holds sparse initializers, which this exporter does not splice.");
            }
        }
        var result = new List<(string, string)>();
        foreach (var f in graphFields.Where(f => f.Number == 12))
        {
            string name = NameOf(f.Data);
            if (name.StartsWith("mlnet.", StringComparison.Ordinal)) continue;
            result.Add((name, Renamed(name)));
        }
        return result;
    }

    /// <summary>The value that the Identity node producing <paramref name="value"/> copies, or <paramref name="value"/> itself.</summary>
    public string ThroughIdentity(string value)
    {
        foreach (var node in _nodes)
            if (node.Outputs.Length == 1 && node.Outputs[0] == value && node.Inputs.Length == 1 && node.Op == "Identity")
                return node.Inputs[0];
        return value;
    }

    private static bool HasSubgraph(ReadOnlyMemory<byte> attribute) =>
        ProtoReader.Fields(attribute).Any(a => a.Number is 6 or 11);

    private static string NameOf(ReadOnlyMemory<byte> valueInfo)
    {
        foreach (var f in ProtoReader.Fields(valueInfo))
            if (f.Number == 1) return f.AsString();
        throw new InvalidDataException("An ONNX value info has no name.");
    }

    /// <summary>
    /// The ModelProto: only the nodes, initializers and graph inputs that some output needs (a spliced step's unused
    /// values and ML.NET's pass-through Identity nodes fall away), in execution order.
    /// </summary>
    public byte[] ToModel(string producerVersion)
    {
        var needed = new HashSet<string>(_outputs.Select(o => o.Name), StringComparer.Ordinal);
        var keep = new bool[_nodes.Count];
        for (int i = _nodes.Count - 1; i >= 0; i--)
        {
            if (!_nodes[i].Outputs.Any(needed.Contains)) continue;
            keep[i] = true;
            foreach (string input in _nodes[i].Inputs) needed.Add(input);
        }
        var graph = new ProtoWriter();
        for (int i = 0; i < _nodes.Count; i++)
        {
            if (!keep[i]) continue;
            var node = new ProtoWriter();
            foreach (string input in _nodes[i].Inputs) node.String(1, input);
            foreach (string output in _nodes[i].Outputs) node.String(2, output);
            foreach (var f in ProtoReader.Fields(_nodes[i].Rest)) node.Raw(f);
            graph.Message(1, node);
        }
        graph.String(2, "MLNetBackprop");
        foreach (var (name, tensor) in _initializers)
            if (needed.Contains(name)) graph.Bytes(5, tensor);
        // An input nothing needs (e.g. the label, when only the scores are output) is not asked of the caller.
        foreach (var (name, input) in _inputs)
            if (needed.Contains(name)) graph.Bytes(11, input);
        foreach (var (_, output) in _outputs) graph.Bytes(12, output);
        var model = new ProtoWriter().Varint(1, _irVersion);
        foreach (var (domain, version) in _opsets) model.Message(8, new ProtoWriter().String(1, domain).Varint(2, version));
        model.String(2, "MLNetBackprop").String(3, producerVersion).String(4, "machinelearning.dotnet").Varint(5, 0);
        model.Message(7, graph);
        return model.ToArray();
    }

    /// <summary>A ValueInfoProto for a column of type <paramref name="type"/>: [−1, 1] for a scalar, [−1, n…] for a vector (−1 = any number of rows).</summary>
    private static byte[] ValueInfo(string name, DataViewType type, string column)
    {
        var item = type is VectorDataViewType v ? v.ItemType : type;
        int elem = OnnxTypes.ElementType(item) ?? throw new NotSupportedException(
            $"Column '{column}' has type {type}, which has no ONNX tensor type: drop the column before exporting, or name the outputs to keep.");
        var shape = new ProtoWriter().Message(1, new ProtoWriter().Varint(1, -1));
        if (type is VectorDataViewType vector)
        {
            if (vector.IsKnownSize)
                foreach (int d in vector.Dimensions) shape.Message(1, new ProtoWriter().Varint(1, d));
            else shape.Message(1, new ProtoWriter().String(2, "None"));
        }
        else shape.Message(1, new ProtoWriter().Varint(1, 1));
        var tensor = new ProtoWriter().Varint(1, elem).Message(2, shape);
        return new ProtoWriter().String(1, name).Message(2, new ProtoWriter().Message(1, tensor)).ToArray();
    }
}
