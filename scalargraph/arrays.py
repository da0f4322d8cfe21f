"""Vectorized recording: arrays of nodes held as index arrays, built many nodes per call.

A :class:`NodeArray` is a graph and an int64 array of node indices, of any shape. Every
operation on it appends all its nodes to the graph in one NumPy step: no Python object and
no Python-level loop per node, so a 50-layer, 100-unit network (10^6 nodes) records in a
fraction of a second. Indexing gives a plain :class:`~scalargraph.Node` (or a smaller
NodeArray), so the two styles mix freely.

NumPy ufuncs (``np.exp``, ``np.tanh``, ``np.maximum``, ``@`` ...) on a NodeArray dispatch here;
``sg.exp(na)`` and the other table functions do too.
"""

import numpy as np

from . import graph as _graph_module, ops
from .graph import Node, Graph, as_count, as_float, current_graph, foreign_node_error, race_error
from ._npoptions import reduction_options

_FLOAT_KINDS = "iuf"


def _append(graph, code, a, b):
    """Append one node per element of ``a`` (and ``b``); return their indices (shape of ``a``)."""
    a = np.asarray(a, dtype=np.int64)
    b = np.broadcast_to(np.asarray(b, dtype=np.int64), a.shape)
    start = len(graph.op)
    size = a.size
    graph.op.frombytes(np.full(size, code, dtype=np.uint8).tobytes())
    graph.arg0.frombytes(a.astype(np.int32).tobytes())
    graph.arg1.frombytes(np.ascontiguousarray(b, dtype=np.int32).tobytes())
    if len(graph.op) != start + size or len(graph.arg1) != start + size:
        raise race_error(graph)
    return np.arange(start, start + size, dtype=np.int64).reshape(a.shape)


def _append_consts(graph, values):
    """Append constants to the pool; return their pool indices (shape of ``values``)."""
    values = np.ascontiguousarray(values, dtype=np.float64)
    start = len(graph.consts)
    graph.consts.frombytes(values.tobytes())
    if len(graph.consts) != start + values.size:
        raise race_error(graph)
    return np.arange(start, start + values.size, dtype=np.int64).reshape(values.shape)


def _real_array(a):
    a = np.asarray(a)
    if a.dtype.kind not in _FLOAT_KINDS:
        raise TypeError(f"expected real numbers or nodes, got an array of dtype {a.dtype}")
    return a.astype(np.float64)


def as_node_array(x, graph=None):
    """``x`` (NodeArray, Node, or sequence / object array of Nodes) as a NodeArray.

    Returns None when ``x`` holds no node at all (plain numbers).
    """
    if type(x) is NodeArray:
        if graph is not None and x.graph is not graph:
            raise ValueError("these nodes belong to another graph; nodes of different graphs "
                             "cannot be combined")
        return x
    if type(x) is Node:
        if graph is not None and x.graph is not graph:
            raise foreign_node_error(x)
        return NodeArray(x.graph, np.array(x.index, dtype=np.int64))
    obj = np.asarray(x, dtype=object) if not isinstance(x, np.ndarray) else x
    if obj.dtype != object:
        return None
    flat = obj.ravel()
    idx = np.empty(flat.size, dtype=np.int64)
    numbers, values = [], []
    for k, e in enumerate(flat):
        if type(e) is Node:
            if graph is None:
                graph = e.graph
            elif e.graph is not graph:
                raise foreign_node_error(e)
            idx[k] = e.index
        elif isinstance(e, NodeArray):
            raise TypeError("nested NodeArrays are not supported; concatenate their indices")
        else:
            numbers.append(k)
            values.append(as_float(e))  # checked before anything is recorded
    if graph is None:
        return None  # no node at all: plain numbers (or empty)
    if numbers:
        idx[numbers] = _append(graph, ops.CONST, _append_consts(graph, values), -1)
    return NodeArray(graph, idx.reshape(obj.shape))


