"""``sg.optimize``: constant folding and common-subexpression elimination on a compiled tape.

Both passes read a tape's arrays and write a new tape, in compiled code (``kernels/optimize.py``)
plus a few whole-array NumPy steps: O(n) time, no Python per node.

* **Constant folding.** A node whose parents are all constants (or folded) does not depend
  on the inputs: it becomes a constant node holding its value, and the nodes only it used
  are dropped. The values come from the tape's own generated kernel
  (:func:`scalargraph.kernels.forward.forward_values`, run once with NaN inputs, which foldable
  nodes never read), so a folded constant is bit for bit what the sweep would have computed.
  This assumes every op is pure, its value a function of its operands alone: true of every
  op in :mod:`scalargraph.ops`; an op that is not (a random draw) must not be folded.
* **Common-subexpression elimination (CSE).** Hash-consing (the "value numbering" of
  compilers, CasADi's ``SX`` simplification): scanning in order, a node whose key (opcode,
  parents after merging, constant as a 64-bit pattern) equals an earlier node's is replaced
  by that node. For ops the table marks ``commutative`` (add, mul) the parents are compared
  as an unordered pair, so ``a + b`` and ``b + a`` merge. Constants compare by bit pattern:
  ``0.0`` and ``-0.0`` stay apart (``x * 0.0`` and ``x * -0.0`` differ at ``x = -1``), two
  NaN constants with one pattern merge. Inputs never merge.

What stays the same: values of every surviving node are bit for bit the original's (same
ops on the same operands, same kernels). Gradients after folding alone are bit for bit too
(a folded node has no path to an input). After CSE a gradient may differ in the last bits:
the reverse sweep sums ``d*a + d*b`` where two merged copies each passed an adjoint, and
``d*(a + b)`` once they are one node.
"""

import os

import numpy as np

from . import ops
from .kernels import forward as _forward, optimize as _optimize
from .tape import Tape

_NODE_ARITY = ops.ARITY_TABLE
_CONST_SLOT = ops.CONST_SLOT_TABLE
_CONST_OP = int(ops.CONST)  # a plain int for the kernels: see flatten._INPUT_OP
_COMMUTATIVE = np.array([op.commutative for op in ops.OPS], dtype=np.uint8)
# Keys the CSE hash, per process: constant bit patterns come from user data (files), and a
# fixed, invertible hash let a file choose 160k constants that all collide (14 s instead of
# 0.025 s). Which nodes merge does not depend on the seed (unless a lookup reaches
# kernels.optimize.MAX_PROBES, which takes keys built to collide under this very seed).
_SEED = np.frombuffer(os.urandom(16), dtype=np.uint64).copy()


def optimize(tape, *, cse=True, fold=True):
    """A new tape with constants folded and common subexpressions merged.

    Parameters
    ----------
    tape : Tape
        Left unchanged.
    cse : bool
        Merge nodes with equal (opcode, parents, constant bits); parents of ``add`` and
        ``mul`` (ops marked commutative in the table) in either order.
    fold : bool
        Replace every node that does not depend on the inputs by a constant node.

    Returns
    -------
    Tape
        Same inputs (same order, names and data inputs) and outputs; only the outputs'
        ancestors kept (the arrays are shared when no pass changes anything). Its
        ``compile_stats`` is a dict of node counts: ``nodes_before``, ``after_fold`` and
        ``after_cse`` (None for a pass not run), ``nodes_after``. :meth:`Tape.index` keeps
        working: a node merged away returns the position of the node it merged into, a
        node that only fed folded nodes is gone (ValueError).

    Raises
    ------
    TypeError
        ``tape`` not a Tape, or a flag not a bool.

    Cost: O(n_nodes) time in compiled code: folding one marking scan plus one forward value
    sweep (only when something folds), then one rebuild scan that drops dead nodes and,
    with ``cse``, probes a hash table (on average O(1) per node, at most 64: the hash is
    seeded per process and a lookup that long gives up and keeps the node, so constants
    chosen to collide cannot make it quadratic). Work memory about
    20 B/node + 20 B/constant, plus 16-32 B/node for the hash table with ``cse`` and
    8 B/node of values (and a copy of the arrays) when something folds.
    """
    if not isinstance(tape, Tape):
        raise TypeError(f"optimize needs a Tape (made by sg.compile), got {type(tape).__name__}")
    for name, flag in (("cse", cse), ("fold", fold)):
        if not isinstance(flag, (bool, np.bool_)):
            raise TypeError(f"{name} must be True or False, got {flag!r}")
    op, arg0, arg1, consts = tape.op, tape.arg0, tape.arg1, tape.consts
    n_inputs = tape.n_inputs
    stats = {"nodes_before": tape.n_nodes, "after_fold": None, "after_cse": None}

    if fold:
        op, arg0, arg1, consts = _fold(op, arg0, arg1, consts, n_inputs)
        if not cse and op is tape.op and _optimize.count_live(
                op, arg0, arg1, tape.outputs, n_inputs, _NODE_ARITY) == tape.n_nodes:
            # Nothing folds and nothing is dead: share the (read-only) arrays.
            stats["after_fold"] = stats["nodes_after"] = tape.n_nodes
            return _new_tape(tape, op, arg0, arg1, consts, tape.outputs, tape._source,
                             tape._merged, stats)
    cbits = consts.view(np.int64)
    (t_op, t_arg0, t_arg1, t_consts, t_outputs, new_index, kept, n_live,
     probes) = _optimize.rebuild(op, arg0, arg1, consts, cbits, tape.outputs, n_inputs,
                                 _NODE_ARITY, _CONST_SLOT, _COMMUTATIVE, bool(cse), _SEED)
    if fold:
        stats["after_fold"] = int(n_live)
    if cse:
        stats["after_cse"] = int(t_op.shape[0])
    stats["nodes_after"] = int(t_op.shape[0])

    source, merged = _remap_source(tape, new_index, kept, n_live)
    out = _new_tape(tape, t_op, t_arg0, t_arg1, t_consts, t_outputs, source, merged, stats)
    out._cse_probes = int(probes)  # hash probes stepped over: O(n) whatever the constants
    return out


