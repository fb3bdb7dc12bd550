"""Loss functions, fused and numerically stable: cross-entropy (softmax + NLL in one node),
NLL, mean squared error, the multiclass hinge (CS231n's SVM loss), and binary cross-entropy
on logits.

Class targets are integer labels (not graph inputs: labels have no gradient); they are
checked against the number of classes, so a wrong label is an error naming the loss, the
shapes and the fix, never an index error deep inside numpy.

>>> import graphlab as gl
>>> logits = gl.tensor([[2.0, 1.0, 0.1]], requires_grad=True)
>>> loss = gl.functional.cross_entropy(logits, [0])
>>> round(loss.item(), 4)
0.417
>>> _ = loss.backward()
>>> logits.grad.round(4)                      # softmax - one_hot
array([[-0.341 ,  0.2424,  0.0986]], dtype=float32)
"""
from __future__ import annotations

import math

import numpy as np

from graphlab.autodiff.cases import Case, F, th
from graphlab.autodiff.function import Function
from graphlab.ops import params
from graphlab.autodiff.tensor import Tensor
from graphlab.errors import ShapeError

REDUCTIONS = ("mean", "sum", "none")


def class_labels(targets, scores_shape: tuple, op_name: str) -> np.ndarray:
    """Integer labels of shape (N,), each in 0..K-1, for scores of shape (N, K)."""
    labels = np.asarray(targets.data if isinstance(targets, Tensor) else targets)
    if len(scores_shape) != 2:
        raise ShapeError(f"{op_name}: scores of shape {scores_shape} must be 2-D (N, num_classes); "
                         f"flatten the features first (e.g. x.flatten(1)) or add the batch axis")
    batch, classes = scores_shape
    if labels.shape != (batch,):
        raise ShapeError(f"{op_name}: targets of shape {labels.shape} do not match scores {scores_shape}; "
                         f"pass one class index per sample, shape ({batch},)")
    if labels.dtype.kind == "f":
        if not np.all(labels == np.round(labels)):
            raise ShapeError(f"{op_name}: targets must be class indices (integers), got fractional values; "
                             f"for class probabilities pass an array of shape {scores_shape}")
        labels = labels.astype(np.int64)
    elif labels.dtype.kind not in "iu":
        raise ShapeError(f"{op_name}: targets of dtype {labels.dtype} are not class indices; pass integers")
    if labels.size and (labels.min() < 0 or labels.max() >= classes):
        bad = labels[(labels < 0) | (labels >= classes)][0]
        raise ShapeError(f"{op_name}: target label {int(bad)} is out of range for {classes} classes (scores "
                         f"{scores_shape}); labels must be in 0..{classes - 1}: check the dataset's labels "
                         f"or the last layer's out_features")
    return labels


def _reduce(per_sample: np.ndarray, reduction: str):
    if reduction == "mean":
        return per_sample.mean()
    if reduction == "sum":
        return per_sample.sum()
    return per_sample


def _numpy_reduce(per_sample: np.ndarray, reduction: str):
    return {"mean": np.mean, "sum": np.sum}.get(reduction, np.asarray)(per_sample)


def _numpy_log_softmax(logits: np.ndarray) -> np.ndarray:
    shifted = logits - logits.max(axis=1, keepdims=True)
    return shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))


def _numpy_cross_entropy(logits, targets=None, label_smoothing=0.0, reduction="mean"):
    """-Σ_k q_k log softmax(s)_k, q the (smoothed) target distribution."""
    classes = logits.shape[1]
    target = targets if np.ndim(targets) == 2 else np.eye(classes)[targets]
    target = target * (1 - label_smoothing) + label_smoothing / classes
    return _numpy_reduce(-(target * _numpy_log_softmax(logits)).sum(axis=1), reduction)


def _torch_cross_entropy(logits, targets=None, label_smoothing=0.0, reduction="mean"):
    target = th.tensor(targets, dtype=logits.dtype if np.ndim(targets) == 2 else th.int64)
    return F.cross_entropy(logits, target, label_smoothing=label_smoothing, reduction=reduction)