class NodeArray:
    """An array of nodes of one graph: ``graph`` and ``indices`` (int64 array of any shape).

    Supports ``+ - * / **``, unary ``-``, ``abs``, ``@`` with float arrays or NodeArrays,
    NumPy ufuncs of the op table, indexing, ``reshape``, ``.T``, iteration, ``len``. Each
    elementwise operation appends one node per element in one vectorized step.

    Memory: 8 B per element for the index array, on top of the 9 B per recorded node.
    """

    __slots__ = ("graph", "indices")

    def __init__(self, graph, indices):
        if not isinstance(graph, Graph):
            raise TypeError(f"graph must be a Graph, got {type(graph).__name__}")
        a = np.asarray(indices)
        if a.dtype.kind not in "iu" and not (a.size == 0 and a.dtype.kind == "f"):
            raise TypeError(f"node indices must be integers, got an array of dtype {a.dtype}")
        # Every index must name a recorded node: the kernels trust the indices of a tape,
        # and -1 is no "last node" here (nor is 2**32 + 1 node 1).
        if a.size and (a.min() < 0 or a.max() >= len(graph)):
            bad = a.min() if a.min() < 0 else a.max()
            raise IndexError(f"node index {bad} is not in the graph (it has {len(graph)} "
                             "nodes, 0 .. n - 1; negative indices do not count from the end)")
        self.graph = graph
        self.indices = a.astype(np.int64, copy=False)

    # ---- array protocol ---------------------------------------------------------------------
    shape = property(lambda self: self.indices.shape)
    ndim = property(lambda self: self.indices.ndim)
    size = property(lambda self: self.indices.size)

    def __len__(self):
        return len(self.indices)

    def __repr__(self):
        return f"<NodeArray shape={self.shape} in {self.graph!r}>"

    def __getitem__(self, key):
        sub = self.indices[key]
        if np.ndim(sub) == 0:
            return Node(self.graph, int(sub))
        return NodeArray(self.graph, sub)

    def __iter__(self):
        for k in range(len(self.indices)):
            yield self[k]

    def reshape(self, *shape):
        return NodeArray(self.graph, self.indices.reshape(*shape))

    def ravel(self):
        return NodeArray(self.graph, self.indices.ravel())

    @property
    def T(self):
        return NodeArray(self.graph, self.indices.T)

    def sum(self, axis=None, dtype=None, out=None, **kwargs):
        """Sum of the nodes (``np.sum`` calls this): see :func:`scalargraph.sum`.

        Cost: size - 1 add nodes, recorded in one vectorized step.
        """
        if out is not None:
            raise TypeError("sum of nodes cannot write into an out= array")
        reduction_options("sum", dtype, kwargs)
        return reduce_sum(self, axis)

    def nodes(self):
        """The elements as a NumPy object array of Nodes (one Python object each)."""
        out = np.empty(self.shape, dtype=object)
        flat = out.reshape(-1)
        g = self.graph
        for k, i in enumerate(self.indices.ravel().tolist()):
            flat[k] = Node(g, i)
        return out

    def __bool__(self):
        raise TypeError("a NodeArray has no truth value; use sg.maximum / sg.relu instead of if")

    # ---- elementwise ------------------------------------------------------------------------
    def _unary(self, code):
        return NodeArray(self.graph, _append(self.graph, code, self.indices, -1))

    def _binary(self, other, code, const_code, reflected=False):
        g = self.graph
        other_nodes = as_node_array(other, g) if not _is_number(other) else None
        if other_nodes is not None:
            a, b = np.broadcast_arrays(self.indices, other_nodes.indices)
            if reflected:
                a, b = b, a
            return NodeArray(g, _append(g, code, a, b))
        c = np.asarray(as_float(other) if _is_number(other) else _real_array(other))
        shape = np.broadcast_shapes(self.shape, c.shape)
        a = np.broadcast_to(self.indices, shape)
        pool = _append_consts(g, c.reshape(-1) if c.ndim else c.reshape(1))
        pool = np.broadcast_to(pool.reshape(c.shape) if c.ndim else pool[0], shape)
        return NodeArray(g, _append(g, const_code, a, pool))

    def __add__(self, other):
        return self._binary(other, ops.ADD, ops.ADD_CONST)

    __radd__ = __add__

    def __sub__(self, other):
        if _is_number(other) or as_node_array(other, self.graph) is None:
            return self._binary(-_as_numbers(other), ops.ADD, ops.ADD_CONST)
        return self._binary(other, ops.SUB, None)

    def __rsub__(self, other):
        return self._binary(other, ops.SUB, ops.RSUB_CONST, reflected=True)

    def __mul__(self, other):
        return self._binary(other, ops.MUL, ops.MUL_CONST)

    __rmul__ = __mul__

    def __truediv__(self, other):
        return self._binary(other, ops.DIV, ops.DIV_CONST)

    def __rtruediv__(self, other):
        return self._binary(other, ops.DIV, ops.RDIV_CONST, reflected=True)

    def __pow__(self, other):
        if _is_number(other) and as_float(other) == 2.0:
            return self._unary(ops.SQUARE)
        return self._binary(other, ops.POW, ops.POW_CONST)

    def __rpow__(self, other):
        return self._binary(other, ops.POW, ops.RPOW_CONST, reflected=True)

    def __neg__(self):
        return self._unary(ops.NEG)

    def __pos__(self):
        return self

    def __abs__(self):
        return self._unary(ops.ABS)

    def __matmul__(self, other):
        return matmul(self, other)

    def __rmatmul__(self, other):
        return matmul(other, self)

    def __array_ufunc__(self, ufunc, method, *inputs, **kwargs):
        from .functions import _UFUNCS
        if ufunc is np.matmul and method == "__call__" and not kwargs:
            return matmul(*inputs)
        rule = _UFUNCS.get(ufunc)
        if method != "__call__" or rule is None or kwargs:
            return NotImplemented
        return rule(*inputs)


