"""Function: the base of every op, built-in or user-defined (PyTorch's autograd.Function API).

An op is one small class::

    class Square(gl.Function):
        @staticmethod
        def forward(ctx, x):            # numpy arrays in, one array out
            ctx.save_for_backward(x)
            return x * x

        @staticmethod
        def local(ctx):                 # d out / d x, shown in Traces and diagrams
            (x,) = ctx.saved_tensors
            return 2 * x

    y = Square.apply(x)

``backward`` is derived from ``local``: downstream = upstream × local for each input (the
chain rule for an elementwise op), so what diagrams show and what training uses cannot drift
apart. An op whose gradient is not elementwise (matmul, conv, softmax) writes its own
``backward(ctx, upstream)`` returning one downstream gradient per input (None where
``ctx.needs_input_grad`` says nobody needs it).

On tensors, the Trace, the REPL and the captions show each input's vectorized rule instead of
upstream × local: ``rule(ctx, index, terms)`` returns it in words with the step's shapes
(``graphlab/autodiff/rules.py``); elementwise ops inherit "upstream ⊙ local (elementwise)".

``apply`` wraps and unwraps Tensors, checks dtypes, records the node and keeps forward's
keyword parameters on ``ctx.params`` (and as attributes: ``ctx.axis``); the engine handles
broadcasting and accumulation, so ``backward`` returns gradients shaped like the forward's
arrays before broadcasting is undone.

The SymPy twin (``symbolic``), used only by ``gl.verify`` (``graphlab/verify/op_check.py``, ``graph_check.py``),
states the op's math so that SymPy can differentiate it exactly::

        elementwise = True              # the twin works on one element at a time
        @staticmethod
        def symbolic(x):                # sympy expression(s) in, sympy expression out
            return x * x

* It takes the same arguments as ``forward``: one value per input, then forward's parameters
  (``axis=``, ``exponent=``, ...) with the same names and values.
* An op with ``elementwise = True`` gets sympy scalars (one element of each input, after
  broadcasting) and returns one sympy expression; verify maps it over every element.
* Every other op gets numpy arrays of ``dtype=object`` holding sympy expressions, shaped like
  its inputs, and returns such an array shaped like its output (nested lists, a sympy scalar or
  Matrix are accepted too). numpy's own indexing, broadcasting, reshape, transpose, ``matmul``
  and ``sum`` work on these arrays, so a twin borrows numpy's shape rules and states the math.
* Non-smooth ops use ``Piecewise``/``Max``/``Min``: SymPy's conventions at the kinks (relu'(0) = 0,
  sign(0) = 0, Heaviside(0) = 1/2 for a tie) are the engine's, and the tests check they agree.
* Constant inputs (masks, comparison results) arrive as exact numbers or ``sympy.true``/``false``.
* Import SymPy inside the twin (``from graphlab.verify import sym``: SymPy's functions plus
  helpers such as ``sym.reduce``), never at module level, so ``import graphlab`` stays light.
* ``gl.verify.graph`` rebuilds a recorded node from ``ctx.params``, which ``apply`` fills.

An op also lists its test cases next to its code (``cases = (Case(...), ...)``, see
``graphlab/autodiff/cases.py``); one generic test runs every check from them.
"""
from __future__ import annotations

import re
import warnings
from operator import attrgetter
from typing import Any, ClassVar, Optional

import numpy as np

from graphlab.autodiff import rules
from graphlab.config import config
from graphlab.errors import AnomalyError, BackwardError, DtypeError, GraphlabError, ShapeError


#: attributes of ctx that a forward parameter may not shadow
# C-level attribute readers: a scalar graph's every op reads these, and map() over them is
# cheaper than a comprehension (benchmarks/scalar_graph.py)
_data_of = attrgetter("data")
_requires_grad = attrgetter("requires_grad")

_RESERVED = frozenset({"inputs", "params", "needs_input_grad", "name", "saved_tensors", "save_for_backward"})


def _snake_case(class_name: str) -> str:
    """``LeakyRelu`` -> ``leaky_relu``, ``LogSoftmax`` -> ``log_softmax``: the name users call."""
    return re.sub(r"(?<=[a-z0-9])(?=[A-Z])", "_", class_name).lower()


