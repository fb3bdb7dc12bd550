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
