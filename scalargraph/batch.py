"""Evaluating one tape at many points: chunked batched sweeps, spread over the cores.

A batch of B points runs the batched kernels on chunks of columns: values [n, C] and
partials [n, 2, C] for a chunk of C points, the batch loop innermost so that it vectorizes.
Chunks are independent, so they run on a pool of threads (the kernels release the GIL).
Summed gradients (the minibatch gradient of Prince eq. 7.3) add each chunk's gradient as it
finishes, so B x n_nodes values are never held at once.
"""

import threading

import numpy as np

from . import ops, threads
from .kernels import batch as _kernels, sweeps as _sweeps

_NODE_ARITY = ops.ARITY_TABLE

# Work memory a chunk may use, in bytes (per worker thread): 32 B per node per point.
CHUNK_BYTES = 1 << 24
# Points per chunk, at most. Large enough that the few microseconds of Python (holding the
# GIL) per chunk do not serialize the threads: 10^6 toy-model examples on 2 cores took
# 0.98x the one-core time with 1000-point chunks, 0.51x with 6000. Not a power of two: rows
# of 2^k doubles map to the same cache sets (2048-point chunks ran 3x slower than 2000).
MAX_CHUNK = 6000


def default_workers():
    """Number of cores this process may run on."""
    return threads.default_workers()


def chunk_size(n_nodes, batch):
    """Points per chunk: as many as fit CHUNK_BYTES at 32 B per node and point."""
    return int(max(1, min(batch, MAX_CHUNK, CHUNK_BYTES // (32 * max(n_nodes, 1)))))


def _map_chunks(fn, batch, chunk, workers):
    """fn(start, stop) for every chunk, in order, on the shared pool (see threads.py:
    workers clamped to the cores, fork-safe, stops at the next chunk when interrupted)."""
    bounds = [(s, min(s + chunk, batch)) for s in range(0, batch, chunk)]

    def run(s, e):
        # The thread's kept buffer is out of _local while the chunk uses it (_Work.get), so
        # a call re-entered on this thread meanwhile (a signal handler, a callback) takes
        # one of its own instead of overwriting this chunk's work; it goes back here.
        held = _held()
        depth = len(held)
        try:
            return fn(s, e)
        finally:
            while len(held) > depth:
                buf = held.pop()
                if buf.nbytes <= CHUNK_BYTES:
                    _local.buffer = buf

    return threads.map_shares(run, bounds, workers)


_local = threading.local()


def _held():
    """This thread's buffers taken by the chunks under way (innermost call last)."""
    held = getattr(_local, "held", None)
    if held is None:
        held = _local.held = []
    return held


class _Work:
    """Work arrays of one batched call, carved from one buffer per thread that is kept
    between calls (it grows to the largest chunk seen, and is kept only up to CHUNK_BYTES:
    a tape over CHUNK_BYTES / 32 nodes gets a buffer per thread for the call alone).

    Freshly mapped pages cost more than the sweep itself: with new arrays for every chunk,
    10^4 examples of the toy model took 3.1 ms on one core instead of 0.5 (bench_scale.Batch).
    Each thread runs one chunk at a time, and the chunk holds the buffer outside the
    thread's slot while it runs (a call re-entered on the thread gets another), so a buffer
    is never shared.
    """

    def __init__(self, n_nodes):
        self.n_nodes = n_nodes
        self.oversized = {}  # thread id -> buffer over CHUNK_BYTES, kept for this call only

    def get(self, C, partials=True):
        n = self.n_nodes
        size = n * C * (4 if partials else 1)
        if size * 8 > CHUNK_BYTES:
            buf = self.oversized.get(threading.get_ident())
            if buf is None or buf.size < size:
                buf = self.oversized[threading.get_ident()] = np.empty(size)
        else:  # taken out of _local for the chunk; _map_chunks puts it back
            buf = getattr(_local, "buffer", None)
            _local.buffer = None
            if buf is None or buf.size < size:
                buf = np.empty(size)
            _held().append(buf)
        vals = buf[:n * C].reshape(n, C)
        if not partials:
            return vals, None, None
        return (vals, buf[n * C:3 * n * C].reshape(n, 2, C),
                buf[3 * n * C:4 * n * C].reshape(n, C))


def values(tape, X, workers=None):
    """Outputs at every row of X (B, n_inputs): array (B, n_outputs)."""
    return all_values(tape, X, workers, rows=tape.outputs)


def all_values(tape, X, workers=None, rows=None):
    """Every node's value (or those of the nodes ``rows``) at every row of X (B, n_inputs):
    array (B, n_nodes) (or (B, len(rows)))."""
    B = X.shape[0]
    out = np.empty((B, tape.n_nodes if rows is None else len(rows)))
    work = _Work(tape.n_nodes)

    def run(s, e):
        vals = work.get(e - s, partials=False)[0]
        _kernels.forward_values_batch(tape.op, tape.arg0, tape.arg1, tape.consts, X[s:e], vals)
        out[s:e] = (vals if rows is None else vals[rows]).T

    _map_chunks(run, B, chunk_size(tape.n_nodes, B), workers)
    return out


def _reverse_chunk(tape, X, k, work):
    """Values and adjoints [n, C] of output k for the rows of X (views of ``work`` arrays)."""
    vals, partials, adjoints = work.get(X.shape[0])
    _kernels.forward_partials_batch(tape.op, tape.arg0, tape.arg1, tape.consts, X, vals, partials)
    adjoints.fill(-0.0)  # not reached (kernels/reach.py); read out with + 0.0
    adjoints[tape.outputs[k]] = 1.0
    _sweeps.reverse_adjoints_batch(tape.op, _NODE_ARITY, tape.arg0, tape.arg1, partials, adjoints)
    return vals[tape.outputs[k]], adjoints


def gradients(tape, X, k, workers=None):
    """Per-point gradients of output k at the rows of X: array (B, n_inputs)."""
    B = X.shape[0]
    out = np.empty((B, tape.n_inputs))
    work = _Work(tape.n_nodes)

    def run(s, e):
        out[s:e] = _reverse_chunk(tape, X[s:e], k, work)[1][:tape.n_inputs].T + 0.0

    _map_chunks(run, B, chunk_size(tape.n_nodes, B), workers)
    return out


def summed(tape, rows, B, k, n_grad, workers=None):
    """Sum over the batch of output k and of its gradient w.r.t. the first n_grad inputs.

    ``rows(s, e)`` returns the input rows s..e (B, n_inputs) of the batch.
    """
    work = _Work(tape.n_nodes)

    def run(s, e):
        value, adjoints = _reverse_chunk(tape, rows(s, e), k, work)
        return value.sum(), adjoints[:n_grad].sum(axis=1) + 0.0  # -0.0: not reached

    parts = _map_chunks(run, B, chunk_size(tape.n_nodes, B), workers)
    total = sum(p[0] for p in parts)
    grad = np.sum([p[1] for p in parts], axis=0) if parts else np.zeros(n_grad)
    return float(total), grad
