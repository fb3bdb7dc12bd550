"""Jacobians: what a vector gate's local gradient is, and why backprop never builds one.

When a gate maps a vector to a vector, its local gradient is a Jacobian: one row per output and one
column per input (catalogue E07). For f(x, y) = (x⁴ + 3y²x, 5y² - 2xy + 1) the notes work out the
four partial derivatives by hand (E08). SymPy does the same exactly and finds J(1, 2) = [[16, 12],
[-4, 18]], and graphlab's engine agrees.

The Jacobian of an elementwise gate is diagonal. ReLU on (1, -2, 3, -1) has Jacobian
diag(1, 0, 1, 0) (E10): backward copies each upstream entry where x > 0 and writes 0 elsewhere, so
upstream (4, -1, 5, 9) becomes (4, 0, 5, 0). On a 4096-vector the same Jacobian is 4096 × 4096,
and for a batch of 100 it is 409,600 × 409,600, which is 625 GiB of float32 (E09; the notes'
4,096,000 has one zero too many). A backward pass multiplies by it without ever forming it.

    .venv/bin/python lessons/05_jacobians.py [--quick] [--out DIR]
    graphlab lesson 5
"""
from __future__ import annotations

import sys

import numpy as np

import graphlab as gl
from graphlab import lessons

RELU_INPUT = (1, -2, 3, -1)        # E10
RELU_UPSTREAM = (4, -1, 5, 9)      # E10 (slide)


def derivative_shapes(inputs: int = 4, outputs: int = 3) -> dict:
    """E07: the shape of d(output)/d(input) for each kind of function, as graphlab computes it."""
    gl.manual_seed(0)
    t = gl.scalar(0.5, dtype=np.float64)
    v = gl.randn(inputs, dtype=np.float64, requires_grad=True)
    W = gl.randn(outputs, inputs, dtype=np.float64)
    upstream = np.ones(outputs)
    return {"scalar -> scalar": gl.grad(t ** 3, t)[0].shape,
            "vector -> scalar": gl.grad((v ** 2).sum(), v)[0].shape,
            "vector -> vector": gl.jacobian(lambda u: W @ u, v).shape,
            "upstream · Jacobian": gl.grad(W @ v, v, grad_outputs=upstream)[0].shape}


def lecture_function(x, y) -> list:
    """E08: f(x, y) = (x⁴ + 3y²x, 5y² - 2xy + 1). Works on SymPy symbols and on Tensors alike."""
    return [x ** 4 + 3 * y ** 2 * x, 5 * y ** 2 - 2 * x * y + 1]


def jacobian_by_sympy(at=(1, 2)):
    """E08: SymPy's Jacobian (formula and exact value at ``at``) beside the engine's ``gl.jacobian``."""
    return gl.verify.jacobian(lecture_function, "x y", at=at)


def value_and_rows(at=(1, 2)) -> dict:
    """f(at), and each row of the Jacobian as the gradient of one output (one backward walk each):
    a backward pass computes upstream · J, here with upstream (1, 0) and then (0, 1)."""
    x, y = (gl.scalar(value, name=name, dtype=np.float64) for value, name in zip(at, "xy"))
    outputs = lecture_function(x, y)
    rows = [tuple(gradient.item() for gradient in gl.grad(outputs, [x, y], grad_outputs=[float(i == k) for i in range(2)]))
            for k in range(2)]
    return {"f": tuple(output.item() for output in outputs), "rows": rows}


def relu_jacobian(values=RELU_INPUT, upstream=RELU_UPSTREAM) -> dict:
    """E10: ReLU's output, its Jacobian (``gl.jacobian`` and SymPy's exact one) and one backward."""
    x = gl.tensor(values, requires_grad=True, name="x")
    y = x.relu().named("y")
    step = y.backward(grad=upstream).step_for(y)
    exact = gl.verify.op("relu", values=[list(values)]).exact
    return {"y": y.data, "jacobian": gl.jacobian(gl.relu, gl.tensor(values)), "exact": exact,
            "local": step.local[0], "downstream": x.grad, "J @ upstream": np.array(exact, dtype=float) @ upstream}


def relu_structure(batch: int, width: int = 4096):
    """E09: the kind and size of ReLU's Jacobian on (batch, width) inputs (``gl.verify.structure``)."""
    shape = (width,) if batch == 1 else (batch, width)
    return gl.verify.structure("relu", shape)


