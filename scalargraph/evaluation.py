"""Batches in every evaluation method: ``Tape.value_and_gradient``, ``jvp``, ``vjp``,
``adjoints``, ``tangents``, ``hvp`` and ``jacobian`` at B points (B, n_inputs) at once.

Each function here takes a tape and points ``X`` already checked by ``Tape._points`` (float64,
(B, n_inputs)) and returns the per-point results stacked along a new first axis, as
``tape(X)`` and ``tape.gradient(X)`` do.

How they run:

* first order (``value_and_gradient``, ``vjp``, ``adjoints``, ``jvp``, ``tangents``): the
  chunked batched sweeps of :mod:`scalargraph.batch` (chunks of up to 6000 points, batch loop
  innermost, chunks shared out over a thread pool, one work buffer per thread): the forward
  sweep with partials of ``forward_partials_batch``, then ``reverse_adjoints_batch`` (reverse)
  or ``forward_tangents_batch`` (forward, ``scalargraph/kernels/evaluation.py``);
* second order and Jacobians (``hvp``, ``jacobian``): one point after another through the
  single-point methods, on the same thread pool. There is no batched second-order kernel
  yet, and a Jacobian's block sweeps already carry up to 64 directions per sweep.

Directions ``V`` (for ``jvp``, ``tangents``, ``hvp``) and weights ``W`` (for ``vjp``) may be one
vector, used at every point, or one per point, (B, n_inputs) or (B, n_outputs).
"""

import numpy as np

from . import batch, ops, validate
from .kernels import batch as _kernels, evaluation as _ek, sweeps as _sweeps

_NODE_ARITY = ops.ARITY_TABLE


def _per_point(tape, V, B, size, what):
    """Directions or weights: (size,) for every point, or (B, size); as float64 (B, size)."""
    V = validate.as_real_array(V, what)
    if V.ndim == 1 and V.shape[0] == size:
        return np.broadcast_to(V, (B, size))
    if V.ndim == 2 and V.shape == (B, size):
        return V
    raise ValueError(f"expected {what} of shape ({size},) (the same at every point) or "
                     f"({B}, {size}) (one per point), got shape {V.shape}")


def _linearized(tape, X, work):
    vals, partials, slot = work.get(X.shape[0])
    _kernels.forward_partials_batch(tape.op, tape.arg0, tape.arg1, tape.consts, X, vals, partials)
    return vals, partials, slot


def _run(tape, X, fn, workers):
    batch._map_chunks(fn, X.shape[0], batch.chunk_size(tape.n_nodes, X.shape[0]), workers)


def value_and_gradient(tape, X, k, workers=None):
    """Output k and its gradient at every row of X: ``(values (B,), gradients (B, n_inputs))``.

    Cost: as ``tape.gradient(X)``: one batched forward sweep with partials + one batched
    reverse sweep per chunk; 32 B per node and point of a chunk, per thread.
    """
    B = X.shape[0]
    values, grads = np.empty(B), np.empty((B, tape.n_inputs))
    work = batch._Work(tape.n_nodes)

    def run(s, e):
        value, adjoints = batch._reverse_chunk(tape, X[s:e], k, work)
        values[s:e] = value
        grads[s:e] = adjoints[:tape.n_inputs].T + 0.0  # -0.0 (not reached) becomes 0.0

    _run(tape, X, run, workers)
    return values, grads


def adjoints(tape, X, k, workers=None):
    """d output k / d node for every node at every row of X: array (B, n_nodes).

    Cost: as :func:`value_and_gradient`; the result is 8 B per node and point.
    """
    out = np.empty((X.shape[0], tape.n_nodes))
    work = batch._Work(tape.n_nodes)

    def run(s, e):
        out[s:e] = batch._reverse_chunk(tape, X[s:e], k, work)[1].T + 0.0  # -0.0: not reached

    _run(tape, X, run, workers)
    return out


def vjp(tape, X, W, workers=None):
    """``w @ J`` at every row of X, one weight vector per point or one for all: (B, n_inputs).

    Cost: as :func:`value_and_gradient`.
    """
    B, n = X.shape[0], tape.n_inputs
    W = _per_point(tape, W, B, tape.n_outputs, "output weights w")
    out = np.empty((B, n))
    work = batch._Work(tape.n_nodes)

    def run(s, e):
        _, partials, adj = _linearized(tape, X[s:e], work)
        adj.fill(-0.0)  # not reached (kernels/reach.py)
        w = W[s:e].T
        # An output listed twice gets both weights; a zero weight seeds nothing.
        np.add.at(adj, tape.outputs, np.where(w != 0.0, w, -0.0))
        _sweeps.reverse_adjoints_batch(tape.op, _NODE_ARITY, tape.arg0, tape.arg1, partials, adj)
        out[s:e] = adj[:n].T + 0.0  # -0.0 (not reached) becomes 0.0

    _run(tape, X, run, workers)
    return out


def _tangent_sweep(tape, X, V, rows, workers):
    B, n = X.shape[0], tape.n_inputs
    V = _per_point(tape, V, B, n, "direction v")
    out = np.empty((B, tape.n_nodes if rows is None else rows.shape[0]))
    work = batch._Work(tape.n_nodes)

    def run(s, e):
        _, partials, tangents = _linearized(tape, X[s:e], work)
        tangents[:n] = V[s:e].T
        _ek.forward_tangents_batch(tape.op, _NODE_ARITY, n, tape.arg0, tape.arg1, partials,
                                   tangents)
        out[s:e] = (tangents if rows is None else tangents[rows]).T + 0.0  # -0.0: not reached

    _run(tape, X, run, workers)
    return out


def jvp(tape, X, V, workers=None):
    """``J @ v`` at every row of X, one direction per point or one for all: (B, n_outputs).

    Cost: one batched forward sweep with partials + one batched tangent sweep per chunk;
    32 B per node and point of a chunk, per thread.
    """
    return _tangent_sweep(tape, X, V, tape.outputs, workers)


def tangents(tape, X, V, workers=None):
    """d node / d direction for every node at every row of X: array (B, n_nodes).

    Cost: as :func:`jvp`; the result is 8 B per node and point.
    """
    return _tangent_sweep(tape, X, V, None, workers)


def _pointwise(tape, X, fn, shape, workers):
    """fn(i) for every point i into out[i]: a loop over points, split over the thread pool."""
    out = np.empty((X.shape[0],) + shape)

    def run(s, e):
        for i in range(s, e):
            out[i] = fn(i)

    # chunks of one point, so the threads share the points evenly
    batch._map_chunks(run, X.shape[0], 1, workers)
    return out


def hvp(tape, X, V, output=None, workers=None):
    """``H v`` of one output at every row of X: array (B, n_inputs).

    Cost: B single-point products (``Tape.hvp``: two second-order sweeps, 48 B/node each),
    shared out over ``workers`` threads.
    """
    V = _per_point(tape, V, X.shape[0], tape.n_inputs, "direction v")
    return _pointwise(tape, X, lambda i: tape.hvp(X[i], V[i], output), (tape.n_inputs,),
                      workers)


def jacobian(tape, X, mode="auto", workers=None):
    """The Jacobian at every row of X: array (B, n_outputs, n_inputs).

    Cost: B single-point Jacobians (``Tape.jacobian``), shared out over ``workers`` threads.
    """
    if mode not in ("auto", "forward", "reverse"):
        raise ValueError(f"mode must be 'auto', 'forward' or 'reverse', got {mode!r}")
    return _pointwise(tape, X, lambda i: tape.jacobian(X[i], mode),
                      (tape.n_outputs, tape.n_inputs), workers)
