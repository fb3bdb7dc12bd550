"""Optimizers on the taco shell: SGD's zig-zag, momentum, Nesterov, AdaGrad, RMSProp and Adam.

The lecture's example of a badly conditioned loss is L(W) = W1²/64 + W2², a taco shell whose
curvature is 64 times larger along W2 than along W1 (catalogue E48). Plain SGD with a learning
rate large enough to move along W1 overshoots across W2 at every step: it zig-zags. The
optimizers of lecture 7 each fix part of that. Momentum keeps a velocity that averages the
zig-zag out (E51, E52), and carries the iterate off a saddle point, where the gradient is tiny,
sooner than plain SGD does (E49). Nesterov takes its gradient at the point the velocity is heading for
(E54). AdaGrad and RMSProp divide each coordinate's step by the root of its squared gradients
(E55). Adam does both, with a bias correction for moments that start at zero (E56).

Every step here is a real ``gl.optim`` optimizer updating a tensor from graphlab's gradient.
The worked examples of the notes are reproduced to the last printed digit: momentum's -0.5 and
-0.75, the exponential average's weights (E53), and the first two Adam steps with and without
bias correction. And a mini-batch gradient is a noisy estimate of the full one: measured on the
digits MLP, its spread shrinks like 1/√B with the batch size B (E49).

    .venv/bin/python lessons/11_optimizers.py [--quick] [--out DIR]
    graphlab lesson 11
"""
from __future__ import annotations

import functools
import math
import sys

import numpy as np

import graphlab as gl
from graphlab import lessons

START = (-10.0, 1.0)                           # E48's starting point

#: the seed notes' comparison table (E58), row by row: first moment, element-wise 2nd moment, leaky, bias correction
NOTES_TABLE = {"SGD": "no no no no", "SGD+Momentum": "yes no no no", "Nesterov": "yes no no no",
               "AdaGrad": "no yes no no", "RMSProp": "no yes yes no", "Adam": "yes yes yes yes"}

#: the runs of the trajectory picture: a learning rate typical for each method on this loss
RUNS = {"SGD": ("sgd", {"lr": 0.9}),
        "SGD+Momentum": ("momentum", {"lr": 0.1}),
        "Nesterov": ("nesterov", {"lr": 0.1}),
        "AdaGrad": ("adagrad", {"lr": 1.0}),
        "RMSProp": ("rmsprop", {"lr": 0.1, "alpha": 0.9}),
        "Adam": ("adam", {"lr": 0.3})}


def taco_shell(W):
    """E48: L(W) = W1²/64 + W2²."""
    return W[0] ** 2 / 64 + W[1] ** 2


def square(w):
    """The notes' 1-D tests: f(w) = w²."""
    return (w ** 2).sum()


def trajectory(name: str, steps: int, start=START, loss=taco_shell, **hyper) -> dict:
    """``steps`` updates of the optimizer ``gl.optim.get(name)`` on ``loss`` from ``start`` (float64).
    Returns the path (start included), the losses, and the optimizer's state after the last step."""
    W = gl.tensor(start, dtype=np.float64, requires_grad=True)
    optimizer = gl.optim.get(name, [W], **hyper)
    path, losses = [W.data.copy()], []
    for _ in range(steps):
        value = loss(W)
        optimizer.zero_grad()
        value.backward()
        optimizer.step()
        losses.append(value.item())
        path.append(W.data.copy())
    return {"path": np.array(path), "losses": losses, "state": optimizer.state_dict()["state"].get(0, {})}


def steps_to(path: np.ndarray, tolerance: float = 1e-3):
    """The first step at which |W| stays below ``tolerance`` for good, or None."""
    norms = np.linalg.norm(path, axis=1)
    outside = np.flatnonzero(norms >= tolerance)
    if len(outside) == 0:
        return 0
    last = int(outside[-1]) + 1
    return last if last < len(path) else None


def sign_flips(path: np.ndarray, steps: int = 30, axis: int = 1) -> int:
    """How often the coordinate ``axis`` (W2, the steep one) changes sign in the first ``steps`` steps: the zig-zag."""
    signs = np.sign(path[:steps + 1, axis])
    return int((signs[1:] * signs[:-1] < 0).sum())


