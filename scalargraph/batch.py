"""Evaluating one tape at many points: chunked batched sweeps, spread over the cores.

A batch of B points runs the batched kernels on chunks of columns: values [n, C] and
partials [n, 2, C] for a chunk of C points, the batch loop innermost so that it vectorizes.
Chunks are independent, so they run on a pool of threads (the kernels release the GIL).
Summed gradients (the minibatch gradient of Prince eq. 7.3) add each chunk's gradient as it
finishes, so B x n_nodes values are never held at once.
"""

import os
import threading
from concurrent.futures import ThreadPoolExecutor

import numpy as np

from . import ops, _kernels, _sweeps

_NODE_ARITY = np.array([op.arity for op in ops.OPS], dtype=np.uint8)

# Work memory a chunk may use, in bytes (per worker thread): 32 B per node per point.
CHUNK_BYTES = 1 << 24
MAX_CHUNK = 2048

_pool = None
_pool_lock = threading.Lock()


def default_workers():
    """Number of cores this process may run on."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


def _executor(workers):
    global _pool
    with _pool_lock:
        if _pool is None or _pool._max_workers < workers:
            _pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="scalargraph")
        return _pool


def chunk_size(n_nodes, batch):
    """Points per chunk: as many as fit CHUNK_BYTES at 32 B per node and point."""
    return int(max(1, min(batch, MAX_CHUNK, CHUNK_BYTES // (32 * max(n_nodes, 1)))))


def _map_chunks(fn, batch, chunk, workers):
    """Run fn(start, stop) over the chunks, in threads when there are several."""
    bounds = [(s, min(s + chunk, batch)) for s in range(0, batch, chunk)]
    workers = default_workers() if workers is None else int(workers)
    if workers < 1:
        raise ValueError(f"workers must be >= 1, got {workers}")
    if workers == 1 or len(bounds) == 1:
        return [fn(s, e) for s, e in bounds]
    return list(_executor(workers).map(lambda b: fn(*b), bounds))


def values(tape, X, workers=None):
    """Outputs at every row of X (B, n_inputs): array (B, n_outputs)."""
    B = X.shape[0]
    out = np.empty((B, tape.n_outputs))

    def run(s, e):
        vals = np.empty((tape.n_nodes, e - s))
        _kernels.forward_values_batch(tape.op, tape.arg0, tape.arg1, tape.consts, X[s:e], vals)
        out[s:e] = vals[tape.outputs].T

    _map_chunks(run, B, chunk_size(tape.n_nodes, B), workers)
    return out


def all_values(tape, X, workers=None):
    """Every node's value at every row of X (B, n_inputs): array (B, n_nodes)."""
    B = X.shape[0]
    out = np.empty((B, tape.n_nodes))

    def run(s, e):
        vals = np.empty((tape.n_nodes, e - s))
        _kernels.forward_values_batch(tape.op, tape.arg0, tape.arg1, tape.consts, X[s:e], vals)
        out[s:e] = vals.T

    _map_chunks(run, B, chunk_size(tape.n_nodes, B), workers)
    return out


def _reverse_chunk(tape, X, k):
    """Values and adjoints [n, C] of output k for the rows of X."""
    C = X.shape[0]
    vals = np.empty((tape.n_nodes, C))
    partials = np.empty((tape.n_nodes, 2, C))
    _kernels.forward_partials_batch(tape.op, tape.arg0, tape.arg1, tape.consts, X, vals, partials)
    adjoints = np.zeros((tape.n_nodes, C))
    adjoints[tape.outputs[k]] = 1.0
    _sweeps.reverse_adjoints_batch(tape.op, _NODE_ARITY, tape.arg0, tape.arg1, partials, adjoints)
    return vals[tape.outputs[k]], adjoints


def gradients(tape, X, k, workers=None):
    """Per-point gradients of output k at the rows of X: array (B, n_inputs)."""
    B = X.shape[0]
    out = np.empty((B, tape.n_inputs))

    def run(s, e):
        out[s:e] = _reverse_chunk(tape, X[s:e], k)[1][:tape.n_inputs].T

    _map_chunks(run, B, chunk_size(tape.n_nodes, B), workers)
    return out


def summed(tape, rows, B, k, n_grad, workers=None):
    """Sum over the batch of output k and of its gradient w.r.t. the first n_grad inputs.

    ``rows(s, e)`` returns the input rows s..e (B, n_inputs) of the batch.
    """
    def run(s, e):
        value, adjoints = _reverse_chunk(tape, rows(s, e), k)
        return value.sum(), adjoints[:n_grad].sum(axis=1)

    parts = _map_chunks(run, B, chunk_size(tape.n_nodes, B), workers)
    total = sum(p[0] for p in parts)
    grad = np.sum([p[1] for p in parts], axis=0) if parts else np.zeros(n_grad)
    return float(total), grad
