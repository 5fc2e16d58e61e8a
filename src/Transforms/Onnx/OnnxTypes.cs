using Microsoft.ML.Data;

namespace MLNetBackprop.Onnx;

/// <summary>ONNX tensor element types (TensorProto.DataType) of ML.NET's item types, as ML.NET's converter maps them.</summary>
internal static class OnnxTypes
{
    /// <summary>FLOAT.</summary>
    public const int Float = 1;

    /// <summary>INT64.</summary>
    public const int Int64 = 7;

    /// <summary>BOOL.</summary>
    public const int Bool = 9;

    /// <summary>UINT32 (ML.NET's key type).</summary>
    public const int UInt32 = 12;

    /// <summary>The element type of <paramref name="item"/> (a key maps to its raw integer type), or null when ONNX has none.</summary>
    public static int? ElementType(DataViewType item) => item.RawType switch
    {
        var t when t == typeof(float) => Float,
        var t when t == typeof(byte) => 2,
        var t when t == typeof(sbyte) => 3,
        var t when t == typeof(ushort) => 4,
        var t when t == typeof(short) => 5,
        var t when t == typeof(int) => 6,
        var t when t == typeof(long) => Int64,
        var t when t == typeof(ReadOnlyMemory<char>) => 8,
        var t when t == typeof(bool) => Bool,
        var t when t == typeof(double) => 11,
        var t when t == typeof(uint) => UInt32,
        var t when t == typeof(ulong) => 13,
        _ => null,
    };
}
