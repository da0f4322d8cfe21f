"""Numba kernels of sparse differentiation: index-set patterns of Jacobians and Hessians.

Patterns are found by propagating index sets over the tape (CppAD's ``for_jac_sparsity`` /
``rev_jac_sparsity``, ADOL-C's ``jac_pat``): a node's set holds the inputs it depends on
(forward) or the outputs that depend on it (reverse). Sets live in one growing ``int32``
buffer addressed by ``start[i]``, ``length[i]``; a node whose set equals a parent's (a unary
op, or a union that adds nothing) points at that parent's set instead of copying it, so a
chain costs O(1) per node and memory follows the sizes of the distinct sets, not n x m.
Unions use a marker array stamped with the node's index (no sorting, no clearing).

Which slots carry a dependency, and which pairs of slots interact at second order, come
from the op table as small lookup arrays indexed by opcode (``depends[code, slot]``,
``second[code, 0/1/2]`` for the pairs (0, 0), (0, 1), (1, 1)): see
:mod:`scalargraph.sparsity`, which derives them from the partial rules.

Self-contained on purpose: Numba's on-disk cache does not notice changes in njit functions
imported from other files.
"""

import numpy as np
from numba import njit


@njit(cache=True, nogil=True)
def _reserve(buf, used, extra):
    """``buf`` with room for ``extra`` more entries after ``used`` (doubled when full)."""
    if used + extra <= buf.shape[0]:
        return buf
    bigger = np.empty(max(2 * buf.shape[0], used + extra), dtype=np.int32)
    bigger[:used] = buf[:used]
    return bigger


@njit(cache=True, nogil=True)
def _sort_range(a, lo, hi):
    """Sort ``a[lo:hi]`` in place: insertion sort for the short rows of sparse patterns
    (Numba's sort of a slice costs about 0.6 us per call, 10 times this on 5 entries)."""
    if hi - lo > 32:
        a[lo:hi] = np.sort(a[lo:hi])
        return
    for i in range(lo + 1, hi):
        v = a[i]
        j = i - 1
        while j >= lo and a[j] > v:
            a[j + 1] = a[j]
            j -= 1
        a[j + 1] = v


@njit(cache=True, nogil=True)
def forward_sets(op, arg0, arg1, depends, n_inputs, need, start, length, buf):
    """Input index sets of the nodes marked in ``need`` (bool[n], closed under taking
    parents); node i's set is ``buf[start[i]:start[i] + length[i]]`` (unsorted), empty for
    the others. ``start``, ``length`` (int64[n], written) and ``buf`` (int32, at least
    n_inputs long) come from the caller; returns ``buf``, a bigger copy if it had to grow.
    (NumPy's large allocations get huge pages, Numba's do not: allocating here cost 4
    times the pass itself in page faults.)

    Cost: O(n + total size of the distinct sets) time and memory.
    """
    n = op.shape[0]
    marker = np.full(max(n_inputs, 1), -1, dtype=np.int64)
    for i in range(n_inputs):
        buf[i] = i
        start[i] = i
        length[i] = 1
    used = n_inputs
    for i in range(n_inputs, n):
        code = op[i]
        p = arg0[i] if depends[code, 0] else -1
        q = arg1[i] if depends[code, 1] else -1
        if not need[i]:
            p = q = -1
        if p >= 0 and length[p] == 0:
            p = -1
        if q >= 0 and (length[q] == 0 or q == p
                       or (p >= 0 and start[q] == start[p] and length[q] == length[p])):
            q = -1
        if p < 0:
            p, q = q, -1
        if p < 0:
            start[i] = 0  # no dependency: an empty set
            length[i] = 0
            continue
        if q < 0:
            start[i] = start[p]
            length[i] = length[p]
            continue
        buf = _reserve(buf, used, length[p] + length[q])
        count = 0
        for src in (p, q):
            for k in range(start[src], start[src] + length[src]):
                e = buf[k]
                if marker[e] != i:
                    marker[e] = i
                    buf[used + count] = e
                    count += 1
        # A union that adds nothing to one side is that side: point at it, free the copy.
        if count == length[p]:
            start[i] = start[p]
            length[i] = count
        elif count == length[q]:
            start[i] = start[q]
            length[i] = count
        else:
            start[i] = used
            length[i] = count
            used += count
    return buf