def _new_tape(tape, op, arg0, arg1, consts, outputs, source, merged, stats):
    out = Tape(op, arg0, arg1, consts, outputs, input_names=tape.input_names,
               n_data=tape.n_data, _graph=tape._graph, _source=source, _trusted=True)
    out._merged = merged
    out.compile_stats = stats
    return out


def _fold(op, arg0, arg1, consts, n_inputs):
    """Tape arrays (read-only) with every input-independent node turned into a constant."""
    foldable = _optimize.mark_foldable(op, arg0, arg1, _NODE_ARITY, _CONST_OP, n_inputs)
    at = np.flatnonzero(foldable.view(np.bool_) & (op != ops.CONST))
    if at.size == 0:
        return op, arg0, arg1, consts
    values = np.empty(op.shape[0])
    # NaN inputs: a foldable node never reads one, and any slip would show as NaN.
    _forward.forward_values(op, arg0, arg1, consts, np.full(n_inputs, np.nan), values)
    op, arg0, arg1 = op.copy(), arg0.copy(), arg1.copy()
    op[at] = ops.CONST
    arg0[at] = consts.shape[0] + np.arange(at.size, dtype=np.int32)
    arg1[at] = -1
    consts = np.concatenate([consts, values[at]])
    for a in (op, arg0, arg1, consts):
        # Read-only like a tape's own arrays, so rebuild compiles for one signature only.
        a.flags.writeable = False
    return op, arg0, arg1, consts


def _remap_source(tape, new_index, kept, n_live):
    """The new tape's map back to graph nodes, and its table of merged-away graph nodes.

    ``source[j]`` is the graph node new node j was (record order is kept, so the non-input
    part stays sorted, as :meth:`Tape.index` needs). ``merged`` is ``(graph indices sorted,
    tape positions)`` for graph nodes that CSE (now or in an earlier optimize) mapped onto
    another node, or None.
    """
    old_source = tape._source
    if old_source is None:
        return None, None
    source = old_source[kept].astype(np.int32)
    graph_idx, position = [], []
    if n_live > kept.shape[0]:  # some nodes merged into others
        is_kept = np.zeros(new_index.shape[0], dtype=np.bool_)
        is_kept[kept] = True
        gone = np.flatnonzero(~is_kept & (new_index >= 0))
        graph_idx.append(old_source[gone].astype(np.int64))
        position.append(new_index[gone].astype(np.int64))
    if tape._merged is not None:
        pos = new_index[tape._merged[1]].astype(np.int64)
        alive = pos >= 0
        graph_idx.append(tape._merged[0][alive])
        position.append(pos[alive])
    if not graph_idx:
        return source, None
    graph_idx, position = np.concatenate(graph_idx), np.concatenate(position)
    if graph_idx.size == 0:
        return source, None
    order = np.argsort(graph_idx, kind="stable")
    return source, (graph_idx[order], position[order])