def relu_backward_at_scale(batch: int, width: int = 4096) -> dict:
    """Backward through ReLU on (batch, width) values: what the engine stores instead of the
    Jacobian is the input (to know where x > 0), one number per element."""
    gl.manual_seed(0)
    x = gl.randn(batch, width, requires_grad=True)
    x.relu().backward(grad=np.ones((batch, width), dtype=np.float32))
    return {"elements": x.size, "matches mask": bool(np.array_equal(x.grad, (x.data > 0).astype(np.float32)))}


def main(argv=None) -> int:
    options = lessons.arguments(argv, __file__, __doc__)
    lessons.say(__doc__.split("\n\n")[0])

    lessons.heading("Scalar, gradient, Jacobian (E07)")
    inputs, outputs = 4, 3
    shapes = derivative_shapes(inputs, outputs)
    lessons.say(f"scalar -> scalar: a derivative, one number: shape {shapes['scalar -> scalar']}\n"
          f"vector -> scalar: a gradient, the input's shape {shapes['vector -> scalar']} (the loss L is a scalar, so "
          f"every dL/dv has v's shape)\n"
          f"vector -> vector: a Jacobian, (outputs × inputs) = {shapes['vector -> vector']} for {inputs} inputs and {outputs} outputs; "
          f"gl.jacobian puts the\n                  output axes first, the notes write it transposed (Dx × Dz, "
          f"denominator layout)\n"
          f"backward turns an upstream of the output's shape into a downstream of the input's shape: "
          f"{shapes['upstream · Jacobian']}")

    lessons.heading("A Jacobian by hand, then exactly (E08)")
    report = jacobian_by_sympy()
    lessons.say(report)
    rows = value_and_rows()
    lessons.say(f"f(1, 2) = {tuple(int(v) for v in rows['f'])}")
    for index, row in enumerate(rows["rows"], 1):
        lessons.say(f"backward from f{index} alone (upstream = e{index}) gives row {index}: {tuple(int(v) for v in row)}")
    lessons.say("A backward walk never needs the whole matrix: it computes upstream · J, one product per walk.")

    lessons.heading("ReLU: a diagonal Jacobian (E10)")
    relu = relu_jacobian()
    lessons.say(f"x = {RELU_INPUT}  ->  y = max(0, x) = {tuple(int(v) for v in relu['y'])}")
    lessons.say(f"dy/dx (gl.jacobian) =\n{relu['jacobian'].astype(int)}")
    lessons.say(f"SymPy agrees exactly: {relu['exact'].tolist()}")
    lessons.say(f"graphlab's relu gate keeps only the diagonal as its local gradient: {relu['local'].astype(int).tolist()}")
    lessons.say(f"upstream {RELU_UPSTREAM} × local = downstream {tuple(int(v) for v in relu['downstream'])}"
          f"  (the same as J @ upstream = {tuple(int(v) for v in relu['J @ upstream'])})")

    lessons.heading("Why the Jacobian is never built (E09)")
    for batch in (1, 100):
        structure = relu_structure(batch)
        lessons.say(f"relu on {structure.shapes[0]}: {structure.memory().splitlines()[0]}")
    lessons.say("The notes say 4,096,000 × 4,096,000 for the batch of 100; 100 × 4096 is 409,600 (the slide agrees).")
    scale = relu_backward_at_scale(batch=10 if options.quick else 100)
    lessons.say(f"graphlab's backward on {scale['elements']:,} elements multiplies by the 0/1 mask elementwise "
          f"(gradient equals the mask: {scale['matches mask']}): {scale['elements']:,} numbers, not their square.")

    lessons.heading("Pictures")
    try:
        lessons.wrote(gl.verify.structure("relu", len(RELU_INPUT), at=list(RELU_INPUT)).heatmap(
            options.out / "e10_relu_jacobian.png"))
        lessons.wrote(gl.verify.structure("matmul", [(2, 3), (3, 4)]).heatmap(options.out / "e11_matmul_jacobian.png"))
    except gl.verify.VerifyError as error:           # no matplotlib: the numbers above still stand
        lessons.say(f"  {error}")
    lessons.say("  (the matmul picture is dy/dx for y = x w with x 2×3: block-diagonal, each row of y reads one row of x)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
