"""``sg.compile`` and ``sg.trace``: from recorded nodes to a flat :class:`~scalargraph.Tape`."""

from collections.abc import Sequence

import numpy as np

from . import ops, order as _order, validate
from . import kernels as _kernels
from .kernels import flatten as _flatten
from .arrays import NodeArray
from .graph import Graph, Node, as_count, as_float, check_intact, const, foreign_node_error, var
from .optimize import optimize
from .tape import Tape

_NODE_ARITY = ops.ARITY_TABLE
_CONST_SLOT = ops.CONST_SLOT_TABLE
# A plain int, not the Opcode member: Numba types an IntEnum argument by typing every member of
# its class on each call (72 of them): 77 of the 147 us that sg.compile took on the Domke
# graph (asv bench_build.CompileSmall).
_INPUT_OP = int(ops.INPUT)


def _items(nodes):
    """A compile argument as a list of Nodes, NodeArrays and numbers."""
    if type(nodes) in (Node, NodeArray):
        return [nodes]
    if isinstance(nodes, np.ndarray):
        return nodes.ravel().tolist()
    if isinstance(nodes, (str, bytes)) or not hasattr(nodes, "__iter__"):
        return [nodes]
    return list(nodes)


def _find_graph(*lists):
    for items in lists:
        for item in items:
            if type(item) in (Node, NodeArray):
                return item.graph
    return Graph()


def _gather(items, graph, what, numbers_ok):
    """Record indices (int64) of the items, making constant nodes of numbers if allowed."""
    parts = []
    for p, item in enumerate(items):
        if type(item) is Node or type(item) is NodeArray:
            if item.graph is not graph:
                raise foreign_node_error(item) if type(item) is Node else ValueError(
                    f"{what}[{p}] belongs to another graph than the other nodes")
            parts.append(np.ravel(item.index if type(item) is Node else item.indices))
        elif numbers_ok:
            try:
                value = as_float(item)
            except TypeError as err:
                raise TypeError(f"{what}[{p}]: {err}") from None
            parts.append(np.ravel(const(value, graph=graph).index))
        else:
            raise TypeError(f"{what}[{p}] must be a variable node made by sg.var, "
                            f"got {type(item).__name__}")
    if not parts:
        return np.empty(0, dtype=np.int64)
    return checked_indices(graph, np.concatenate(parts), what)


def checked_indices(graph, idx, what):
    """``idx`` (the indices that nodes carry) as int64, each naming a node of ``graph``.

    A Node's or NodeArray's index is a plain attribute: one set by hand (or unpickled from
    altered data) must not reach the compile kernels, which index without bounds checks
    (a negative index would silently wrap around). Cost: O(len(idx)).
    """
    if idx.dtype.kind not in "iu":
        raise TypeError(f"{what}: node indices must be integers, got {idx.dtype} (a Node's "
                        "or NodeArray's index was changed by hand: make nodes by recording)")
    if idx.size and (idx.min() < 0 or idx.max() >= len(graph)):
        bad = idx[(idx < 0) | (idx >= len(graph))][0]
        raise IndexError(f"{what}: node index {bad} is not in the graph ({len(graph)} nodes; "
                         "a Node's or NodeArray's index was changed by hand: make nodes by "
                         "recording, or with sg.Node(graph, i))")
    return idx.astype(np.int64)


