"""Numba kernels of forward-over-reverse second order: tangents of the partials, then one
reverse sweep that carries adjoints and their tangents (Hessian-vector products).

With node values v, local partials d[i, s] = d v_i / d parent_s and a direction u on the
inputs, the tangents t_i = d v_i / d u and the tangents of the partials
e[i, s] = sum_r h[i, s, r] t(parent_r) (h: the op's second partials, derived from the op
table by ``tools/gen_rules.py``: ``rules.second``) give, for adjoints a (seeded on one output),

    a(parent_s) += d[i, s] a_i,    a'(parent_s) += e[i, s] a_i + d[i, s] a'_i,

so that a' on the inputs is H u (Griewank and Walther, *Evaluating Derivatives*, ch. 5).
Strong zero as in ``sweeps.py``: a zero factor contributes exactly nothing.

Arrays: ``values`` float64[n]; ``partials``, ``dpartials`` float64[n, 2] (0.0 in a slot
with no parent); ``tangents``, ``adjoints``, ``adjoint_tangents`` float64[n].
"""

from numba import njit

from . import rules, shared

_CONST, _UNARY, _BINARY, _CONST_RIGHT = 1, 2, 3, 4  # ops.Kind
_KIND = rules.KIND


@njit(cache=True, inline="always")
def partial_tangents(o, x, y, z, tx, ty):
    """``(e0, e1)``: the tangents of the op's two partials, sum_r h[s][r] t_r, from the
    tangents tx, ty of its operands. A zero tangent or second partial adds nothing."""
    e0 = 0.0
    e1 = 0.0
    if tx != 0.0 or ty != 0.0:
        h00, h01, h10, h11 = shared.second(o, x, y, z)
        if tx != 0.0:
            if h00 != 0.0:
                e0 += h00 * tx
            if h10 != 0.0:
                e1 += h10 * tx
        if ty != 0.0:
            if h01 != 0.0:
                e0 += h01 * ty
            if h11 != 0.0:
                e1 += h11 * ty
    return e0, e1


@njit(cache=True, nogil=True, error_model="numpy")
def forward_second(n_inputs, op, arg0, arg1, consts, values, partials, tangents, dpartials):
    """Tangents and tangents of the local partials, for forward-over-reverse.

    Reads ``values`` and ``partials`` (from ``forward.forward_partials``) and the input
    tangents ``tangents[:n_inputs]``; writes ``tangents[i]`` = d node / d direction and
    ``dpartials[i, s]`` = d partials[i, s] / d direction = sum_r h[s][r] * tangent(parent r),
    exactly 0.0 for a slot with no parent. A zero tangent or second partial contributes
    nothing (strong zero). O(n) time, no work memory.
    """
    for i in range(n_inputs):
        dpartials[i, 0] = 0.0
        dpartials[i, 1] = 0.0
    for i in range(n_inputs, op.shape[0]):
        k = _KIND[op[i]]
        e0 = 0.0
        e1 = 0.0
        if k == _CONST:
            tangents[i] = 0.0
            dpartials[i, 0] = e0
            dpartials[i, 1] = e1
            continue
        a = arg0[i]
        b = arg1[i]
        tx = tangents[a]
        ty = tangents[b] if k == _BINARY else 0.0
        t = 0.0
        d = partials[i, 0]
        if d != 0.0 and tx != 0.0:
            t += d * tx
        d = partials[i, 1]
        if d != 0.0 and ty != 0.0:
            t += d * ty
        tangents[i] = t
        if tx != 0.0 or ty != 0.0:
            y = values[b] if k == _BINARY else (consts[b] if k == _CONST_RIGHT else 0.0)
            e0, e1 = partial_tangents(op[i], values[a], y, values[i], tx, ty)
        dpartials[i, 0] = e0
        dpartials[i, 1] = e1