def _spread(upstream, reduction: str, count: int, ndim: int):
    """The upstream gradient of a reduced loss, shaped to broadcast over the per-element terms."""
    if reduction == "mean":
        return upstream / count
    if reduction == "sum":
        return upstream
    return upstream.reshape(upstream.shape + (1,) * (ndim - upstream.ndim))


def _scaled(terms, reduction: str, count: int) -> str:
    """How a loss's rule meets upstream: ``/ N · upstream (scalar)`` for a mean, ``⊙ upstream``
    per sample for reduction='none'."""
    if reduction == "mean":
        return f" / {count} · {terms.up}"
    if reduction == "sum":
        return f" · {terms.up}"
    return f" ⊙ {terms.up}"


class CrossEntropy(Function):
    """Softmax cross-entropy on logits (N, K), fused: loss_i = logsumexp(s_i) - s_i[y_i].

    Targets are class indices (N,) or class probabilities (N, K). ``label_smoothing`` ε mixes
    the target with the uniform distribution, q = (1 - ε) q + ε / K (PyTorch's convention).
    The gradient is (softmax - q) / N: one subtraction, however many classes.
    """
    name = "cross_entropy"
    reduction = "mean"          # forward's default: ctx.reduction when a call leaves it out
    param_checks = dict(label_smoothing=params.number(0, 1))
    cases = (
        Case([(2, 3)], params=dict(targets=np.array([0, 2])), numpy=_numpy_cross_entropy,
             torch=_torch_cross_entropy),
        Case([(2, 3)], params=dict(targets=np.array([1, 1]), label_smoothing=0.25, reduction="sum"),
             variant="smoothing_sum", numpy=_numpy_cross_entropy, torch=_torch_cross_entropy),
        Case([(2, 3)], params=dict(targets=np.array([[0.25, 0.75, 0.0], [0.5, 0.25, 0.25]]), reduction="none"),
             variant="probabilities_none", numpy=_numpy_cross_entropy, torch=_torch_cross_entropy),
    )

    @staticmethod
    def forward(ctx, logits, targets=None, label_smoothing=0.0, reduction="mean"):
        target_array = np.asarray(targets.data if isinstance(targets, Tensor) else targets)
        soft = target_array.ndim == 2
        if soft:
            if target_array.shape != logits.shape:
                raise ShapeError(f"cross_entropy: probability targets {target_array.shape} must match logits "
                                 f"{logits.shape}")
            ctx.probabilities = target_array.astype(logits.dtype)
        else:
            ctx.labels = class_labels(target_array, logits.shape, "cross_entropy")
        batch, classes = logits.shape
        shifted = logits - logits.max(axis=1, keepdims=True)
        log_probs = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))
        smoothing = float(label_smoothing)
        if soft:
            target = ctx.probabilities * (1 - smoothing) + smoothing / classes
            per_sample = -(target * log_probs).sum(axis=1)
        else:
            per_sample = -log_probs[np.arange(batch), ctx.labels] * (1 - smoothing)
            if smoothing:
                per_sample -= smoothing * log_probs.mean(axis=1)
        ctx.soft, ctx.smoothing = soft, smoothing
        ctx.save_for_backward(log_probs)
        return _reduce(per_sample, reduction)

    @staticmethod
    def backward(ctx, upstream):
        (log_probs,) = ctx.saved_tensors
        batch, classes = log_probs.shape
        downstream = np.exp(log_probs)                               # softmax
        if ctx.soft:
            downstream -= ctx.probabilities * (1 - ctx.smoothing) + ctx.smoothing / classes
        else:
            downstream[np.arange(batch), ctx.labels] -= 1 - ctx.smoothing
            if ctx.smoothing:
                downstream -= ctx.smoothing / classes
        return downstream * _spread(upstream, ctx.reduction, batch, 2)

    @staticmethod
    def composed(ctx, logits):
        """log of softmax, then the picked (or q-weighted) terms, as primitive ops
        (``gl.functional.composed.cross_entropy``): create_graph=True differentiates this twin."""
        from graphlab.ops import composed
        targets = ctx.probabilities if ctx.soft else ctx.labels
        return composed.cross_entropy(logits, targets, ctx.smoothing, ctx.reduction)

    @staticmethod
    def rule(ctx, index: int, terms) -> str:
        """The fused gradient: softmax minus the target distribution, per sample."""
        target = "q (the target probabilities)" if ctx.soft else "one-hot(targets)"
        if ctx.smoothing:
            target = f"smoothed {target}"
        return f"(softmax {terms.shape(0)} − {target}){_scaled(terms, ctx.reduction, terms.shapes[0][0])}"

    @staticmethod
    def symbolic(logits, targets=None, label_smoothing=0.0, reduction="mean"):
        from graphlab.verify import sym
        targets = np.asarray(getattr(targets, "data", targets))
        classes = logits.shape[1]
        target = sym.numbers_array(targets) if targets.ndim == 2 else sym.one_hot(targets, classes)
        smoothing = sym.number(label_smoothing)
        target = target * (1 - smoothing) + smoothing / classes
        log_probs = logits - sym.reduce(logits, 1, True, sym.logsumexp)
        return sym.reduce_loss(-(target * log_probs).sum(axis=1), reduction)     # -Σ q log softmax(s)


