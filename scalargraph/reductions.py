"""Reductions and stable compounds over many nodes: ``sg.max``, ``sg.mean``, ``sg.logsumexp`` ...

Each works on a NodeArray, a Node, or a sequence / object array of Nodes (and on plain
numbers, where it gives NumPy's result). On NodeArrays a reduction along an axis is one
vectorized append per step of a left-to-right chain (as ``sg.sum``): no Python per node.
The same functions back ``np.sum / np.prod / np.mean / np.max / np.min / np.var / np.std /
np.clip / np.where`` on NodeArrays (NumPy calls the NodeArray methods of those names).

Compositions here, not ops, where the composition is exact and stable:

* ``logsumexp(x) = m + log(sum(exp(x - m)))`` with ``m = stop_gradient(max x)`` (0 where
  the max is not finite): the gradient is the softmax exactly, since the value does not
  depend on m at all; ``softmax(x) = exp(x - m) / sum(exp(x - m))`` likewise.
* ``log_sigmoid(x) = -softplus(-x)``, ``silu(x) = x sigmoid(x)``, ``gelu(x) = x Phi(x)``
  with ``Phi(x) = erfc(-x / sqrt 2) / 2`` (erfc, not 1 + erf: no cancellation for x < 0).
"""

import numpy as np

from . import ops
from .arrays import NodeArray, _append, as_node_array, reduce_sum
from ._npoptions import reduction_options
from .graph import Node, race_error
from .functions import (erfc, exp, log, maximum, minimum, sigmoid, softplus, sqrt,  # noqa: F401
                        stop_gradient, eq)
from .conditionals import where

_INV_SQRT2 = 0.7071067811865476


def _chain(graph, code, terms):
    """Left-to-right reduction of ``terms`` (m, ...) along axis 0 with binary op ``code``,
    recorded in one vectorized append (the index arithmetic of ``arrays._chain_add``)."""
    m = terms.shape[0]
    if m == 1:
        return terms[0]
    rest = terms.shape[1:]
    flat = terms.reshape(m, -1)
    R = flat.shape[1]
    base = len(graph.op)
    previous = base + np.arange((m - 2) * R, dtype=np.int64).reshape(m - 2, R)
    first = np.concatenate([flat[:1], previous], axis=0)
    out = _append(graph, code, first, flat[1:])
    if out.size and out[0, 0] != base:  # another thread recorded in between
        raise race_error(graph)
    return out[-1].reshape(rest)


def _nodes(x, what):
    na = as_node_array(x)
    if na is None:
        return None
    if na.size == 0:
        raise ValueError(f"{what} of an empty array of nodes: there is no graph to put the "
                         "result in")
    return na


def _wrap(na, idx):
    return Node(na.graph, int(idx)) if np.ndim(idx) == 0 else NodeArray(na.graph, idx)


def _reduce(x, code, axis, what, numpy_fn):
    na = _nodes(x, what)
    if na is None:
        return numpy_fn(np.asarray(x, dtype=np.float64), axis=axis)
    idx = na.indices.ravel() if axis is None else np.moveaxis(na.indices, axis, 0)
    if idx.shape[0] == 0:
        raise ValueError(f"{what} over an empty axis of nodes")
    return _wrap(na, _chain(na.graph, code, idx))


def _count(x, axis):
    shape = np.shape(x.indices if type(x) is NodeArray else np.asarray(x, dtype=object))
    return int(np.prod(shape)) if axis is None else shape[axis]


def max(x, axis=None):  # noqa: A001
    """Largest node (along ``axis``): a chain of ``sg.maximum`` (NaN propagates as np.max;
    at a tie the gradient goes to the later element). Cost: size - 1 nodes."""
    return _reduce(x, ops.MAXIMUM, axis, "max", np.max)


def min(x, axis=None):  # noqa: A001
    """Smallest node (along ``axis``): a chain of ``sg.minimum``. Cost: size - 1 nodes."""
    return _reduce(x, ops.MINIMUM, axis, "min", np.min)


def prod(x, axis=None):
    """Product of the nodes (along ``axis``), left to right. Cost: size - 1 mul nodes."""
    return _reduce(x, ops.MUL, axis, "prod", np.prod)


def mean(x, axis=None):
    """Sum divided by the count (along ``axis``). Cost: size - 1 add nodes + 1 per result."""
    if as_node_array(x) is None:
        return np.mean(np.asarray(x, dtype=np.float64), axis=axis)
    return reduce_sum(x, axis) / float(_count(x, axis))


def variance(x, axis=None, ddof=0):
    """Variance ``mean((x - mean x)^2)`` (``np.var``, not ``sg.var``), two-pass, ``ddof`` as NumPy's.

    Cost: about 4 nodes per element. Its derivative is exact; that of ``std`` is inf/NaN
    where the variance is 0 (sqrt'(0), as in every AD library)."""
    na = as_node_array(x)
    if na is None:
        return np.var(np.asarray(x, dtype=np.float64), axis=axis, ddof=ddof)
    n = _count(na, axis)
    mu = mean(na, axis)
    centred = na - (mu if axis is None or type(mu) is Node
                    else NodeArray(na.graph, np.expand_dims(mu.indices, axis)))
    return reduce_sum(centred * centred, axis) / float(n - ddof)


