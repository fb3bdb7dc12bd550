"""Batch normalization: the forward transform, train vs test, running statistics, and a deep net that trains.

Lesson 8 chose the initial weights so that every layer's activations keep a unit variance. Batch
norm enforces it instead, at every step. For a batch x of shape N x D it subtracts each feature's
batch mean, divides by the batch std, then scales and shifts by the learned γ and β (catalogue
E43). At test time there is no batch to average over, so it uses running averages collected during
training. BN then becomes one fixed linear map, which folds into the layer before it (E44). For
convolutions the statistics are per channel, over N, H and W (E45). Full whitening would
decorrelate the features too, but it needs the inverse square root of a D x D covariance
(E46).

The notes list BN's effects: higher learning rates, less sensitivity to the initialization, fewer
iterations, some regularization (E47). The lesson measures the first three on a 10-layer net on
the digits. It also shows the most common BN bug, a model left in training mode at test time.

    .venv/bin/python lessons/09_batch_norm.py [--quick] [--out DIR]
    graphlab lesson 9
"""
from __future__ import annotations

import functools
import itertools
import math
import sys

import numpy as np

import graphlab as gl
import graphlab.functional as F
from graphlab import lessons


# -- the transform ----------------------------------------------------------------------------------------
def forward_example(values=(1.0, 2.0, 3.0, 4.0), eps: float = 1e-5) -> dict:
    """E43: BN of one feature over a batch of four, by ``gl.functional.batch_norm`` (one fused node) and by
    its composed twin (mean, var, sqrt, divide: the formula as a graph), with γ = 1, β = 0."""
    x = gl.tensor(np.array(values)[:, None], dtype=np.float64)
    running_mean, running_var = np.zeros(1), np.ones(1)
    fused = F.batch_norm(x, running_mean, running_var, training=True, eps=eps)
    composed = F.composed.batch_norm(x, None, None, training=True, eps=eps)
    without_eps = F.batch_norm(x, None, None, training=True, eps=0.0)
    return {"mean": float(x.data.mean()), "var": float(x.data.var()), "x_hat": fused.data.ravel(),
            "composed gap": float(np.abs(fused.data - composed.data).max()),
            "eps effect": float(np.abs(fused.data - without_eps.data).max()),
            "running mean": float(running_mean[0]), "running var": float(running_var[0])}


def per_feature(seed: int = 0) -> dict:
    """E43: each feature is normalized on its own: columns on very different scales all come out with
    mean 0 and std 1, then γ and β set them to whatever the next layer needs."""
    rng = np.random.default_rng(seed)
    x = gl.tensor(rng.standard_normal((32, 3)) * [1.0, 50.0, 0.1] + [0.0, 200.0, -3.0], dtype=np.float64)
    layer = gl.nn.BatchNorm1d(3, dtype=np.float64)
    gl.nn.init.constant(layer.weight, 2.0)
    gl.nn.init.constant(layer.bias, 0.5)
    y = layer(x).data
    normalized = F.batch_norm(x, None, None, training=True).data
    return {"input stds": x.data.std(axis=0), "normalized means": normalized.mean(axis=0),
            "normalized stds": normalized.std(axis=0), "output means": y.mean(axis=0), "output stds": y.std(axis=0)}


def invariances(seed: int = 0) -> dict:
    """Why BN makes a net less sensitive to its initialization (E47): Linear → BN gives the same output
    when the weights are scaled by any a > 0 (as long as the variance stays well above ε), and the same
    when a constant is added to the bias."""
    gl.manual_seed(seed)
    x = gl.randn(16, 8, dtype=np.float64)
    W, b = gl.randn(4, 8, dtype=np.float64), gl.randn(4, dtype=np.float64)

    def block(weight, bias):
        return F.batch_norm(F.linear(x, weight, bias), None, None, training=True).data

    reference = block(W, b)
    return {"scaled by 100": float(np.abs(block(100 * W, b) - reference).max()),
            "scaled by 0.5": float(np.abs(block(0.5 * W, b) - reference).max()),
            "bias + 7": float(np.abs(block(W, b + 7) - reference).max())}