class Function:
    """Base class of ops. Subclasses define static ``forward`` and ``local`` (or ``backward``),
    and ``symbolic`` for verification."""

    #: op name shown in Traces, diagrams and errors: the public function's name
    #: (defaults to the class name in snake_case: LeakyRelu -> leaky_relu)
    name: ClassVar[str] = "function"
    #: gate pattern of the lecture: "distributor" (add), "swap" (mul), "router" (max)
    pattern: ClassVar[Optional[str]] = None
    #: False for comparisons and other piecewise-constant ops: their output needs no grad
    differentiable: ClassVar[bool] = True
    #: True when ``backward`` is written with operators that also work on Tensors, so that
    #: ``create_graph=True`` can differentiate it again (higher-order gradients)
    higher_order: ClassVar[bool] = False
    #: False for ops whose output dtype differs from the inputs' on purpose (astype)
    keeps_dtype: ClassVar[bool] = True
    #: every Function subclass by name, built-in and user-defined (a user's op may shadow a
    #: built-in here; ``graphlab.ops.registry`` keeps the built-in ones apart)
    registry: ClassVar[dict] = {}
    #: the op's test cases (``graphlab.autodiff.cases.Case``), bound to the class
    cases: ClassVar[tuple] = ()
    #: the gate's symbol in diagrams (``+``, ``*``, ``σ``); None: the op's name
    symbol: ClassVar[Optional[str]] = None
    #: False when backward never reads the inputs' values (add, sub, neg): editing an input in
    #: place after forward then cannot change the gradient, so backward does not refuse
    reads_inputs: ClassVar[bool] = True
    #: True: forward and backward run under ``np.errstate(all="ignore")``, so log(-1) or 1/0 give
    #: NaN/inf without a numpy RuntimeWarning that points into graphlab's files (under
    #: ``gl.detect_anomaly()`` the AnomalyError naming the op is raised instead). The scalar hot
    #: path (add, sub, mul, neg) sets False: the guard costs a third of a scalar op; there only
    #: overflow or inf - inf can warn, and always under detect_anomaly the guard is on.
    quiet_numpy: ClassVar[bool] = True
    #: keyword parameter -> check(op, argument, value, inputs) run before forward
    #: (``graphlab/ops/params.py``): a clear ParameterError instead of numpy's
    param_checks: ClassVar[dict] = {}

    local = None      # optional: staticmethod local(ctx) -> d out / d input (tuple for several)
    #: optional, for a fused op that is not ``higher_order``: staticmethod composed(ctx, *inputs)
    #: -> its output rebuilt from primitive (differentiable) ops on its input Tensors. Under
    #: ``create_graph=True`` the engine differentiates this twin instead of the numpy backward.
    composed = None
    symbolic = None   # optional: staticmethod symbolic(*sympy_symbols) -> sympy expression

    # set by the engine while it runs backward with create_graph=True (see saved_tensors)
    _lift = None
    _saved: tuple = ()
    _returned = None   # forward's own return value when apply had to convert it to an array
    params: dict = {}  # forward's keyword parameters, set by apply
    _arrays: tuple = ()  # the arrays forward saw, set by apply (see check_unmodified)
    _epoch: int = 0     # Tensor._inplace_epoch when apply ran

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        if "name" not in cls.__dict__:
            cls.name = _snake_case(cls.__name__)
        cls.cases = tuple(case.bind(cls) for case in cls.__dict__.get("cases", ()))
        Function.registry[cls.name] = cls

    @staticmethod
    def forward(ctx, *arrays, **params):
        raise NotImplementedError("a Function subclass must define a static forward(ctx, *arrays)")

    @staticmethod
    def backward(ctx, upstream):
        """downstream = upstream × local for each input that needs a gradient (the chain rule;
        ``chain`` says what × is); the engine then sums it back over broadcast axes."""
        op_class = type(ctx)
        if op_class.local is None:
            raise NotImplementedError(
                f"{ctx.name}: a Function needs a static local(ctx) (d out / d input) "
                f"or its own backward(ctx, upstream)")
        local_gradients = op_class.local(ctx)
        if type(local_gradients) is not tuple:
            local_gradients = (local_gradients,)
        chain, inputs = op_class.chain, ctx.inputs
        return tuple(None if local_gradient is None or not inputs[index].requires_grad
                     else chain(upstream, local_gradient, index)
                     for index, local_gradient in enumerate(local_gradients))

    @staticmethod
    def rule(ctx, index: int, terms) -> Optional[str]:
        """What input ``index`` receives, in words with the step's shapes (``terms``, a
        ``graphlab.autodiff.rules.RuleTerms``): the right side of ``dL/dx (2x3) = ...``.

        An op with ``local`` is elementwise, "upstream ⊙ local (elementwise)", summed back where
        the input was broadcast; an op whose gradient is not elementwise says its own rule
        (matmul: "upstream (2x1) · vᵀ (1x4)"). None: the text just names the op's backward.
        """
        if type(ctx).local is None:
            return None
        return rules.elementwise(terms, index)

    @staticmethod
    def chain(upstream, local_gradient, index: int):
        """upstream × local for input ``index``: elementwise for elementwise gates (lecture 4);
        matmul overrides it with the matrix product (dL/dW = upstream · xᵀ)."""
        return upstream * local_gradient

    # -- the ctx side: what forward leaves for backward -----------------------------------
    def save_for_backward(self, *arrays) -> None:
        self._saved = arrays

    @property
    def saved_tensors(self) -> tuple:
        """What forward saved. Under ``create_graph=True`` each array comes back as a Tensor
        (the op's own input or output where it is one), so backward builds a graph too."""
        if self._lift is None:
            return self._saved
        return tuple(self._lift(array) for array in self._saved)

    @property
    def needs_input_grad(self) -> tuple:
        """One bool per input (PyTorch's name): does anybody need its gradient? An op skips
        the work for the others and returns None in their place."""
        return tuple(map(_requires_grad, self.inputs))

    def local_gradients(self) -> Optional[tuple]:
        """The op's ``local`` as a tuple (one entry per input), or None when it has none."""
        local = type(self).local
        if local is None:
            return None
        saved_lift, self._lift = self._lift, None  # display values are always plain arrays
        try:
            result = local(self)
        finally:
            self._lift = saved_lift
        return result if isinstance(result, tuple) else (result,)

    # -- building the graph ---------------------------------------------------------------
    # apply's three steps: check the inputs, run forward, record the node. Running forward stays
    # inline: it is the hot path of every scalar graph (benchmarks/instructions.py: a call per step
    # cost 3% of building a chain, and tuple(map(...)) for the arrays 4x the unrolled pair below).
    @classmethod
    def apply(cls, *args, **params):
        """Run ``forward`` on the arrays of ``args`` and return the output Tensor. The inputs are
        Tensors (numbers and arrays become constants); keyword arguments go to ``forward``
        unchanged and are kept on ``ctx.params``."""
        inputs, float_dtype, requires_grad, tracks = _check_inputs(cls, args)
        ctx = object.__new__(cls)
        ctx.inputs = inputs
        if params:
            ctx._keep_params(params)
        arrays = (inputs[0].data, inputs[1].data) if len(inputs) == 2 else tuple(map(_data_of, inputs))
        ctx._arrays = arrays   # `t.data = ...` later is seen by identity; a tuple the collector untracks
        try:
            if cls.quiet_numpy or config.anomaly:
                output = quietly(cls.forward, (ctx, *arrays), params, any(a.size == 0 for a in arrays))
            else:
                output = cls.forward(ctx, *arrays, **params)
        except GraphlabError:
            raise
        except (ValueError, IndexError) as error:
            raise _shape_error(cls.name, inputs, error) from error
        if type(output) is not np.ndarray:
            # numpy gives scalars for 0-d math; remember the scalar so that create_graph still
            # recognises a saved output as the output (see engine.BackwardWalk)
            ctx._returned = output
            output = np.asarray(output)
        if output.dtype is not float_dtype or config.anomaly:
            output = ctx._settle_output(output, float_dtype)
        if not config.grad_enabled:
            return Tensor._from_op(output, None, False)
        # a node is recorded when an input needs a gradient, and also below a comparison
        # (which needs none) so that backward can name the comparison that cut the graph
        creator = ctx if requires_grad or tracks else None
        ctx._epoch = Tensor._inplace_epoch    # inputs edited in place after this show a later _version
        requires_grad = requires_grad and cls.differentiable and output.dtype.kind == "f"
        return Tensor._from_op(output, creator, requires_grad)

    def _keep_params(self, params: dict) -> None:
        """Keep forward's keyword parameters on ctx: ``ctx.params`` and ``ctx.<name>``."""
        clash = _RESERVED.intersection(params)
        if clash:
            raise TypeError(f"{self.name}: a forward parameter may not be called {sorted(clash)[0]!r} "
                            f"(ctx uses that name); rename it")
        checks = type(self).param_checks
        if checks:
            for argument, value in params.items():
                check = checks.get(argument)
                if check is not None:
                    check(self.name, argument, value, self.inputs)
        self.params = params
        self.__dict__.update(params)

    def _settle_output(self, output: np.ndarray, float_dtype) -> np.ndarray:
        """forward's output in the inputs' float dtype (a forward may not widen float32 to
        float64), checked for NaN/inf under ``gl.detect_anomaly()``."""
        cls = type(self)
        if output.dtype is not float_dtype and float_dtype is not None and output.dtype.kind == "f" \
                and cls.keeps_dtype:
            output = output.astype(float_dtype)
        if config.anomaly:
            check_finite(output, cls.name, "forward", self)
        return output

    @classmethod
    def _convert_inputs(cls, args: tuple, float_dtype) -> tuple:
        """Numbers and arrays become constants; integer tensors join float math as floats."""
        saw_tensor = False
        for arg in args:
            if isinstance(arg, Tensor):
                saw_tensor = True
                break
        # constants take the float inputs' dtype; with no tensor at all, the default dtype
        constant_dtype = float_dtype if float_dtype is not None else (None if saw_tensor else config.default_dtype)
        entry = _CONSTANTS.get(id(constant_dtype))     # _constants_of, inlined: this is the hot path
        constants = entry[1] if entry is not None and entry[0] is constant_dtype else _NO_CONSTANTS
        inputs = []
        for arg in args:
            kind = type(arg)
            if kind is float or kind is int:     # the common case, x * 0.5: no validation needed
                array = constants.get(arg)
                if array is None:
                    array = _constant_array(arg, constant_dtype)
                arg = Tensor._from_op(array, None, False)
            elif not isinstance(arg, Tensor):
                arg = Tensor._constant(arg, constant_dtype, cls.name)
            if float_dtype is not None and cls.differentiable and arg.data.dtype.kind not in "fb":
                arg = arg.astype(float_dtype)      # integer tensors join float math as floats
            inputs.append(arg)
        return tuple(inputs)

    def check_unmodified(self, output_label: str) -> None:
        """Raise BackwardError if an input whose values backward reads was edited in place
        (``add_``, ``mark_modified``, ``t.data = ...``) after forward saw it."""
        for tensor, array in zip(self.inputs, self._arrays):
            if getattr(tensor, "_version", 0) > self._epoch or tensor.data is not array:
                raise BackwardError(
                    f"backward: {tensor.label} was modified in place after {self.name} used it to "
                    f"compute {output_label} = {self.name}({', '.join(t.label for t in self.inputs)}); "
                    f"its gradient needs the old values. Run the forward pass again after editing "
                    f"{tensor.label}, or edit a copy (e.g. {tensor.label}.detach() then gl.tensor(...)).")

    def __repr__(self) -> str:
        return f"<op {self.name} of {', '.join(t.label for t in self.inputs)}>"


