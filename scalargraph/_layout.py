"""Layered layout of a tape for pictures: columns by depth, wrapped into bands when long.

A graph drawn as one column per depth turns a 169-node chain into a 17,139 px strip. Here
each node gets a depth (inputs 0, an op one more than its deepest parent, a constant just
before its first use) and an order within its depth (parents' mean order, so edges cross
little); when there are more depths than ``wrap_columns`` allows, depth d goes to column
``d % cols`` of band ``d // cols``, like lines of text. ``to_dot`` and ``explore`` both use it.
"""

import math

import numpy as np

from . import ops

#: Depths drawn in one row before wrapping.
MAX_UNWRAPPED = 24


def depths(tape):
    """Depth of every node (int64 array): inputs 0, ops 1 + max parent depth, constants one
    less than their first child's (0 at least). O(n) Python."""
    arity = ops.ARITY_TABLE[tape.op].tolist()
    a0, a1 = tape.arg0.tolist(), tape.arg1.tolist()
    n = tape.n_nodes
    depth = [0] * n
    const = ops.CONST_KIND
    is_const = [ops.BY_CODE[c].kind == const for c in range(ops.N_OPS)]
    ops_list = tape.op.tolist()
    first_use = {}
    for i in range(n):
        k = arity[i]
        if k == 0:
            continue
        p = a0[i]
        d = depth[p]
        if is_const[ops_list[p]]:
            first_use.setdefault(p, i)
            d = -1
        if k == 2:
            q = a1[i]
            if is_const[ops_list[q]]:
                first_use.setdefault(q, i)
            elif depth[q] > d:
                d = depth[q]
        depth[i] = d + 1
    for p, i in first_use.items():
        depth[p] = max(depth[i] - 1, 0)
    return np.array(depth, dtype=np.int64)


def orders(tape, depth):
    """Position of every node within its depth: inputs in input order, the others sorted by
    their parents' mean position (the barycenter heuristic, one pass). O(n log n)."""
    n = tape.n_nodes
    arity = ops.ARITY_TABLE[tape.op].tolist()
    a0, a1 = tape.arg0.tolist(), tape.arg1.tolist()
    pos = [0.0] * n
    by_depth = {}
    for i, d in enumerate(depth.tolist()):
        by_depth.setdefault(d, []).append(i)
    order = np.zeros(n, dtype=np.int64)
    for d in sorted(by_depth):
        members = by_depth[d]
        keys = []
        for i in members:
            k = arity[i]
            key = float(i) if k == 0 else (pos[a0[i]] if k == 1 else (pos[a0[i]] + pos[a1[i]]) / 2)
            keys.append(key)
        ranked = sorted(range(len(members)), key=keys.__getitem__)
        for r, j in enumerate(ranked):
            pos[members[j]] = float(r)
            order[members[j]] = r
    return order


def columns(n_depths, max_unwrapped=MAX_UNWRAPPED):
    """Columns per band: all depths in one row up to ``max_unwrapped``, else about the square
    root of the depth count, so a long chain becomes a block of rows, not a strip."""
    if n_depths <= max_unwrapped:
        return max(n_depths, 1)
    return max(8, math.ceil(math.sqrt(n_depths * 1.5)))


def dot_wrap(tape, depth):
    """DOT lines that wrap a deep graph into bands, and the set of edges that run backwards.

    Returns ``(lines, back)``: ``{rank=same; ...}`` groups putting depth d in column
    ``d % cols`` (empty when no wrap is needed), and the (parent, child) pairs whose child
    sits in an earlier column, to be drawn with ``constraint=false``.
    """
    n_depths = int(depth.max()) + 1 if depth.size else 0
    cols = columns(n_depths)
    if cols >= n_depths:
        return [], set()
    col = depth % cols
    lines = []
    for c in range(cols):
        members = np.flatnonzero(col == c)
        if members.size:
            lines.append("  {rank=same; " + " ".join(f"n{i};" for i in members.tolist()) + "}")
    back = set()
    arity = ops.ARITY_TABLE[tape.op]
    for slot, args in ((1, tape.arg0), (2, tape.arg1)):
        child = np.flatnonzero(arity >= slot)
        parent = args[child]
        bad = child[col[child] <= col[parent]]
        back.update(zip(args[bad].tolist(), bad.tolist()))
    return lines, back
