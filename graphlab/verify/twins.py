"""What every verify tool shares: finding an op, applying its SymPy twin, and the engine's
Jacobian (one vector-Jacobian product per output element) compared with the exact one."""
from __future__ import annotations

import inspect

import numpy as np
import sympy

from graphlab.autodiff.function import Function
from graphlab.autodiff.functional import grad as engine_grad
from graphlab.autodiff.tensor import Tensor
from graphlab.ops import registry
from graphlab.verify import sym
from graphlab.verify.printing import Mismatch

#: max |engine - exact| allowed in float64
ATOL = 1e-9
#: tolerances (atol = rtol) for graphs computed in lower precision
LOW_PRECISION_TOL = {np.dtype(np.float32): 1e-5, np.dtype(np.float16): 1e-2}
#: bound on SymPy's work: Jacobian entries (outputs × inputs) differentiated in one check
MAX_ENTRIES = 20_000
#: bound on the number of input elements whose structure is computed symbolically
MAX_STRUCTURE_INPUTS = 1024

VerifyError = sym.VerifyError


# -- finding ops ------------------------------------------------------------------------------
def resolve(name_or_function) -> type:
    """The op class for a name (``"relu"``, ``"leaky_relu"``, ``"LogSoftmax"``, an old spelling
    such as ``"leakyrelu"`` with a DeprecationWarning), a Function subclass, or its ``apply``."""
    if isinstance(name_or_function, type) and issubclass(name_or_function, Function):
        return name_or_function
    owner = getattr(name_or_function, "__self__", None)
    if isinstance(owner, type) and issubclass(owner, Function):
        return owner
    if not isinstance(name_or_function, str):
        raise VerifyError(f"verify: {name_or_function!r} is not an op; pass a name (\"relu\"), a gl.Function "
                          f"subclass or its apply (gl.relu). Wrappers such as gl.leaky_relu: pass the name")
    builtin = registry.builtin_ops()
    name = registry.canonical_name(name_or_function)
    found = builtin.get(name) or Function.registry.get(name)
    if found is None:   # a class name: LeakyRelu
        found = next((cls for table in (builtin, Function.registry) for cls in table.values()
                      if cls.__name__ == name), None)
    if found is None:
        raise VerifyError(f"verify: no op named {name_or_function!r}; built-in ops: {', '.join(builtin)}")
    return found


def forward_signature(op_class) -> tuple:
    """(positional parameter names, name of ``*inputs`` or None, keyword-only names, how many
    positional parameters have no default) of ``op_class.forward``, without ctx."""
    parameters = list(inspect.signature(op_class.forward).parameters.values())[1:]
    positional, varargs, keyword_only, required = [], None, [], 0
    for parameter in parameters:
        if parameter.kind is parameter.VAR_POSITIONAL:
            varargs = parameter.name
        elif parameter.kind is parameter.KEYWORD_ONLY:
            keyword_only.append(parameter.name)
        elif parameter.kind is not parameter.VAR_KEYWORD:
            positional.append(parameter.name)
            required += parameter.default is parameter.empty
    return positional, varargs, keyword_only, required


def input_count(op_class) -> int:
    """How many inputs an op takes when nothing says otherwise: forward's arguments without a default."""
    return forward_signature(op_class)[3]


#: what each optional input gathered by ``*name`` in a forward is called, in order: conv2d's and
#: linear's ``*bias`` is one bias; the norms' ``*affine`` is the lecture's scale and shift
VARARG_NAMES = {"bias": ("bias",), "affine": ("gamma", "beta")}


def input_names(op_class, count: int) -> list:
    """The names verify prints for an op's ``count`` inputs: forward's own argument names
    (``x, weight, bias`` for conv2d; ``x, gamma, beta`` for batch_norm), numbered only for
    ops that take any number of inputs (``stack``: ``x0, x1, ...``)."""
    positional, varargs, _, _ = forward_signature(op_class)
    names = positional[:count]
    extra = count - len(names)
    known = VARARG_NAMES.get(varargs, ())
    if extra <= len(known):
        return names + list(known[:extra])
    stem = "x" if varargs in (None, "arrays") else varargs
    return names + [f"{stem}{index}" for index in range(extra)]