@njit(cache=True, nogil=True, error_model="numpy")
def forward_second_fused(op, arg0, arg1, consts, inputs, direction, values, partials,
                         tangents, dpartials):
    """``forward.forward_partials`` and :func:`forward_second` in one pass, for one product.

    Writes ``values``, ``partials`` (the same bits as ``forward_partials``), ``tangents``
    (the inputs' from ``direction``) and ``dpartials``. One pass instead of two: the 10^5-node
    random DAG's hvp took 2.0x the old generated loop's time in two passes (reading values
    and partials back from memory). O(n) time, no work memory.
    """
    n_in = inputs.shape[0]
    for i in range(n_in):
        values[i] = inputs[i]
        partials[i, 0] = 0.0
        partials[i, 1] = 0.0
        tangents[i] = direction[i]
        dpartials[i, 0] = 0.0
        dpartials[i, 1] = 0.0
    for i in range(n_in, op.shape[0]):
        o = op[i]
        a = arg0[i]
        k = _KIND[o]
        d1 = 0.0
        y = 0.0
        ty = 0.0
        if k == _UNARY:
            x = values[a]
            z, d0 = shared.unary_partials(o, x)
        elif k == _CONST_RIGHT:
            x = values[a]
            y = consts[arg1[i]]
            z, d0 = shared.const_right_partials(o, x, y)
        elif k == _BINARY:
            b = arg1[i]
            x = values[a]
            y = values[b]
            ty = tangents[b]
            z, d0, d1 = shared.binary_partials(o, x, y)
        else:
            values[i] = consts[a]
            partials[i, 0] = 0.0
            partials[i, 1] = 0.0
            tangents[i] = 0.0
            dpartials[i, 0] = 0.0
            dpartials[i, 1] = 0.0
            continue
        values[i] = z
        partials[i, 0] = d0
        partials[i, 1] = d1
        tx = tangents[a]
        t = 0.0
        if d0 != 0.0 and tx != 0.0:
            t += d0 * tx
        if d1 != 0.0 and ty != 0.0:
            t += d1 * ty
        tangents[i] = t
        e0, e1 = partial_tangents(o, x, y, z, tx, ty)
        dpartials[i, 0] = e0
        dpartials[i, 1] = e1


@njit(cache=True, nogil=True)
def reverse_second(arg0, arg1, partials, dpartials, adjoints, adjoint_tangents):
    """Reverse sweep of adjoints and adjoint tangents (both seeded on entry).

    Node i's pair is final when it is reached (children have larger indices); ``+=`` sums
    over children. O(n) time, no work memory.
    """
    for i in range(arg0.shape[0] - 1, -1, -1):
        s = adjoints[i]
        r = adjoint_tangents[i]
        if s == 0.0 and r == 0.0:
            continue
        for slot in range(2):
            d = partials[i, slot]
            e = dpartials[i, slot]
            if d == 0.0 and e == 0.0:
                continue
            p = arg0[i] if slot == 0 else arg1[i]
            if s != 0.0:
                if d != 0.0:
                    adjoints[p] += d * s
                if e != 0.0:
                    adjoint_tangents[p] += e * s
            if r != 0.0 and d != 0.0:
                adjoint_tangents[p] += d * r


@njit(cache=True, nogil=True, error_model="numpy")
def hessian_rows(n_inputs, lo, hi, op, arg0, arg1, consts, values, partials, tangents,
                 dpartials, adjoints, adjoint_tangents, seed_at, hess):
    """Rows lo .. hi - 1 of the Hessian of node ``seed_at`` into ``hess`` (float64[n_inputs,
    n_inputs]): row j is H e_j, :func:`forward_second` along e_j on the values and partials
    given, then :func:`reverse_second` seeded with 1.0 at ``seed_at``. The same sweeps as one
    ``hvp`` per row, so the same bits. The loop is compiled, not Python around two kernel
    calls and four NumPy fills per row: the wide sum's Hessian at 3, 10 and 100 inputs
    17-30 -> 8.5-15, 44-71 -> 12-21 and 680-1150 -> 330-615 us (20th percentile of 1000
    calls, the two versions in alternating processes, six rounds).
    """
    n = op.shape[0]
    for j in range(lo, hi):
        for i in range(n_inputs):
            tangents[i] = 0.0
        tangents[j] = 1.0
        forward_second(n_inputs, op, arg0, arg1, consts, values, partials, tangents,
                       dpartials)
        for i in range(n):
            adjoints[i] = 0.0
            adjoint_tangents[i] = 0.0
        adjoints[seed_at] = 1.0
        reverse_second(arg0, arg1, partials, dpartials, adjoints, adjoint_tangents)
        for i in range(n_inputs):
            hess[j, i] = adjoint_tangents[i]