@njit(cache=True, nogil=True)
def reverse_sets(op, arg0, arg1, depends, outputs, n_inputs):
    """Output index sets of every node (the outputs that depend on it): ``(start, length,
    buf)`` as :func:`forward_sets`.

    Children are listed first (a CSR of the edges that carry a dependency, 8 B per edge),
    so that a node's set is the union over its children, and over the outputs it is.
    Cost: O(n + edges + total size of the distinct sets) time and memory.
    """
    n = op.shape[0]
    m = outputs.shape[0]
    # children of each node (edges with a structurally nonzero partial), as CSR
    cptr = np.zeros(n + 1, dtype=np.int64)
    for i in range(n_inputs, n):
        code = op[i]
        if depends[code, 0]:
            cptr[arg0[i] + 1] += 1
        if depends[code, 1]:
            cptr[arg1[i] + 1] += 1
    for i in range(n):
        cptr[i + 1] += cptr[i]
    child = np.empty(cptr[n], dtype=np.int32)
    fill = cptr[:n].copy()
    for i in range(n_inputs, n):
        code = op[i]
        for slot in range(2):
            if depends[code, slot]:
                a = arg0[i] if slot == 0 else arg1[i]
                child[fill[a]] = i
                fill[a] += 1
    # outputs at each node
    optr = np.zeros(n + 1, dtype=np.int64)
    for k in range(m):
        optr[outputs[k] + 1] += 1
    for i in range(n):
        optr[i + 1] += optr[i]
    onode = np.empty(m, dtype=np.int32)
    ofill = optr[:n].copy()
    for k in range(m):
        onode[ofill[outputs[k]]] = k
        ofill[outputs[k]] += 1

    start = np.zeros(n, dtype=np.int64)
    length = np.zeros(n, dtype=np.int64)
    marker = np.full(max(m, 1), -1, dtype=np.int64)
    buf = np.empty(max(16, 2 * m), dtype=np.int32)
    used = 0
    for i in range(n - 1, -1, -1):
        n_out = optr[i + 1] - optr[i]
        # the children with a nonempty set; alias when there is one and no output here
        first = -1
        several = False
        total = n_out
        for k in range(cptr[i], cptr[i + 1]):
            c = child[k]
            if length[c] == 0:
                continue
            total += length[c]
            if first < 0:
                first = c
            elif start[c] != start[first] or length[c] != length[first]:
                several = True
        if total == 0:
            continue
        if n_out == 0 and not several:
            start[i] = start[first]
            length[i] = length[first]
            continue
        buf = _reserve(buf, used, total)
        count = 0
        biggest = -1
        for k in range(optr[i], optr[i + 1]):
            e = onode[k]
            if marker[e] != i:
                marker[e] = i
                buf[used + count] = e
                count += 1
        for k in range(cptr[i], cptr[i + 1]):
            c = child[k]
            if biggest < 0 or length[c] > length[biggest]:
                biggest = c
            for j in range(start[c], start[c] + length[c]):
                e = buf[j]
                if marker[e] != i:
                    marker[e] = i
                    buf[used + count] = e
                    count += 1
        if biggest >= 0 and count == length[biggest]:
            start[i] = start[biggest]
            length[i] = count
        else:
            start[i] = used
            length[i] = count
            used += count
    return start, length, buf


@njit(cache=True, nogil=True)
def gather_rows(rows, start, length, buf):
    """CSR ``(indptr, indices)`` whose row r is the set of node ``rows[r]``, each row sorted."""
    m = rows.shape[0]
    indptr = np.zeros(m + 1, dtype=np.int64)
    for r in range(m):
        indptr[r + 1] = indptr[r] + length[rows[r]]
    indices = np.empty(indptr[m], dtype=np.int32)
    for r in range(m):
        s = start[rows[r]]
        lo = indptr[r]
        hi = indptr[r + 1]
        for k in range(hi - lo):
            indices[lo + k] = buf[s + k]
        _sort_range(indices, lo, hi)
    return indptr, indices


