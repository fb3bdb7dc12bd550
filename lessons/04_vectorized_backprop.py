"""Vectorized backprop: f = ||W x||², and the matmul rules read off the shapes.

The same walk works when the values are arrays. Every gradient then has the shape of its value
(catalogue E07), and a gate's local gradient becomes a Jacobian that is never written down. The
lecture's example (E12) is f = ||W x||² with W = [[0.1, 0.5], [-0.3, 0.8]] and x = [0.2, 0.4].
Its forward gives q = W x = [0.22, 0.26] and f = 0.116. Backward gives df/dq = 2q = [0.44, 0.52],
df/dW = 2q xᵀ = [[0.088, 0.176], [0.104, 0.208]] and df/dx = 2Wᵀq = [-0.112, 0.636]. The notes'
summary line writes Wᵀq and drops the 2. The lesson shows what that slip would give.

For y = x w (E11), working the chain rule entry by entry gives dL/dx = dL/dy wᵀ and
dL/dw = xᵀ dL/dy. The shapes alone force this: there is only one way to multiply dL/dy with w
(or x) so that the result has x's (or w's) shape. The lesson ends with the notes' 3-layer net
(E13): 41 parameters, and every gradient the shape of its parameter.

Last, the bias trick (E94): a linear classifier's Wx + b is one matrix product [W | b]·[x; 1],
with b as an extra column of W and a constant 1 appended to x. With W = [[1, 2], [3, 4]],
b = [5, 6] and x = [1, 1] both give [8, 13]. On a linear classifier trained on the digits the
two forms give the same scores, and backprop gives the same gradients: dL/d[W | b] is dL/dW
with dL/db as its last column.

    .venv/bin/python lessons/04_vectorized_backprop.py [--quick] [--out DIR]
    graphlab lesson 4
"""
from __future__ import annotations

import re
import sys

import numpy as np

import graphlab as gl
from graphlab import lessons

#: E11: the notes give rows 1 and 3 of w; the slide gives row 1 of dL/dy, and the catalogue
#: recalls row 2 from the slide without having verified it
W_ROW_1 = (3, 2, 1, -1)
W_ROW_3 = (3, 2, 1, -2)
UPSTREAM = ((2, 3, -3, 9), (-8, 1, 4, 6))


def norm_of_product() -> dict:
    """E12 from ``gl.examples`` (the REPL's ``:lesson vector``), in float64; after backward."""
    with gl.default_dtype(np.float64):
        nodes = gl.examples.build("vector")
    nodes["f"].backward()
    return nodes


def by_the_formulas(W: np.ndarray, x: np.ndarray) -> dict:
    """The notes' closed forms, in numpy: df/dW = 2 q xᵀ, df/dx = 2 Wᵀ q (and the slip Wᵀ q)."""
    q = W @ x
    return {"q": q, "f": q @ q, "df/dq": 2 * q, "df/dW": np.outer(2 * q, x), "df/dx": W.T @ (2 * q),
            "slip Wᵀq": W.T @ q}


def exact_gradients(nodes: dict) -> dict:
    """SymPy's exact gradients of E12 as fractions (``gl.verify.graph``): 0.088 is 11/125."""
    report = gl.verify.graph(nodes["f"])
    return {"passed": report.passed, "W": report.gradient("W", exact=True), "x": report.gradient("x", exact=True)}


def matmul_example(x_values=((1, 2, 0), (-1, 1, 2)), middle_row=(1, -2, 0, 1)) -> dict:
    """E11: y = x w with x 2×3 and w 3×4; backward with the slide's upstream dL/dy.

    Neither x nor w's middle row is in the notes. Neither matters for the entries the notes
    compute (dL/dx depends only on w and dL/dy), which the tests check by changing them."""
    x = gl.tensor(x_values, requires_grad=True, name="x", dtype=np.float64)
    w = gl.tensor((W_ROW_1, middle_row, W_ROW_3), requires_grad=True, name="w", dtype=np.float64)
    y = (x @ w).named("y")
    upstream = np.array(UPSTREAM, dtype=np.float64)
    trace = y.backward(grad=upstream)
    jacobian = gl.jacobian(lambda x_: x_ @ w.detach(), x.detach())      # shape (2, 4, 2, 3): dy[n, m] / dx[i, j]
    return {"x": x, "w": w, "y": y, "upstream": upstream, "jacobian": jacobian, "trace": trace,
            "dy/dx11": jacobian[:, :, 0, 0], "dy/dx23": jacobian[:, :, 1, 2],
            "dL/dx11": x.grad[0, 0], "dL/dx23": x.grad[1, 2],
            "dL/dy wᵀ": upstream @ w.data.T, "xᵀ dL/dy": x.data.T @ upstream}


