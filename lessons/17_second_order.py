"""Second-order methods: Newton and L-BFGS against gradient descent, and why deep nets skip them.

Gradient descent uses a linear model of the loss and needs a learning rate. Newton's method uses
the quadratic model w - H⁻¹∇L, with no learning rate at all (catalogue E57). On a quadratic loss
the quadratic model is exact, so one Newton step lands on the minimum.

The lesson uses the lecture's "taco shell" L(W) = W1²/64 + W2² (E48). Its Hessian is
diag(1/32, 2), with condition number 64: gradient descent zig-zags across the steep W2 direction
and crawls along the shallow W1 one. Newton gets to (0, 0) in one step. L-BFGS gets there in two
steps, building its picture of the curvature from gradient differences alone.

Then the catch: the Hessian of a network with N parameters has N² entries. For AlexNet's 62M that
is 15.6 petabytes, which no one stores, let alone inverts. graphlab's Hessian-vector product
(gl.hvp) is how second-order information is used at scale: H v at the cost of about two backward
passes, without ever forming H.

    .venv/bin/python lessons/17_second_order.py [--quick] [--out DIR]
    graphlab lesson 17
"""
from __future__ import annotations

import math
import sys
from fractions import Fraction

import numpy as np

import graphlab as gl
from graphlab import lessons

START = (-10.0, 1.0)      # E48's starting point


def taco_shell(W):
    """E48: L(W) = W1²/64 + W2², a bowl 8 times wider along W1 than along W2."""
    return W[0] ** 2 / 64 + W[1] ** 2


def _point(values) -> gl.Tensor:
    return gl.tensor(values, dtype=np.float64, requires_grad=True)


def gradient(loss, at) -> np.ndarray:
    """∇L at ``at``: one backward walk."""
    point = _point(at)
    (slope,) = gl.grad(loss(point), point)
    return slope.data


def hessian(loss, at) -> np.ndarray:
    """The matrix of second derivatives (``gl.hessian``: a gradient of the gradient)."""
    return gl.hessian(loss, _point(at))


def conditioning(loss=taco_shell, at=START) -> dict:
    """The Hessian, its eigenvalues (curvatures along the axes) and the condition number."""
    H = hessian(loss, at)
    curvatures = np.linalg.eigvalsh(H)
    return {"hessian": H, "curvatures": curvatures, "condition number": curvatures.max() / curvatures.min()}


def gradient_descent(loss, start, lr: float, steps: int) -> np.ndarray:
    """W <- W - lr ∇L, ``steps`` times; returns the path, the start included."""
    path = [np.asarray(start, dtype=np.float64)]
    for _ in range(steps):
        path.append(path[-1] - lr * gradient(loss, path[-1]))
    return np.array(path)


def steps_to_reach(loss, start, lr: float, tolerance: float = 1e-6, limit: int = 100_000) -> int:
    """How many gradient-descent steps until |W| <= tolerance (the minimum is at 0)."""
    W = np.asarray(start, dtype=np.float64)
    for step in range(1, limit + 1):
        W = W - lr * gradient(loss, W)
        if np.linalg.norm(W) <= tolerance:
            return step
    raise RuntimeError(f"gradient descent with lr={lr} did not reach {tolerance} in {limit} steps")


def step_multipliers(lr: float, curvatures) -> np.ndarray:
    """On a quadratic, each step multiplies the coordinate along a curvature λ by 1 - lr λ:
    negative means it flips sign every step (zig-zag), beyond -1 it grows (divergence)."""
    return 1 - lr * np.asarray(curvatures)


def best_fixed_step(curvatures) -> dict:
    """The learning rate 2 / (λmin + λmax) that balances both axes, and the rate it converges at,
    (κ - 1) / (κ + 1) per step for condition number κ."""
    low, high = min(curvatures), max(curvatures)
    kappa = high / low
    return {"lr": 2 / (low + high), "rate": (kappa - 1) / (kappa + 1)}


def newton(loss, start, steps: int = 1) -> np.ndarray:
    """W <- W - H⁻¹ ∇L: the minimum of the local quadratic model. No learning rate."""
    path = [np.asarray(start, dtype=np.float64)]
    for _ in range(steps):
        W = path[-1]
        path.append(W - np.linalg.solve(hessian(loss, W), gradient(loss, W)))
    return np.array(path)


def lbfgs(loss, start, memory: int = 5, tolerance: float = 1e-10, limit: int = 50) -> np.ndarray:
    """L-BFGS on a quadratic loss: the direction from the two-loop recursion over the last
    ``memory`` pairs (s = step, y = change of gradient), then the exact step along it,
    t = -gᵀd / dᵀHd, with H d from one Hessian-vector product (``gl.hvp``), never H itself."""
    W = np.asarray(start, dtype=np.float64)
    slope = gradient(loss, W)
    pairs, path = [], [W]
    while np.linalg.norm(slope) > tolerance and len(path) <= limit:
        direction = -_two_loop(slope, pairs)
        curvature = direction @ gl.hvp(loss, _point(W), direction)
        W_next = W + (-(slope @ direction) / curvature) * direction
        slope_next = gradient(loss, W_next)
        pairs = (pairs + [(W_next - W, slope_next - slope)])[-memory:]
        W, slope = W_next, slope_next
        path.append(W)
    return np.array(path)