def gradient_sums(seed: int = 0) -> np.ndarray:
    """The same invariance in backward: shifting every input of a feature by one constant changes nothing,
    so the gradient BN sends back sums to 0 over the batch, for any upstream."""
    gl.manual_seed(seed)
    x = gl.randn(16, 4, dtype=np.float64, requires_grad=True)
    upstream = gl.randn(16, 4, dtype=np.float64)
    (F.batch_norm(x, None, None, training=True) * upstream).sum().backward()
    return x.grad.sum(axis=0)


# -- train vs test ------------------------------------------------------------------------------------------
def running_statistics(batches: int = 30, momentum: float = 0.1, seed: int = 0) -> dict:
    """E44: the running mean starts at 0 and moves 10% of the way to each batch's mean; after k batches
    from a population with mean μ it is about (1 - 0.9ᵏ)·μ. Returns its track and the population's."""
    rng = np.random.default_rng(seed)
    layer = gl.nn.BatchNorm1d(1, momentum=momentum, dtype=np.float64)
    track = []
    for _ in range(batches):
        layer(gl.tensor(rng.normal(5.0, 2.0, size=(64, 1)), dtype=np.float64))
        track.append(float(layer.running_mean.data[0]))
    return {"track": track, "population mean": 5.0, "predicted": [5.0 * (1 - (1 - momentum) ** k)
                                                                  for k in range(1, batches + 1)],
            "running var": float(layer.running_var.data[0]), "batches": int(layer.num_batches_tracked.data)}


def train_vs_test(seed: int = 0) -> dict:
    """E44/E47: in training mode a sample's output depends on the other samples of its batch; in eval
    mode it does not. A batch of one in training mode has no variance to estimate: graphlab says so."""
    rng = np.random.default_rng(seed)
    layer = gl.nn.BatchNorm1d(2, dtype=np.float64)
    for _ in range(50):                                    # collect running statistics
        layer(gl.tensor(rng.normal([1.0, -2.0], [3.0, 0.5], size=(32, 2)), dtype=np.float64))
    sample = np.array([[4.0, -1.5]])
    batch_a = gl.tensor(np.vstack([sample, rng.normal([1.0, -2.0], [3.0, 0.5], size=(7, 2))]), dtype=np.float64)
    batch_b = gl.tensor(np.vstack([sample, rng.normal([9.0, 0.0], [3.0, 0.5], size=(7, 2))]), dtype=np.float64)
    training = (layer(batch_a).data[0], layer(batch_b).data[0])
    layer.eval()
    evaluation = (layer(batch_a).data[0], layer(batch_b).data[0], layer(gl.tensor(sample, dtype=np.float64)).data[0])
    layer.train()
    try:
        layer(gl.tensor(sample, dtype=np.float64))
        error = None
    except gl.ShapeError as problem:
        error = str(problem)
    return {"training": training, "eval": evaluation, "batch of one": error,
            "running mean": layer.running_mean.data.copy(), "running var": layer.running_var.data.copy()}


def folded(seed: int = 0, steps: int = 20) -> dict:
    """E44: in eval mode BN(Wx + b) is the linear map W'x + b' with W' = γW/√(σ² + ε) and
    b' = γ(b - μ)/√(σ² + ε) + β (μ, σ² the running statistics): it costs nothing at test time."""
    gl.manual_seed(seed)
    linear, norm = gl.nn.Linear(6, 3, dtype=np.float64), gl.nn.BatchNorm1d(3, dtype=np.float64)
    model = gl.nn.Sequential(linear, norm)
    optimizer = gl.optim.SGD(model.parameters(), lr=0.1)
    for _ in range(steps):                                 # some training, so γ, β and the statistics are not trivial
        loss = ((model(gl.randn(16, 6, dtype=np.float64)) - 1.0) ** 2).mean()
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    model.eval()
    scale = norm.weight.data / np.sqrt(norm.running_var.data + norm.eps)
    weight = linear.weight.data * scale[:, None]
    bias = (linear.bias.data - norm.running_mean.data) * scale + norm.bias.data
    x = gl.randn(10, 6, dtype=np.float64)
    return {"gap": float(np.abs(model(x).data - F.linear(x, gl.tensor(weight), gl.tensor(bias)).data).max()),
            "gamma": norm.weight.data.copy(), "beta": norm.bias.data.copy()}


