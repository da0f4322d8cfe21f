"""Numba kernels of the checkpointed reverse sweep (Chen et al. 2016; Prince problem 7.11).

The tape's non-input nodes are cut into k segments of consecutive positions. A node whose
value is read by a later segment is a *boundary* node; the inputs are boundary nodes too.
One forward pass keeps only the boundary values (the checkpoints). The reverse pass then
takes the segments last to first: it recomputes one segment's values and partials from
the checkpoints, runs the ordinary reverse loop over it, and hands the adjoints that flow
out of it to the boundary nodes it reads.

A segment [s, e) is swept as a small tape of its own: its ``w`` boundary parents (the
sorted ``ext``) at local positions 0 .. w - 1, then its nodes at w .. w + e - s - 1, with
their parent indices renamed to local positions (``_localize``). The loops that sweep it
are the plain sweeps' own (``forward.values_range``, ``forward.partials_range``,
``sweeps.reverse_loop``), so every value, partial and adjoint is computed by the same
operations in the same order as in the plain sweep: the results are equal bit for bit. A boundary node's running adjoint is carried
between segments *as the running sum* (copied in before a segment, out after it), never
summed per segment and then added, which would regroup the additions.

Arrays: tape arrays as in ``forward.py``; ``bounds`` int64[k + 1] segment starts;
``ext_ptr`` int64[k + 1] and ``ext_nodes`` int32[...] each segment's boundary parents
(sorted); ``keep`` int64[m] all boundary nodes (sorted, inputs first), ``ext_slot`` int64
the position in ``keep`` of each ``ext_nodes`` entry, ``keep_lo`` int64[k + 1] where each
segment's own boundary nodes start in ``keep``.
"""

import numpy as np
from numba import njit

from . import rules
from .forward import partials_range, values_range
from .sweeps import reverse_loop

_ARITY = rules.ARITY


