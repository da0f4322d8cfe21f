"""Conditionals and derivative control: ``sg.where`` and ``sg.custom_gradient``.

``sg.where(c, a, b)`` records ``select_true(c, a) + select_false(c, b)`` (CasADi's
``if_else``, CppAD's ``CondExp``). The select of the branch not taken has value -0.0, and
``v + -0.0`` is ``v`` bit for bit for every v (signed zeros included), so the value is
exactly the taken branch's. Its partial is exactly 0, and a 0 partial cuts its path in
every sweep (``kernels/reach.py``), so a NaN or inf in the branch not taken reaches no
derivative: not the gradient, not a forward tangent, not a batch column, not a Hessian
(``sg.grad`` writes the chain rule through a select as a select, see ``symbolic._times``).

``sg.custom_gradient(value, wrt, partials)`` records ``stop_gradient(value) + sum_i
link(wrt[i], partials[i])``: each ``link`` has value -0.0 and derivative ``partials[i]``
with respect to ``wrt[i]`` (JAX's ``custom_jvp``).

``sg.stop_gradient`` and the comparisons ``sg.lt le gt ge eq ne`` are plain table ops
(:mod:`scalargraph.functions`).
"""

import numpy as np

from . import ops
from .arrays import NodeArray, as_node_array, elementwise_binary, _const_nodes
from .functions import _make_binary, stop_gradient  # noqa: F401  (stop_gradient: the table's)
from .graph import Node, as_float

_SELECT = {code: _make_binary(ops.BY_CODE[code]) for code in
           (ops.BY_NAME["select_true"].code, ops.BY_NAME["select_false"].code)}
_SELECT_TRUE, _SELECT_FALSE = (ops.BY_NAME[n].code for n in ("select_true", "select_false"))
_LINK = _make_binary(ops.BY_NAME["link"])


def select(code, cond, value):
    """``select_true(cond, value)`` or ``select_false(cond, value)`` by opcode (one node)."""
    return _SELECT[code](cond, value)


def _has_nodes(x):
    if type(x) in (Node, NodeArray):
        return True
    if isinstance(x, (list, tuple)) or (isinstance(x, np.ndarray) and x.dtype == object):
        return any(type(e) in (Node, NodeArray) for e in np.asarray(x, dtype=object).ravel())
    return False


def where(cond, a, b):
    """``a`` where ``cond`` is nonzero, else ``b``: a conditional node, per element.

    Only the branch taken contributes, to the value and to every derivative (reverse,
    forward, batches, second order): ``sg.where(sg.gt(x, 0.0), sg.sqrt(x), 0.0)`` at
    x = -1 has value 0 and gradient 0, where ``mask * sqrt(x)`` gives NaN. A NaN condition
    counts as true (as in ``np.where``). Build conditions with ``sg.lt le gt ge eq ne``.

    Parameters
    ----------
    cond, a, b : Node, NodeArray, number, or array (of numbers or nodes), broadcast together
        Conditions are usually comparison nodes; any node works (nonzero means true).

    Returns
    -------
    Node, NodeArray or object array of Nodes (as the operands; a NodeArray when any is one);
    a float when all three are numbers. The derivative in ``cond`` is 0.

    Cost: 3 recorded nodes per element (two selects and an add, plus constant nodes for
    number operands); vectorized for NodeArrays. A condition that is a plain number picks
    its branch at recording time and records nothing.
    """
    if not _has_nodes(cond):
        if isinstance(cond, (np.ndarray, list, tuple)):
            if not _has_nodes(a) and not _has_nodes(b):
                return np.where(cond, a, b)
            c = np.asarray(cond, dtype=np.float64)
            if type(a) is NodeArray or type(b) is NodeArray:
                return _where_nodearray(c, a, b)
            return _elementwise3(where, c, a, b)
        if isinstance(cond, (bool, np.bool_)):
            return a if cond else b
        return a if as_float(cond) != 0.0 else b
    if type(cond) is NodeArray or type(a) is NodeArray or type(b) is NodeArray:
        return _where_nodearray(cond, a, b)
    if isinstance(cond, (np.ndarray, list, tuple)) or isinstance(a, (np.ndarray, list, tuple)) \
            or isinstance(b, (np.ndarray, list, tuple)):
        return _elementwise3(where, cond, a, b)
    return _SELECT[_SELECT_TRUE](cond, a) + _SELECT[_SELECT_FALSE](cond, b)


def _where_nodearray(cond, a, b):
    if as_node_array(cond) is None:  # numbers with NodeArray branches: constant conditions
        graph = next(x.graph for x in (a, b) if type(x) is NodeArray)
        cond = NodeArray(graph, _const_nodes(graph, np.asarray(cond, dtype=np.float64)))
    return (elementwise_binary(_SELECT_TRUE, cond, a)
            + elementwise_binary(_SELECT_FALSE, cond, b))


def _elementwise3(fn, *args):
    shape = np.broadcast_shapes(*(np.shape(x) for x in args))
    arrays = [np.broadcast_to(np.asarray(x, dtype=object), shape) for x in args]
    out = np.empty(shape, dtype=object)
    for idx in np.ndindex(shape):
        out[idx] = fn(*(x[idx] for x in arrays))
    return out


def custom_gradient(value, wrt, partials):
    """A node with the value of ``value`` and the derivative ``partials[i]`` in ``wrt[i]``.

    JAX's ``custom_jvp``, for numerically stable derivatives and straight-through
    estimators: recorded as ``stop_gradient(value) + sum_i link(wrt[i], partials[i])``, so
    the value is ``value``'s bit for bit and d/d wrt[i] is the value of the node
    ``partials[i]``, in every mode. Derivatives through ``value`` itself are cut.

    Second derivatives differentiate the partials: d^2 / d wrt[i] d u is d partials[i] / d u
    (the derivative of the node given as the first derivative, as JAX differentiates a
    custom_jvp rule). When ``partials`` are the true derivatives of ``value`` the Hessian is
    the true one; when they are not (straight-through), it need not be symmetric.

    Parameters
    ----------
    value : Node or number
    wrt : Node, or sequence / NodeArray of Nodes (usually variables or intermediates)
    partials : Node or number, or a sequence of them, one per node of ``wrt``

    Returns
    -------
    Node

    Raises
    ------
    TypeError
        ``wrt`` holding something else than nodes.
    ValueError
        A different number of partials than of ``wrt`` nodes; nodes of different graphs.

    Cost: 2 recorded nodes per ``wrt`` node, plus 1 (and a constant node per number partial).
    """
    if type(wrt) is Node:
        wrt, partials = [wrt], [partials]
    wrt = list(wrt.ravel()) if type(wrt) is NodeArray else list(wrt)
    partials = list(partials.ravel()) if type(partials) is NodeArray else \
        list(np.ravel(np.asarray(partials, dtype=object))) \
        if isinstance(partials, (list, tuple, np.ndarray)) else [partials]
    if len(wrt) != len(partials):
        raise ValueError(f"custom_gradient needs one partial per wrt node: {len(wrt)} wrt "
                         f"nodes, {len(partials)} partials")
    if not wrt:
        raise ValueError("custom_gradient needs at least one wrt node (else use "
                         "sg.stop_gradient)")
    bad = next((w for w in wrt if type(w) is not Node), None)
    if bad is not None:
        raise TypeError(f"custom_gradient: wrt must be nodes, got {type(bad).__name__}")
    out = stop_gradient(value)
    for w, p in zip(wrt, partials):
        out = out + _LINK(w, p)
    return out