def convolutional(seed: int = 0) -> dict:
    """E45: for (N, C, H, W) the statistics are over N, H and W: one mean and one variance per channel."""
    gl.manual_seed(seed)
    x = gl.randn(8, 4, 5, 5, dtype=np.float64) * gl.tensor([1.0, 3.0, 0.1, 10.0], dtype=np.float64).reshape(1, 4, 1, 1)
    fc, conv = gl.nn.BatchNorm1d(20), gl.nn.BatchNorm2d(4, dtype=np.float64)
    y = conv(x).data
    return {"fc statistics": fc.running_mean.shape, "conv statistics": conv.running_mean.shape,
            "mean over N, H, W": y.mean(axis=(0, 2, 3)), "std over N, H, W": y.std(axis=(0, 2, 3)),
            "per-position means": y.mean(axis=0)[0].std()}


def whitening(D: int = 3, samples: int = 500, seed: int = 0) -> dict:
    """E46: X̂ = Cov(X)^(-1/2)(X - E X) has the identity covariance, but it needs an eigendecomposition of
    the D x D covariance (~D³ operations), where BN keeps only its diagonal (~N·D)."""
    rng = np.random.default_rng(seed)
    mixing = rng.standard_normal((D, D))
    X = rng.standard_normal((samples, D)) @ mixing + rng.standard_normal(D)
    centred = X - X.mean(axis=0)
    covariance = centred.T @ centred / samples
    values, vectors = np.linalg.eigh(covariance)
    whitened = centred @ vectors @ np.diag(values ** -0.5) @ vectors.T
    normalized = F.batch_norm(gl.tensor(X, dtype=np.float64), None, None, training=True, eps=0.0).data
    return {"covariance before": covariance, "whitened covariance": whitened.T @ whitened / samples,
            "bn covariance": normalized.T @ normalized / samples}


# -- what it does for training --------------------------------------------------------------------------------
INITS = ("default", "std 0.01", "He")


def deep_mlp(batch_norm: bool, init: str, depth: int = 10, width: int = 64, seed: int = 0) -> gl.nn.Sequential:
    """``depth`` Linear layers with ReLU, with or without BN after each hidden Linear (whose bias BN makes
    redundant). ``init``: gl.nn.Linear's default (PyTorch's), N(0, 0.01²), or He (kaiming_normal)."""
    gl.manual_seed(seed)
    layers, features = [gl.nn.Flatten()], 64
    for _ in range(depth - 1):
        linear = gl.nn.Linear(features, width, bias=not batch_norm)
        if init == "std 0.01":
            gl.nn.init.normal(linear.weight, std=0.01)
        elif init == "He":
            gl.nn.init.kaiming_normal(linear.weight)
        layers += [linear, *([gl.nn.BatchNorm1d(width)] if batch_norm else []), gl.nn.ReLU()]
        features = width
    return gl.nn.Sequential(*layers, gl.nn.Linear(features, 10))


def batches(data, steps: int, seed: int = 0):
    """The first ``steps`` mini-batches of 64 from an endless stream, reshuffled every epoch."""
    epochs = (gl.data.DataLoader(data, batch_size=64, shuffle=True, seed=seed + epoch) for epoch in itertools.count())
    return itertools.islice(itertools.chain.from_iterable(epochs), steps)


@functools.lru_cache(maxsize=64)
def train_deep(batch_norm: bool, init: str, lr: float, steps: int, seed: int = 0) -> tuple:
    """SGD with momentum 0.9 on the digits for ``steps`` batches of 64; the loss at every step
    (cached: the runs are deterministic, and the narrative and the tests share them)."""
    model = deep_mlp(batch_norm, init, seed=seed)
    optimizer = gl.optim.SGD(model.parameters(), lr=lr, momentum=0.9)
    losses = []
    with np.errstate(over="ignore", invalid="ignore"):     # some runs blow up on purpose: the loss becomes NaN
        for images, labels in batches(gl.data.digits("train"), steps, seed):
            loss = F.cross_entropy(model(images), labels)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            losses.append(loss.item())
    return tuple(losses)