def heavy_ball(curvatures=(1 / 32, 2)) -> dict:
    """E48: the best momentum for a quadratic with curvatures λmin..λmax (Polyak): lr = 4/(√λmax + √λmin)²
    and momentum ((√κ - 1)/(√κ + 1))², which converges at the rate (√κ - 1)/(√κ + 1) = 7/9 here."""
    low, high = min(curvatures), max(curvatures)
    root_kappa = math.sqrt(high / low)
    return {"lr": 4 / (math.sqrt(high) + math.sqrt(low)) ** 2, "momentum": ((root_kappa - 1) / (root_kappa + 1)) ** 2,
            "rate": (root_kappa - 1) / (root_kappa + 1), "gd rate": (high / low - 1) / (high / low + 1)}


def measured_rate(path: np.ndarray, start: int, end: int) -> float:
    """(|W_end| / |W_start|)^(1 / (end - start)): the average factor per step between two steps."""
    norms = np.linalg.norm(path, axis=1)
    return float((norms[end] / norms[start]) ** (1 / (end - start)))


# -- saddle points and gradient noise (E49) ------------------------------------------------------------------
SADDLE_START = (1.0, 1e-4)                     # E49: on the valley's floor, a hair off the ridge


def saddle(W):
    """E49: f(x, y) = x² - y², a saddle at the origin: downhill along y, uphill along x."""
    return W[0] ** 2 - W[1] ** 2


def saddle_run(lr: float = 0.01, momentum: float = 0.0, steps: int = 1000, start=SADDLE_START) -> dict:
    """``gl.optim.SGD`` on the saddle from ``start``: the gradient norm ‖∇f‖ before each step and the loss
    after it, until the loss falls below -1 (the iterate has left the saddle) or ``steps`` run out."""
    W = gl.tensor(start, dtype=np.float64, requires_grad=True)
    optimizer = gl.optim.SGD([W], lr=lr, momentum=momentum)
    norms, escape, losses = [], [], []
    for _ in range(steps):
        optimizer.zero_grad()
        saddle(W).backward()
        norms.append(float(np.linalg.norm(W.grad)))
        escape.append(abs(float(W.grad[1])))       # |∂f/∂y| = 2|y|: the slope along the way out
        optimizer.step()
        losses.append(saddle(W).item())
        if losses[-1] < -1:
            break
    return {"norms": np.array(norms), "escape": np.array(escape), "losses": losses,
            "left": len(losses) if losses[-1] < -1 else None}


def steps_below(run: dict, threshold: float) -> int:
    """How many steps of ``run`` started where ‖∇f‖ < threshold: the flat stretch around the saddle."""
    return int((run["norms"] < threshold).sum())


def flat_escape_steps(run: dict, threshold: float = 1e-3) -> int:
    """How many steps of ``run`` started where the slope along the escape direction, |∂f/∂y| = 2|y|, was
    below ``threshold``: the gradient that would carry the iterate off the saddle is almost zero there."""
    return int((run["escape"] < threshold).sum())


@functools.lru_cache(maxsize=4)
def most_steps_below(threshold: float = 1e-3, lrs=(0.01, 0.05, 0.1, 0.25, 0.4, 0.45, 0.5)) -> dict:
    """The most steps any plain gradient descent (the given learning rates) spends with ‖∇f‖ < threshold.
    ‖∇f‖ = 2‖(x, y)‖ < 1e-3 needs ‖(x, y)‖ < 5e-4, only 5 times the start's y = 1e-4; y grows by 1 + 2 lr per
    step while x shrinks by 1 - 2 lr, so x is still large when y gets there, unless lr is near 0.5."""
    counts = {lr: steps_below(saddle_run(lr, steps=5000), threshold) for lr in lrs}
    return {"counts": counts, "most": max(counts.values())}


