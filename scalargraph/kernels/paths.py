"""Numba kernels of :mod:`scalargraph.paths`: the walk over every path, and the path counter."""

from numba import njit

from .reach import finite_or_nan


@njit(cache=True, nogil=True)
def walk_paths(arity, op, arg0, arg1, partials, n_inputs, grad, stack_node, stack_prod, state,
               max_pops):
    """Depth-first walk towards the inputs, adding each path's product to ``grad``; resumable.

    The stack holds (node, product of the partials from the output down to node); the caller
    pushes the output node with product 1.0 and sets ``state = [top, terms] = [1, 0]``. The
    walk pops at most ``max_pops`` entries, keeps where it stopped in the stack and
    ``state``, and returns True once the stack is empty (False: call again with the same
    arrays to go on). Stopping and going on changes nothing: the same pops in the same
    order, the same bits. ``state[1]`` counts the nonzero terms summed.

    The sweeps' rule (``reach.py``): a partial that is exactly 0 ends its path there (a cut
    edge: that path adds nothing even if a later factor is inf or NaN), and a partial that is
    not finite is NaN. At most two entries are pushed per pop and each push goes one node
    closer to the inputs, so the stack never holds more than ``2 * n_nodes + 1`` entries.
    """
    size = 2 * arg0.shape[0] + 1
    top = state[0]
    terms = state[1]
    if stack_node.shape[0] < size or stack_prod.shape[0] < size or top < 0 or top > size \
            or grad.shape[0] != n_inputs or partials.shape[0] != arg0.shape[0]:
        raise ValueError("walk_paths: stack, state or gradient of the wrong size")
    pops = 0
    while top > 0 and pops < max_pops:
        pops += 1
        top -= 1
        node = stack_node[top]
        prod = stack_prod[top]
        if node < n_inputs:
            grad[node] += prod
            terms += 1
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
    state[0] = top
    state[1] = terms
    return top == 0


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