def _tree_in_80_columns(tree: str) -> str:
    """gl.viz.diagram's tree in 80 columns: without the words "value" and "grad" (said once below)
    and the last column (shape and dtype: float64 everywhere, the shapes stated above)."""
    lines = [re.sub(r"\s+\([\d, ]*\) float\d+$", "", line).replace("value ", "").replace("grad ", "").rstrip()
             for line in tree.splitlines()]
    return "\n".join(lines) + "\n(each node: its value, then its gradient df/dnode; all float64)"


def dot_text(left, right) -> str:
    """``3·2 + 2·3 + 1·(-3)``: a dot product written out, negative numbers in brackets."""
    def number(value) -> str:
        return f"{value:g}" if value >= 0 else f"({value:g})"
    return " + ".join(f"{number(a)}·{number(b)}" for a, b in zip(left, right))


def three_layer_net(seed: int = 0) -> dict:
    """E13's 3-layer snippet: x 3×1, h1 = σ(W1 x + b1) 4×1, h2 = σ(W2 h1 + b2) 4×1, out = W3 h2 + b3."""
    gl.manual_seed(seed)
    shapes = {"W1": (4, 3), "b1": (4, 1), "W2": (4, 4), "b2": (4, 1), "W3": (1, 4), "b3": (1, 1)}
    params = {name: gl.randn(*shape, requires_grad=True, name=name, dtype=np.float64) for name, shape in shapes.items()}
    x = gl.randn(3, 1, name="x", dtype=np.float64)
    h1 = (params["W1"] @ x + params["b1"]).sigmoid().named("h1")
    h2 = (params["W2"] @ h1 + params["b2"]).sigmoid().named("h2")
    out = (params["W3"] @ h2 + params["b3"]).named("out")
    trace = out.backward()
    return {"params": params, "x": x, "h1": h1, "h2": h2, "out": out, "trace": trace,
            "count": sum(param.size for param in params.values())}


def linear_layers_collapse(seed: int = 0) -> float:
    """Without a non-linearity two layers are one: W2 (W1 x) = (W2 W1) x. Returns the largest gap."""
    gl.manual_seed(seed)
    W1, W2, x = gl.randn(4, 3, dtype=np.float64), gl.randn(2, 4, dtype=np.float64), gl.randn(3, dtype=np.float64)
    return float(np.abs((W2 @ (W1 @ x)).data - ((W2 @ W1) @ x).data).max())


# -- the bias trick (E94) ----------------------------------------------------------------------------------
def with_ones(x):
    """[x; 1]: a constant 1 appended to each input (along the last axis of the Tensor ``x``)."""
    return gl.cat([x, gl.ones(*x.shape[:-1], 1, dtype=x.dtype)], axis=-1)


def bias_trick(W=((1, 2), (3, 4)), b=(5, 6), x=(1, 1)) -> dict:
    """E94: Wx + b against [W | b]·[x; 1], both by graphlab's ops."""
    W, b, x = (gl.tensor(value, dtype=np.float64) for value in (W, b, x))
    augmented = gl.cat([W, b.reshape(-1, 1)], axis=1)                    # [W | b], 2 × 3
    return {"Wx + b": (W @ x + b).data, "[W | b]": augmented.data, "[x; 1]": with_ones(x).data,
            "[W | b]·[x; 1]": (augmented @ with_ones(x)).data}


def linear_classifier(steps: int = 100, seed: int = 0) -> gl.nn.Linear:
    """A softmax linear classifier s = W x + b (10 × 64) on the digits: ``steps`` full-batch Adam steps."""
    gl.manual_seed(seed)
    model = gl.nn.Linear(64, 10, dtype=np.float64)
    train = gl.data.digits("train")
    images = gl.tensor(train.inputs.reshape(len(train), 64), dtype=np.float64)
    optimizer = gl.optim.Adam(model.parameters(), lr=0.05)
    for _ in range(steps):
        loss = gl.functional.cross_entropy(model(images), train.targets)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    return model


