"""Derivatives as graphs (symbol-to-symbol, DL book 6.5.5): ``sg.grad``, ``sg.jvp_graph``, ``sg.hessian``.

The derivative of a graph is written into the same graph as ordinary nodes, so it compiles,
evaluates and can be differentiated again. The local partials come from the op table: each
op's partial expression strings (``ops.OPS[..].partials``) are evaluated with ``x``, ``y``,
``z`` bound to the parent nodes (or the op's constant) and the node itself, in a namespace
of the user functions of :mod:`scalargraph.functions`. Those accept nodes and numbers, so
a partial of constants folds to a number (CasADi's idea: the line the numeric kernel runs
builds the symbolic derivative).

Strong zero (CppAD's ``azmul``): a partial or an adjoint/tangent that folds to the number
0.0 creates no node and blocks its path; a product of two nodes is recorded as ``azmul``
(0 where either factor is 0, even against inf or NaN), so a zero that is only known at run
time (``relu'(x)`` at x <= 0, the untaken branch of ``sg.where``) blocks an inf partial
(``sqrt'(0)``) in the derivative graph, as a zero partial cuts its path in the numeric
sweeps. The sweeps' rule differs where infinities are reached (``kernels/reach.py``: NaN
there); the two agree wherever the partials are finite.

Nothing recurses: the graph record is walked backwards (or forwards) once, over the
ancestors of the differentiated nodes that descend from the ``wrt`` nodes (DL book
Algorithm 6.5's pruned graph G').
"""

import numpy as np

from . import ops, functions, conditionals as _conditionals
from .kernels import flatten as _flatten
from .arrays import NodeArray, as_node_array
from .graph import Node, _record_const, as_float, foreign_node_error

_NODE_ARITY = ops.ARITY_TABLE
_ARITY = [op.arity for op in ops.OPS]
_CONST_RIGHT = [op.kind == ops.CONST_RIGHT for op in ops.OPS]
_PARTIAL_CODE = [tuple(compile(p, f"<{op.name} partial {k}>", "eval")
                       for k, p in enumerate(op.partials)) for op in ops.OPS]

# The vocabulary of the rules, on nodes and numbers: the table's own user functions.
NAMESPACE = {name: getattr(functions, name) for name in functions.__all__}
NAMESPACE["abs"] = functions.abs
NAMESPACE["where"] = _conditionals.where
NAMESPACE["__builtins__"] = {}


def _is_zero(v):
    return type(v) is not Node and v == 0.0


def _partial(code, slot, graph, i, a, b, consts):
    """Local partial d node i / d parent in ``slot``, as a Node or a float (folded)."""
    env = {"x": Node(graph, a), "z": Node(graph, i)}
    if _ARITY[code] == 2:
        env["y"] = Node(graph, b)
    elif _CONST_RIGHT[code]:
        env["y"] = np.float64(consts[b])
    with np.errstate(all="ignore"):
        d = eval(_PARTIAL_CODE[code][slot], NAMESPACE, env)
    return d if type(d) is Node else float(d)


# ---- select ops (sg.where): the chain rule as a select, not a product -----------------------
# d select_true(c, a) / da is the 0/1 node ne(c, 0); multiplying it into the adjoint would
# give 0 * NaN = NaN where the untaken branch's derivative is NaN or inf. Selecting the
# adjoint instead is exact: the cut path of the sweeps, written as graph nodes.
_SELECTS = {ops.BY_NAME["select_true"].code, ops.BY_NAME["select_false"].code}
_azmul = functions.azmul


