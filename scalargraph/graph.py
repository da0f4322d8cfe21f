"""Recording: the append-only graph that the user's Python code writes, and the Node handle.

A :class:`Graph` is three growing typed arrays (``op`` uint8, ``arg0``/``arg1`` int32) and a
constant pool (float64), the CppAD / ADOL-C tape idea: every operation appends one record
while the user's code runs, so recording order is already a topological order and nothing
ever needs to recurse. A recorded node costs 9 bytes (plus 8 per constant it carries); no
Python object per node stays alive unless the user holds its :class:`Node`.

No numba here: recording is plain Python.
"""

import bisect
import math
import numbers
import threading
from array import array

import numpy as np

from . import ops, nodeinfo as _nodeinfo

_INPUT, _CONST = ops.INPUT, ops.CONST
_ADD, _ADD_CONST, _MUL, _MUL_CONST = ops.ADD, ops.ADD_CONST, ops.MUL, ops.MUL_CONST

# Types whose own reflected operators handle ``node <op> other`` (arrays of nodes);
# arrays.py appends NodeArray.
DEFER_TO = (np.ndarray,)
_local = threading.local()


class Graph:
    """An append-only record of scalar operations.

    Nodes are recorded into the *current* graph: each thread has a default graph, and
    ``with sg.Graph() as g:`` records into ``g`` instead until the block ends. Nodes of
    different graphs cannot be combined.

    Memory: 9 B per node (uint8 opcode, two int32 arguments) plus 8 B per constant, with
    the usual amortized growth slack of Python's ``array``.
    """

    __slots__ = ("op", "arg0", "arg1", "consts", "names", "broken", "__weakref__")

    def __init__(self):
        self.op = array("B")
        self.arg0 = array("i")
        self.arg1 = array("i")
        self.consts = array("d")
        self.names = Names()
        self.broken = False  # set when a record is found out of step (see race_error)

    def __len__(self):
        return len(self.op)

    def __enter__(self):
        _stack().append(self)
        return self

    def __exit__(self, *exc):
        _stack().pop()

    def __repr__(self):
        return f"<Graph of {len(self)} nodes at {id(self):#x}>"

    @property
    def nbytes(self):
        """Bytes held by the record (opcodes, arguments, constants), excluding slack."""
        return len(self.op) * 9 + len(self.consts) * 8

    def arrays(self):
        """Zero-copy NumPy views ``(op, arg0, arg1, consts)`` of the record so far."""
        return (np.frombuffer(self.op, dtype=np.uint8), np.frombuffer(self.arg0, dtype=np.int32),
                np.frombuffer(self.arg1, dtype=np.int32), np.frombuffer(self.consts, dtype=np.float64))


class Names(dict):
    """Variable names: a dict for single variables plus ranges for whole vectors of them.

    The ranges are kept sorted by their first node (``starts``), so a lookup is a binary
    search: O(log ranges), not a scan (16,000 ``sg.variables(1)`` calls made every lookup
    scan 16,000 ranges, and saving their tape took 14 s).
    """

    __slots__ = ("ranges", "starts")

    def __init__(self):
        super().__init__()
        self.ranges = []
        self.starts = []

    def set_range(self, start, count, prefix):
        """Name nodes start .. start+count-1 as prefix0, prefix1, ... without a dict entry each."""
        k = bisect.bisect_right(self.starts, start)  # the end, as records only grow
        self.starts.insert(k, start)
        self.ranges.insert(k, (start, count, prefix))

    def get(self, index, default=None):
        name = dict.get(self, index)
        if name is not None:
            return name
        k = bisect.bisect_right(self.starts, index) - 1
        if k >= 0:
            start, count, prefix = self.ranges[k]
            if index < start + count:
                return f"{prefix}{index - start}"
        return default


def _stack():
    stack = getattr(_local, "stack", None)
    if stack is None:
        stack = _local.stack = [Graph()]
    return stack


def current_graph():
    """The graph new nodes are recorded into (this thread's default, or the innermost ``with``)."""
    return _stack()[-1]


def reset_default_graph():
    """Start a fresh default graph for this thread, freeing the old record.

    Nodes of the old graph stay usable (they keep their graph alive) but cannot be mixed
    with nodes created afterwards.
    """
    _stack()[0] = Graph()


