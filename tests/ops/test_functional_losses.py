"""Losses: cross-entropy (hard/soft targets, label smoothing, reductions), NLL, MSE, the CS231n
multiclass hinge, BCE with logits — PyTorch oracle, finite differences, fused == composed,
numerical stability, and the out-of-range label error."""
from __future__ import annotations

import numpy as np
import pytest

import graphlab as gl
import graphlab.functional as F

RNG = np.random.default_rng(3)
LOGITS = RNG.standard_normal((6, 5)) * 2
LABELS = np.array([0, 4, 2, 2, 1, 3])


def _torch_case(torch, ours, theirs, arrays, upstream=None, tolerance=1e-10, **kwargs):
    """Run ``ours`` and ``theirs`` on the same float64 arrays; compare values and gradients."""
    mine = [gl.tensor(a, requires_grad=True, dtype="float64") for a in arrays]
    y = ours(*mine, **kwargs)
    seed = np.ones(y.shape) if upstream is None else upstream
    y.backward(seed)
    reference = [torch.tensor(a, requires_grad=True) for a in arrays]
    expected = theirs(*reference)
    expected.backward(torch.tensor(seed))
    assert np.abs(y.data - expected.detach().numpy()).max() < tolerance
    for tensor, ref in zip(mine, reference):
        assert np.abs(tensor.grad - ref.grad.numpy()).max() < tolerance


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
@pytest.mark.parametrize("smoothing", [0.0, 0.1])
def test_cross_entropy_matches_pytorch(reduction, smoothing):
    torch = pytest.importorskip("torch")
    upstream = RNG.standard_normal(6) if reduction == "none" else None
    labels = torch.tensor(LABELS)
    _torch_case(torch, lambda x: F.cross_entropy(x, LABELS, label_smoothing=smoothing, reduction=reduction),
                lambda x: torch.nn.functional.cross_entropy(x, labels, label_smoothing=smoothing, reduction=reduction),
                [LOGITS], upstream)
    probabilities = RNG.dirichlet(np.ones(5), size=6)
    _torch_case(torch, lambda x: F.cross_entropy(x, probabilities, label_smoothing=smoothing, reduction=reduction),
                lambda x: torch.nn.functional.cross_entropy(x, torch.tensor(probabilities), label_smoothing=smoothing,
                                                            reduction=reduction), [LOGITS], upstream)


def test_cross_entropy_float32_and_numerical_stability():
    torch = pytest.importorskip("torch")
    huge = np.array([[1000.0, 0.0, -1000.0], [-500.0, 500.0, 0.0]], dtype=np.float32)
    logits = gl.tensor(huge, requires_grad=True)
    loss = F.cross_entropy(logits, [2, 1])
    loss.backward()
    assert np.isfinite(loss.item()) and np.isfinite(logits.grad).all()
    assert loss.dtype == np.float32
    reference = torch.tensor(huge, requires_grad=True)
    expected = torch.nn.functional.cross_entropy(reference, torch.tensor([2, 1]))
    expected.backward()
    assert loss.item() == pytest.approx(expected.item(), rel=1e-4)
    assert np.abs(logits.grad - reference.grad.numpy()).max() < 1e-6


def test_cross_entropy_initial_loss_is_log_classes():
    """E73: with equal scores the loss is log(K)."""
    assert F.cross_entropy(gl.zeros(4, 10), [0, 1, 2, 3]).item() == pytest.approx(np.log(10), rel=1e-6)


def test_losses_match_pytorch():
    torch = pytest.importorskip("torch")
    labels = torch.tensor(LABELS)
    _torch_case(torch, lambda x: F.nll_loss(F.log_softmax(x, axis=1), LABELS),
                lambda x: torch.nn.functional.nll_loss(torch.log_softmax(x, 1), labels), [LOGITS])
    target = RNG.standard_normal((6, 5))
    _torch_case(torch, F.mse_loss, torch.nn.functional.mse_loss, [LOGITS, target])
    _torch_case(torch, lambda a, b: F.mse_loss(a, b, reduction="none"),
                lambda a, b: torch.nn.functional.mse_loss(a, b, reduction="none"), [LOGITS, target],
                RNG.standard_normal((6, 5)))
    probabilities = RNG.random((6, 5))
    _torch_case(torch, F.binary_cross_entropy_with_logits, torch.nn.functional.binary_cross_entropy_with_logits,
                [LOGITS * 10, probabilities])
    # PyTorch's multi_margin_loss divides the CS231n SVM loss by the number of classes
    _torch_case(torch, lambda x: F.multiclass_hinge_loss(x, LABELS) / 5,
                lambda x: torch.nn.functional.multi_margin_loss(x, labels), [LOGITS])


