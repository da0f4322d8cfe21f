"""The forward-mode Jacobian in blocks of directions whose working set stays in cache.

``Tape.jacobian(x, mode="forward")`` calls :func:`jacobian_forward`. A block of k unit
input directions is carried through the tape by ``kernels/tiles.py``: each non-input node's
row of k tangents lives in a slot reused once the node's last child has read it, and the
inputs' unit rows are made where they are read, so a block touches 8 k B per node *alive
at once* instead of 8 k B per node. So blocks hold 64 directions whatever the tape size
(on the graphs whose live set is small: the chain, the wide sum), and the cost per
direction and node stays flat as the tape grows (before: blocks capped at 8 MiB held 26
directions at 40k nodes, and fewer beyond). Results equal ``forward_tangents_block``'s bit
for bit (see the kernel's docstring).

The slot map (12 B/node: renamed parents and each node's slot) is made on first use and
kept with the tape.
"""

from . import ops, workmem as _workmem
from .frozen import frozen
from .kernels import tiles as _kt

# Tangent elements a block may hold (8 MiB): 64 directions for up to 16k live nodes.
BLOCK_ELEMENTS = 1 << 20
MAX_BLOCK = 64
# Direction-nodes of block sweeps per kernel call: about 15-30 ms at 0.2-0.4 ns each.
SLICE_WORK = 1 << 26


def slots(tape):
    """``(j_arg0, j_arg1, j_out, n_slots)`` of :func:`kernels.tiles.jacobian_slots`, made
    once per tape (two threads may both make it: same result). The arrays are frozen
    (:mod:`scalargraph.frozen`): the block kernel follows them unchecked, and a write
    through the arrays this returns sent it out of bounds."""
    found = tape._jslots
    if found is None:
        j_arg0, j_arg1, j_out, n_slots = _kt.jacobian_slots(tape.op, tape.arg0, tape.arg1,
                                                            ops.ARITY_TABLE, tape.outputs,
                                                            tape.n_inputs)
        found = tape._jslots = (frozen(j_arg0), frozen(j_arg1), frozen(j_out), n_slots)
    return found


def jacobian_forward(tape, x, jac):
    """Fill ``jac`` (n_outputs, n_inputs, zeros) with the Jacobian at ``x`` (checked) by
    forward mode, in blocks of up to 64 directions; return it.

    Cost: one forward sweep with partials, then ceil(n_inputs / k) block sweeps over the
    non-input nodes; work 24 B/node + 8 k B per slot (kept: scalargraph/workmem.py).
    """
    n, nn = tape.n_inputs, tape.n_nodes
    j_arg0, j_arg1, j_out, n_slots = slots(tape)
    block = int(max(1, min(MAX_BLOCK, n, BLOCK_ELEMENTS // max(n_slots, 1))))
    buf = _workmem.take(tape, 3 * nn + n_slots * block + block + 7)
    partials = tape._partials_into(x, buf)
    # The rows start on a 64-byte line (the kernel finds it): the block kernel runs its
    # k-wide row loops in vector registers, and a row that straddles lines costs a split
    # access per vector. Carved right after the 3 n_nodes values and partials, the rows'
    # alignment depended on n_nodes: the wide sum's blocks took 0.38 ns per direction and
    # node at +8 or +16 B and 0.20 at +0 or +32 B, so the per-direction cost jumped between
    # tape sizes (the "slope 0.80" of issue 18).
    # One kernel call per slice of at most SLICE_WORK direction-nodes, so that Ctrl-C
    # (raised between calls) stops a large Jacobian; a small one is one call.
    step = max(1, SLICE_WORK // (block * max(nn - n, 1))) * block
    for lo in range(0, n, step):
        _kt.jacobian_blocks(n, lo, min(n, lo + step), j_arg0, j_arg1, j_out, n_slots, partials,
                            tape.outputs, block, buf[3 * nn:], jac)
    _workmem.give(tape, buf)
    return jac