def std(x, axis=None, ddof=0):
    """Standard deviation, the square root of :func:`variance` (``np.std``).

    Cost: one node more than :func:`variance`."""
    v = variance(x, axis, ddof)
    return sqrt(v)


def clip(x, lo, hi):
    """``x`` limited to [lo, hi], as np.clip: ``minimum(hi, maximum(lo, x))``.

    Derivative in x: 1 on the closed interval [lo, hi] (at x == lo or x == hi the tie
    goes to x, as PyTorch's clamp), 0 outside; the bound that is active gets the rest.
    Cost: 2 nodes per element (plus constant nodes for number bounds).
    """
    return minimum(hi, maximum(lo, x))


def _finite_max(na):
    """stop_gradient(max) of the nodes, 0 where that max is not finite (all -inf, an inf)."""
    m = stop_gradient(max(na))
    return where(eq(m - m, 0.0), m, 0.0)


def logsumexp(x):
    """``log(sum(exp(x)))`` of all the nodes, without overflow: one Node.

    The max is subtracted under ``stop_gradient``, which is exact: the value does not depend
    on it, so the gradient is the softmax and the Hessian ``diag(p) - p p^T``. All -inf gives
    -inf, a +inf gives +inf, a NaN NaN.
    Cost: about 3 n + 8 nodes for n nodes.
    """
    na = _nodes(x, "logsumexp")
    if na is None:
        values = np.asarray(x, dtype=np.float64)
        m = np.max(values)
        m = m if np.isfinite(m) else 0.0
        return float(m + np.log(np.sum(np.exp(values - m))))
    m = _finite_max(na)
    return m + log(reduce_sum(exp(na.ravel() - m)))


def softmax(x):
    """``exp(x) / sum(exp(x))`` over all the nodes, without overflow: the shape of ``x``.

    Returns a NodeArray for a NodeArray, else an object array of Nodes.
    Cost: about 3 n + 8 nodes.
    """
    na = _nodes(x, "softmax")
    if na is None:
        values = np.asarray(x, dtype=np.float64)
        e = np.exp(values - np.max(values))
        return e / np.sum(e)
    e = exp(na - _finite_max(na))
    out = e / reduce_sum(e)
    return out if type(x) is NodeArray else out.nodes()


def log_sigmoid(x):
    """``log(sigmoid(x)) = -softplus(-x)``: exact to rounding for every x (no log(0)).
    Cost: 3 nodes."""
    return -softplus(-x)


def silu(x):
    """``x sigmoid(x)`` (swish). Cost: 2 nodes."""
    return x * sigmoid(x)


def gelu(x):
    """``x Phi(x)`` with the normal CDF ``Phi(x) = erfc(-x / sqrt 2) / 2`` (exact erf form,
    no tanh approximation; erfc keeps relative accuracy for x < 0). Cost: 4 nodes."""
    return x * (0.5 * erfc(x * -_INV_SQRT2))


# NumPy calls these methods for np.max(na), np.mean(na), ... on a NodeArray.
def _method(fn, *names):
    def method(self, axis=None, dtype=None, out=None, **kwargs):
        if out is not None:
            raise TypeError(f"np.{fn.__name__} of nodes cannot write into an out= array")
        extra = {k: kwargs.pop(k) for k in names if k in kwargs}
        kwargs.pop("keepdims", None) if kwargs.get("keepdims") is False else None
        if kwargs:
            raise TypeError(f"np.{fn.__name__} of nodes takes only axis"
                            f"{''.join(', ' + n for n in names)}, got {sorted(kwargs)}")
        reduction_options(fn.__name__, dtype, kwargs)  # a dtype it would ignore
        return fn(self, axis, **extra)
    method.__name__ = fn.__name__
    method.__doc__ = f"np.{fn.__name__} of the nodes: see :func:`scalargraph.{fn.__name__}`."
    return method


def _clip_method(self, min=None, max=None, out=None, **kwargs):  # noqa: A002
    if out is not None or kwargs:
        raise TypeError("np.clip of nodes takes only the bounds")
    if min is None or max is None:
        raise TypeError("np.clip of nodes needs both bounds")
    return clip(self, min, max)


for _name, _fn, _extra in (("max", max, ()), ("min", min, ()), ("prod", prod, ()),
                           ("mean", mean, ()), ("var", variance, ("ddof",)),
                           ("std", std, ("ddof",))):
    setattr(NodeArray, _name, _method(_fn, *_extra))
NodeArray.clip = _clip_method
del _name, _fn, _extra