def test_multiclass_svm_loss_worked_example():
    """CS231n's SVM example: scores (3.2, 5.1, -1.7) for the cat class 0 give 2.9."""
    scores = gl.tensor([[3.2, 5.1, -1.7]], requires_grad=True, dtype="float64")
    loss = F.multiclass_hinge_loss(scores, [0])
    assert loss.item() == pytest.approx(2.9)
    loss.backward()
    assert scores.grad.tolist() == [[-1.0, 1.0, 0.0]]     # violated margin: +1; correct class: -count


@pytest.mark.parametrize("loss", ["cross_entropy", "smoothed", "nll_loss", "mse_loss", "multiclass_hinge_loss",
                                  "binary_cross_entropy_with_logits"])
def test_losses_gradcheck_and_fused_equals_composed(loss):
    logits = LOGITS[:3]
    labels = LABELS[:3]
    target = RNG.random((3, 5))
    calls = {
        "cross_entropy": (lambda f: (lambda x: f.cross_entropy(x, labels)), [logits]),
        "smoothed": (lambda f: (lambda x: f.cross_entropy(x, labels, label_smoothing=0.2)), [logits]),
        "nll_loss": (lambda f: (lambda x: f.nll_loss(x, labels)), [logits]),
        "mse_loss": (lambda f: f.mse_loss, [logits, target]),
        "multiclass_hinge_loss": (lambda f: (lambda x: f.multiclass_hinge_loss(x, labels)), [logits]),
        "binary_cross_entropy_with_logits": (lambda f: f.binary_cross_entropy_with_logits, [logits, target]),
    }
    make, arrays = calls[loss]
    assert gl.gradcheck(make(F), [gl.tensor(a, dtype="float64") for a in arrays])
    results = []
    for module in (F, F.composed):
        leaves = [gl.tensor(a, requires_grad=True, dtype="float64") for a in arrays]
        value = make(module)(*leaves)
        value.backward()
        results.append([value.data] + [leaf.grad for leaf in leaves])
    for fused, composed in zip(*results):
        assert np.abs(fused - composed).max() < 1e-12


def test_mse_has_second_derivatives():
    x = gl.tensor([1.0, 2.0, 4.0], dtype="float64")
    hessian = gl.hessian(lambda v: F.mse_loss(v, gl.zeros(3, dtype="float64")), x)
    assert np.allclose(hessian, np.eye(3) * 2 / 3)


def test_label_errors_name_the_loss_the_shapes_and_the_fix():
    with pytest.raises(gl.ShapeError, match=r"cross_entropy: target label 10 is out of range for 10 classes "
                                            r"\(scores \(2, 10\)\); labels must be in 0..9"):
        F.cross_entropy(gl.zeros(2, 10), [3, 10])
    with pytest.raises(gl.ShapeError, match="target label -1"):
        F.nll_loss(gl.zeros(2, 10), [-1, 0])
    with pytest.raises(gl.ShapeError, match=r"targets of shape \(3,\) do not match scores \(2, 10\)"):
        F.cross_entropy(gl.zeros(2, 10), [1, 2, 3])
    # (N, C, d1, ...) logits take one label per position, as in PyTorch
    with pytest.raises(gl.ShapeError, match=r"targets of shape \(2,\) do not fit logits of shape \(2, 10, 3\); "
                                            r"give class indices of shape \(2, 3\)"):
        F.cross_entropy(gl.zeros(2, 10, 3), [1, 2])
    with pytest.raises(gl.ShapeError, match="fractional"):
        F.cross_entropy(gl.zeros(2, 10), np.array([0.5, 1.0]))
    with pytest.raises(gl.ShapeError, match=r"mse_loss: input \(4, 1\) and target \(4,\) have different shapes"):
        F.mse_loss(gl.zeros(4, 1), gl.zeros(4))
    with pytest.raises(ValueError, match="reduction must be one of"):
        F.cross_entropy(gl.zeros(2, 3), [0, 1], reduction="avg")