def race_error(graph):
    """Mark ``graph`` as unusable and return the error that says why."""
    graph.broken = True
    return RuntimeError(
        "this graph's record is out of step: two threads recorded into it at the same time, "
        "or a record was interrupted halfway (KeyboardInterrupt, MemoryError). Its nodes can "
        "no longer be trusted, and it will not compile: start a new graph "
        "(sg.reset_default_graph(), or `with sg.Graph():`) and record each graph from one "
        "thread at a time (every thread has its own default graph)")


def check_intact(graph):
    """Raise if a record of ``graph`` was found out of step (see :func:`race_error`)."""
    if graph.broken:
        raise race_error(graph)


# Every record checks, after its appends, that the first and the last array it appended to
# both grew by exactly its own entries. If two threads interleave, at least one of them sees
# a wrong length, raises, and marks the graph broken, so that compile refuses it even where
# the other thread's nodes came out mixed up. A lock would cost more than the record itself.
def _record(graph, code, a, b):
    i = len(graph.op)
    graph.op.append(code)
    graph.arg0.append(a)
    graph.arg1.append(b)
    if len(graph.op) != i + 1 or len(graph.arg1) != i + 1:
        raise race_error(graph)
    return _node(graph, i)


def _node(graph, index):
    """A Node handle for an index known to be in the graph (no checks: the recorder's path)."""
    node = object.__new__(Node)
    node.graph = graph
    node.index = index
    return node


def _pool(graph, value):
    """Append a constant to the pool; its index."""
    k = len(graph.consts)
    graph.consts.append(value)
    if len(graph.consts) != k + 1:
        raise race_error(graph)
    return k


def _record_const(graph, value):
    return _record(graph, _CONST, _pool(graph, value), -1)


def as_float(value):
    """A user-supplied constant as a Python float, or a TypeError that says what was wrong."""
    if type(value) is float:
        return value
    if isinstance(value, (bool, np.bool_)):
        raise TypeError(f"expected a real number, got a bool ({value!r}); use 1.0 or 0.0")
    if isinstance(value, (numbers.Real, np.integer, np.floating)):
        return float(value)
    if isinstance(value, np.ndarray) and value.ndim == 0 and value.dtype.kind in "iuf":
        return float(value)
    if isinstance(value, (complex, np.complexfloating)):
        raise TypeError(f"expected a real number, got the complex number {value!r}: "
                        "scalargraph works in float64 reals")
    raise TypeError(f"expected a node or a real number, got {type(value).__name__} ({value!r:.60})")


def as_count(value, what):
    """A non-negative int argument (a count, not a bool or a float), or a clear error."""
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, (int, np.integer)):
        raise TypeError(f"{what} must be an int, got {type(value).__name__} ({value!r:.40})")
    if value < 0:
        raise ValueError(f"{what} must be >= 0, got {value}")
    return int(value)


def foreign_node_error(node):
    return ValueError(f"{node!r} belongs to another graph; nodes of different graphs cannot be "
                      "combined (build all of them inside one `with sg.Graph():` block, or none)")