def compile(inputs, outputs, *, data=None, cse=False, fold=False, order="auto"):  # noqa: A001  (sg.compile)
    """Flatten the graph between ``inputs`` and ``outputs`` into a :class:`Tape`.

    Only the ancestors of the outputs are kept (dead code removed). The tape numbers the
    inputs 0 .. n-1 in the order given, then every other kept node in recording order,
    which is topological.

    Parameters
    ----------
    inputs : sequence of Node
        Variables made by ``sg.var``, each at most once. An input that no output depends
        on is kept and gets derivative 0.
    outputs : sequence of Node or number
        Any nodes of the same graph (an input may be an output; a node may appear twice);
        a plain number becomes a constant output.
    data : sequence of Node, optional
        Variables that hold one example of a data set (x_i, y_i of a loss), as opposed to
        the parameters in ``inputs``. They become the last ``n_data`` inputs of the tape, so
        :meth:`Tape.loss_and_gradient` can sweep a whole data set for the parameters' gradient.
    cse : bool, default False
        Merge common subexpressions: nodes with equal (opcode, parents, constant bits), the
        parents of ``add`` / ``mul`` in either order (see :func:`scalargraph.optimize`).
    fold : bool, default False
        Fold constants: every node that does not depend on the inputs becomes a constant.
        With either flag the tape's ``compile_stats`` holds the node counts before and after
        each pass; values stay bit for bit the same (gradients too with ``fold`` alone; with
        ``cse`` they may differ in the last bits).

    order : {"auto", "record", "depth_first"}, default "auto"
        Node order of the tape after the inputs: recording order, or depth-first from the
        outputs (each node near its operands, few values alive at once: CasADi's default),
        which "auto" takes when it at least halves the most values alive at once (see
        :mod:`scalargraph.order`). Every result is the same bit for bit in either order;
        :meth:`Tape.index` gives the positions.

    Returns
    -------
    Tape

    Raises
    ------
    TypeError
        An input that is not a variable node, an output that is neither node nor number.
    ValueError
        Nodes of different graphs, a repeated input, or an output depending on a variable
        that is not among ``inputs``.

    Cost: O(recorded nodes) time in compiled code (two scans); a graph of at most 64
    nodes, in the first 16 such calls of a process that has not compiled the scans, runs
    them in the interpreter instead (about 6 us per node, and no compiling on an empty
    cache: see ``kernels.small_or_compiled``). The tape costs 9 B per node
    (uint8 opcode + two int32 arguments) + 8 B per distinct constant, + 4 B per node for
    the map back to the graph that :meth:`Tape.index` uses. Compile reads a copy of the
    record up to the last node it needs (9 B per node + 8 B per constant, freed on return;
    about 8 ns per node), so other threads may go on recording into the graph meanwhile, and
    a failed compile leaves nothing that blocks later records. ``fold`` adds a marking scan and,
    when something folds, one forward value sweep; ``cse`` one hash-consing scan (O(1) hash
    probes per node on average, 16-32 B/node table): both O(nodes) in compiled code.
    """
    inputs, outputs = _items(inputs), _items(outputs)
    data = _items(data) if data is not None else []
    graph = _find_graph(inputs, outputs, data)
    check_intact(graph)
    param_idx = _gather(inputs, graph, "inputs", numbers_ok=False)
    data_idx = _gather(data, graph, "data", numbers_ok=False)
    in_idx = np.concatenate([param_idx, data_idx])
    n_data = data_idx.size
    out_idx = _gather(outputs, graph, "outputs", numbers_ok=True)
    top = int(max(in_idx.max(initial=-1), out_idx.max(initial=-1)))
    with _stage("copying the record", top + 1):
        op, arg0, arg1, consts = record_snapshot(graph, top + 1)
    _check_inputs(graph, op, in_idx, param_idx.size)

    with _stage("marking the outputs' ancestors", top + 1):
        if out_idx.size:
            live = _kernels.small_or_compiled(_flatten.mark_live, top + 1)(
                op, arg0, arg1, _NODE_ARITY, out_idx)
        else:
            live = np.zeros(0, dtype=np.uint8)
    with _stage("writing the tape arrays", top + 1):
        renumber = _kernels.small_or_compiled(_flatten.renumber, top + 1)
        t_op, t_arg0, t_arg1, t_consts, new_index, source, bad = renumber(
            op, arg0, arg1, consts, _NODE_ARITY, _CONST_SLOT, live, in_idx, _INPUT_OP)
    if bad >= 0:
        name = graph.names.get(int(bad))
        raise ValueError(f"the outputs depend on variable {name!r} (node {bad}), which is not "
                         "among the inputs; add it to the inputs of sg.compile")
    names = _InputNames(graph.names, in_idx)
    tape = Tape(t_op, t_arg0, t_arg1, t_consts, new_index[out_idx].astype(np.int32),
                input_names=names, n_data=n_data, _graph=graph, _source=source, _trusted=True)
    # The tape holds frozen copies (scalargraph/frozen.py): the record's copy and the arrays
    # renumber wrote go now, not at return, or the reordering below peaks with them too.
    # benchmarks/scale_10m.py's resident peak: 0.94 GiB before the copies, 1.06 with them,
    # 0.77 with them and this.
    del op, arg0, arg1, consts, live, t_op, t_arg0, t_arg1, t_consts, new_index, source
    if order not in _order.ORDERS:
        raise ValueError(f"order must be one of {', '.join(map(repr, _order.ORDERS))}, "
                         f"got {order!r}")
    if cse or fold:
        with _stage("optimizing (cse/fold)", tape.n_nodes):
            tape = optimize(tape, cse=cse, fold=fold)
    with _stage("ordering the nodes", tape.n_nodes):
        return _order.reorder(tape, order)