def _shape_error(op_name: str, inputs: tuple, error: Exception) -> ShapeError:
    shapes = ", ".join(str(tensor.shape) for tensor in inputs)
    return ShapeError(f"{op_name}: cannot apply to inputs of shapes {shapes}: {error}")


def _mixed_dtypes_message(op_name: str, float_dtype, odd: "Tensor", args: tuple) -> str:
    """How to fix mixed float precisions. The dtype to keep is the default one (float32 unless
    changed) when it is one of the two: a float64 tensor in a float32 graph usually comes from a
    numpy array. The fix names the leaves the other dtype comes from and says to create them in
    the dtype to keep: ``.astype`` on a leaf would give a non-leaf copy, so the optimizer would
    update the original while ``.grad`` of the copy is what backward fills."""
    mixed = {float_dtype, odd.dtype}
    keep = config.default_dtype if config.default_dtype in mixed else float_dtype
    other = odd.dtype if keep == float_dtype else float_dtype
    culprits = [arg for arg in args if isinstance(arg, Tensor) and arg.data.dtype == other]
    leaves = _leaves_of_dtype(culprits, other)
    made_by_user = [leaf for leaf in leaves if leaf.requires_grad or leaf.name is not None or leaf.data.size > 1]
    leaves = made_by_user or leaves       # not the constants a Python number became (x * 2)
    if leaves:
        shown = ", ".join(leaf.label for leaf in leaves[:3]) + (", ..." if len(leaves) > 3 else "")
        grad = ", requires_grad=True" if any(leaf.requires_grad for leaf in leaves) else ""
        fix = (f"create {shown} with dtype=np.{keep}: gl.tensor(values, dtype=np.{keep}{grad}), or "
               f"np.asarray(values, dtype=np.{keep}) first (casting it afterwards gives a non-leaf copy "
               f"whose gradient the optimizer never sees)")
    else:
        fix = f"cast the result first: {culprits[0].label}.astype('{keep}')"
    return (f"{op_name}: inputs mix {keep} and {other}; graphlab never upcasts silently. "
            f"To fix it, {fix}")