@functools.lru_cache(maxsize=4)
def gradient_noise(batch_sizes=(8, 32, 128), batches: int = 100, seed: int = 0) -> dict:
    """E49 (and E50): the spread of the mini-batch gradient of the digits MLP (at its initialization) around
    the full-batch gradient, for batches of B training digits drawn with replacement: the root mean squared
    distance ‖g_B - g‖ over ``batches`` batches of each size. For independent draws E‖g_B - g‖² = σ²/B, so the
    spread is ∝ 1/√B. ``relative error``: the standard error of each spread from its own samples. (Cached:
    deterministic, and shared by the narrative and the tests.)"""
    train = gl.data.digits("train")
    gl.manual_seed(seed)
    model = gl.train.RECIPES["digits-mlp"].model()

    def gradient(rows) -> np.ndarray:
        model.zero_grad()
        gl.functional.cross_entropy(model(gl.tensor(train.inputs[rows])), train.targets[rows]).backward()
        return np.concatenate([parameter.grad.ravel() for parameter in model.parameters()])

    full = gradient(np.arange(len(train)))
    rng = np.random.default_rng(seed)
    result = {"full norm": float(np.linalg.norm(full))}
    for size in batch_sizes:
        squared = np.array([((gradient(rng.integers(0, len(train), size)) - full) ** 2).sum() for _ in range(batches)])
        result[size] = {"spread": float(np.sqrt(squared.mean())),
                        "relative error": float(squared.std() / squared.mean() / np.sqrt(batches) / 2)}
    return result


# -- the worked examples ------------------------------------------------------------------------------------
def momentum_example(gradients=(5.0, 3.0), lr: float = 0.1, momentum: float = 0.9) -> dict:
    """E52: the steps of SGD and of SGD + momentum for the given gradients, by ``gl.optim.SGD``, and the
    notes' own form v <- αv - η dL/dW, W <- W + v written out."""
    def steps(rho: float) -> list:
        w = gl.tensor([0.0], dtype=np.float64, requires_grad=True)
        optimizer = gl.optim.SGD([w], lr=lr, momentum=rho)
        moves = []
        for gradient in gradients:
            before = float(w.data[0])
            w.grad = np.array([gradient])
            optimizer.step()
            moves.append(float(w.data[0]) - before)
        return moves

    velocity, notes = 0.0, []
    for gradient in gradients:
        velocity = momentum * velocity - lr * gradient
        notes.append(velocity)
    return {"sgd": steps(0.0), "momentum": steps(momentum), "notes form": notes}


def ewma(values, beta: float, bias_correction: bool = False) -> list:
    """E53: v_t = β v_{t-1} + (1 - β) θ_t from v_0 = 0; corrected, v_t / (1 - βᵗ)."""
    average, out = 0.0, []
    for t, value in enumerate(values, 1):
        average = beta * average + (1 - beta) * value
        out.append(average / (1 - beta ** t) if bias_correction else average)
    return out


def ewma_weights(beta: float = 0.9, age: int = 10) -> dict:
    """E53: feed one 1 and then zeros: the average's value k steps later is the weight (1 - β)βᵏ of a
    sample k steps old. Also the effective window 1/(1 - β), and Adam's first moment on the same input."""
    impulse = [1.0] + [0.0] * age
    response = ewma(impulse, beta)
    w = gl.tensor([0.0], dtype=np.float64, requires_grad=True)
    adam = gl.optim.Adam([w], lr=1e-12, betas=(beta, 0.999))
    for value in impulse:                                  # Adam's m is the same average of the gradients
        w.grad = np.array([value])
        adam.step()
    return {"weight": response[-1], "factor": response[-1] / (1 - beta), "beta^age": beta ** age,
            "window": 1 / (1 - beta), "adam m": float(adam.state_dict()["state"][0]["exp_avg"][0])}


def temperatures(days: int = 365, seed: int = 0) -> np.ndarray:
    """A year of made-up daily temperatures (a seasonal curve plus noise) for the E53 picture."""
    rng = np.random.default_rng(seed)
    day = np.arange(days)
    return 12 + 10 * np.sin(2 * np.pi * (day - 110) / 365) + rng.normal(0, 3, days)


def nesterov_example(steps: int = 2, lr: float = 0.1, rho: float = 0.9) -> dict:
    """E54 on f = w², w₀ = 1: the look-ahead form v = ρv - α∇f(w + ρv), w = w + v by hand (the gradient
    at the look-ahead point from graphlab), SGD and momentum by ``gl.optim``, and ``gl.optim``'s Nesterov,
    whose iterate is the look-ahead point w + ρv itself (the change of variables of the notes)."""
    w, v, ws, vs = 1.0, 0.0, [], []
    for _ in range(steps):
        ahead = gl.scalar(w + rho * v, dtype=np.float64)
        (slope,) = gl.grad(square(ahead), ahead)
        v = rho * v - lr * slope.item()
        w = w + v
        ws.append(w)
        vs.append(v)
    plain = trajectory("sgd", steps, start=(1.0,), loss=square, lr=lr)["path"][1:, 0]
    heavy = trajectory("sgd", steps, start=(1.0,), loss=square, lr=lr, momentum=rho)
    library = trajectory("nesterov", steps, start=(1.0,), loss=square, lr=lr, momentum=rho)["path"][1:, 0]
    heavy_path = heavy["path"][:, 0]
    return {"sgd": plain.tolist(), "momentum w": heavy_path[1:].tolist(),
            "momentum v": np.diff(heavy_path).tolist(), "nesterov w": ws, "nesterov v": vs,
            "gl nesterov": library.tolist(), "look-ahead points": [w + rho * v for w, v in zip(ws, vs)]}


