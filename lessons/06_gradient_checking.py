"""Gradient checking: finite differences against the backward pass, and the bugs they catch.

A backward formula can be wrong and still run. A gradient check catches that: it nudges each input
by a small h, watches the output, and compares the slope with what backward says. The central
difference (f(x + h) - f(x - h)) / 2h is accurate to O(h²), the one-sided (f(x + h) - f(x)) / h only
to O(h). h cannot be made arbitrarily small, because rounding error grows like ε/h. So the check
runs in float64 with h around 1e-6; in float32 it cannot work.

The lesson measures that trade-off on the sigmoid gate of E04, σ'(1) = (1 - σ)σ = 0.1966119.
It then uses ``gl.gradcheck`` to catch two bugs from the notes. One is the flat backprop code of
E06, whose forward multiplies while its backward is that of sums; a check at the notes' own inputs
misses it, because there the sigmoid is saturated. The other is the factor 2 that E12's summary
line drops. A check at a kink (ReLU at 0) fails even though the backward is right, so the lesson
shows why.

    .venv/bin/python lessons/06_gradient_checking.py [--quick] [--out DIR]
    graphlab lesson 6
"""
from __future__ import annotations

import sys

import numpy as np

import graphlab as gl
from graphlab import lessons

E03_INPUTS = {"w0": 2.0, "x0": -1.0, "w1": -3.0, "x1": -2.0, "w2": -3.0}


def sigmoid_slope(at: float) -> float:
    """σ'(at), by the engine."""
    point = gl.scalar(at, dtype=np.float64)
    (slope,) = gl.grad(point.sigmoid(), point)
    return slope.item()


def sigmoid_derivative_errors(steps, dtype) -> dict:
    """|numeric - exact| for σ'(1) with one-sided and central differences, computed in ``dtype``
    (the exact value is E04's (1 - σ(1)) σ(1) = 0.1966119)."""
    def sigmoid(value: float) -> float:
        return float(gl.tensor(value, dtype=dtype).sigmoid().item())   # x ± h is rounded to dtype here

    exact = sigmoid_slope(1.0)
    one_sided = [abs((sigmoid(1 + h) - sigmoid(1)) / h - exact) for h in steps]
    central = [abs((sigmoid(1 + h) - sigmoid(1 - h)) / (2 * h) - exact) for h in steps]
    return {"exact": exact, "one-sided": one_sided, "central": central}


def neuron_as_function(w: gl.Tensor, x: gl.Tensor) -> gl.Tensor:
    """The E03 neuron as one function of its weight vector w = (w0, w1, w2) and input x = (x0, x1)."""
    return (w[0] * x[0] + w[1] * x[1] + w[2]).sigmoid()


def check(function, inputs) -> str:
    """Run ``gl.gradcheck``: "pass", or the error's table of mismatches."""
    try:
        gl.gradcheck(function, inputs)
        return "pass"
    except gl.GradcheckError as error:
        return str(error)


class PrintedFlatNeuron(gl.Function):
    """E06 as the notes print it: the forward multiplies (s2 = s0 * s1, s3 = s2 * w2) but the
    backward is the one for sums (grad_s0 = grad_s1 = grad_s2 = grad_s3)."""

    @staticmethod
    def forward(ctx, w0, x0, w1, x1, w2):
        s0 = w0 * x0
        s1 = w1 * x1
        s2 = s0 * s1
        s3 = s2 * w2
        L = 1 / (1 + np.exp(-s3))
        ctx.save_for_backward(w0, x0, w1, x1, L)
        return L

    @staticmethod
    def backward(ctx, upstream):
        w0, x0, w1, x1, L = ctx.saved_tensors
        grad_s3 = upstream * (1 - L) * L
        grad_w2 = grad_s3
        grad_s2 = grad_s3
        grad_s0 = grad_s2
        grad_s1 = grad_s2
        return grad_s0 * x0, grad_s0 * w0, grad_s1 * x1, grad_s1 * w1, grad_w2


def printed_s3(inputs: dict) -> float:
    """s3 = (w0 x0)(w1 x1) w2: what the printed forward feeds its sigmoid."""
    return inputs["w0"] * inputs["x0"] * inputs["w1"] * inputs["x1"] * inputs["w2"]


def check_printed_flat_code(inputs: dict) -> str:
    values = [gl.scalar(inputs[name], name=name) for name in ("w0", "x0", "w1", "x1", "w2")]
    return check(PrintedFlatNeuron.apply, values)


class NormOfProductAsSummarized(gl.Function):
    """f = ||W x||² with the backward of the notes' summary line (E12): df/dx = Wᵀ q, no 2."""

    @staticmethod
    def forward(ctx, W, x):
        q = W @ x
        ctx.save_for_backward(W, x, q)
        return q @ q

    @staticmethod
    def backward(ctx, upstream):
        W, x, q = ctx.saved_tensors
        return upstream * 2 * np.outer(q, x), upstream * W.T @ q      # the slip: should be 2 Wᵀ q

    @staticmethod
    def symbolic(W, x):
        q = np.matmul(W, x)
        return (q * q).sum()