def _numpy_nll_loss(log_probs, targets=None, reduction="mean"):
    return _numpy_reduce(-log_probs[np.arange(len(targets)), targets], reduction)


def _torch_nll_loss(log_probs, targets=None, reduction="mean"):
    return F.nll_loss(log_probs, th.tensor(targets), reduction=reduction)


class NllLoss(Function):
    """Negative log-likelihood of log-probabilities (N, K): loss_i = -logp_i[y_i]."""
    name = "nll_loss"
    reduction = "mean"
    cases = (
        Case([(2, 3)], params=dict(targets=np.array([1, 0])), numpy=_numpy_nll_loss, torch=_torch_nll_loss),
        Case([(3, 2)], params=dict(targets=np.array([1, 1, 0]), reduction="sum"), variant="sum",
             numpy=_numpy_nll_loss, torch=_torch_nll_loss),
    )

    @staticmethod
    def forward(ctx, log_probs, targets=None, reduction="mean"):
        ctx.labels = class_labels(targets, log_probs.shape, "nll_loss")
        return _reduce(-log_probs[np.arange(log_probs.shape[0]), ctx.labels], reduction)

    @staticmethod
    def backward(ctx, upstream):
        shape = ctx.inputs[0].shape
        spread = _spread(upstream, ctx.reduction, shape[0], 1)
        downstream = np.zeros(shape, dtype=upstream.dtype)
        downstream[np.arange(shape[0]), ctx.labels] = -spread
        return downstream

    @staticmethod
    def composed(ctx, log_probs):
        """The picked terms as a ``getitem`` node: create_graph=True differentiates this twin."""
        from graphlab.ops import composed
        return composed.nll_loss(log_probs, ctx.labels, ctx.reduction)

    @staticmethod
    def rule(ctx, index: int, terms) -> str:
        return f"−one-hot(targets) {terms.shape(0)}{_scaled(terms, ctx.reduction, terms.shapes[0][0])}"

    @staticmethod
    def symbolic(log_probs, targets=None, reduction="mean"):
        from graphlab.verify import sym
        labels = np.asarray(getattr(targets, "data", targets), dtype=np.int64)
        return sym.reduce_loss(-log_probs[np.arange(len(labels)), labels], reduction)


def _same_shapes(a: np.ndarray, b: np.ndarray, op_name: str) -> None:
    if a.shape != b.shape:
        raise ShapeError(f"{op_name}: input {a.shape} and target {b.shape} have different shapes; "
                         f"reshape the target to {a.shape} (broadcasting here is almost always a bug)")


def _numpy_mse_loss(prediction, target, reduction="mean"):
    return _numpy_reduce((prediction - target) ** 2, reduction)