class Node:
    """Handle to one recorded scalar: its graph and its index in the graph's record.

    Combine nodes with ``+ - * / **``, unary ``-``, ``abs()`` and the functions of
    :mod:`scalargraph` (``sg.exp``, ``sg.maximum`` ...); NumPy object arrays of nodes work with
    ``@``, ``np.dot``, ``sum`` and ``np.exp`` / ``np.sin`` / ``np.tanh`` ... A node has no truth
    value and no order: branch with ``sg.maximum`` / ``sg.relu``, not ``if``.

    Cost: building a node appends 9 bytes to the graph; the handle itself is 48 bytes and is
    freed when the user drops it.
    """

    __slots__ = ("graph", "index")

    def __init__(self, graph, index):
        # Public construction checks what it is given: the kernels trust every index of a
        # compiled tape, and a node index is where they all come from. The recorder itself
        # makes nodes through _node, which skips the checks (about 100 ns a node).
        if not isinstance(graph, Graph):
            raise TypeError(f"graph must be a Graph, got {type(graph).__name__}")
        if isinstance(index, (bool, np.bool_)) or not isinstance(index, (int, np.integer)):
            raise TypeError(f"a node index must be an int, got {type(index).__name__}")
        if not 0 <= index < len(graph):
            raise IndexError(f"node index {index} is not in the graph (it has {len(graph)} "
                             "nodes, 0 .. n - 1; negative indices do not count from the end)")
        self.graph = graph
        self.index = int(index)

    @property
    def op(self):
        """Name of the operation that made this node ('input', 'const', 'sin', ...)."""
        return ops.BY_CODE[self.graph.op[self.index]].name

    @property
    def name(self):
        """The variable's name, for a node made by ``sg.var``; None otherwise."""
        return self.graph.names.get(self.index)

    # ---- readable nodes and identity (logic in nodeinfo.py) ----
    def __repr__(self):
        return _nodeinfo.node_repr(self)

    def __format__(self, spec):
        return _nodeinfo.node_format(self, spec)

    def expr(self, max_length=2000):
        """The expression of this node as text (small graphs): see ``nodeinfo.expr``."""
        return _nodeinfo.expr(self, max_length)

    def __eq__(self, other):
        # Identity of handles (an Identity: a truth value that refuses arithmetic), so nodes
        # work in sets, dicts and `in`. Against a number the question is about a value the
        # node does not have yet: refuse rather than say False.
        if type(other) is Node:
            return _nodeinfo.Identity(other.graph is self.graph and other.index == self.index)
        if isinstance(other, (int, float, np.integer, np.floating)):
            raise TypeError("`node == number` has no answer while building the graph: the node "
                            "has no value yet. Compare values after evaluating the tape, or "
                            "build a 0/1 node with sg.eq(node, number) (and sg.where to branch)")
        return NotImplemented

    def __ne__(self, other):
        result = self.__eq__(other)
        return result if result is NotImplemented else _nodeinfo.Identity(not result)

    def __hash__(self):
        return hash((id(self.graph), self.index))

    def __bool__(self):
        raise TypeError("a scalargraph node has no truth value: it stands for every value the "
                        "graph may take. Instead of `if`, use sg.where(sg.gt(x, y), a, b) "
                        "(or sg.maximum / sg.minimum / sg.relu). np.where, np.max, np.min, "
                        "np.clip and np.sign on an object array of nodes ask for one too: "
                        "use sg.where / sg.max / sg.min / sg.clip / sg.sign, or a NodeArray")

    def _no_order(self, other):
        raise TypeError("scalargraph nodes cannot be compared with < <= > >=: a comparison "
                        "would need a truth value. Use sg.lt / sg.le / sg.gt / sg.ge for a 0/1 "
                        "node and sg.where(cond, a, b) to branch (or sg.maximum / sg.minimum). "
                        "np.max, np.min, np.clip and np.sign on an object array of nodes "
                        "compare elements: use sg.max / sg.min / sg.clip / sg.sign, or a "
                        "NodeArray (sg.variables), whose np.max etc. work")

    __lt__ = __le__ = __gt__ = __ge__ = _no_order

    def __float__(self):
        raise TypeError("a scalargraph node has no value until it is evaluated: compile it "
                        "with sg.compile(inputs, outputs) and call the tape")

    # Arithmetic. Each method records one node; constant operands use the op variants that
    # keep the constant in the pool (CppAD's AddpvOp), so constants never get adjoints.
    def _binary(self, other, code, const_code, reflected=False):
        if type(other) is Node:
            if other.graph is not self.graph:
                raise foreign_node_error(other)
            a, b = (other.index, self.index) if reflected else (self.index, other.index)
            return _record(self.graph, code, a, b)
        if isinstance(other, DEFER_TO):
            return NotImplemented  # arrays of nodes apply the operation elementwise
        c = as_float(other)
        return const_code(self, c)

    def __sub__(self, other):
        return self._binary(other, ops.SUB, lambda x, c: _add_const(x, -c))

    def __rsub__(self, other):
        return self._binary(other, ops.SUB, _rsub_const, reflected=True)

    def __truediv__(self, other):
        return self._binary(other, ops.DIV, _div_const)

    def __rtruediv__(self, other):
        return self._binary(other, ops.DIV, _rdiv_const, reflected=True)

    def __pow__(self, other):
        return self._binary(other, ops.POW, _pow_const)

    def __rpow__(self, other):
        return self._binary(other, ops.POW, _rpow_const, reflected=True)

    def __neg__(self):
        return _record(self.graph, ops.NEG, self.index, -1)

    def __pos__(self):
        return self

    def __abs__(self):
        return _record(self.graph, ops.ABS, self.index, -1)