def adaptive_examples(lr: float = 0.1) -> dict:
    """E55 on f = w², w₀ = 1: AdaGrad's G = Σg² and RMSProp's G = 0.9G + 0.1g², with the iterates."""
    result = {}
    for name, hyper, buffer in (("adagrad", {}, "sum"), ("rmsprop", {"alpha": 0.9}, "square_avg")):
        ws, Gs = [], []
        w = gl.tensor([1.0], dtype=np.float64, requires_grad=True)
        optimizer = gl.optim.get(name, [w], lr=lr, **hyper)
        for _ in range(2):
            optimizer.zero_grad()
            square(w).backward()
            optimizer.step()
            ws.append(float(w.data[0]))
            Gs.append(float(optimizer.state_dict()["state"][0][buffer][0]))
        result[name] = {"w": ws, "G": Gs}
    return result


def per_axis_steps(steps: int = 20, lr: float = 0.1) -> dict:
    """E55: RMSProp on the taco shell: the effective step lr/√G of each coordinate. The steep W2 has the
    larger gradients, so the larger G and the *smaller* step (the notes' 000 says the opposite)."""
    run = trajectory("rmsprop", steps, lr=lr, alpha=0.9)
    G = run["state"]["square_avg"]
    return {"G": G, "effective lr": lr / (np.sqrt(G) + 1e-8)}


def adam_example(lr: float = 0.1) -> dict:
    """E56 on f = w², w₀ = 1: m, v, m̂, v̂ and w for two steps from ``gl.optim.Adam``'s state, and the first
    step without the bias correction."""
    w = gl.tensor([1.0], dtype=np.float64, requires_grad=True)
    adam = gl.optim.Adam([w], lr=lr)
    rows = []
    for t in (1, 2):
        adam.zero_grad()
        square(w).backward()
        gradient = float(w.grad[0])
        adam.step()
        state = adam.state_dict()["state"][0]
        m, v = float(state["exp_avg"][0]), float(state["exp_avg_sq"][0])
        rows.append({"t": t, "g": gradient, "m": m, "v": v, "m_hat": m / (1 - 0.9 ** t), "v_hat": v / (1 - 0.999 ** t),
                     "w": float(w.data[0])})
    uncorrected = trajectory("adam", 1, start=(1.0,), loss=square, lr=lr, bias_correction=False)["path"][1, 0]
    return {"steps": rows, "uncorrected w": float(uncorrected)}


def first_step(gradient: float, bias_correction: bool, lr: float = 0.01) -> float:
    """E56: the size of Adam's first step, in units of lr, for one gradient value (ε = 0)."""
    w = gl.tensor([0.0], dtype=np.float64, requires_grad=True)
    adam = gl.optim.Adam([w], lr=lr, eps=0.0, bias_correction=bias_correction)
    w.grad = np.array([gradient])
    adam.step()
    return float(abs(w.data[0]) / lr)


def second_moment_bound(gradient: float = 3.0, steps: int = 5000) -> dict:
    """E56 (the paper notes say v grows with the number of updates): with a constant gradient g,
    v_t = (1 - β₂ᵗ)g² creeps up to g² and stops there."""
    w = gl.tensor([0.0], dtype=np.float64, requires_grad=True)
    adam = gl.optim.Adam([w], lr=1e-12)
    track = []
    for _ in range(steps):
        w.grad = np.array([gradient])
        adam.step()
        track.append(float(adam.state_dict()["state"][0]["exp_avg_sq"][0]))
    return {"v": track, "g squared": gradient ** 2}


def capabilities() -> dict:
    """E58: ``gl.optim.capabilities()`` as {optimizer: "yes no ..."}, to compare with the notes' table."""
    lines = gl.optim.capabilities().splitlines()[2:]
    return {line[:14].strip(): " ".join(line[14:].split()) for line in lines}


