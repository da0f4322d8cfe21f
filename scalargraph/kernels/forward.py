"""Forward sweeps over a tape: values, values with local partials, and tangents with values.

Only these loops (and the batch and second-order ones) evaluate ops, each through the rules
of ``rules.py``; every other sweep reads the partials. Layout read: ``op`` uint8[n],
``arg0``/``arg1`` int32[n], ``consts`` float64[k], the first ``n_inputs`` nodes the inputs.
Layout written: ``values`` float64[n]; ``partials`` float64[n, 2], d node / d parent per
parent slot, exactly 0.0 for a slot that holds no parent.

Register forwarding: a node that reads the node computed just before it takes the value
from a local (``zp``) instead of memory, which breaks the store-to-load latency chain of a
deep graph (the 10^6 chain: 4.9 -> 3.0 ns/node forward).
"""

from numba import njit
from numba import uint32 as _u32, uint64 as _u64

from . import rules, shared
from .reach import finite_or_nan, seed, term

# ops.Kind, per opcode in rules.KIND. Each loop dispatches on the kind to load the operands,
# then calls that kind's rule switch (rules.py), so every op's rule is compiled once per
# loop. The loads are written out in each loop, not taken from a helper: an inlined helper
# taking the arrays costs reference counting per node (the 10^6 chain: 12.8 against 3.4
# ns/node).
_CONST, _UNARY, _BINARY, _CONST_RIGHT = 1, 2, 3, 4
_KIND = rules.KIND
# add and mul, the commonest ops, are tested for before the kind: a compare per node instead
# of a kind branch and a jump through the binary switch. Their rules are rules.add and
# rules.mul, generated from the table like the switches (the switch inlined with a constant
# opcode gave the same code but 1.8x the compile time). Wide sum of 10^5 inputs, forward with
# partials 4.29 -> 3.84 ns/node, forward 3.24 -> 3.11; toy loss 4.99 -> 4.56; random DAG
# 1-6 %; the chain (no add or mul node) within noise. Adding add_const and mul_const made
# the wide sum slower.
_ADD, _MUL = rules.ADD, rules.MUL
_NONE = _u64(0xFFFFFFFFFFFFFFFF)  # "no node computed yet": no uint32 operand index equals it


@njit(cache=True, nogil=True, error_model="numpy")
def values_range(op, arg0, arg1, consts, values, start, stop):
    """Values of nodes start .. stop - 1, whose parents' values are already in ``values``.
    O(stop - start) time, no work memory."""
    # Unsigned indices: Numba wraps a negative signed index around (a sign test and an add
    # per access) and LLVM cannot prove these are not negative, so each node paid that for
    # op[i], arg0[i], arg1[i], values[i] and values[a]. A validated tape holds no negative
    # index where one is read (the other slot's -1 is never read), so the unsigned read is
    # the same read. Wide sum of 10^5 inputs: 3.9 -> 3.2 ns/node (hand loop 2.0); chain,
    # toy loss, random DAG 7-13 % faster (partials_range: 15-24 %); same bits.
    zp = 0.0  # the value just computed, and where it went (register forwarding)
    ip = _NONE
    for i in range(_u64(start), _u64(stop)):
        o = op[i]
        a = _u32(arg0[i])
        k = _KIND[o]
        if o == _ADD:  # direct branches for the commonest ops: see _ADD
            b = _u32(arg1[i])
            z = rules.add(zp if a == ip else values[a], zp if b == ip else values[b])
        elif o == _MUL:
            b = _u32(arg1[i])
            z = rules.mul(zp if a == ip else values[a], zp if b == ip else values[b])
        elif k == _UNARY:
            z = rules.unary(o, zp if a == ip else values[a])
        elif k == _CONST_RIGHT:
            z = rules.const_right(o, zp if a == ip else values[a], consts[_u32(arg1[i])])
        elif k == _BINARY:
            b = _u32(arg1[i])
            z = rules.binary(o, zp if a == ip else values[a], zp if b == ip else values[b])
        else:
            z = consts[a]
        values[i] = z
        zp = z
        ip = i


@njit(cache=True, nogil=True, error_model="numpy")
def partials_range(op, arg0, arg1, consts, values, partials, start, stop):
    """:func:`values_range` that also writes the local partials of nodes start .. stop - 1."""
    zp = 0.0
    ip = _NONE
    for i in range(_u64(start), _u64(stop)):  # unsigned indices: see values_range
        o = op[i]
        a = _u32(arg0[i])
        k = _KIND[o]
        d1 = 0.0
        if o == _ADD:  # direct branches for the commonest ops: see _ADD
            b = _u32(arg1[i])
            z, d0, d1 = rules.add_partials(zp if a == ip else values[a],
                                           zp if b == ip else values[b])
        elif o == _MUL:
            b = _u32(arg1[i])
            z, d0, d1 = rules.mul_partials(zp if a == ip else values[a],
                                           zp if b == ip else values[b])
        elif k == _UNARY:
            z, d0 = rules.unary_partials(o, zp if a == ip else values[a])
        elif k == _CONST_RIGHT:
            z, d0 = rules.const_right_partials(o, zp if a == ip else values[a],
                                               consts[_u32(arg1[i])])
        elif k == _BINARY:
            b = _u32(arg1[i])
            z, d0, d1 = rules.binary_partials(o, zp if a == ip else values[a],
                                              zp if b == ip else values[b])
        else:
            z = consts[a]
            d0 = 0.0
        values[i] = z
        partials[i, 0] = d0
        partials[i, 1] = d1
        zp = z
        ip = i