class MseLoss(Function):
    """Mean squared error: mean((prediction - target)²); d/dprediction = 2 (prediction - target) / n."""
    name = "mse_loss"
    higher_order = True
    reduction = "mean"
    cases = (
        Case([(2, 3), (2, 3)], numpy=_numpy_mse_loss, torch=lambda a, b, **params: F.mse_loss(a, b, **params)),
        Case([(3,), (3,)], params=dict(reduction="none"), variant="none", numpy=_numpy_mse_loss,
             torch=lambda a, b, **params: F.mse_loss(a, b, **params)),
    )

    @staticmethod
    def forward(ctx, prediction, target, reduction="mean"):
        _same_shapes(prediction, target, "mse_loss")
        ctx.save_for_backward(prediction, target)
        difference = prediction - target
        return _reduce(difference * difference, reduction)

    @staticmethod
    def backward(ctx, upstream):
        prediction, target = ctx.saved_tensors
        needs_prediction, needs_target = ctx.needs_input_grad
        count = ctx.inputs[0].data.size
        if ctx.reduction == "none":
            downstream = upstream * 2 * (prediction - target)
        else:
            # mean over no elements is NaN (as PyTorch), its slope too: never 2 / 0
            scale = (2 / count if count else math.nan) if ctx.reduction == "mean" else 2
            downstream = (prediction - target) * (upstream * scale)
        # d/dtarget = -d/dprediction: a constant target (the usual case) needs no negation
        return downstream if needs_prediction else None, -downstream if needs_target else None

    @staticmethod
    def rule(ctx, index: int, terms) -> str:
        scaled = _scaled(terms, ctx.reduction, int(np.prod(terms.shapes[0])))
        return f"{'−' if index else ''}2 ({terms.names[0]} − {terms.names[1]}) {terms.shape(0)}{scaled}"

    @staticmethod
    def symbolic(prediction, target, reduction="mean"):
        from graphlab.verify import sym
        return sym.reduce_loss((prediction - target) ** 2, reduction)


def _numpy_hinge(scores, targets=None, margin=1.0, reduction="mean"):
    rows = np.arange(len(targets))
    margins = np.maximum(0, scores - scores[rows, targets][:, None] + margin)
    margins[rows, targets] = 0
    return _numpy_reduce(margins.sum(axis=1), reduction)


def _torch_hinge(scores, targets=None, margin=1.0, reduction="mean"):
    # torch divides each sample's sum by the number of classes; CS231n's loss does not
    loss = F.multi_margin_loss(scores, th.tensor(targets), margin=margin, reduction=reduction)
    return loss * scores.shape[1]


class MulticlassHinge(Function):
    """CS231n's multiclass SVM loss: L_i = Σ_{j≠y_i} max(0, s_j - s_{y_i} + Δ).

    Gradient: +1 to every class whose margin is violated, minus their count to the correct class.
    """
    name = "multiclass_hinge_loss"
    reduction = "mean"
    param_checks = dict(margin=params.number())
    cases = (
        Case([(2, 3)], params=dict(targets=np.array([0, 2])), numpy=_numpy_hinge, torch=_torch_hinge),
        # margins exactly 0: max(0, m)' = 0 there (a margin that is met is not violated)
        Case([(3, 3)], "ties", params=dict(targets=np.array([0, 1, 2]), reduction="sum"), variant="margin_ties_sum",
             numpy=_numpy_hinge, torch=_torch_hinge, gradcheck=False),
    )

    @staticmethod
    def forward(ctx, scores, targets=None, margin=1.0, reduction="mean"):
        labels = class_labels(targets, scores.shape, "multiclass_hinge_loss")
        rows = np.arange(scores.shape[0])
        margins = scores - scores[rows, labels][:, None] + margin
        violated = margins > 0
        violated[rows, labels] = False
        ctx.labels = labels
        ctx.save_for_backward(violated)
        return _reduce((margins * violated).sum(axis=1), reduction)

    @staticmethod
    def backward(ctx, upstream):
        (violated,) = ctx.saved_tensors
        downstream = violated.astype(upstream.dtype)
        rows = np.arange(downstream.shape[0])
        downstream[rows, ctx.labels] = -violated.sum(axis=1)
        return downstream * _spread(upstream, ctx.reduction, downstream.shape[0], 2)

    @staticmethod
    def composed(ctx, scores):
        """Σ_{j≠y} (s_j − s_y + Δ) over the violated margins, as primitive ops. The mask is
        forward's: a margin exactly met is not violated (``maximum`` would split that tie)."""
        from graphlab import ops
        (violated,) = ctx.saved_tensors
        rows = np.arange(scores.shape[0])
        correct = ops.reshape(ops.getitem(scores, (rows, ctx.labels)), (-1, 1))
        margins = (scores - correct + ctx.params.get("margin", 1.0)) * violated
        return _reduce(ops.sum(margins, axis=1), ctx.reduction)

    @staticmethod
    def rule(ctx, index: int, terms) -> str:
        scaled = _scaled(terms, ctx.reduction, terms.shapes[0][0])
        return f"(1 per violated margin, minus their count at the target) {terms.shape(0)}{scaled}"

    @staticmethod
    def symbolic(scores, targets=None, margin=1.0, reduction="mean"):
        from graphlab.verify import sym
        labels = np.asarray(getattr(targets, "data", targets), dtype=np.int64)
        rows = np.arange(len(labels))
        margins = scores - scores[rows, labels][:, None] + sym.number(margin)
        hinge = sym.elementwise(lambda m: sym.Piecewise((m, m > 0), (0, True)), [margins], {})   # max(0, m)
        hinge[rows, labels] = 0                         # j = y_i is not summed
        return sym.reduce_loss(hinge.sum(axis=1), reduction)