def _leaves_of_dtype(tensors: list, dtype, limit: int = 10_000) -> list:
    """The leaves of dtype ``dtype`` that ``tensors`` are computed from (themselves when leaves),
    in creation order; the search stops after ``limit`` nodes (this runs only to write an error)."""
    found, seen, stack = {}, set(), list(tensors)
    while stack and len(seen) < limit:
        tensor = stack.pop()
        if tensor.id in seen:
            continue
        seen.add(tensor.id)
        if tensor.creator is None:
            if tensor.data.dtype == dtype:
                found[tensor.id] = tensor
        else:
            stack.extend(tensor.creator.inputs)
    return [found[key] for key in sorted(found)]


#: read-only 0-d arrays for the Python numbers that scalar graphs repeat (x * 0.5, v + 1):
#: making a numpy array costs about as much as the rest of a scalar op. id(dtype) -> (dtype,
#: {number: array}): keyed by id because hashing a numpy dtype costs as much as the array, and
#: by the number alone because the dtype fixes the value (1 and 1.0 give the same float32 1).
_CONSTANTS: dict = {}
_NO_CONSTANTS: dict = {}


def _constants_of(dtype) -> dict:
    """The cache of constants of float dtype ``dtype`` (see _CONSTANTS)."""
    entry = _CONSTANTS.get(id(dtype))
    if entry is None or entry[0] is not dtype:
        entry = _CONSTANTS[id(dtype)] = (dtype, {})
    return entry[1]