# -- the narrative --------------------------------------------------------------------------------------
def main(argv=None) -> int:
    options = lessons.arguments(argv, __file__, __doc__)
    lessons.say(__doc__.split("\n\n")[0])

    lessons.heading("SGD on the taco shell (E48)")
    sgd = trajectory("sgd", 5, lr=0.9)
    lessons.say("L(W) = W1²/64 + W2², Hessian diag(1/32, 2), condition number 64. gl.optim.SGD at lr 0.9 from (-10, 1):")
    lessons.say("  " + ", ".join(f"({W[0]:.5f}, {W[1]:.5g})" for W in sgd["path"][1:]))
    lessons.say("W2 flips sign at every step (the zig-zag: each step multiplies it by 1 - 2·0.9 = -0.8) while W1 crawls\n"
          "(x(1 - 0.9/32) = 0.971875 per step).")
    best = heavy_ball()
    lessons.say(f"the best plain step, lr 2/(1/32 + 2) = {2 / (1 / 32 + 2):.6f}, converges at (κ - 1)/(κ + 1) = 63/65 = "
          f"{best['gd rate']:.4f} per step;")
    tuned = trajectory("sgd", 120, lr=best["lr"], momentum=best["momentum"])
    lessons.say(f"heavy-ball momentum with lr 4/(√2 + √(1/32))² = {best['lr']:.4f} and ρ = ((8 - 1)/(8 + 1))² = "
          f"{best['momentum']:.4f} converges at 7/9 = {best['rate']:.4f}:\n  with gl.optim.SGD |W| shrinks by "
          f"{measured_rate(tuned['path'], 60, 120):.4f} per step over steps 60-120 (7/9 times the slow t factor of a "
          f"double root)\n  and is under 1e-6 after {steps_to(tuned['path'], 1e-6)} steps, against "
          f"{steps_to(trajectory('sgd', 600, lr=2 / (1 / 32 + 2))['path'], 1e-6)} for the best plain step")

    lessons.heading("Momentum, the worked example (E51, E52)")
    example = momentum_example()
    lessons.say(f"lr 0.1, gradients 5 then 3: SGD steps {example['sgd'][0]:g}, {example['sgd'][1]:g}; "
          f"with momentum 0.9 {example['momentum'][0]:g}, {example['momentum'][1]:g}")
    lessons.say(f"the notes' form v <- 0.9v - 0.1 dL/dW: v1 = {example['notes form'][0]:g}, "
          f"v2 = 0.9·(-0.5) - 0.3 = {example['notes form'][1]:g}: the same steps. "
          f"gl.optim (PyTorch) keeps b = 0.9b + g and steps -lr·b: v = -lr·b.")

    _saddle_section(options.quick)

    lessons.heading("Exponentially weighted averages (E53)")
    weights = ewma_weights()
    lessons.say(f"v_t = 0.9 v_(t-1) + 0.1 θ_t: a sample 10 steps old weighs (1 - β)β¹⁰ = {weights['weight']:.5f}, "
          f"a factor β¹⁰ = {weights['factor']:.4f};\n  the window is about 1/(1 - β) = {weights['window']:g} steps. "
          f"Adam's first moment on the same input: {weights['adam m']:.5f}.")
    year = temperatures()
    lessons.say(f"starting from v_0 = 0 the average is biased low: day 1 is {year[0]:.1f}°, the average "
          f"{ewma(year, 0.9)[0]:.2f}°, corrected /(1 - 0.9) {ewma(year, 0.9, True)[0]:.1f}°")

    lessons.heading("Nesterov momentum (E54)")
    nesterov = nesterov_example()
    lessons.say(f"f = w², w0 = 1, lr 0.1, ρ 0.9: SGD {nesterov['sgd'][0]:.4g}, {nesterov['sgd'][1]:.4g}; momentum "
          f"v = {nesterov['momentum v'][0]:.4g}, {nesterov['momentum v'][1]:.4g}, w = {nesterov['momentum w'][0]:.4g}, "
          f"{nesterov['momentum w'][1]:.4g}")
    lessons.say(f"Nesterov, gradient at the look-ahead w + ρv: v = {nesterov['nesterov v'][0]:.4g}, "
          f"{nesterov['nesterov v'][1]:.4g}, w = {nesterov['nesterov w'][0]:.4g}, {nesterov['nesterov w'][1]:.4g}")
    lessons.say(f"gl.optim's Nesterov tracks the look-ahead point itself, w + ρv = "
          f"{', '.join(f'{value:.4g}' for value in nesterov['look-ahead points'])}: it gives "
          f"{', '.join(f'{value:.4g}' for value in nesterov['gl nesterov'])}.")
    lessons.say("The notes' 000 formula v_t = βv_(t-1) + (1 - β)(θ_t + βv_t) is ill-posed: v_t is on both sides, and the\n"
          "look-ahead belongs inside the gradient's argument, not added to its value.")

    lessons.heading("AdaGrad and RMSProp (E55)")
    adaptive = adaptive_examples()
    lessons.say(f"AdaGrad on f = w², lr 0.1: G = {adaptive['adagrad']['G'][0]:g} -> w = {adaptive['adagrad']['w'][0]:g} "
          f"(the first step is always lr·sign(g)); G = {adaptive['adagrad']['G'][1]:g} -> w = "
          f"{adaptive['adagrad']['w'][1]:.6f}")
    lessons.say(f"RMSProp, decay 0.9: G = {adaptive['rmsprop']['G'][0]:g} -> w = {adaptive['rmsprop']['w'][0]:.6f}; "
          f"G = {adaptive['rmsprop']['G'][1]:.6f} -> w = {adaptive['rmsprop']['w'][1]:.6f}")
    axes = per_axis_steps()
    lessons.say(f"on the taco shell after 20 RMSProp steps, G = ({axes['G'][0]:.3g}, {axes['G'][1]:.3g}): the effective "
          f"step lr/√G is {axes['effective lr'][0]:.3g} along the flat W1 and {axes['effective lr'][1]:.3g} along the "
          f"steep W2.\nDividing by the larger √G slows the steep axis (the paper notes have it backwards).")

    lessons.heading("Adam and its bias correction (E56)")
    adam = adam_example()
    for row in adam["steps"]:
        lessons.say(f"t = {row['t']}: g = {row['g']:g}, m = {row['m']:.6g}, v = {row['v']:.6g}, m̂ = {row['m_hat']:.6f}, "
              f"v̂ = {row['v_hat']:.6f}, w = {row['w']:.6f}")
    lessons.say(f"without the correction the first step goes to w = {adam['uncorrected w']:.6f}")
    lessons.say(f"first step / lr for g = 123 and g = 0.001: corrected {first_step(123, True):.4f} and "
          f"{first_step(0.001, True):.4f}; uncorrected {first_step(123, False):.4f} and {first_step(0.001, False):.4f}"
          f" = 0.1/√0.001, whatever g")
    bound = second_moment_bound()
    lessons.say(f"with a constant g = 3, v after 10, 1000, 5000 steps: {bound['v'][9]:.4f}, {bound['v'][999]:.4f}, "
          f"{bound['v'][-1]:.4f}: it tends to g² = {bound['g squared']:g}\n  and does not grow with the number of "
          f"updates (the paper notes say it does). β₂'s default is 0.999 (the lecture notes' '0.9-0.99' is the range for β₁ and RMSProp).")

    lessons.heading("All six on the taco shell (E58)")
    steps = 100 if options.quick else 300
    runs = {label: trajectory(name, steps, **hyper) for label, (name, hyper) in RUNS.items()}
    rows = [(label, ", ".join(f"{key} {value:g}" for key, value in RUNS[label][1].items()),
             sign_flips(run["path"]), f"{run['losses'][49]:.2e}", f"{run['losses'][-1]:.2e}")
            for label, run in runs.items()]
    lessons.say(lessons.table(rows, ("optimizer", "settings", "W2 flips (30 steps)", "loss, step 50",
                                     f"step {steps}")))
    lessons.say()
    lessons.say(gl.optim.capabilities())
    agree = capabilities() == NOTES_TABLE
    lessons.say(f"(the notes' table, read from the optimizer classes' flags; it agrees with the notes: {agree})")

    lessons.heading("Pictures")
    _picture_paths(runs, options.out / "e48_e56_taco_shell_paths.png")
    _picture_ewma(year, options.out / "e53_exponential_averages.png")
    return 0


