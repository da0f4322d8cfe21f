"""Forward-mode Jacobian blocks whose working set is the live nodes, not the whole tape.

``sweeps.forward_tangents_block`` keeps a row of k tangents for every node: 8 k B/node, so
on a large tape a block of directions streams through memory, and keeping it under a cap
meant fewer directions per block as the tape grew (26 instead of 64 at 40k nodes), so the
per-node overhead was paid more often and the cost per direction grew with the tape.
Here each non-input node's row of k tangents lives in a *slot* that is reused once the
node's last child has read it (the linear scan of ``flatten.allocate_slots``), and the
inputs hold no rows at all: in the block of directions start .. start + k - 1 input i's
tangent is the unit row e_(i - start), or zero, and is made where it is read. The working
set is k rows per node alive at once (a handful on the chain or the wide sum), which stays
in cache whatever the tape size.

Same operations as ``forward_tangents_block`` in the same order, so the same bits: each
node sums its parents' terms into a row that starts at -0.0, the not-reached mark of
``reach.py`` (a skipped term adds -0.0, which changes nothing); an input outside the block
is not seeded.
"""

import numpy as np
from numba import njit

from .flatten import last_uses
from .reach import finite_or_nan, term


@njit(cache=True, nogil=True)
def jacobian_slots(op, arg0, arg1, node_arity, outputs, n_inputs):
    """Slots for the non-input nodes; parents renamed to their slots, inputs to ``-1 - i``.

    Returns ``(j_arg0, j_arg1, j_out, n_slots)``: ``j_out[i]`` is node i's slot (-1 for the
    inputs); a slot is freed at its node's last use (outputs keep theirs to the end) and the
    most recently freed one is reused first. Entries of ``j_arg*`` that hold no parent keep
    the tape's value (a constant-pool index): the sweep never reads them, since the partial
    of such a slot is exactly 0.0.
    """
    n = op.shape[0]
    last = last_uses(op, arg0, arg1, node_arity, outputs)
    j_out = np.full(n, -1, dtype=np.int32)
    j_arg0 = arg0.copy()
    j_arg1 = arg1.copy()
    free = np.empty(n + 1, dtype=np.int32)
    n_free = 0
    n_slots = 0
    for i in range(n_inputs, n):
        k = node_arity[op[i]]
        for side in range(k):
            a = arg0[i] if side == 0 else arg1[i]
            if a < n_inputs:
                s = -1 - a
            else:
                s = j_out[a]
                if last[a] == i and not (side == 1 and a == arg0[i]):
                    free[n_free] = s
                    n_free += 1
            if side == 0:
                j_arg0[i] = s
            else:
                j_arg1[i] = s
        # A node may take a slot its parents just freed: the sweep sums into a separate
        # row and writes the slot last.
        if n_free > 0:
            n_free -= 1
            s = free[n_free]
        else:
            s = n_slots
            n_slots += 1
        j_out[i] = s
        if last[i] < 0:
            free[n_free] = s
            n_free += 1
    return j_arg0, j_arg1, j_out, n_slots


@njit(cache=True, nogil=True)
def forward_block_slots(n_inputs, start, j_arg0, j_arg1, j_out, partials, tangents, row):
    """Tangents of every node in directions start .. start + k - 1 (unit input directions),
    each non-input node's row in ``tangents[j_out[i]]`` (float64[n_slots, k]); ``row`` is
    float64[k] scratch. The rows of the outputs' slots hold their tangents on exit.
    """
    k = tangents.shape[1]
    for i in range(n_inputs, j_out.shape[0]):
        for j in range(k):
            row[j] = -0.0
        for side in range(2):
            d = partials[i, side]
            if d == 0.0:
                continue
            a = j_arg0[i] if side == 0 else j_arg1[i]
            if a < 0:  # input -1 - a: tangent 1.0 in direction (-1 - a) - start, else 0
                p = -1 - a - start
                if 0 <= p < k:
                    row[p] += finite_or_nan(d)  # times 1.0
                continue
            pd = finite_or_nan(d)
            for j in range(k):  # selects, as in sweeps.forward_tangents_block
                row[j] += term(pd, tangents[a, j])
        s = j_out[i]
        for j in range(k):
            tangents[s, j] = row[j]


@njit(cache=True, nogil=True)
def jacobian_blocks(n_inputs, lo, hi, j_arg0, j_arg1, j_out, n_slots, partials, outputs, block,
                    work, jac):
    """Columns lo .. hi - 1 of the forward-mode Jacobian into ``jac`` (float64[n_outputs,
    n_inputs], zeros on entry): :func:`forward_block_slots` for those directions in blocks of
    ``block``, each block's output rows copied out as it ends; with ``hi == n_inputs`` also
    the unit rows of outputs that are inputs. ``work`` holds the block's tangents
    (n_slots * block) and its scratch row (block) from its first 64-byte aligned element
    (the rows are read in vector registers: see scalargraph/tiles.py); it needs
    n_slots * block + block + 7 elements. The loop over blocks and the copy into ``jac`` are
    compiled, not Python around a kernel call per block: the Jacobian of the 10-input wide
    sum 18-20 -> 6.5 us, of the 100-input one 33 -> 17.5 us (20th percentile of 4000 calls,
    three alternating processes each).
    """
    t0 = (-(work.ctypes.data // 8)) % 8
    for start in range(lo, hi, block):
        k = min(block, hi - start)
        tangents = work[t0:t0 + n_slots * k].reshape(n_slots, k)
        row = work[t0 + n_slots * block:t0 + n_slots * block + k]
        forward_block_slots(n_inputs, start, j_arg0, j_arg1, j_out, partials, tangents, row)
        for o in range(outputs.shape[0]):
            node = outputs[o]
            if node >= n_inputs:
                s = j_out[node]
                for j in range(k):
                    jac[o, start + j] = tangents[s, j] + 0.0  # -0.0 (not reached) is 0.0
    if hi == n_inputs:
        for o in range(outputs.shape[0]):  # an input as an output: a unit row
            if outputs[o] < n_inputs:
                jac[o, outputs[o]] = 1.0