# Hand-written: Numba's np.sort and np.searchsorted took 4 s and 3 s to compile, more than
# the rest of the checkpointed sweep.
@njit(cache=True, inline="always")
def _heapsort(a, n):
    """Sort a[:n] in place (in-place heapsort: no work memory, no recursion)."""
    for start in range(n // 2 - 1, -1, -1):
        _sift(a, start, n)
    for end in range(n - 1, 0, -1):
        a[0], a[end] = a[end], a[0]
        _sift(a, 0, end)


@njit(cache=True, inline="always")
def _sift(a, root, n):
    while True:
        child = 2 * root + 1
        if child >= n:
            return
        if child + 1 < n and a[child] < a[child + 1]:
            child += 1
        if a[root] >= a[child]:
            return
        a[root], a[child] = a[child], a[root]
        root = child


@njit(cache=True, inline="always")
def _find(sorted_values, v):
    """Position of ``v`` in ``sorted_values`` (it is there): binary search."""
    lo = 0
    hi = sorted_values.shape[0]
    while lo < hi:
        mid = (lo + hi) // 2
        if sorted_values[mid] < v:
            lo = mid + 1
        else:
            hi = mid
    return lo


@njit(cache=True, nogil=True)
def plan_segments(op, arg0, arg1, node_arity, bounds):
    """``(ext_ptr, ext_nodes)``: for each segment the sorted distinct parents before it.

    Work memory O(longest segment) beyond the result. O(n log n) time at worst (a sort per
    segment of its outside parents).
    """
    k = bounds.shape[0] - 1
    longest = 0
    for J in range(k):
        longest = max(longest, bounds[J + 1] - bounds[J])
    ext_ptr = np.zeros(k + 1, dtype=np.int64)
    ext = np.empty(max(16, 2 * k), dtype=np.int32)
    buf = np.empty(2 * longest, dtype=np.int32)
    m = 0
    for J in range(k):
        s = bounds[J]
        c = 0
        for i in range(s, bounds[J + 1]):
            arity = node_arity[op[i]]
            if arity >= 1 and arg0[i] < s:
                buf[c] = arg0[i]
                c += 1
            if arity == 2 and arg1[i] < s:
                buf[c] = arg1[i]
                c += 1
        _heapsort(buf, c)
        if m + c > ext.shape[0]:
            grown = np.empty(max(2 * ext.shape[0], m + c), dtype=np.int32)
            grown[:m] = ext[:m]
            ext = grown
        last = -1
        for q in range(c):
            p = buf[q]
            if p != last:
                ext[m] = p
                m += 1
                last = p
        ext_ptr[J + 1] = m
    return ext_ptr, ext[:m].copy()


@njit(cache=True, nogil=True)
def _localize(op, arg0, arg1, s, e, ext, lop, la0, la1):
    """Segment [s, e) as a local tape: ext parents at 0 .. w - 1, nodes from w on."""
    w = ext.shape[0]
    for i in range(s, e):
        j = i - s + w
        o = op[i]
        lop[j] = o
        a = arg0[i]
        b = arg1[i]
        k = _ARITY[o]
        if k >= 1:
            a = a - s + w if a >= s else _find(ext, a)
        if k == 2:
            b = b - s + w if b >= s else _find(ext, b)
        la0[j] = a
        la1[j] = b


@njit(cache=True, nogil=True, error_model="numpy")
def checkpointed_adjoints(op, arg0, arg1, consts, x, bounds, ext_ptr, ext_nodes, ext_slot,
                          keep, keep_lo, seed_nodes, seed_values, keep_values, keep_adjoints,
                          lop, la0, la1, rop, ra0, ra1, lvalues, lpartials, ladjoints):
    """Adjoints of the boundary nodes (inputs first) by the checkpointed sweep.

    On entry ``keep_adjoints`` holds the seeds of boundary nodes, and ``seed_nodes`` /
    ``seed_values`` the seeds of the other nodes (sorted by node). ``keep_values`` and the
    local-tape buffers (``lop``, ``la0``, ``la1``, and ``rop``, ``ra0``, ``ra1`` read-only views of
    the same three, ``lvalues``, ``lpartials``, ``ladjoints``:
    the most boundary parents of a segment plus its length) are work memory, overwritten.
    On exit ``keep_adjoints[:n_inputs]`` is the gradient.
    """
    n_inputs = x.shape[0]
    k = bounds.shape[0] - 1
    for q in range(n_inputs):
        keep_values[q] = x[q]
    # Forward: checkpoints only. The last segment's values are needed by no later segment.
    for J in range(k - 1):
        s, e = bounds[J], bounds[J + 1]
        p0, p1 = ext_ptr[J], ext_ptr[J + 1]
        w = p1 - p0
        _localize(op, arg0, arg1, s, e, ext_nodes[p0:p1], lop, la0, la1)
        for q in range(w):
            lvalues[q] = keep_values[ext_slot[p0 + q]]
        values_range(rop, ra0, ra1, consts, lvalues, w, w + e - s)
        for q in range(keep_lo[J], keep_lo[J + 1]):
            keep_values[q] = lvalues[keep[q] - s + w]
    # Reverse: recompute each segment, sweep it, pass its outflowing adjoints on.
    t = seed_nodes.shape[0] - 1
    for J in range(k - 1, -1, -1):
        s, e = bounds[J], bounds[J + 1]
        p0, p1 = ext_ptr[J], ext_ptr[J + 1]
        w = p1 - p0
        m = w + e - s
        _localize(op, arg0, arg1, s, e, ext_nodes[p0:p1], lop, la0, la1)
        for q in range(w):
            lvalues[q] = keep_values[ext_slot[p0 + q]]
            lpartials[q, 0] = 0.0
            lpartials[q, 1] = 0.0
            ladjoints[q] = keep_adjoints[ext_slot[p0 + q]]
        partials_range(rop, ra0, ra1, consts, lvalues, lpartials, w, m)
        for j in range(w, m):
            ladjoints[j] = -0.0  # nothing reached yet (reach.py)
        for q in range(keep_lo[J], keep_lo[J + 1]):
            ladjoints[keep[q] - s + w] = keep_adjoints[q]
        while t >= 0 and seed_nodes[t] >= s:
            ladjoints[seed_nodes[t] - s + w] = seed_values[t]
            t -= 1
        # The ext parents' adjoints are running sums carried between segments: the loop
        # adds this segment's contributions to them in the plain sweep's order.
        reverse_loop(la0, la1, lpartials, ladjoints, w, m)
        for q in range(w):
            keep_adjoints[ext_slot[p0 + q]] = ladjoints[q]
