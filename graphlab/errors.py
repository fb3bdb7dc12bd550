"""Error types. Every message names the op, the shapes or values involved, and the fix."""


class GraphlabError(Exception):
    """Base class of every error graphlab raises on purpose."""


class ShapeError(GraphlabError, ValueError):
    """Shapes that do not fit an op (broadcasting, matmul, reshape, concat...)."""


class DtypeError(GraphlabError, TypeError):
    """Data of the wrong kind: strings, objects, mixed float precisions, grads on integers."""


class BackwardError(GraphlabError, RuntimeError):
    """A backward pass that cannot run: non-scalar output without grad, no graph, comparisons."""


class AnomalyError(GraphlabError, FloatingPointError):
    """The first NaN or inf seen under ``gl.detect_anomaly()``."""


class GradcheckError(GraphlabError, AssertionError):
    """Analytic and numeric gradients disagree; the message carries the table."""


class ParameterError(GraphlabError, ValueError, TypeError):
    """An op's setting of the wrong type or out of range (axis=1.5, pieces=0, p=2): the message
    names the op, the argument and what it accepts. Both a ValueError and a TypeError, as
    Python raises either for such arguments."""