def e12_leaves() -> list:
    """E12's W and x, from ``gl.examples`` (the REPL's ``:lesson vector``), in float64."""
    with gl.default_dtype(np.float64):
        nodes = gl.examples.build("vector")
    return [nodes["W"], nodes["x"]]


def main(argv=None) -> int:
    options = lessons.arguments(argv, __file__, __doc__)
    lessons.say(__doc__.split("\n\n")[0])

    lessons.heading("How small should h be? σ'(1) by finite differences")
    steps = [10.0 ** -k for k in range(1, 13)]
    errors = {dtype.__name__: sigmoid_derivative_errors(steps, dtype) for dtype in (np.float64, np.float32)}
    lessons.say(f"exact σ'(1) = (1 - σ(1)) σ(1) = {errors['float64']['exact']:.7f}  (E04)")
    rows = [(f"1e-{k}", *(f"{errors[dtype][kind][k - 1]:.1e}" for dtype in ("float64", "float32")
                          for kind in ("one-sided", "central"))) for k in range(1, 13)]
    lessons.say(lessons.table(rows, ("h", "float64 one-sided", "float64 central", "float32 one-sided", "float32 central")))
    best = {dtype: min(errors[dtype]["central"]) for dtype in errors}
    lessons.say(f"The error falls like h (one-sided) or h² (central) until rounding, about ε/h, takes over. The best central\n"
          f"error is {best['float64']:.0e} in float64; in float32 (ε ≈ 1e-7) the h = 1e-6 that gl.gradcheck uses gives\n"
          f"{errors['float32']['central'][5]:.0e}, and below 1e-7 x + h == x. Hence: central differences, float64, h = 1e-6.")

    lessons.heading("gl.gradcheck on the neuron (E03)")
    w = gl.tensor([E03_INPUTS["w0"], E03_INPUTS["w1"], E03_INPUTS["w2"]], name="w")
    x = gl.tensor([E03_INPUTS["x0"], E03_INPUTS["x1"]], name="x")
    lessons.say(f"gl.gradcheck(neuron, [w, x]): {check(neuron_as_function, [w, x])}  "
          f"(every op's backward, in float64, against central differences)")

    lessons.heading("Bug 1: the notes' flat code (E06)")
    lessons.say(f"At the notes' inputs ({', '.join(f'{k} = {v:g}' for k, v in E03_INPUTS.items())}):")
    lessons.say(f"  {check_printed_flat_code(E03_INPUTS)}")
    s3 = printed_s3(E03_INPUTS)
    lessons.say(f"The check passes a wrong backward: the printed forward gives s3 = {s3:g}, where σ is flat "
          f"(σ'({s3:g}) = {sigmoid_slope(s3):.1e}),\nso the right and the wrong gradients are both ~0. "
          f"Check where the function is not saturated:")
    quarter = {name: value / 4 for name, value in E03_INPUTS.items()}
    lessons.say(f"At the same inputs divided by 4 ({', '.join(f'{k} = {v:g}' for k, v in quarter.items())}):")
    lessons.say(check_printed_flat_code(quarter))         # gradcheck's table: 80 columns, not indented

    lessons.heading("Bug 2: the factor 2 the notes' summary drops (E12)")
    lessons.say(check(NormOfProductAsSummarized.apply, e12_leaves()))
    lessons.say("The analytic column is exactly half the numeric one for x: df/dx = Wᵀ q instead of 2 Wᵀ q.")
    report = gl.verify.op(NormOfProductAsSummarized, values=[leaf.data.tolist() for leaf in e12_leaves()])
    lessons.say(f"SymPy names the entry exactly (gl.verify.op): {report.worst}")

    lessons.heading("A false alarm: checking at a kink")
    lessons.say("gl.gradcheck(relu, [(0, 1)]):\n" + check(gl.relu, [gl.tensor([0.0, 1.0], name="x")]))
    lessons.say("ReLU's backward is right (graphlab takes relu'(0) = 0), but a central difference across the kink\n"
          "averages the slopes 0 and 1 and gets 0.5. Check at points away from kinks, or expect these.")

    lessons.heading("Pictures")
    picture = lessons.figure(7, 4.5)
    axes = picture.add_subplot()
    for dtype, style in (("float64", "-"), ("float32", "--")):
        for kind, marker in (("one-sided", "o"), ("central", "s")):
            axes.loglog(steps, np.maximum(errors[dtype][kind], 1e-17), style, marker=marker, label=f"{kind}, {dtype}")
    axes.set_xlabel("step h")
    axes.set_ylabel("|numeric - exact|  for σ'(1)")
    axes.set_title("Finite differences: truncation error (right) vs rounding error (left)")
    axes.legend()
    axes.grid(True, which="major", alpha=0.3)
    picture.savefig(lessons.wrote(options.out / "finite_difference_error.png"), dpi=110)
    return 0


if __name__ == "__main__":
    sys.exit(main())
