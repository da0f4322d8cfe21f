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