def record_snapshot(graph, n):
    """Copies of the first ``n`` nodes of ``graph``'s record (and its constant pool).

    Copies, not views: a view pins the growing ``array`` buffers, so that any later record
    (in this thread, after an exception kept the view alive in a traceback, or in another
    thread during the compile) failed with ``BufferError``. Slicing an ``array`` copies it
    holding the GIL, so each copy is whole even while another thread records; the pool is
    copied after the nodes, so it holds every constant they use.
    The copies are checked (:func:`validate.record_fault`): every opcode known,
    every parent recorded before its node, every pool index in the pool (ValueError).
    Cost: 9 B per node + 8 B per constant, O(n) memcpy and one O(n) check.
    """
    if n > min(len(graph.op), len(graph.arg0), len(graph.arg1)):
        raise ValueError(f"node index {n - 1} is not in the graph ({len(graph.op)} nodes)")
    parts = (graph.op[:n], graph.arg0[:n], graph.arg1[:n], graph.consts[:])
    op, arg0, arg1, consts = (np.frombuffer(a, dtype=t) if len(a) else np.empty(0, dtype=t)
                              for a, t in zip(parts, (np.uint8, np.int32, np.int32, np.float64)))
    # The record is the graph's public attributes: checked before a kernel follows it.
    i = validate.record_fault(op, arg0, arg1, consts.shape[0])
    if i < n:
        name = ops.BY_CODE[int(op[i])].name if op[i] < len(ops.OPS) else f"opcode {op[i]}"
        raise ValueError(f"the graph's record is corrupt at node {i} ({name}, arg0={arg0[i]}, "
                         f"arg1={arg1[i]}): an operand is not a node recorded before it or not "
                         "in the constant pool. A record is written only by recording; this "
                         "one was changed by hand or unpickled from altered data: record the "
                         "graph again")
    return op, arg0, arg1, consts


class _stage:
    """Turns a MemoryError into one that says which step of compile ran out, at what size."""

    def __init__(self, what, n_nodes):
        self.what, self.n_nodes = what, n_nodes

    def __enter__(self):
        return self

    def __exit__(self, kind, err, tb):
        if kind is MemoryError and not str(err).startswith("sg.compile"):
            raise MemoryError(f"sg.compile ran out of memory {self.what}, for {self.n_nodes} "
                              f"nodes (the tape needs about 13 B per node, its work arrays "
                              f"as much again): {err}") from None
        return False


class _InputNames(Sequence):
    """The inputs' names, looked up on demand (a million inputs need no million strings)."""

    def __init__(self, names, in_idx):
        self._names, self._idx = names, in_idx

    def __len__(self):
        return self._idx.size

    def __getitem__(self, k):
        if isinstance(k, slice):
            return [self[j] for j in range(*k.indices(len(self)))]
        return self._names.get(int(self._idx[k]))

    def __repr__(self):
        return repr(list(self[:10])) + (" ..." if len(self) > 10 else "")


def _check_inputs(graph, op, in_idx, n_params):
    def where(p):  # the argument position as the caller wrote it
        p = int(p)
        return f"inputs[{p}]" if p < n_params else f"data[{p - n_params}]"

    not_var = np.flatnonzero(op[in_idx] != ops.INPUT)
    if not_var.size:
        p = not_var[0]
        raise TypeError(f"{where(p)} is {Node(graph, int(in_idx[p]))!r}, not a variable: only "
                        "nodes made by sg.var (or sg.variables) can be inputs of a tape")
    uniq, counts = np.unique(in_idx, return_counts=True)
    if uniq.size != in_idx.size:
        i = uniq[np.argmax(counts > 1)]
        first, second = np.flatnonzero(in_idx == i)[:2]
        raise ValueError(f"{where(second)} repeats {where(first)} ({Node(graph, int(i))!r}); "
                         "list each variable once, as a parameter or as data")


def trace(fn, n_inputs):
    """Run ``fn`` on ``n_inputs`` fresh variables and compile what it returns.

    ``fn(x0, x1, ...)`` may return one node (or number) or a sequence of them. Recording
    happens in a new private graph, so the caller's graph is untouched.

    Returns
    -------
    Tape
        With inputs in argument order, named after ``fn``'s parameters where it has them.

    Cost: one call of ``fn`` (recording, about 0.3 us per scalar operation) + one compile.
    """
    if not callable(fn):
        raise TypeError(f"trace needs a function, got {type(fn).__name__}")
    n_inputs = as_count(n_inputs, "n_inputs")
    code = getattr(fn, "__code__", None)
    params = code.co_varnames[:code.co_argcount] if code is not None else ()
    with Graph():
        xs = [var(params[k] if k < len(params) else f"x{k}") for k in range(n_inputs)]
        out = fn(*xs)
        return compile(xs, out)
