"""Numba kernels of ``sg.compile``: keep the outputs' ancestors and renumber them into a tape.

The record is already topologically ordered (every node was appended after its parents),
so one backward scan marks the live nodes and one forward scan renumbers them: O(n) time,
no recursion, no per-node Python. The op table reaches these kernels as two small lookup
arrays indexed by opcode, ``node_arity`` (parents: 0, 1, 2) and ``const_slot`` (which
argument holds a constant-pool index: 0 none, 1 arg0, 2 arg1).
"""

import numpy as np
from numba import njit


@njit(cache=True, nogil=True)
def mark_live(op, arg0, arg1, node_arity, outputs):
    """uint8[top + 1]: 1 for the outputs and their ancestors, top = the largest output."""
    top = 0
    for o in outputs:
        top = max(top, o)
    live = np.zeros(top + 1, dtype=np.uint8)
    for o in outputs:
        live[o] = 1
    for i in range(top, -1, -1):
        if live[i]:
            k = node_arity[op[i]]
            if k >= 1:
                live[arg0[i]] = 1
            if k == 2:
                live[arg1[i]] = 1
    return live


@njit(cache=True, nogil=True)
def renumber(op, arg0, arg1, consts, node_arity, const_slot, live, inputs, input_op):
    """Tape arrays for the live nodes, inputs first (in the given order), then record order.

    Returns ``(t_op, t_arg0, t_arg1, t_consts, new_index, source, bad)``: ``new_index[i]`` is
    the tape position of record node i (-1 if dead), ``source[j]`` the record index of tape
    node j; ``bad`` is the record index of a live variable missing from ``inputs``, or -1.
    """
    top = live.shape[0]
    new_index = np.full(top, -1, dtype=np.int32)
    n_inputs = inputs.shape[0]
    for p in range(n_inputs):
        if inputs[p] < top:
            new_index[inputs[p]] = p
    count = n_inputs
    for i in range(top):
        if live[i] and new_index[i] < 0:
            if op[i] == input_op:
                return (np.empty(0, np.uint8), np.empty(0, np.int32), np.empty(0, np.int32),
                        np.empty(0, np.float64), new_index, np.empty(0, np.int32), i)
            new_index[i] = count
            count += 1
    t_op = np.empty(count, dtype=np.uint8)
    t_arg0 = np.full(count, -1, dtype=np.int32)
    t_arg1 = np.full(count, -1, dtype=np.int32)
    source = np.empty(count, dtype=np.int32)
    pool = np.full(consts.shape[0], -1, dtype=np.int32)
    t_consts = np.empty(consts.shape[0], dtype=np.float64)
    n_consts = 0
    for p in range(n_inputs):
        t_op[p] = input_op
        t_arg0[p] = p
        source[p] = inputs[p]
    for i in range(top):
        j = new_index[i]
        if j < n_inputs:
            continue
        source[j] = i
        o = op[i]
        t_op[j] = o
        k = node_arity[o]
        if k >= 1:
            t_arg0[j] = new_index[arg0[i]]
        if k == 2:
            t_arg1[j] = new_index[arg1[i]]
        slot = const_slot[o]
        if slot != 0:
            c = arg0[i] if slot == 1 else arg1[i]
            if pool[c] < 0:
                pool[c] = n_consts
                t_consts[n_consts] = consts[c]
                n_consts += 1
            if slot == 1:
                t_arg0[j] = pool[c]
            else:
                t_arg1[j] = pool[c]
    return t_op, t_arg0, t_arg1, t_consts[:n_consts].copy(), new_index, source, -1


@njit(cache=True, nogil=True)
def last_uses(op, arg0, arg1, node_arity, outputs):
    """int32[n]: the last node that reads each node (n for an output, -1 if none)."""
    n = op.shape[0]
    last = np.full(n, -1, dtype=np.int32)
    for i in range(n):
        k = node_arity[op[i]]
        if k >= 1:
            last[arg0[i]] = i
        if k == 2:
            last[arg1[i]] = i
    for o in outputs:
        last[o] = n
    return last


@njit(cache=True, nogil=True)
def allocate_slots(op, arg0, arg1, node_arity, outputs, n_inputs):
    """Work-vector slots for value-only and forward-mode sweeps (CasADi's work vector).

    A node's slot is freed at its last use and reused by a later node (linear scan, free
    slots kept on a stack so that reuse stays local), so a sweep needs memory for the nodes
    alive at once, not for all of them. Returns ``(s_arg0, s_arg1, s_out, n_slots)``:
    arguments renamed to their parents' slots (constant-pool indices kept) and each node's
    own slot. Outputs keep their slots to the end.
    """
    n = op.shape[0]
    last = last_uses(op, arg0, arg1, node_arity, outputs)
    s_out = np.empty(n, dtype=np.int32)
    s_arg0 = arg0.copy()
    s_arg1 = arg1.copy()
    free = np.empty(n + 1, dtype=np.int32)
    n_free = 0
    n_slots = 0
    for i in range(n):
        k = node_arity[op[i]]
        if k >= 1:
            a = arg0[i]
            s_arg0[i] = s_out[a]
            if last[a] == i:
                free[n_free] = s_out[a]
                n_free += 1
        if k == 2:
            b = arg1[i]
            s_arg1[i] = s_out[b]
            if last[b] == i and b != arg0[i]:
                free[n_free] = s_out[b]
                n_free += 1
        # A node may take a slot its parents just freed: sweeps read operands before writing.
        if n_free > 0:
            n_free -= 1
            s = free[n_free]
        else:
            s = n_slots
            n_slots += 1
        s_out[i] = s
        if last[i] < 0 and i >= n_inputs:
            free[n_free] = s
            n_free += 1
    return s_arg0, s_arg1, s_out, n_slots
