"""graphlab: a computational-graph engine that shows backpropagation node by node.

>>> import graphlab as gl
>>> x, y, z = gl.scalar(-2, name="x"), gl.scalar(5, name="y"), gl.scalar(-4, name="z")
>>> q = (x + y).named("q")
>>> f = (q * z).named("f")
>>> print(f.backward())
#  node  op    upstream  local    downstream  pattern
-  ----  ----  --------  -------  ----------  -----------
0  f     mul   1         (-4, 3)  (-4, 3)     swap
1  q     add   -4        (1, 1)   (-4, -4)    distributor
2  z     leaf  3
3  y     leaf  -4
4  x     leaf  -4
"""
from graphlab.autodiff.tensor import Tensor
from graphlab.autodiff.function import Function
from graphlab.autodiff.trace import Step, Trace
from graphlab.autodiff.engine import BackwardWalk, backward_steps
from graphlab.autodiff.creation import (
    arange, full, ones, ones_like, rand, randn, scalar, tensor, zeros, zeros_like,
)
from graphlab.autodiff.functional import grad, hessian, hvp, jacobian
from graphlab.config import (
    config, default_dtype, detect_anomaly, enable_grad, get_default_dtype, is_grad_enabled,
    manual_seed, no_grad, scope, set_default_dtype,
)
from graphlab.errors import (
    AnomalyError, BackwardError, DtypeError, GradcheckError, GraphlabError, ShapeError,
)
from graphlab.ops import (
    abs, add, astype, broadcast_to, clip, concat, div, elu, eq, exp, flatten, ge, getitem, gt, le,
    leaky_relu, log, log_softmax, logsumexp, lt, matmul, max, maximum, mean, min, minimum, mul, ne,
    neg, pad, permute, pow, relu, reshape, sigmoid, softmax, sqrt, squeeze, stack, sub, sum, tanh,
    transpose, unsqueeze, var, where,
)
from graphlab.verify.numeric import gradcheck, numeric_jacobian
from graphlab import functional                       # gl.functional: conv2d, batch_norm, cross_entropy, ... (F)
from graphlab import nn                               # gl.nn: Module, layers, ResNet/DenseNet blocks, models
from graphlab import optim                            # gl.optim: SGD, AdaGrad, RMSProp, Adam(W); gl.optim.schedules
from graphlab import data                             # gl.data: datasets (digits, spiral, shapes, ...), DataLoader
from graphlab import train                            # gl.train: fit, History, callbacks, health monitor, recipes
from graphlab.checkpoint import load, save            # checkpoints: .npz, no pickle, atomic writes
from graphlab import viz                              # graphviz itself loads on the first diagram
from graphlab.viz import draw, render, walk
from graphlab import verify                           # gl.verify.op/graph/jacobian/structure (SymPy on first use)
from graphlab import examples

__version__ = "0.1.0"
