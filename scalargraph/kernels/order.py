"""A depth-first topological order for a tape (CasADi's default for SX), and locality figures.

Recording order is topological but not local: a NumPy expression over node arrays records
all products, then all sines, then the sum, so every intermediate stays alive until the sum
reads it (the wide sum of 10^5 inputs: 10^5 live nodes, operands 10^5 positions away).
Depth-first post-order from the outputs puts each node right after the last of its
operands' subtrees, so operands sit near their readers and few values are alive at once.

Bit for bit: values and tangents do not depend on positions (each node reads the same
operands in the same slots). Adjoints do: a node's adjoint sums its children's terms in
descending position order. So the order keeps, for every node, its children in their
recorded relative order: besides its operands, node v waits for the child of each operand
that was recorded just before v ("previous sibling"). Any topological order of the graph
with these extra edges leaves every sum in every sweep as it was.
"""

import numpy as np
from numba import njit


@njit(cache=True, nogil=True)
def depth_first(op, arg0, arg1, node_arity, outputs, n_inputs):
    """``perm``: int32[n], the old position of the node at each new position.

    Inputs keep positions 0 .. n_inputs - 1; then a post-order depth-first walk from the
    outputs (in output order) over each node's operands (arg0 first) and previous siblings;
    nodes no output reaches follow in their old order.
    """
    n = op.shape[0]
    # prev[v, s]: the child of v's operand in slot s recorded just before v, or -1.
    prev = np.full((n, 2), -1, dtype=np.int32)
    last_child = np.full(n, -1, dtype=np.int32)
    for v in range(n_inputs, n):
        k = node_arity[op[v]]
        for s in range(k):
            p = arg0[v] if s == 0 else arg1[v]
            if s == 1 and p == arg0[v]:
                continue  # x * x: one child, one sibling link
            prev[v, s] = last_child[p]
            last_child[p] = v
    state = np.zeros(n, dtype=np.uint8)  # 0 new, 1 on the stack, 2 placed
    perm = np.empty(n, dtype=np.int32)
    for i in range(n_inputs):
        perm[i] = i
        state[i] = 2
    count = n_inputs
    stack = np.empty(n, dtype=np.int32)  # nodes; each node enters once (state 1)
    step = np.zeros(n, dtype=np.uint8)  # which predecessor a node on the stack looks at next
    for r in range(outputs.shape[0] + n):
        root = outputs[r] if r < outputs.shape[0] else r - outputs.shape[0]
        if state[root] != 0:
            continue
        if r >= outputs.shape[0]:  # unreached: keep the old order
            state[root] = 2
            perm[count] = root
            count += 1
            continue
        top = 0
        stack[0] = root
        state[root] = 1
        while top >= 0:
            v = stack[top]
            k = node_arity[op[v]]
            pushed = False
            while step[v] < 4:
                j = step[v]
                step[v] += 1
                if j < 2:
                    u = (arg0[v] if j == 0 else arg1[v]) if j < k else -1
                else:
                    u = prev[v, j - 2]
                if u >= 0 and state[u] == 0:
                    top += 1
                    stack[top] = u
                    state[u] = 1
                    pushed = True
                    break
            if not pushed:
                state[v] = 2
                perm[count] = v
                count += 1
                top -= 1
    return perm


@njit(cache=True, nogil=True)
def locality(op, arg0, arg1, node_arity, n_inputs):
    """``(mean distance, max live)``: the mean of (position - operand position) over the
    operands that are not inputs (the inputs sit first in every order), and the most
    non-input values alive at once (from the node to its last reader)."""
    n = op.shape[0]
    last = np.full(n, -1, dtype=np.int64)
    total = 0.0
    count = 0
    for i in range(n_inputs, n):
        k = node_arity[op[i]]
        for s in range(k):
            p = arg0[i] if s == 0 else arg1[i]
            if p >= n_inputs:
                total += i - p
                count += 1
            last[p] = i
    ends = np.zeros(n + 1, dtype=np.int64)
    for i in range(n_inputs, n):
        if last[i] > i:
            ends[last[i]] += 1
    live = 0
    most = 0
    for i in range(n_inputs, n):
        live -= ends[i]
        if last[i] > i:
            live += 1
        if live > most:
            most = live
    return (total / count if count else 0.0), most