def both_forms(model: gl.nn.Linear, split: str = "test") -> dict:
    """E94 on a trained classifier: the scores X Wᵀ + b and [X, 1]·[W | b]ᵀ for every image of ``split``,
    and the cross-entropy's gradients in both forms: dL/dW, dL/db, and dL/d[W | b] from its own leaf."""
    data = gl.data.digits(split)
    images = gl.tensor(data.inputs.reshape(len(data), 64), dtype=np.float64)
    model.zero_grad()
    scores = model(images)
    gl.functional.cross_entropy(scores, data.targets).backward()
    augmented = gl.tensor(np.hstack([model.weight.data, model.bias.data[:, None]]), requires_grad=True)
    trick_scores = with_ones(images) @ augmented.T
    gl.functional.cross_entropy(trick_scores, data.targets).backward()
    return {"scores": scores.data, "trick scores": trick_scores.data, "shape": augmented.shape,
            "accuracy": float((scores.data.argmax(axis=1) == data.targets).mean()),
            "dL/dW | dL/db": np.hstack([model.weight.grad, model.bias.grad[:, None]]), "dL/d[W | b]": augmented.grad}


def main(argv=None) -> int:
    options = lessons.arguments(argv, __file__, __doc__)
    lessons.say(__doc__.split("\n\n")[0])

    lessons.heading("f = ||W x||² (E12)")
    nodes = norm_of_product()
    W, x, q, f = (nodes[name] for name in ("W", "x", "q", "f"))
    lessons.say(f"W = {W.data.tolist()}, x = {x.data.tolist()}")
    lessons.say(f"q = W x = {np.round(q.data, 6).tolist()},  f = q·q = {f.item():.6g}")
    lessons.say(f"df/dq = {np.round(q.grad, 6).tolist()}  (shape {q.grad.shape}, the shape of q)")
    lessons.say(f"df/dW = {np.round(W.grad, 6).tolist()}  (shape {W.grad.shape}, the shape of W)")
    lessons.say(f"df/dx = {np.round(x.grad, 6).tolist()}  (shape {x.grad.shape}, the shape of x)")
    formulas = by_the_formulas(W.data, x.data)
    gap = max(float(np.abs(formulas["df/dW"] - W.grad).max()), float(np.abs(formulas["df/dx"] - x.grad).max()))
    lessons.say(f"the closed forms 2 q xᵀ and 2 Wᵀ q agree with the walk to {gap:.1e}")
    exact = exact_gradients(nodes)
    lessons.say(f"SymPy, exactly: df/dW = {exact['W'].tolist()}, df/dx = {exact['x'].tolist()}")
    lessons.say(f"The notes' summary 'df/dx = Wᵀ q' drops the factor 2: Wᵀ q = "
          f"{np.round(formulas['slip Wᵀq'], 6).tolist()}, half the right answer;\n"
          f"their numbers use 2q and are right. (Their index sum also ends in 2 q_i x_j where Σ_k 2 q_k W_ki is meant.)")
    lessons.say(_tree_in_80_columns(gl.viz.diagram(f)))

    lessons.heading("y = x w: the local gradient one entry at a time (E11)")
    example = matmul_example()
    lessons.say(f"w = {example['w'].data.astype(int).tolist()}   (rows 1 and 3 from the notes; the middle row is not given)")
    lessons.say(f"dy/dx[1,1]: how all of y moves when x[1,1] moves = {example['dy/dx11'].astype(int).tolist()}: row 1 of w, "
          f"in y's first row only")
    lessons.say(f"dy/dx[2,3] = {example['dy/dx23'].astype(int).tolist()}: row 3 of w, in y's second row")
    lessons.say(f"upstream dL/dy = {example['upstream'].astype(int).tolist()}  (row 1 from the slide; row 2 as the "
          f"catalogue recalls it)")
    w_rows, upstream_rows = example["w"].data, example["upstream"]
    lessons.say(f"dL/dx[1,1] = w[1,:]·dL/dy[1,:] = {dot_text(w_rows[0], upstream_rows[0])} = {example['dL/dx11']:g}")
    lessons.say(f"dL/dx[2,3] = w[3,:]·dL/dy[2,:] = {dot_text(w_rows[2], upstream_rows[1])} = {example['dL/dx23']:g}")

    lessons.heading("The rules, read off the shapes")
    x_, w_, upstream = example["x"], example["w"], example["upstream"]
    lessons.say(f"x {x_.shape} @ w {w_.shape} -> y {example['y'].shape};  dL/dy has y's shape {upstream.shape}")
    lessons.say(f"dL/dx must be {x_.shape}: the only product that fits is dL/dy {upstream.shape} @ wᵀ {w_.data.T.shape}")
    lessons.say(f"dL/dw must be {w_.shape}: the only product that fits is xᵀ {x_.data.T.shape} @ dL/dy {upstream.shape}")
    same_x = np.array_equal(x_.grad, example["dL/dy wᵀ"])
    same_w = np.array_equal(w_.grad, example["xᵀ dL/dy"])
    lessons.say(f"graphlab's walk gives exactly these: dL/dx = dL/dy wᵀ {same_x}, dL/dw = xᵀ dL/dy {same_w}")
    lessons.say("Its Trace (and the REPL's :show, the walk's captions) states them with the shapes:")
    for line in example["trace"].step_for(example["y"]).rule_lines(values=False):
        print(f"  {line}")
    lessons.say(f"The Jacobian dy/dx would have shape {example['jacobian'].shape} ({example['jacobian'].size} entries); "
          f"the walk never builds it.")

    lessons.heading("A 3-layer net (E13)")
    net = three_layer_net()
    for name in ("x", "h1", "h2", "out"):
        lessons.say(f"  {name:<3} {net[name].shape}")
    rows = [(name, str(param.shape), param.size, str(param.grad.shape)) for name, param in net["params"].items()]
    lessons.say(lessons.table(rows, ("parameter", "shape", "count", "gradient shape")))
    lessons.say(f"{net['count']} parameters; every gradient has its parameter's shape (E07).")
    lessons.say("The walk, step by step: each tensor step states its rule, each value its shape")
    print(net["trace"])
    lessons.say(f"Without the sigmoids the layers collapse: W2 (W1 x) and (W2 W1) x differ by {linear_layers_collapse():.1e},\n"
          f"so a deep net of linear layers is one linear layer; the non-linearity is what makes depth count.")

    _bias_trick_section(options.quick)

    lessons.heading("Pictures")
    lessons.diagram(f, options.out / "e12_norm_of_product.svg")
    lessons.diagram(net["out"], options.out / "e13_three_layer_net.svg", rankdir="TB")
    return 0