# Constant-operand rules. Only identities exact for every x, signed zeros included, are
# folded: x + (-0.0), x - 0.0, x * 1, x * -1 (a neg), x / 1, x ** 1, x ** 0 (1 even for
# NaN) and (-0.0) - x (a neg). x + 0.0 is not x at x = -0.0 (it is +0.0), nor is 0.0 - x
# the neg of x at x = 0: those are recorded.
def _with_const(x, code, c):
    g = x.graph
    return _record(g, code, x.index, _pool(g, c))


def _is_negative_zero(c):
    return c == 0.0 and math.copysign(1.0, c) < 0.0


def _add_const(x, c):
    return x if _is_negative_zero(c) else _with_const(x, ops.ADD_CONST, c)


def _rsub_const(x, c):
    if _is_negative_zero(c):
        return _record(x.graph, ops.NEG, x.index, -1)
    return _with_const(x, ops.RSUB_CONST, c)


def _mul_const(x, c):
    if c == 1.0:
        return x
    if c == -1.0:
        return _record(x.graph, ops.NEG, x.index, -1)
    return _with_const(x, ops.MUL_CONST, c)


def _div_const(x, c):
    return x if c == 1.0 else _with_const(x, ops.DIV_CONST, c)


def _rdiv_const(x, c):
    return _with_const(x, ops.RDIV_CONST, c)


def _pow_const(x, c):
    if c == 0.0:
        return _record_const(x.graph, 1.0)  # IEEE: pow(x, 0) = 1 for every x, even NaN
    if c == 1.0:
        return x
    if c == 2.0:
        return _record(x.graph, ops.SQUARE, x.index, -1)
    return _with_const(x, ops.POW_CONST, c)


def _rpow_const(x, c):
    return _with_const(x, ops.RPOW_CONST, c)


def _written_out(code, const_code, keep_1, keep_2, slow_rule):
    """``node <op> other`` with its two common cases written out, node with node and node
    with a float: recording speed is the interpreter's, and each call saved is ~50 ns a node
    (bench_scale.Build). Floats equal to keep_1 or keep_2 take the slow rule, which folds
    them (x + 0 is x; x * 1 is x, x * -1 a neg)."""

    def method(self, other):
        g = self.graph
        if type(other) is float and other != keep_1 and other != keep_2:
            k = len(g.consts)
            g.consts.append(other)
            i = len(g.op)
            g.op.append(const_code)
            g.arg0.append(self.index)
            g.arg1.append(k)
            if len(g.op) != i + 1 or len(g.arg1) != i + 1 or len(g.consts) != k + 1:
                raise race_error(g)
            return _node(g, i)
        if type(other) is Node and other.graph is g:
            i = len(g.op)
            g.op.append(code)
            g.arg0.append(self.index)
            g.arg1.append(other.index)
            if len(g.op) != i + 1 or len(g.arg1) != i + 1:
                raise race_error(g)
            return _node(g, i)
        return self._binary(other, code, slow_rule)

    return method


Node.__add__ = Node.__radd__ = _written_out(_ADD, _ADD_CONST, 0.0, 0.0, _add_const)
Node.__mul__ = Node.__rmul__ = _written_out(_MUL, _MUL_CONST, 1.0, -1.0, _mul_const)


def var(name=None):
    """A new input variable in the current graph.

    Parameters
    ----------
    name : str, optional
        Shown in reprs, drawings and error messages.

    Cost: one 9-byte record.
    """
    if name is not None and not isinstance(name, str):
        raise TypeError(f"a variable's name must be a str, got {type(name).__name__}")
    g = current_graph()
    node = _record(g, _INPUT, -1, -1)
    if name is not None:
        g.names[node.index] = name
    return node


def const(value, graph=None):
    """A constant node in the current graph, or in ``graph`` (numbers combined with nodes
    by ``+ - * / **`` need no ``const``).

    Raises TypeError for anything that is not a real number.
    Cost: one recorded node (9 B) and one pool entry (8 B).
    """
    return _record_const(graph if graph is not None else current_graph(), as_float(value))