def params_of(node_ctx) -> dict:
    """The parameters an op node was built with: forward's keyword arguments, which
    ``Function.apply`` keeps on ``ctx.params``."""
    return dict(node_ctx.params)


# -- applying twins ---------------------------------------------------------------------------
def has_twin(op_class) -> bool:
    return getattr(op_class, "symbolic", None) is not None


def apply_twin(op_class, arrays: list, params: dict) -> np.ndarray:
    """The op's SymPy twin on object arrays of expressions; an object array of the output's shape."""
    if not has_twin(op_class):
        raise VerifyError(f"{op_class.name}: has no symbolic twin; define a static method "
                          f"symbolic(*inputs, **params) returning its SymPy expression (see gl.Function)")
    twin = op_class.symbolic
    if getattr(op_class, "elementwise", False):
        return sym.elementwise(twin, arrays, params)
    return sym.as_array(twin(*arrays, **params))


# -- comparing Jacobians ----------------------------------------------------------------------
def floats(matrix) -> np.ndarray:
    """sympy numbers -> float64; an expression SymPy could not reduce to a number -> NaN."""
    result = np.empty(matrix.shape, dtype=np.float64)
    for index, entry in np.ndenumerate(np.array(matrix.tolist(), dtype=object).reshape(matrix.shape)):
        try:
            result[index] = float(entry)
        except (TypeError, ValueError):
            result[index] = np.nan
    return result


def engine_jacobian(output: Tensor, wrt: list) -> np.ndarray:
    """(output elements, wrt elements): row k is the gradient for a one-hot upstream at k."""
    size = output.data.size
    width = sum(tensor.data.size for tensor in wrt)
    rows = np.zeros((size, width))
    if not output.requires_grad or width == 0:
        return rows
    for position in range(size):
        one_hot = np.zeros(size, dtype=output.dtype)
        one_hot[position] = 1
        gradients = engine_grad(output, wrt, grad_outputs=one_hot.reshape(output.shape), allow_unused=True)
        pieces = [np.zeros(tensor.data.size) if gradient is None else
                  np.asarray(gradient.data, dtype=np.float64).reshape(-1)
                  for tensor, gradient in zip(wrt, gradients)]
        rows[position] = np.concatenate(pieces)
    return rows


def compare(exact: np.ndarray, engine: np.ndarray, atol: float, rtol: float):
    """(max abs error, (row, col) of the element furthest outside atol + rtol |exact|)."""
    if exact.size == 0:
        return 0.0, None
    error = np.abs(engine - exact)
    error[np.isnan(error)] = np.inf
    excess = error / (atol + rtol * np.abs(np.nan_to_num(exact)))
    worst = np.unravel_index(int(np.argmax(excess)), excess.shape)
    return float(error.max()), worst


def worst_mismatch(position, exact, exact_floats, engine, output: str, output_shape: tuple,
                   columns: list) -> "Mismatch | None":
    """The Mismatch at ``position`` (row, column) of the Jacobians; ``columns[column]`` is
    (input name, index in that input)."""
    if position is None:
        return None
    row, column = position
    name, in_index = columns[column]
    return Mismatch(output, tuple(int(i) for i in np.unravel_index(row, output_shape)), name,
                    tuple(int(i) for i in in_index), exact[row, column], float(engine[row, column]),
                    float(abs(engine[row, column] - exact_floats[row, column])))


def jacobian_of(outputs: np.ndarray, variables: list) -> sympy.Matrix:
    """SymPy's Jacobian of an object array of expressions: one row per element, one column per variable."""
    flat = sympy.Matrix(outputs.reshape(-1).tolist()) if outputs.size else sympy.zeros(0, 1)
    return flat.jacobian(sympy.Matrix(variables)) if variables else sympy.zeros(outputs.size, 0)
