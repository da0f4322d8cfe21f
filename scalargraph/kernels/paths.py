"""Numba kernels of :mod:`scalargraph.paths`: the walk over every path, and the path counter."""

import numpy as np
from numba import njit

from .reach import finite_or_nan


@njit(cache=True, nogil=True)
def walk_paths(arity, op, arg0, arg1, partials, start, n_inputs, grad, max_terms):
    """Depth-first walk from ``start`` towards the inputs, adding each path's product to grad.

    The stack holds (node, product of the partials from start down to node). The sweeps'
    rule (``reach.py``): a partial that is exactly 0 ends its path there (a cut edge: that
    path adds nothing even if a later factor is inf or NaN), and a partial that is not
    finite is NaN. Returns the number of nonzero terms summed, or -1
    once more than ``max_terms`` were summed. At most two entries are pushed per pop and each
    push goes one node closer to the inputs, so the stack never holds more than
    ``2 * n_nodes + 1`` entries.
    """
    size = 2 * arg0.shape[0] + 1
    stack_node = np.empty(size, dtype=np.int64)
    stack_prod = np.empty(size, dtype=np.float64)
    stack_node[0] = start
    stack_prod[0] = 1.0
    top = 1
    terms = 0
    while top > 0:
        top -= 1
        node = stack_node[top]
        prod = stack_prod[top]
        if node < n_inputs:
            grad[node] += prod
            terms += 1
            if terms > max_terms:
                return -1
            continue
        k = arity[op[node]]
        if k >= 1:
            d = partials[node, 0]
            if d != 0.0:
                stack_node[top] = arg0[node]
                stack_prod[top] = prod * finite_or_nan(d)
                top += 1
        if k == 2:
            d = partials[node, 1]
            if d != 0.0:
                stack_node[top] = arg1[node]
                stack_prod[top] = prod * finite_or_nan(d)
                top += 1
    return terms


@njit(cache=True, nogil=True)
def count_paths_int64(arity, op, arg0, arg1, start, counts):
    """Paths from every node to ``start`` into ``counts`` (int64); False if a count overflows."""
    limit = 9223372036854775807
    counts[start] = 1
    for i in range(start, -1, -1):
        c = counts[i]
        if c == 0:
            continue
        k = arity[op[i]]
        if k >= 1:
            a = arg0[i]
            if counts[a] > limit - c:
                return False
            counts[a] += c
        if k == 2:
            a = arg1[i]
            if counts[a] > limit - c:
                return False
            counts[a] += c
    return True
