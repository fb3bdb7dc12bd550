"""Shared by the interop tests: run a graphlab and a PyTorch model on one input and compare outputs and
gradients (the issue's tolerances: float32 within 1e-5 relative, float64 within 1e-10)."""
import numpy as np

import graphlab as gl

TOLERANCE = {np.dtype(np.float32): 1e-5, np.dtype(np.float64): 1e-10}


def images(*shape, dtype=np.float64, seed=1):
    return np.random.default_rng(seed).standard_normal(shape).astype(dtype)


def with_statistics(model):
    """Running statistics away from 0 and 1 (so eval mode is really compared)."""
    rng = np.random.default_rng(7)
    for name, buffer in model.named_buffers():
        if name.endswith("running_mean"):
            buffer.data[...] = rng.normal(0, 0.1, buffer.shape)
        elif name.endswith("running_var"):
            buffer.data[...] = rng.uniform(0.5, 1.5, buffer.shape)
    return model


def assert_close(found, expected, what: str, exact: bool = False):
    found, expected = np.asarray(found), np.asarray(expected)
    assert found.shape == expected.shape, f"{what}: shape {found.shape} vs {expected.shape}"
    if exact:
        assert np.array_equal(found, expected), f"{what}: not identical"
        return
    tolerance = TOLERANCE[expected.dtype]
    scale = max(1.0, float(np.max(np.abs(expected)))) if expected.size else 1.0
    np.testing.assert_allclose(found, expected, rtol=tolerance, atol=tolerance * scale, err_msg=what)


def run_graphlab(model, x: np.ndarray, weights: np.ndarray):
    """(output, {parameter name: gradient}, input gradient) of sum(model(x) * weights)."""
    model.zero_grad()
    inputs = gl.tensor(x, requires_grad=True)
    out = model(inputs)
    (out * gl.tensor(weights)).sum().backward()
    grads = {name: parameter.grad.copy() for name, parameter in model.named_parameters()
             if parameter.grad is not None}
    return out.data.copy(), grads, inputs.grad.copy()


def run_torch(module, x: np.ndarray, seed: int):
    """Like run_graphlab, with weights drawn from ``seed`` once the output shape is known; returns them too."""
    import torch
    module.zero_grad()
    inputs = torch.from_numpy(x.copy()).requires_grad_(True)
    out = module(inputs)
    weights = np.random.default_rng(seed).standard_normal(tuple(out.shape)).astype(x.dtype)
    (out * torch.from_numpy(weights)).sum().backward()
    grads = {name: parameter.grad.numpy().copy() for name, parameter in module.named_parameters()
             if parameter.grad is not None}
    return (out.detach().numpy().copy(), grads, inputs.grad.numpy().copy()), weights


def assert_same_model(model, module, x: np.ndarray, exact: bool = False, seed: int = 0):
    """Same output, same gradient for every parameter (by name) and for the input."""
    expected, weights = run_torch(module, x, seed)
    found = run_graphlab(model, x, weights)
    assert_close(found[0], expected[0], "output", exact)
    assert sorted(found[1]) == sorted(expected[1])
    for name in expected[1]:
        assert_close(found[1][name], expected[1][name], f"gradient of {name}", exact)
    assert_close(found[2], expected[2], "input gradient", exact)
    return found


def assert_same_state(model, module, exact: bool = True):
    """graphlab's state_dict and PyTorch's: the same keys in the same order, the same values
    (identical, or within the tolerance after both updated their running statistics)."""
    ours, theirs = model.state_dict(), module.state_dict()
    assert list(ours) == list(theirs)
    for name, value in theirs.items():
        if exact or value.dtype == torch_int64():
            assert np.array_equal(ours[name], value.numpy()), name
        else:
            assert_close(ours[name], value.numpy(), name)
        assert ours[name].dtype == value.numpy().dtype, name


def torch_int64():
    import torch
    return torch.int64
