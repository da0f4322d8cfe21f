"""Batched forward-mode sweep: tangents at C points at once, for ``Tape.jvp`` / ``tangents``
on a batch (:mod:`scalargraph.evaluation`).

Arrays: ``partials`` float64[n, 2, C] from ``forward_partials_batch``, ``tangents``
float64[n, C] with the inputs' rows set on entry; the batch loop innermost, as in
``reverse_adjoints_batch``.
"""

from numba import njit

from .reach import finite_or_nan, seed, term


@njit(cache=True, nogil=True)
def forward_tangents_batch(op, node_arity, n_inputs, arg0, arg1, partials, tangents):
    """``forward_tangents`` at C points at once, each with its own direction.

    ``node_arity[op[i]]`` says how many of node i's slots hold parents (the others may hold
    constant-pool indices, which must never index ``tangents``). A select keeps the rule of
    ``reach.py`` (a zero partial or a tangent no seed reached adds nothing, even against inf
    or NaN) and lets the batch loop vectorize; the sum per node runs in the single-point
    sweep's order.
    O(n C) time, no work memory.
    """
    n_batch = tangents.shape[1]
    for i in range(n_inputs):
        for j in range(n_batch):
            tangents[i, j] = seed(tangents[i, j])
    for i in range(n_inputs, arg0.shape[0]):
        for j in range(n_batch):
            tangents[i, j] = -0.0
        for slot in range(node_arity[op[i]]):
            a = arg0[i] if slot == 0 else arg1[i]
            for j in range(n_batch):
                d = partials[i, slot, j]
                u = tangents[a, j]
                tangents[i, j] += term(finite_or_nan(d), u) if d != 0.0 else -0.0