def _bias_trick_section(quick: bool) -> None:
    lessons.heading("The bias trick: Wx + b = [W | b]·[x; 1] (E94)")
    trick = bias_trick()
    exact = {name: value.astype(int).tolist() for name, value in trick.items()}        # whole numbers here
    lessons.say(f"W = [[1, 2], [3, 4]], b = [5, 6], x = [1, 1]: Wx + b = {exact['Wx + b']}")
    lessons.say(f"[W | b] = {exact['[W | b]']}, [x; 1] = {exact['[x; 1]']}: [W | b]·[x; 1] = {exact['[W | b]·[x; 1]']}")
    lessons.say("One matrix now holds all the parameters, and the layer is a single matmul.")
    model = linear_classifier(steps=60 if quick else 200)
    forms = both_forms(model)
    lessons.say(f"A linear classifier trained on the digits ({forms['accuracy']:.1%} test accuracy), on the "
                f"{len(forms['scores'])} test images:")
    lessons.say(f"  X Wᵀ + b and [X, 1]·[W | b]ᵀ ({forms['shape'][0]} × {forms['shape'][1]}) differ by at most "
                f"{np.abs(forms['scores'] - forms['trick scores']).max():.1e}")
    gap = np.abs(forms["dL/dW | dL/db"] - forms["dL/d[W | b]"]).max()
    lessons.say(f"  dL/d[W | b] from its own leaf and [dL/dW | dL/db] differ by at most {gap:.1e}: the bias's "
                f"gradient is the last column, the upstream summed over the batch (the 1s).")


if __name__ == "__main__":
    sys.exit(main())