def _constant_array(number, dtype) -> np.ndarray:
    """``np.array(number, dtype)``, read-only and shared when ``dtype`` is given."""
    if dtype is None or number == 0:      # no dtype: int or float by the number; 0.0 == -0.0 as keys
        return np.array(number, dtype=dtype)
    arrays = _constants_of(dtype)
    array = arrays.get(number)
    if array is None:
        array = np.array(number, dtype=dtype)
        array.flags.writeable = False
        if len(arrays) < 4096:
            arrays[number] = array
    return array


def _check_inputs(cls, args: tuple) -> tuple:
    """(inputs as Tensors, their float dtype, does any need a gradient, does any carry a graph).

    One pass over the inputs: the common case (Tensors of one float dtype) stays cheap,
    because every scalar op of a 100,000-node graph comes through here.
    """
    float_dtype = None
    requires_grad = tracks = convert = False
    for arg in args:
        if not isinstance(arg, Tensor):
            convert = True
            continue
        dtype = arg.data.dtype
        if dtype is not float_dtype:
            if dtype.kind != "f":
                convert = True
            elif float_dtype is None:
                float_dtype = dtype
            elif dtype != float_dtype:
                raise DtypeError(_mixed_dtypes_message(cls.name, float_dtype, arg, args))
        if arg.requires_grad:
            requires_grad = True
        elif arg.creator is not None:
            tracks = True
    inputs = cls._convert_inputs(args, float_dtype) if convert else args
    return inputs, float_dtype, requires_grad, tracks


def quietly(function, args: tuple, kwargs: dict, empty: bool):
    """``function(*args, **kwargs)`` with numpy's floating-point warnings off: NaN/inf are results
    (or an AnomalyError under detect_anomaly), not warnings pointing into graphlab's files.
    With an empty input, numpy's Python-level warnings (mean of an empty slice) are off too."""
    with np.errstate(all="ignore"):
        if not empty:
            return function(*args, **kwargs)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            return function(*args, **kwargs)


def check_finite(array, op_name: str, phase: str, ctx) -> None:
    """Raise AnomalyError naming the op, its inputs and their ranges if ``array`` has NaN/inf."""
    data = getattr(array, "data", array)
    if np.asarray(data).dtype.kind != "f" or np.isfinite(data).all():
        return
    ranges = []
    for tensor in ctx.inputs:
        values = tensor.data
        if values.size and values.dtype.kind in "fiu":
            ranges.append(f"{tensor.label} {values.shape} in [{np.nanmin(values):.4g}, {np.nanmax(values):.4g}]")
        else:
            ranges.append(f"{tensor.label} {values.shape}")
    bad = "NaN" if np.isnan(data).any() else "inf"
    raise AnomalyError(
        f"{op_name}: {phase} produced {bad}. Inputs: {'; '.join(ranges)}. "
        f"Check the inputs' domain (log/sqrt of <= 0, division by 0, overflow in exp).")


from graphlab.autodiff.tensor import Tensor  # noqa: E402  (Tensor's methods call ops built on Function)