@njit(cache=True, nogil=True)
def live_nodes(op, arg0, arg1, depends, n_inputs, seed):
    """Nodes from which a path of structurally nonzero partials reaches node ``seed``."""
    live = np.zeros(op.shape[0], dtype=np.bool_)
    live[seed] = True
    for i in range(seed, n_inputs - 1, -1):
        if live[i]:
            code = op[i]
            if depends[code, 0]:
                live[arg0[i]] = True
            if depends[code, 1]:
                live[arg1[i]] = True
    return live


@njit(cache=True, nogil=True)
def hessian_needs(op, arg0, arg1, depends, second, n_inputs, seed):
    """``(live, need)``: the nodes that reach ``seed`` (:func:`live_nodes`), and those whose
    input sets the Hessian pattern reads: the parents of live nonlinear nodes, and their
    ancestors. A sum reduction on top of nonlinear terms is linear, so its ever-growing
    sets are never built (forward propagation through it would cost O(n^2))."""
    live = live_nodes(op, arg0, arg1, depends, n_inputs, seed)
    need = np.zeros(op.shape[0], dtype=np.bool_)
    for i in range(seed, n_inputs - 1, -1):
        code = op[i]
        if live[i]:
            if second[code, 0] or second[code, 1]:
                need[arg0[i]] = True
            if second[code, 1] or second[code, 2]:
                need[arg1[i]] = True
        if need[i]:
            if depends[code, 0]:
                need[arg0[i]] = True
            if depends[code, 1]:
                need[arg1[i]] = True
    return live, need


@njit(cache=True, nogil=True)
def hessian_pattern(op, arg0, arg1, second, n_inputs, seed, live, start, length, buf):
    """CSR ``(indptr, indices)`` of the Hessian pattern of node ``seed`` (n_inputs square,
    rows sorted, symmetric).

    Forward-over-reverse on sets (CppAD's ``for_hes_sparsity``): every node that reaches
    the seed (``live``, from :func:`hessian_needs`) and whose op has a structurally nonzero second partial in slots (a, b) adds
    the products set(parent a) x set(parent b) and its transpose. Pairs are emitted, then
    bucketed by row and de-duplicated with a marker.
    Cost: O(n + emitted pairs) time and memory; a pair is emitted once per nonlinear node
    that produces it.
    """
    n_pairs = 0
    for i in range(n_inputs, seed + 1):
        if not live[i]:
            continue
        code = op[i]
        for w in range(3):
            if second[code, w]:
                a = arg0[i] if w < 2 else arg1[i]
                b = arg0[i] if w == 0 else arg1[i]
                n_pairs += length[a] * length[b] * (1 if w != 1 else 2)
    prow = np.empty(n_pairs, dtype=np.int32)
    pcol = np.empty(n_pairs, dtype=np.int32)
    k = 0
    for i in range(n_inputs, seed + 1):
        if not live[i]:
            continue
        code = op[i]
        for w in range(3):
            if second[code, w]:
                a = arg0[i] if w < 2 else arg1[i]
                b = arg0[i] if w == 0 else arg1[i]
                for s in range(start[a], start[a] + length[a]):
                    for t in range(start[b], start[b] + length[b]):
                        prow[k] = buf[s]
                        pcol[k] = buf[t]
                        k += 1
                        if w == 1:
                            prow[k] = buf[t]
                            pcol[k] = buf[s]
                            k += 1
    # bucket by row (counting sort), then drop repeats within each row
    count = np.zeros(n_inputs + 1, dtype=np.int64)
    for j in range(n_pairs):
        count[prow[j] + 1] += 1
    for r in range(n_inputs):
        count[r + 1] += count[r]
    cols = np.empty(n_pairs, dtype=np.int32)
    fill = count[:n_inputs].copy()
    for j in range(n_pairs):
        r = prow[j]
        cols[fill[r]] = pcol[j]
        fill[r] += 1
    marker = np.full(max(n_inputs, 1), -1, dtype=np.int64)
    indptr = np.zeros(n_inputs + 1, dtype=np.int64)
    out = 0
    for r in range(n_inputs):
        row_start = out
        for j in range(count[r], count[r + 1]):
            c = cols[j]
            if marker[c] != r:
                marker[c] = r
                cols[out] = c
                out += 1
        _sort_range(cols, row_start, out)
        indptr[r + 1] = out
    return indptr, cols[:out].copy()