def _is_number(x):
    return isinstance(x, (int, float, np.integer, np.floating)) and not isinstance(x, bool)


def _as_numbers(x):
    return as_float(x) if _is_number(x) else _real_array(x)


def _const_nodes(graph, values):
    """Indices of new CONST nodes holding ``values`` (any shape)."""
    return _append(graph, ops.CONST, _append_consts(graph, values), -1)


def elementwise_binary(code, x, y):
    """Op ``code`` (a binary op of the table) applied elementwise, numbers becoming constants."""
    nx, ny = as_node_array(x), as_node_array(y)
    graph = (nx if nx is not None else ny).graph
    if nx is not None and ny is not None and nx.graph is not ny.graph:
        raise ValueError("these nodes belong to another graph; nodes of different graphs "
                         "cannot be combined")
    a = nx.indices if nx is not None else _const_nodes(graph, _as_numbers(x))
    b = ny.indices if ny is not None else _const_nodes(graph, _as_numbers(y))
    a, b = np.broadcast_arrays(a, b)
    return NodeArray(graph, _append(graph, code, a, b))


def elementwise_const_right(code, x, c):
    """Const-right op ``code`` (e.g. leaky_relu) applied to every node of ``x``."""
    pool = _append_consts(x.graph, np.broadcast_to(_as_numbers(c), x.shape))
    return NodeArray(x.graph, _append(x.graph, code, x.indices, pool))


def _chain_add(graph, terms):
    """Left-to-right sums of ``terms`` (m, ...) along axis 0, recorded in one step.

    Sum k (k = 1 .. m-1) of column c is node ``base + (k - 1) R + c`` (R columns), adding
    sum k - 1 (or term 0) and term k, so the whole chain is two index arithmetics.
    Returns the indices of the final sums, shape ``terms.shape[1:]``.
    """
    m = terms.shape[0]
    if m == 1:
        return terms[0]
    rest = terms.shape[1:]
    flat = terms.reshape(m, -1)
    R = flat.shape[1]
    base = len(graph.op)
    previous = base + np.arange((m - 2) * R, dtype=np.int64).reshape(m - 2, R)
    first = np.concatenate([flat[:1], previous], axis=0)
    sums = _append(graph, ops.ADD, first, flat[1:])
    if sums[0, 0] != base:  # another thread recorded between reading base and appending
        raise race_error(graph)
    return sums[-1].reshape(rest)


def reduce_sum(x, axis=None):
    """Sum of nodes along ``axis`` (all of them when None), added left to right like ``sum()``.

    Returns a Node for a full reduction, a NodeArray otherwise. Cost: size - 1 add nodes,
    recorded in one vectorized step.
    """
    na = as_node_array(x)
    if na is None:
        return np.sum(_real_array(x), axis=axis)
    idx = na.indices.ravel() if axis is None else np.moveaxis(na.indices, axis, 0)
    if idx.shape[0] == 0:
        raise ValueError("sum of an empty array of nodes: there is no graph to put 0 in; "
                         "use sg.const(0.0)")
    acc = _chain_add(na.graph, idx)
    if np.ndim(acc) == 0:
        return Node(na.graph, int(acc))
    return NodeArray(na.graph, acc)


