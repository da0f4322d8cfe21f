"""``sg.compile`` and ``sg.trace``: from recorded nodes to a flat :class:`~scalargraph.Tape`."""

import numpy as np

from . import ops, _flatten
from .graph import Graph, Node, as_float, foreign_node_error, var
from .tape import Tape

_NODE_ARITY = np.array([op.arity for op in ops.OPS], dtype=np.uint8)
_CONST_SLOT = np.array([1 if op.kind == ops.CONST_KIND else 2 if op.kind == ops.CONST_RIGHT else 0
                        for op in ops.OPS], dtype=np.uint8)


def _as_list(nodes, what):
    if type(nodes) is Node:
        return [nodes]
    if isinstance(nodes, np.ndarray):
        return list(nodes.ravel())
    if isinstance(nodes, (list, tuple)):
        return list(nodes)
    if isinstance(nodes, (str, bytes)) or not hasattr(nodes, "__iter__"):
        return [nodes]
    return list(nodes)


def compile(inputs, outputs):  # noqa: A001  (the public name is sg.compile)
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

    Cost: O(recorded nodes) time in compiled code (two scans). The tape costs 9 B per node
    (uint8 opcode + two int32 arguments) + 8 B per distinct constant, + 4 B per node for
    the map back to the graph that :meth:`Tape.index` uses.
    """
    inputs = _as_list(inputs, "inputs")
    outputs = _as_list(outputs, "outputs")
    graph = next((n.graph for n in inputs + outputs if type(n) is Node), None)
    if graph is None:
        graph = Graph()
    in_idx = np.empty(len(inputs), dtype=np.int64)
    seen = {}
    for p, node in enumerate(inputs):
        if type(node) is not Node:
            raise TypeError(f"inputs[{p}] must be a variable node made by sg.var, "
                            f"got {type(node).__name__}")
        if node.graph is not graph:
            raise foreign_node_error(node)
        if graph.op[node.index] != ops.INPUT:
            raise TypeError(f"inputs[{p}] is {node!r}, not a variable: only nodes made by sg.var "
                            "can be inputs of a tape")
        if node.index in seen:
            raise ValueError(f"inputs[{p}] repeats inputs[{seen[node.index]}] ({node!r}); "
                             "list each variable once")
        seen[node.index] = p
        in_idx[p] = node.index
    out_idx = np.empty(len(outputs), dtype=np.int64)
    for k, node in enumerate(outputs):
        if type(node) is not Node:
            try:
                value = as_float(node)
            except TypeError as err:
                raise TypeError(f"outputs[{k}]: {err}") from None
            graph.consts.append(value)
            node = Node(graph, len(graph.op))
            graph.op.append(ops.CONST)
            graph.arg0.append(len(graph.consts) - 1)
            graph.arg1.append(-1)
        elif node.graph is not graph:
            raise foreign_node_error(node)
        out_idx[k] = node.index

    op, arg0, arg1, consts = graph.arrays()
    if len(outputs):
        live = _flatten.mark_live(op, arg0, arg1, _NODE_ARITY, out_idx)
    else:
        live = np.zeros(0, dtype=np.uint8)
    t_op, t_arg0, t_arg1, t_consts, new_index, bad = _flatten.renumber(
        op, arg0, arg1, consts, _NODE_ARITY, _CONST_SLOT, live, in_idx, ops.INPUT)
    if bad >= 0:
        name = graph.names.get(int(bad))
        raise ValueError(f"the outputs depend on variable {name!r} (node {bad}), which is not "
                         "among the inputs; add it to the inputs of sg.compile")
    source = np.empty(len(t_op), dtype=np.int32)
    source[:len(inputs)] = in_idx
    kept = np.flatnonzero(new_index >= 0)
    rest = kept[new_index[kept] >= len(inputs)]
    source[new_index[rest]] = rest
    names = tuple(graph.names.get(int(i)) for i in in_idx)
    return Tape(t_op, t_arg0, t_arg1, t_consts, new_index[out_idx].astype(np.int32),
                input_names=names, _graph=graph, _source=source, _trusted=True)


def trace(fn, n_inputs):
    """Run ``fn`` on ``n_inputs`` fresh variables and compile what it returns.

    ``fn(x0, x1, ...)`` may return one node (or number) or a sequence of them. Recording
    happens in a new private graph, so the caller's graph is untouched.

    Returns
    -------
    Tape
        With inputs in argument order, named after ``fn``'s parameters where it has them.
    """
    if not callable(fn):
        raise TypeError(f"trace needs a function, got {type(fn).__name__}")
    if not isinstance(n_inputs, (int, np.integer)) or n_inputs < 0:
        raise ValueError(f"n_inputs must be a non-negative int, got {n_inputs!r}")
    code = getattr(fn, "__code__", None)
    params = code.co_varnames[:code.co_argcount] if code is not None else ()
    with Graph():
        xs = [var(params[k] if k < len(params) else f"x{k}") for k in range(n_inputs)]
        out = fn(*xs)
        return compile(xs, out)