def _saddle_section(quick: bool) -> None:
    lessons.heading("Saddle points and mini-batch noise (E49)")
    plain, heavy = saddle_run(), saddle_run(momentum=0.9)
    lessons.say(f"f(x, y) = x² - y² from {SADDLE_START}, lr 0.01: ‖∇f‖ starts at {plain['norms'][0]:g}; steps "
                f"taken with ‖∇f‖ < 0.1 near the origin:\n  SGD {steps_below(plain, 0.1)}, "
                f"momentum 0.9 {steps_below(heavy, 0.1)}; the loss falls below -1 (the iterate has left the "
                f"saddle) at step {plain['left']} and {heavy['left']}")
    literal = most_steps_below()
    lessons.say(f"The gradient never gets below 1e-3 on this path (smallest ‖∇f‖: SGD {plain['norms'].min():.3f}, "
                f"momentum {heavy['norms'].min():.4f}); plain descent at lr 0.01 to 0.5 spends at most "
                f"{literal['most']} steps there (at lr {max(literal['counts'], key=literal['counts'].get):g}), since "
                f"‖∇f‖ < 1e-3 needs ‖(x, y)‖ < 5e-4, only 5x the starting y. The flat stretch is where the "
                f"gradient is small against its start.")
    lessons.say(f"Along the way out, y, the slope |∂f/∂y| = 2|y| is below 1e-3 for {flat_escape_steps(plain)} "
                f"steps of SGD and {flat_escape_steps(heavy)} with momentum: the velocity builds up along y while "
                f"plain descent creeps (y grows by only 1 + 2 lr = 1.02 per step).")
    noise = gradient_noise(batches=60 if quick else 400)
    sizes = [size for size in noise if size != "full norm"]
    lessons.say(f"The digits MLP's mini-batch gradient around the full one (norm {noise['full norm']:.3f}), "
                f"{60 if quick else 400} batches of each size:")
    lessons.say("  " + ", ".join(f"B = {size}: spread {noise[size]['spread']:.4f}" for size in sizes))
    lessons.say("  " + ", ".join(f"B {small} -> {large}: {noise[small]['spread'] / noise[large]['spread']:.2f}x less "
                                 f"(√{large // small} = {math.sqrt(large / small):g})"
                                 for small, large in zip(sizes, sizes[1:])))
    lessons.say("Momentum's velocity averages that noise over about 1/(1 - ρ) steps.")


