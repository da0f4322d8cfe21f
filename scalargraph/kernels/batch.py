"""Forward sweeps at B points at once: values [n, B] and partials [n, 2, B], batch innermost.

The per-op switch sits outside the loop over points (``rules.value_row`` /
``rules.partials_row`` hold one loop per op), so that each op's loop over the points is
straight arithmetic the compiler can vectorize; with the switch inside that loop the batch
sweeps measured 1.2-1.4x slower (toy model, 10^4 points). Inputs arrive as rows
(inputs[B, n_inputs]) and are transposed into the first rows of ``values``.
"""

from numba import njit

from . import rules

_CONST, _BINARY, _CONST_RIGHT = 1, 3, 4  # ops.Kind
_KIND = rules.KIND


@njit(cache=True, nogil=True, error_model="numpy")
def forward_values_batch(op, arg0, arg1, consts, inputs, values):
    """Values of every node at B points, values[n, B] (inputs[B, n_inputs])."""
    n_batch = values.shape[1]
    for i in range(inputs.shape[1]):
        for j in range(n_batch):
            values[i, j] = inputs[j, i]
    for i in range(inputs.shape[1], op.shape[0]):
        o = op[i]
        a = arg0[i]
        b = arg1[i]
        k = _KIND[o]
        if k == _CONST:
            c = consts[a]
            for j in range(n_batch):
                values[i, j] = c
            continue
        c = consts[b] if k == _CONST_RIGHT else 0.0
        rules.value_row(o, values[a], values[b] if k == _BINARY else values[a], c, values[i])


@njit(cache=True, nogil=True, error_model="numpy")
def forward_partials_batch(op, arg0, arg1, consts, inputs, values, partials):
    """Values [n, B] and partials [n, 2, B] at B points (inputs[B, n_inputs])."""
    n_batch = values.shape[1]
    for i in range(inputs.shape[1]):
        for j in range(n_batch):
            values[i, j] = inputs[j, i]
            partials[i, 0, j] = 0.0
            partials[i, 1, j] = 0.0
    for i in range(inputs.shape[1], op.shape[0]):
        o = op[i]
        a = arg0[i]
        b = arg1[i]
        k = _KIND[o]
        if k == _CONST:
            c = consts[a]
            for j in range(n_batch):
                values[i, j] = c
                partials[i, 0, j] = 0.0
                partials[i, 1, j] = 0.0
            continue
        c = consts[b] if k == _CONST_RIGHT else 0.0
        rules.partials_row(o, values[a], values[b] if k == _BINARY else values[a], c,
                           values[i], partials[i, 0], partials[i, 1])