def final_loss(losses, window: int = 10) -> float:
    """The mean of the last ``window`` losses (NaN if training blew up)."""
    return float(np.mean(losses[-window:]))


def training_grid(steps: int, lrs=(0.01, 0.1, 1.0)) -> dict:
    """E47: the final loss of the 10-layer net for every init, learning rate, and with or without BN."""
    return {(init, lr, batch_norm): train_deep(batch_norm, init, lr, steps)
            for init in INITS for lr in lrs for batch_norm in (False, True)}


# -- the narrative --------------------------------------------------------------------------------------
def main(argv=None) -> int:
    options = lessons.arguments(argv, __file__, __doc__)
    lessons.say(__doc__.split("\n\n")[0])

    lessons.heading("The forward transform (E43)")
    example = forward_example()
    lessons.say(f"x = [1, 2, 3, 4] (N = 4, D = 1): μ = {example['mean']:g}, σ² = {example['var']:g}, "
          f"x̂ = (x - μ)/√(σ² + ε) = {np.round(example['x_hat'], 5).tolist()}")
    lessons.say(f"ε = 1e-5 moves x̂ by {example['eps effect']:.1e} (the 6th decimal); the composed graph (mean, var, sqrt, "
          f"divide) agrees to {example['composed gap']:.0e}")
    lessons.say(f"with γ = 1, β = 0, y = x̂. The running statistics moved 10% of the way: mean 0 -> {example['running mean']:g}, "
          f"var 1 -> {example['running var']:.4f} (σ² unbiased, 5/3)")
    columns = per_feature()
    lessons.say(f"three features with stds {np.round(columns['input stds'], 3).tolist()}: after BN each has mean "
          f"{np.abs(columns['normalized means']).max():.0e} and std {np.round(columns['normalized stds'], 6).tolist()};\n"
          f"  then γ = 2, β = 0.5 give means {np.round(columns['output means'], 6).tolist()} and stds "
          f"{np.round(columns['output stds'], 6).tolist()}")
    same = invariances()
    lessons.say(f"Linear -> BN is blind to the scale of the weights (W x100: output moves {same['scaled by 100']:.0e}; W x0.5: "
          f"{same['scaled by 0.5']:.0e})\n  and to the bias (b + 7: {same['bias + 7']:.0e}); in backward the gradient "
          f"sums to {np.abs(gradient_sums()).max():.0e} over the batch.")

    lessons.heading("Train vs test (E44)")
    running = running_statistics()
    lessons.say(f"momentum 0.1: after 1, 10, 30 batches of a population with mean 5 the running mean is "
          f"{running['track'][0]:.3f}, {running['track'][9]:.3f}, {running['track'][-1]:.3f}\n"
          f"  ((1 - 0.9ᵏ)·5 = {running['predicted'][0]:.3f}, {running['predicted'][9]:.3f}, "
          f"{running['predicted'][-1]:.3f}); the running variance is {running['running var']:.2f} (population 4)")
    behaviour = train_vs_test()
    a, b = behaviour["training"]
    lessons.say(f"one sample, x = [4, -1.5], in two different batches: training mode gives {np.round(a, 3).tolist()} and "
          f"{np.round(b, 3).tolist()}:\n  its output depends on its batch mates. Eval mode gives "
          f"{np.round(behaviour['eval'][0], 3).tolist()} in both, and alone.")
    lessons.say(f"left in training mode, a batch of one fails:\n  {behaviour['batch of one']}")
    fold = folded()
    lessons.say(f"in eval mode BN is linear: W' = γW/√(σ² + ε), b' = γ(b - μ)/√(σ² + ε) + β gives the same outputs as "
          f"Linear -> BN to {fold['gap']:.0e}:\n  folded into the layer before, BN costs nothing at test time.")

    lessons.heading("Batch norm for convolutions (E45)")
    conv = convolutional()
    lessons.say(f"BatchNorm1d(20) keeps statistics of shape {conv['fc statistics']} (N x D: one per feature); "
          f"BatchNorm2d(4) of shape {conv['conv statistics']} (N x C x H x W: one per channel, over N, H, W)")
    lessons.say(f"channels with stds 1, 3, 0.1, 10 come out with means {np.abs(conv['mean over N, H, W']).max():.0e} and stds "
          f"{np.round(conv['std over N, H, W'], 6).tolist()} over N, H, W")

    lessons.heading("Whitening, the 'bad approach' (E46)")
    white = whitening()
    lessons.say(f"covariance before: {np.round(white['covariance before'], 2).tolist()}")
    lessons.say(f"after Cov^(-1/2): {np.round(white['whitened covariance'], 6).tolist()} (the identity)")
    lessons.say(f"after BN (its diagonal only): {np.round(white['bn covariance'], 2).tolist()}: unit variances, correlations kept")
    D = 4096
    lessons.say(f"for a layer of width {D}: whitening needs a {D} x {D} covariance ({D * D:,} entries) and its inverse square "
          f"root,\n  ~{D ** 3:.1e} operations per step; BN needs {D} means and variances.")

    lessons.heading("What BN does for a deep net (E47)")
    steps = 60 if options.quick else 200
    grid = training_grid(steps)
    lrs = sorted({lr for _, lr, _ in grid})
    rows = []
    for init in INITS:
        for batch_norm in (False, True):
            rows.append((init, "BN" if batch_norm else "plain",
                         *(f"{final_loss(grid[(init, lr, batch_norm)]):.3f}" for lr in lrs)))
    lessons.say(f"10 layers of 64 ReLUs on the digits, SGD momentum 0.9, the loss after {steps} steps "
          f"(it starts at log 10 = {math.log(10):.3f}):")
    lessons.say(lessons.table(rows, ("init", "", *(f"lr {lr:g}" for lr in lrs))))
    for batch_norm in (False, True):
        trained = [f"{init} at lr {lr:g}" for init in INITS for lr in lrs if final_loss(grid[(init, lr, batch_norm)]) < 1.5]
        lessons.say(f"{'with' if batch_norm else 'without'} BN, the loss gets below 1.5 for "
              f"{len(trained)} of {len(INITS) * len(lrs)}: {', '.join(trained) or 'none'}")
    lessons.say("Higher learning rates, less sensitivity to the initialization, fewer iterations: the notes' claims, measured.")

    lessons.heading("Pictures")
    _picture_running(running, options.out / "e44_running_mean.png")
    _picture_training(grid, options.out / "e47_deep_net_with_and_without_bn.png")
    return 0