def _times(code, slot, d, s, graph, a):
    """The chain-rule term partial d times adjoint/tangent s of op ``code``'s operand ``slot``.

    Node times node is ``azmul``, the strong zero (0 * inf = 0): a zero that is only known
    at run time (an untaken branch's adjoint, relu'(x < 0)) blocks an inf or NaN partial
    (sqrt'(0), the untaken branch's own partials), as a zero partial cuts its path in the
    sweeps. A number factor (a partial that folded) is finite or a real inf/NaN: a plain
    product."""
    if slot == 1 and code in _SELECTS:
        return _conditionals.select(code, Node(graph, a), s)
    if type(d) is Node and type(s) is Node:
        return _azmul(d, s)
    return d * s


def _accumulate(table, key, term):
    """table[key] += term, where a missing entry is zero (sum where paths meet)."""
    old = table.get(key)
    table[key] = term if old is None else old + term


def _node_list(nodes, what, graph=None):
    """``nodes`` (Node, NodeArray, sequence or object array of Nodes) as (list of indices,
    graph, shape, kind) with kind 'node', 'nodearray' or 'array'."""
    if type(nodes) is Node:
        if graph is not None and nodes.graph is not graph:
            raise foreign_node_error(nodes)
        return _checked([nodes.index], nodes.graph, what), nodes.graph, (), "node"
    kind = "nodearray" if type(nodes) is NodeArray else "array"
    if kind == "array":
        obj = np.empty(len(nodes), dtype=object) if isinstance(nodes, (list, tuple)) \
            else np.asarray(nodes)
        if isinstance(nodes, (list, tuple)):
            obj[:] = nodes
        bad = next((e for e in obj.ravel() if type(e) is not Node), None)
        if bad is not None or (obj.dtype != object and obj.size):
            raise TypeError(f"{what} must be nodes (a Node, a NodeArray or a sequence of Nodes), "
                            f"got an element of type {type(bad).__name__}")
    arr = as_node_array(nodes, graph)
    if arr is None:  # an empty sequence
        return [], graph, np.shape(nodes), kind
    return _checked(arr.indices.ravel(), arr.graph, what), arr.graph, arr.shape, kind


def _checked(idx, graph, what):
    """Node indices as a list of ints, each in ``graph`` (an index set by hand would make
    the walk read outside the record, or a negative one wrap around)."""
    from .flatten import checked_indices  # (imported late: import order)
    return checked_indices(graph, np.asarray(idx), what).tolist()


def _pack(values, graph, shape, kind):
    """Float-or-Node results as the caller's kind: Node, NodeArray or object array."""
    idx = [v.index if type(v) is Node else _record_const(graph, v).index for v in values]
    if kind == "node":
        return Node(graph, idx[0])
    if kind == "nodearray":
        return NodeArray(graph, np.array(idx, dtype=np.int64).reshape(shape))
    out = np.empty(len(idx), dtype=object)
    for k, i in enumerate(idx):
        out[k] = Node(graph, i)
    return out.reshape(shape)


def _between(graph, tops, bottoms):
    """Record arrays (copies: new nodes are appended while they are read) and the sorted
    indices of the nodes that are ancestors of ``tops`` and descendants of ``bottoms``."""
    from .flatten import checked_indices, record_snapshot  # (imported late: import order)
    checked_indices(graph, np.asarray(list(tops) + list(bottoms), dtype=np.int64), "nodes")
    top = max(tops)
    op, arg0, arg1, consts = record_snapshot(graph, top + 1)  # checked copies
    live = _flatten.mark_live(op, arg0, arg1, _NODE_ARITY, np.asarray(tops, dtype=np.int64))
    start = min(bottoms)
    dep = np.zeros(top + 1, dtype=bool)
    dep[[i for i in bottoms if i <= top]] = True
    ar = _NODE_ARITY[op[start:]]
    a0, a1 = arg0[start:].tolist(), arg1[start:].tolist()
    candidates = np.flatnonzero(live[start:]).tolist()
    dep_list = dep.tolist()
    for j in candidates:
        k = ar[j]
        if k and not dep_list[start + j]:
            if dep_list[a0[j]] or (k == 2 and dep_list[a1[j]]):
                dep_list[start + j] = True
    keep = np.asarray(dep_list) & live.astype(bool)
    return op, arg0, arg1, consts, np.flatnonzero(keep).tolist()


