namespace MLNetBackprop.Samples.WhyBackprop;

/// <summary>One node of the sigmoid's computational graph, forward and backward.</summary>
/// <param name="Operation">What the node computes, e.g. "exp".</param>
/// <param name="Input">The node's input in the forward pass.</param>
/// <param name="Output">The node's output in the forward pass.</param>
/// <param name="LocalRule">Its local derivative as a formula, e.g. "∂(1/c)/∂c = −1/c² = −y²".</param>
/// <param name="Local">The local derivative's value at this input.</param>
/// <param name="Upstream">∂y/∂(node output): the gradient arriving from the nodes after it (1 at y).</param>
/// <param name="Downstream">∂y/∂(node input) = Upstream × Local: what it passes back.</param>
public sealed record GraphNode(string Operation, double Input, double Output, string LocalRule, double Local, double Upstream, double Downstream);

/// <summary>
/// Note 003's node-level view of backpropagation: y = sigmoid(x) = 1 / (1 + exp(−x)) built from four nodes
/// (×(−1), exp, +1, 1/·). The forward pass keeps each node's values; the backward pass multiplies the local
/// derivatives in reverse order (chain rule), and the product is y·(1 − y), the sigmoid layer's backward rule.
/// </summary>
public static class SigmoidGraph
{
    /// <summary>The four nodes at <paramref name="x"/>, in forward order, with the backward pass filled in from ∂y/∂y = 1.</summary>
    public static GraphNode[] Chain(double x)
    {
        // Forward: keep every intermediate value.
        double a = -1 * x;        // ×(−1)
        double b = Math.Exp(a);   // exp
        double c = 1 + b;         // +1
        double y = 1 / c;         // 1/·

        // Backward: start from ∂y/∂y = 1 and multiply by each node's local derivative, last node first.
        double dy = 1;
        double localReciprocal = -1 / (c * c);   // = −y²
        double dc = dy * localReciprocal;
        const double localPlus = 1;              // + passes the gradient through unchanged
        double db = dc * localPlus;
        double localExp = Math.Exp(a);           // = b, the node's own output
        double da = db * localExp;
        const double localTimesMinusOne = -1;    // × passes the other factor
        double dx = da * localTimesMinusOne;

        return
        [
            new("×(−1)", x, a, "∂(−x)/∂x = −1", localTimesMinusOne, da, dx),
            new("exp", a, b, "∂exp(a)/∂a = exp(a)", localExp, db, da),
            new("+1", b, c, "∂(1 + b)/∂b = 1", localPlus, dc, db),
            new("1/·", c, y, "∂(1/c)/∂c = −1/c² = −y²", localReciprocal, dy, dc),
        ];
    }

    /// <summary>y = sigmoid(x), the last node's output.</summary>
    public static double Output(GraphNode[] chain) => chain[^1].Output;

    /// <summary>∂y/∂x from the chain: what the first node passes back.</summary>
    public static double Derivative(GraphNode[] chain) => chain[0].Downstream;
}