def _picture_paths(runs: dict, path) -> None:
    picture = lessons.figure(11, 6.5)
    grid_w1, grid_w2 = np.meshgrid(np.linspace(-11, 4, 200), np.linspace(-2, 2, 200))
    for index, (label, run) in enumerate(runs.items(), 1):
        axes = picture.add_subplot(3, 2, index)
        axes.contour(grid_w1, grid_w2, grid_w1 ** 2 / 64 + grid_w2 ** 2, levels=[0.05, 0.2, 0.5, 1, 1.6, 2.5],
                     colors="0.8")
        track = run["path"][:60]
        axes.plot(track[:, 0], track[:, 1], ".-", color=f"C{index - 1}", markersize=3, linewidth=1)
        axes.plot([0], [0], "k*", markersize=10)
        settings = ", ".join(f"{key} {value:g}" for key, value in RUNS[label][1].items())
        axes.set_title(f"{label} ({settings}): 60 steps", fontsize=9)
        axes.set_xlim(-11, 4)
        axes.set_ylim(-2, 2)
    picture.suptitle("L = W1²/64 + W2² from (-10, 1)")
    picture.savefig(lessons.wrote(path), dpi=100)


def _picture_ewma(year: np.ndarray, path) -> None:
    picture = lessons.figure(8, 3.8)
    axes = picture.add_subplot()
    axes.plot(year, ".", color="0.6", markersize=3, label="daily temperature")
    for beta in (0.5, 0.9, 0.98):
        axes.plot(ewma(year, beta), label=f"β = {beta:g} (window ~{1 / (1 - beta):.0f} days)")
    axes.plot(ewma(year, 0.98, bias_correction=True), "--", label="β = 0.98, bias-corrected")
    axes.set_xlabel("day")
    axes.set_ylabel("°C")
    axes.set_title("Exponentially weighted averages (Adam's moments are the same recurrence)")
    axes.legend(fontsize=8)
    picture.savefig(lessons.wrote(path), dpi=110)


if __name__ == "__main__":
    sys.exit(main())
