namespace MLNetBackprop.Onnx;

/// <summary>The attributes of one ONNX node (AttributeProto: name 1, f 2, i 3, s 4, floats 7, ints 8, strings 9, type 20).</summary>
internal sealed class OnnxAttributes
{
    private readonly List<ProtoWriter> _attributes = [];

    /// <summary>An INT attribute.</summary>
    public OnnxAttributes Int(string name, long value)
    {
        _attributes.Add(new ProtoWriter().String(1, name).Varint(3, value).Varint(20, 2));
        return this;
    }

    /// <summary>A FLOAT attribute.</summary>
    public OnnxAttributes Float(string name, float value)
    {
        _attributes.Add(new ProtoWriter().String(1, name).Float(2, value).Varint(20, 1));
        return this;
    }

    /// <summary>A STRING attribute.</summary>
    public OnnxAttributes String(string name, string value)
    {
        _attributes.Add(new ProtoWriter().String(1, name).String(4, value).Varint(20, 3));
        return this;
    }

    /// <summary>An INTS attribute.</summary>
    public OnnxAttributes Ints(string name, long[] values)
    {
        _attributes.Add(new ProtoWriter().String(1, name).PackedVarints(8, values).Varint(20, 7));
        return this;
    }

    /// <summary>A STRINGS attribute.</summary>
    public OnnxAttributes Strings(string name, IEnumerable<string> values)
    {
        var a = new ProtoWriter().String(1, name);
        foreach (string v in values) a.String(9, v);
        _attributes.Add(a.Varint(20, 8));
        return this;
    }

    /// <summary>Writes each attribute as field <paramref name="field"/> of <paramref name="node"/>.</summary>
    public void WriteTo(ProtoWriter node, int field)
    {
        foreach (var a in _attributes) node.Message(field, a);
    }
}
