"""Node order for locality: ``sg.compile(..., order=)`` renumbers a tape depth-first.

Recording order is topological but may scatter a node's operands far from it (a NumPy
expression over node arrays records each elementwise step for all elements before the
next step), and then every sweep reads operands from far away and keeps many values alive.
:func:`reorder` renumbers a tape in the depth-first post-order of ``kernels/order.py``
(CasADi's default for SX), keeping the inputs first and, for every node, its children in
their recorded relative order, so every sweep gives the same bits as on the recorded
order. :func:`locality` gives the figures the choice is made on.

``order="auto"`` (the default of ``sg.compile``) renumbers when that at least halves the
most values alive at once (the live set, what a slot-renamed sweep or a forward-mode
Jacobian block holds, and a measure of how far operands are read from); ``"record"`` keeps
the recorded order; ``"depth_first"`` always renumbers.
"""

import numpy as np

from . import ops, validate
from . import kernels as _kernels
from .kernels import order as _ko

_ARITY = ops.ARITY_TABLE
ORDERS = ("auto", "record", "depth_first")
# "auto" renumbers when the live set shrinks at least this many times.
GAIN = 2.0


def locality(tape):
    """``{"mean_distance": float, "max_live": int}`` of the tape's order: the mean distance
    (in positions) from a node to its operands that are not inputs, and the most non-input
    values alive at once.

    Cost: O(n_nodes), 16 B/node of scratch.
    """
    validate.require_tape(tape, "order.locality")
    mean, most = _ko.locality(tape.op, tape.arg0, tape.arg1, _ARITY, tape.n_inputs)
    return {"mean_distance": float(mean), "max_live": int(most)}


def reorder(tape, order="auto"):
    """The tape renumbered as ``order`` says (the same tape when nothing changes).

    The new tape keeps inputs, outputs, names and the map back to the graph (so
    :meth:`Tape.index` answers the new positions). Raises ValueError for an unknown order.
    Cost: O(n_nodes): a depth-first walk (about 30 B/node of scratch) and, when "auto",
    two locality scans; the new tape's arrays.
    """
    validate.require_tape(tape, "order.reorder")
    if order not in ORDERS:
        raise ValueError(f"order must be one of {', '.join(map(repr, ORDERS))}, got {order!r}")
    n, n_in = tape.n_nodes, tape.n_inputs
    if order == "record" or n - n_in < 3:
        return tape
    depth_first = _kernels.small_or_compiled(_ko.depth_first, n)
    perm = depth_first(tape.op, tape.arg0, tape.arg1, _ARITY, tape.outputs, n_in)
    if np.array_equal(perm, np.arange(n, dtype=perm.dtype)):
        return tape
    inv = np.empty(n, dtype=np.int32)
    inv[perm] = np.arange(n, dtype=np.int32)
    op = tape.op[perm]
    arity = _ARITY[op]
    arg0, arg1 = tape.arg0[perm], tape.arg1[perm]
    arg0 = np.where(arity >= 1, inv[np.where(arity >= 1, arg0, 0)], arg0).astype(np.int32)
    arg1 = np.where(arity == 2, inv[np.where(arity == 2, arg1, 0)], arg1).astype(np.int32)
    if order == "auto":
        # read-only, as a tape's arrays are: one compiled locality serves both calls (a
        # writable type compiled a second one on the first large compile after warmup)
        for a in (op, arg0, arg1):
            a.flags.writeable = False
        locality_kernel = _kernels.small_or_compiled(_ko.locality, n)
        before = locality_kernel(tape.op, tape.arg0, tape.arg1, _ARITY, n_in)[1]
        after = locality_kernel(op, arg0, arg1, _ARITY, n_in)[1]
        if after * GAIN > before:
            return tape
    from .tape import Tape
    source = None if tape._source is None else tape._source[perm]
    new = Tape(op, arg0, arg1, tape.consts, inv[tape.outputs], input_names=tape.input_names,
               n_data=tape.n_data, _graph=tape._graph, _source=source, _trusted=True)
    new.compile_stats = tape.compile_stats
    if tape._merged is not None:
        graph_idx, position = tape._merged
        new._merged = (graph_idx, inv[position])
    return new