def grad(y, wrt):
    """Nodes computing d y / d w for each node w of ``wrt``, recorded in y's graph.

    Reverse accumulation written as graph nodes (DL book Algorithms 6.5/6.6): the record
    is walked backwards from ``y`` once, each edge gets one adjoint node (its table
    partial times the child's adjoint), and adjoints are summed where paths meet.

    Parameters
    ----------
    y : Node or number
        The scalar to differentiate (a number has derivative 0 everywhere).
    wrt : Node, NodeArray, or sequence / object array of Nodes
        Usually variables; an intermediate node w gets the adjoint d y / d w of DL book
        Algorithm 6.2 (its total derivative through its descendants).

    Returns
    -------
    Node, NodeArray or object ndarray
        Same kind and shape as ``wrt`` (a Node for a Node, a NodeArray for a NodeArray,
        an object array otherwise). A derivative that folds to a number is a const node.

    Raises
    ------
    TypeError
        ``y`` neither a node nor a number, or ``wrt`` holding something else than nodes.
    ValueError
        Nodes of different graphs.

    Cost: one backward walk over the ancestors of y that descend from wrt, in Python;
    about one to three new nodes per edge (partial and product), plus one per node where
    paths meet.
    Kinks: as the table's partials (relu'(0) = 0, maximum's gradient goes to x only where
    x > y, abs'(0) = 0); zero partials that fold to 0.0 block their path.
    """
    if type(y) is not Node:
        if isinstance(y, (NodeArray, np.ndarray, list, tuple)):
            raise TypeError("grad needs one scalar node y; for a vector of outputs call grad "
                            "on each element (or compile them and use Tape.jacobian)")
        as_float(y)
        idx, graph, shape, kind = _node_list(wrt, "wrt")
        if graph is None:
            raise TypeError("grad of a number needs wrt nodes to record its zero derivatives")
        return _pack([0.0] * len(idx), graph, shape, kind)
    idx, graph, shape, kind = _node_list(wrt, "wrt", y.graph)
    if not idx:
        return _pack([], graph, shape, kind)
    y_index = _checked([y.index], graph, "y")[0]
    adjoints = _reverse(graph, {y_index: 1.0}, set(idx))
    return _pack([adjoints.get(i, 0.0) for i in idx], graph, shape, kind)


def _reverse(graph, seeds, targets):
    """Adjoints (Node or float) of the ``targets`` indices, from ``seeds`` {index: seed}."""
    relevant = [i for i in seeds if i >= min(targets)]
    if not relevant:
        return {}
    op, arg0, arg1, consts, order = _between(graph, relevant, targets)
    op, arg0, arg1 = op.tolist(), arg0.tolist(), arg1.tolist()
    order_set = set(order)
    adj = {i: s for i, s in seeds.items() if i in order_set}
    out = {}
    for i in reversed(order):
        s = adj.pop(i, None)
        if s is None:
            continue
        if i in targets:
            out[i] = s
        code = op[i]
        k = _ARITY[code]
        if k == 0 or _is_zero(s):
            continue
        a, b = arg0[i], arg1[i]
        for slot, parent in ((0, a), (1, b))[:k]:
            if parent not in order_set:
                continue  # no path from this parent down to wrt
            d = _partial(code, slot, graph, i, a, b, consts)
            if _is_zero(d):
                continue
            _accumulate(adj, parent, _times(code, slot, d, s, graph, a))
    return out