@njit(cache=True, inline="always")
def load_inputs(inputs, values, partials):
    for i in range(inputs.shape[0]):
        values[i] = inputs[i]
        partials[i, 0] = 0.0
        partials[i, 1] = 0.0


# error_model="numpy": IEEE results for x / 0 (inf, nan) as the op table documents; Numba's
# default "python" model raises ZeroDivisionError inside the kernel instead.
# The loops are the range kernels themselves, written out, and the kernels that sweep with
# them (these two, the fused value-and-gradient kernel, the checkpointed sweep) call them
# (Numba links the compiled code) rather than inlining them: Numba inlines a function by
# deep-copying its IR block by block, each copy taking the function's whole variable scope
# along, so inlining the partials loop (419 blocks, 2632 variables once the rules are in it)
# took 6.4 s of forward_partials' 12.2 s of compiling, and the value loop 3 s in each of two
# kernels. Called, not inlined, the sweeps run as fast, also when loaded from the disk cache
# (forward_values against values_range called directly: 0.96-1.005 on the wide sum, toy loss,
# chain and random DAG, one process per row of three, interleaved).
@njit(cache=True, nogil=True, error_model="numpy")
def forward_values(op, arg0, arg1, consts, inputs, values):
    """Values of every node (DL book Algorithm 6.1). O(n) time, no work memory."""
    for i in range(inputs.shape[0]):
        values[i] = inputs[i]
    values_range(op, arg0, arg1, consts, values, inputs.shape[0], op.shape[0])


@njit(cache=True, nogil=True, error_model="numpy")
def forward_partials(op, arg0, arg1, consts, inputs, values, partials):
    """Values and local partials of every node: the linearization the op-agnostic sweeps run
    on. O(n) time; writes 8 + 16 B per node."""
    load_inputs(inputs, values, partials)
    partials_range(op, arg0, arg1, consts, values, partials, inputs.shape[0], op.shape[0])


@njit(cache=True, nogil=True, error_model="numpy")
def forward_tangents_slots(op, s_arg0, s_arg1, s_out, consts, inputs, work, direction, twork):
    """Values and tangents along ``direction`` in one pass on a slot-renamed tape: forward
    mode in 16 B per slot (nodes alive at once), no stored partials.

    ``s_arg0``/``s_arg1`` name the parents' slots (constant-pool indices kept), ``s_out``
    each node's own slot. The rule of ``reach.py``: a zero partial adds nothing, an input
    whose direction is 0 is not seeded, a tangent no seed reached is ``-0.0``.
    """
    for i in range(inputs.shape[0]):
        work[s_out[i]] = inputs[i]
        twork[s_out[i]] = seed(direction[i])
    zp = 0.0
    tp = 0.0  # the tangent just computed (forwarded like zp)
    ip = _NONE
    # Unsigned indices (see values_range) and the direct add and mul branches (see _ADD):
    # jvp, wide sum 7.54 -> 5.26 ns/node, toy loss 7.71 -> 5.17, random DAG 19.7 -> 15.7,
    # chain 7.97 -> 7.32 (alternating processes, min of 3); same bits.
    for i in range(_u64(inputs.shape[0]), _u64(op.shape[0])):
        o = op[i]
        a = _u32(s_arg0[i])  # a slot, or a constant's index; -1 (no parent) is never read
        b = _u32(s_arg1[i])
        k = _KIND[o]
        d1 = 0.0
        if o == _ADD:  # direct branches for the commonest ops: see _ADD
            z, d0, d1 = rules.add_partials(zp if a == ip else work[a], zp if b == ip else work[b])
        elif o == _MUL:
            z, d0, d1 = rules.mul_partials(zp if a == ip else work[a], zp if b == ip else work[b])
        elif k == _UNARY:
            z, d0 = shared.unary_partials(o, zp if a == ip else work[a])
        elif k == _CONST_RIGHT:
            # Inlined, unlike the unary and binary switches (shared.py): its eight ops
            # compile in no measurable time (first jvp on an empty cache 2.3-2.8 s before,
            # 2.2-2.5 s after) and save a call per node: jvp of the chain (10^6 nodes, a
            # const_right op two nodes in three) 6.7-6.8 -> 5.3 ns/node, random DAG 3-5 %
            # faster, wide sum and toy loss within 2 % (interleaved in one process, two
            # rounds); same bits.
            z, d0 = rules.const_right_partials(o, zp if a == ip else work[a], consts[b])
        elif k == _BINARY:
            z, d0, d1 = shared.binary_partials(o, zp if a == ip else work[a],
                                              zp if b == ip else work[b])
        else:
            z = consts[a]
            d0 = 0.0
        t = -0.0
        if d0 != 0.0:
            t += term(finite_or_nan(d0), tp if a == ip else twork[a])
        if d1 != 0.0:
            t += term(finite_or_nan(d1), tp if b == ip else twork[b])
        ip = _u64(_u32(s_out[i]))
        zp = z
        tp = t
        work[ip] = z
        twork[ip] = t
    # What no seed reached (-0.0) reads as 0.0; here, not as a NumPy operation on the result
    # (+0.7 us on a 7-node tape's jvp), and over the slots, not the nodes.
    for s in range(twork.shape[0]):
        twork[s] += 0.0
