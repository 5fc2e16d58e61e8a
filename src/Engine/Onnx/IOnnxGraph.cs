namespace MLNetBackprop.Onnx;

/// <summary>
/// What a layer needs to write itself into an ONNX graph (opset 12): nodes, constants and the element-wise shorthands.
/// Implemented by the Transforms assembly's <c>OnnxGraph</c>, which also declares the graph's inputs and outputs from
/// ML.NET's column types and splices in the steps ML.NET's own converter exports — the engine knows nothing of those.
/// Every method returns the name of the value it adds (unique in the graph).
/// </summary>
internal interface IOnnxGraph
{
    /// <summary>A node of operator <paramref name="op"/> with one output named after <paramref name="output"/> (made unique).</summary>
    string Node(string op, string[] inputs, string output, OnnxAttributes? attributes = null, string domain = "");

    /// <summary>A float tensor constant of shape <paramref name="dims"/> (row-major values).</summary>
    string Constant(float[] values, params long[] dims);

    /// <summary>An int64 tensor constant of shape <paramref name="dims"/>.</summary>
    string Constant(long[] values, params long[] dims);

    /// <summary>A float scalar, shape [1] (broadcasts against any tensor).</summary>
    string Scalar(float value);

    /// <summary>a + b (broadcasting).</summary>
    string Add(string a, string b, string output = "");

    /// <summary>a − b (broadcasting).</summary>
    string Sub(string a, string b, string output = "");

    /// <summary>a · b element-wise (broadcasting).</summary>
    string Mul(string a, string b, string output = "");

    /// <summary>a / b element-wise (broadcasting).</summary>
    string Div(string a, string b, string output = "");

    /// <summary>A one-input operator.</summary>
    string Unary(string op, string x, string output = "", OnnxAttributes? attributes = null);
}