def _two_loop(slope: np.ndarray, pairs: list) -> np.ndarray:
    """H⁻¹ ∇L approximated from the stored pairs (Nocedal and Wright, algorithm 7.4)."""
    q = slope.copy()
    alphas = []
    for s, y in reversed(pairs):
        alpha = (s @ q) / (y @ s)
        q -= alpha * y
        alphas.append(alpha)
    if pairs:
        s, y = pairs[-1]
        q *= (s @ y) / (y @ y)          # the initial inverse Hessian: a scaled identity
    for (s, y), alpha in zip(pairs, reversed(alphas)):
        beta = (y @ q) / (y @ s)
        q += s * (alpha - beta)
    return q


def convex_1d(w):
    """A non-quadratic loss for Newton: L(w) = e^w - 2w, smallest at w = ln 2."""
    return w.exp() - 2 * w


def newton_1d(start: float = 0.0, steps: int = 5) -> list:
    """Newton on ``convex_1d`` with L' and L'' from the engine (a gradient of a gradient).
    The error roughly squares at every step: quadratic convergence."""
    path = [start]
    for _ in range(steps):
        w = gl.scalar(path[-1], dtype=np.float64)
        (first,) = gl.grad(convex_1d(w), w, create_graph=True)
        (second,) = gl.grad(first, w)
        path.append(path[-1] - first.item() / second.item())
    return path


def taylor_models(at: float = 0.0) -> dict:
    """L, L' and L'' of ``convex_1d`` at ``at``: the first- and second-order models of the loss."""
    w = gl.scalar(at, dtype=np.float64)
    value = convex_1d(w)
    (first,) = gl.grad(value, w, create_graph=True)
    (second,) = gl.grad(first, w)
    return {"at": at, "L": value.item(), "L'": first.item(), "L''": second.item(),
            "newton": at - first.item() / second.item()}


def hessian_sizes() -> dict:
    """What N x N costs for the parameter counts of graphlab's AlexNet and VGG16 (E27, E28)."""
    with gl.nn.shape_only():
        counts = {"AlexNet": gl.nn.models.AlexNet().num_parameters(), "VGG16": gl.nn.models.VGG16().num_parameters()}
    return {name: {"parameters": N, "entries": N * N, "bytes": 4 * N * N, "lbfgs bytes": 4 * 2 * 10 * N}
            for name, N in counts.items()}