def matmul(a, b):
    """``a @ b`` where either side holds nodes (the other may be a float array).

    Each output element is a left-to-right sum of products, as NumPy's object ``@`` does.
    Cost: (k m p) multiply nodes + (k (m - 1) p) add nodes for (k, m) @ (m, p).
    """
    na, nb = as_node_array(a), as_node_array(b)
    if na is None and nb is None:
        return np.matmul(a, b)
    graph = (na if na is not None else nb).graph
    if na is not None and nb is not None and na.graph is not nb.graph:
        raise ValueError("these nodes belong to another graph; nodes of different graphs "
                         "cannot be combined")
    A = na if na is not None else _real_array(a)
    B = nb if nb is not None else _real_array(b)
    a_vec, b_vec = np.ndim(A.indices if na is not None else A) == 1, \
        np.ndim(B.indices if nb is not None else B) == 1
    A2 = _expand(A, 0) if a_vec else A
    B2 = _expand(B, 1) if b_vec else B
    if len(A2.shape) != 2 or len(B2.shape) != 2:
        raise ValueError(f"matmul of nodes takes 1-d or 2-d arrays, got shapes {A.shape} and "
                         f"{B.shape}; loop over the leading axes for a stack of matrices")
    (k, m), (m2, p) = A2.shape, B2.shape
    if m != m2:
        raise ValueError(f"matmul: shapes {A.shape} and {B.shape} do not align ({m} != {m2})")
    if m == 0:
        raise ValueError("matmul over an empty dimension has no nodes to add")
    # products[l, i, j] = A[i, l] * B[l, j], all recorded at once, then summed over l.
    left = _transpose_to(A2, (1, 0))[:, :, None]     # (m, k, 1)
    right = B2 if not isinstance(B2, NodeArray) else B2
    right = _expand(right, 1)                        # (m, 1, p)
    products = _times(left, right, graph)            # (m, k, p)
    out = NodeArray(graph, _chain_add(graph, products).reshape(k, p))
    if a_vec and b_vec:
        return out[0, 0]
    if a_vec:
        return out.reshape(p)
    if b_vec:
        return out.reshape(k)
    return out


def _transpose_to(x, axes):
    if isinstance(x, NodeArray):
        return NodeArray(x.graph, np.transpose(x.indices, axes))
    return np.transpose(x, axes)


def _expand(x, axis):
    if isinstance(x, NodeArray):
        return NodeArray(x.graph, np.expand_dims(x.indices, axis))
    return np.expand_dims(x, axis)


def _times(left, right, graph):
    """Indices of left * right (broadcast), with constants kept in the pool."""
    if isinstance(left, NodeArray) and isinstance(right, NodeArray):
        a, b = np.broadcast_arrays(left.indices, right.indices)
        return _append(graph, ops.MUL, a, b)
    nodes, consts = (left, right) if isinstance(left, NodeArray) else (right, left)
    shape = np.broadcast_shapes(nodes.shape, consts.shape)
    pool = _append_consts(graph, np.broadcast_to(consts, shape))
    return _append(graph, ops.MUL_CONST, np.broadcast_to(nodes.indices, shape), pool)


def dot(a, b):
    """Inner product of two 1-d arrays, at least one holding nodes: a Node.

    Cost: n multiply + (n - 1) add nodes, recorded in two vectorized steps.
    """
    if np.ndim(getattr(a, "indices", a)) != 1 or np.ndim(getattr(b, "indices", b)) != 1:
        raise ValueError("sg.dot takes two 1-d arrays; use sg.dense or @ for matrices")
    return matmul(a, b)


def dense(W, h, b=None):
    """A dense layer ``W @ h + b``, recorded in vectorized steps.

    Parameters
    ----------
    W : (k, m) float array or NodeArray
    h : (m,) NodeArray, sequence of Nodes, or float array (when W holds nodes)
    b : (k,) float array or NodeArray, optional

    Returns
    -------
    NodeArray of shape (k,). Cost: k m multiplies + k (m - 1) adds (+ k adds for b) nodes.
    """
    out = matmul(W, h)
    if not isinstance(out, NodeArray):
        raise ValueError("dense: W @ h must give a 1-d array of nodes")
    return out if b is None else out + b


def variables(n, prefix="x"):
    """``n`` new input variables named ``prefix0 ... prefix{n-1}``, as a NodeArray.

    ``n`` may be a shape tuple, ``sg.variables((m, k))``: m k variables (named in C order,
    ``prefix0 ... prefix{mk-1}``) as an (m, k) NodeArray.

    Cost: 9 B per variable recorded in one step; names are stored as one range, not per node.
    """
    if isinstance(n, (tuple, list)):
        shape = tuple(as_count(k, "each entry of the shape") for k in n)
        return variables(int(np.prod(shape, dtype=np.int64)), prefix).reshape(shape)
    n = as_count(n, "n")
    if not isinstance(prefix, str):
        raise TypeError(f"prefix must be a str, got {type(prefix).__name__}")
    g = current_graph()
    idx = _append(g, ops.INPUT, np.full(n, -1), -1)
    if n:
        g.names.set_range(int(idx[0]), n, prefix)
    return NodeArray(g, idx)


_graph_module.DEFER_TO = (np.ndarray, NodeArray)