def _numpy_bce_with_logits(logits, target, reduction="mean"):
    log_sigmoid = -np.logaddexp(0, -logits)             # log σ(x), log(1 - σ(x)) = log σ(-x)
    return _numpy_reduce(-(target * log_sigmoid + (1 - target) * -np.logaddexp(0, logits)), reduction)


def _torch_bce_with_logits(logits, target, reduction="mean"):
    return F.binary_cross_entropy_with_logits(logits, target, reduction=reduction)


class BinaryCrossEntropyWithLogits(Function):
    """Sigmoid + binary cross-entropy in one stable node:
    max(x, 0) - x·t + log(1 + e^-|x|); d/dx = σ(x) - t, d/dt = -x."""
    name = "binary_cross_entropy_with_logits"
    reduction = "mean"
    cases = (
        Case([(2, 3), (2, 3)], ("real", "positive"), numpy=_numpy_bce_with_logits, torch=_torch_bce_with_logits),
        Case([(4,), (4,)], params=dict(reduction="none"), variant="none", numpy=_numpy_bce_with_logits,
             torch=_torch_bce_with_logits),
    )

    @staticmethod
    def forward(ctx, logits, target, reduction="mean"):
        _same_shapes(logits, target, "binary_cross_entropy_with_logits")
        ctx.save_for_backward(logits, target)
        per_element = np.maximum(logits, 0) - logits * target + np.log1p(np.exp(-np.abs(logits)))
        return _reduce(per_element, reduction)

    @staticmethod
    def backward(ctx, upstream):
        logits, target = ctx.saved_tensors
        needs_logits, needs_target = ctx.needs_input_grad
        spread = _spread(upstream, ctx.reduction, logits.size, logits.ndim)
        downstream_logits = downstream_target = None
        if needs_logits:
            decay = np.exp(-np.abs(logits))
            sigmoid = np.where(logits >= 0, 1, decay) / (1 + decay)
            downstream_logits = (sigmoid - target) * spread
        if needs_target:
            downstream_target = -logits * spread
        return downstream_logits, downstream_target

    @staticmethod
    def composed(ctx, logits, target):
        """max(x, 0) − x·t + log(1 + e^−|x|) as primitive ops: create_graph=True differentiates it."""
        from graphlab.ops import composed
        return composed.binary_cross_entropy_with_logits(logits, target, ctx.reduction)

    @staticmethod
    def rule(ctx, index: int, terms) -> str:
        scaled = _scaled(terms, ctx.reduction, int(np.prod(terms.shapes[0])))
        logits, target = terms.names
        return f"(σ({logits}) − {target}) {terms.shape(0)}{scaled}" if index == 0 else f"−{logits}{scaled}"

    @staticmethod
    def symbolic(logits, target, reduction="mean"):
        from graphlab.verify import sym
        softplus = sym.elementwise(lambda x: sym.log(1 + sym.exp(x)), [logits], {})
        return sym.reduce_loss(softplus - logits * target, reduction)   # -t log σ(x) - (1 - t) log(1 - σ(x))