def _picture_running(running: dict, path) -> None:
    picture = lessons.figure(6.5, 3.6)
    axes = picture.add_subplot()
    batches = range(1, len(running["track"]) + 1)
    axes.plot(batches, running["track"], "o-", markersize=3, label="running mean (BatchNorm1d)")
    axes.plot(batches, running["predicted"], "--", label="(1 - 0.9ᵏ)·μ")
    axes.axhline(running["population mean"], color="0.6", linewidth=0.8)
    axes.set_xlabel("batches seen in training")
    axes.set_title("The statistics BN uses at test time")
    axes.legend()
    picture.savefig(lessons.wrote(path), dpi=110)


def _picture_training(grid: dict, path) -> None:
    lrs = sorted({lr for _, lr, _ in grid})
    picture = lessons.figure(12, 3.6)
    for index, lr in enumerate(lrs, 1):
        axes = picture.add_subplot(1, len(lrs), index)
        for color, init in enumerate(INITS):
            for batch_norm, style in ((False, ":"), (True, "-")):
                losses = np.array(grid[(init, lr, batch_norm)])
                axes.plot(np.where(np.isfinite(losses), losses, np.nan), style, color=f"C{color}",
                          label=f"{init}, {'BN' if batch_norm else 'plain'}")
        axes.set_ylim(0, 3.5)
        axes.set_title(f"lr {lr:g}")
        axes.set_xlabel("step")
    picture.axes[0].set_ylabel("training loss")
    picture.axes[0].legend(fontsize=7)
    picture.suptitle("10-layer ReLU net on the digits: dotted without BN, solid with")
    picture.savefig(lessons.wrote(path), dpi=110)


if __name__ == "__main__":
    sys.exit(main())