def jvp_graph(ys, wrt, directions):
    """Nodes computing the directional derivatives d ys / d wrt . directions (forward mode).

    Tangents are carried forwards through the record as graph nodes (Prince problem 7.13
    written symbolically): tangent(node) = sum over parents of table partial * tangent(parent).

    Parameters
    ----------
    ys : Node, NodeArray, or sequence / object array of Nodes
    wrt : Node, NodeArray, or sequence / object array of Nodes
        The nodes the direction is given for; each is treated as independent (its tangent is
        its direction, whatever its own parents do).
    directions : number, Node, or sequence of numbers / Nodes, one per node of ``wrt``
        Nodes are allowed, so that the result is a function of the direction too.

    Returns
    -------
    Node, NodeArray or object ndarray
        Same kind and shape as ``ys``.

    Cost: one forward walk over the ancestors of ys that descend from wrt, in Python;
    about one to three new nodes per edge.
    Kinks: as :func:`grad`.
    """
    y_idx, graph, shape, kind = _node_list(ys, "ys")
    w_idx, graph, _, _ = _node_list(wrt, "wrt", graph)
    dirs = directions if isinstance(directions, (list, tuple, NodeArray, np.ndarray)) \
        else [directions]
    dirs = list(dirs)
    if len(dirs) != len(w_idx):
        raise ValueError(f"expected one direction per node of wrt ({len(w_idx)}), "
                         f"got {len(dirs)}")
    tangents = {}
    for i, d in zip(w_idx, dirs):
        if type(d) is Node:
            if d.graph is not graph:
                raise foreign_node_error(d)
        else:
            d = as_float(d)
        _accumulate(tangents, i, d)
    if not y_idx or not w_idx:
        return _pack([0.0] * len(y_idx), graph, shape, kind)
    seeds = set(w_idx)
    if max(y_idx) >= min(w_idx):
        op, arg0, arg1, consts, order = _between(graph, [i for i in y_idx if i >= min(w_idx)],
                                                 seeds)
        op, arg0, arg1 = op.tolist(), arg0.tolist(), arg1.tolist()
        for i in order:
            if i in seeds:
                continue
            code = op[i]
            a, b = arg0[i], arg1[i]
            t = None
            for slot, parent in ((0, a), (1, b))[:_ARITY[code]]:
                u = tangents.get(parent)
                if u is None or _is_zero(u):
                    continue
                d = _partial(code, slot, graph, i, a, b, consts)
                if _is_zero(d):
                    continue
                term = _times(code, slot, d, u, graph, a)
                t = term if t is None else t + term
            if t is not None:
                tangents[i] = t
    return _pack([tangents.get(i, 0.0) for i in y_idx], graph, shape, kind)


def hessian(y, wrt):
    """Nodes computing the Hessian d^2 y / d w_i d w_j, by differentiating the gradient graph.

    Parameters
    ----------
    y : Node
    wrt : Node, NodeArray, or sequence / object array of Nodes (flattened to n nodes)

    Returns
    -------
    NodeArray of shape (n, n) when ``wrt`` is a NodeArray, else an object ndarray (n, n)
    of Nodes. Row i is ``grad(grad(y, wrt)[i], wrt)``; the two triangles are built
    separately, so their symmetry is a check, not an assumption.

    Cost: 1 + n backward walks (:func:`grad` on y, then on each gradient node).
    Kinks: as :func:`grad`; second partials of the kinked ops (relu, abs, maximum ...) are
    the derivatives of their step-function partials, i.e. 0.
    """
    idx, graph, _, kind = _node_list(wrt, "wrt", y.graph if type(y) is Node else None)
    n = len(idx)
    flat = NodeArray(graph, np.array(idx, dtype=np.int64)) if graph is not None else []
    g = grad(y, flat) if n else NodeArray(graph, np.zeros(0, dtype=np.int64))
    rows = np.empty((n, n), dtype=np.int64)
    for r in range(n):
        rows[r] = grad(g[r], flat).indices
    if kind == "nodearray":
        return NodeArray(graph, rows)
    out = np.empty((n, n), dtype=object)
    for r in range(n):
        for c in range(n):
            out[r, c] = Node(graph, int(rows[r, c]))
    return out