def main(argv=None) -> int:
    options = lessons.arguments(argv, __file__, __doc__)
    lessons.say(__doc__.split("\n\n")[0])

    lessons.heading("The taco shell L(W) = W1²/64 + W2² (E48)")
    shape = conditioning()
    lessons.say(f"Hessian (gl.hessian) = {shape['hessian'].tolist()}: curvature {shape['curvatures'][0]:g} along W1, "
          f"{shape['curvatures'][1]:g} along W2")
    lessons.say(f"condition number = {shape['curvatures'][1]:g} / {shape['curvatures'][0]:g} = {shape['condition number']:g}")

    lessons.heading("Gradient descent: the linear model, and a learning rate to choose")
    path = gradient_descent(taco_shell, START, lr=0.9, steps=5)
    lessons.say(f"from {START} with lr 0.9:")
    for step, W in enumerate(path[1:], 1):
        lessons.say(f"  step {step}: W = ({W[0]:.5f}, {W[1]:.5f})")
    for lr in (0.4, 0.9, 1.1):
        along_w1, along_w2 = step_multipliers(lr, shape["curvatures"])
        behaviour = "shrinks" if along_w2 >= 0 else ("zig-zags" if along_w2 > -1 else "zig-zags and diverges")
        lessons.say(f"  lr {lr}: each step multiplies W1 by {along_w1:.4f} and W2 by {along_w2:.4f}: W2 {behaviour}")
    low, high = shape["curvatures"]
    slow = math.ceil(math.log(0.1) / math.log(step_multipliers(0.9, shape["curvatures"])[0]))
    lessons.say(f"W2 oscillates once lr > 1/{high:g} = {1 / high:g} and diverges once lr > 2/{high:g} = {2 / high:g}, "
          f"while W1 needs {slow} steps at lr 0.9 to shrink 10x.")
    best = best_fixed_step(shape["curvatures"])
    kappa = Fraction(shape["condition number"]).limit_denominator()
    lessons.say(f"the best fixed step 2/({low:g} + {high:g}) = {best['lr']:.6f} converges at rate (κ - 1)/(κ + 1) = "
          f"{(kappa - 1) / (kappa + 1)} = {best['rate']:.4f} per step:\n"
          f"{steps_to_reach(taco_shell, START, best['lr'])} steps to |W| < 1e-6")

    lessons.heading("Newton: the quadratic model, no learning rate (E57)")
    newton_path = newton(taco_shell, START)
    lessons.say(f"W - H⁻¹∇L from {START} = {tuple(float(v) for v in newton_path[1])}: the minimum, in one step")
    elsewhere = newton(taco_shell, (3.7, -42.0))
    lessons.say(f"from (3.7, -42) it lands on {tuple(float(v) for v in elsewhere[1])} too: the model is the loss itself")
    lessons.say("On a loss that is not quadratic Newton needs a few steps, but the error squares each time:")
    steps = newton_1d()
    minimum = math.log(2)
    for step, w in enumerate(steps):
        lessons.say(f"  step {step}: w = {w:.12f}, error {abs(w - minimum):.1e}")

    lessons.heading("L-BFGS: curvature from gradients alone")
    quasi = lbfgs(taco_shell, START)
    for step, W in enumerate(quasi[1:], 1):
        lessons.say(f"  step {step}: W = ({W[0]:.6g}, {W[1]:.6g})")
    lessons.say(f"L-BFGS reaches the minimum in {len(quasi) - 1} steps: each step stores s = ΔW and y = Δ∇L, and the pairs\n"
          f"stand in for H⁻¹. It never forms H; the exact step length along its direction needs only H d (gl.hvp).")
    v = np.array([1.0, 1.0])
    lessons.say(f"gl.hvp(taco_shell, {START}, {v.tolist()}) = {gl.hvp(taco_shell, _point(START), v).tolist()}: "
          f"H v without building H")

    lessons.heading("Why deep nets do not use Newton")
    for name, size in hessian_sizes().items():
        lessons.say(f"{name}: N = {size['parameters']:,} parameters; the Hessian has N² = {size['entries']:.3g} entries, "
              f"{size['bytes'] / 1e15:,.1f} PB in float32;\n   inverting it takes ~N³ = {size['parameters'] ** 3:.1e} "
              f"operations. L-BFGS with 10 pairs stores 20 vectors: {size['lbfgs bytes'] / 1e9:.1f} GB.")
    lessons.say("And both Newton and L-BFGS assume the full-batch gradient: mini-batch noise corrupts the curvature pairs.\n"
          "The notes' advice: Adam as the default, SGD + momentum with tuning, L-BFGS when full-batch updates are possible.")

    lessons.heading("Pictures")
    _picture_paths(path, newton_path, quasi, options)
    _picture_models(options.out / "e57_first_vs_second_order.png")
    return 0


def _picture_paths(gd_path, newton_path, quasi, options) -> None:
    picture = lessons.figure(9, 4)
    axes = picture.add_subplot()
    grid_w1, grid_w2 = np.meshgrid(np.linspace(-11, 3, 200), np.linspace(-2, 2, 200))
    axes.contour(grid_w1, grid_w2, grid_w1 ** 2 / 64 + grid_w2 ** 2, levels=[0.05, 0.2, 0.5, 1, 1.6, 2.5], colors="0.75")
    long_run = gradient_descent(taco_shell, START, lr=0.9, steps=20 if options.quick else 60)
    axes.plot(long_run[:, 0], long_run[:, 1], "o-", markersize=3, label=f"gradient descent, lr 0.9 ({len(long_run) - 1} steps)")
    axes.plot(quasi[:, 0], quasi[:, 1], "s-", label=f"L-BFGS ({len(quasi) - 1} steps)")
    axes.plot(newton_path[:, 0], newton_path[:, 1], "^-", label="Newton (1 step)")
    axes.plot([0], [0], "k*", markersize=12)
    axes.set_xlabel("W1")
    axes.set_ylabel("W2")
    axes.set_title("L = W1²/64 + W2²: zig-zag, two steps, one step")
    axes.legend(loc="lower right")
    picture.savefig(lessons.wrote(options.out / "e48_taco_shell_paths.png"), dpi=110)


def _picture_models(path) -> None:
    model = taylor_models()
    w = np.linspace(-1.5, 2.5, 200)
    offset = w - model["at"]
    picture = lessons.figure(6.5, 4)
    axes = picture.add_subplot()
    axes.plot(w, convex_1d(gl.tensor(w, dtype=np.float64)).data, "k", label="L(w) = e^w - 2w")
    axes.plot(w, model["L"] + model["L'"] * offset, "--", label="first-order model (needs a step size)")
    axes.plot(w, model["L"] + model["L'"] * offset + model["L''"] * offset ** 2 / 2, "-.",
              label="second-order model (Newton jumps to its minimum)")
    axes.axvline(model["newton"], color="0.6", linewidth=0.8)
    axes.axvline(math.log(2), color="0.3", linewidth=0.8, linestyle=":")
    axes.set_ylim(-1, 4)
    axes.set_xlabel("w")
    axes.set_title(f"Models of the loss at w = {model['at']:g}; Newton step to {model['newton']:g}, minimum at ln 2")
    axes.legend(fontsize=8)
    picture.savefig(lessons.wrote(path), dpi=110)


if __name__ == "__main__":
    sys.exit(main())
