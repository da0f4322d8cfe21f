"""Batches larger than one machine: a tape evaluated over a ``dask.array`` of points.

scalargraph does not schedule work across machines itself; Dask does (optional extra:
``pip install ".[dask]"`` in a checkout). A tape pickles as its arrays (a few bytes per node),
so each worker receives the tape once per task graph and runs the ordinary batched
sweeps on its block of rows; summed gradients are reduced by Dask.

With process-based workers (``dask.distributed``), warm Numba's on-disk cache in the
parent process first (call the tape once) so that workers load compiled kernels instead of
compiling them all at once.
"""

import numpy as np

from . import validate


def _dask_array():
    try:
        import dask.array as da
    except ImportError:
        raise ImportError("this helper needs Dask: pip install 'dask[array]' "
                          "(or, in a scalargraph checkout, pip install '.[dask]')") from None
    return da


def _check_rows(tape, X, width, what):
    """A dask array of real numbers with rows of ``width``, one chunk across its columns."""
    da = _dask_array()
    from .tape import Tape
    if not isinstance(tape, Tape):
        raise TypeError(f"expected a Tape, got {type(tape).__name__}")
    if not isinstance(X, da.Array):
        raise TypeError(f"expected {what} as a dask array, got {type(X).__name__}: wrap it with "
                        "dask.array.from_array(...), or call the tape's own batch methods")
    if X.dtype.kind not in "iuf":
        raise TypeError(f"{what} must be real numbers (int or float), got dtype {X.dtype}")
    if X.ndim != 2 or X.shape[1] != width:
        raise ValueError(f"expected {what} as a dask array of shape (points, {width}), "
                         f"got shape {X.shape}")
    if len(X.chunks[1]) != 1:
        X = X.rechunk({1: width})
    return X


def values(tape, X):
    """Outputs of ``tape`` at every row of the dask array X (B, n_inputs), lazily.

    Returns a dask array (B, n_outputs) with X's row chunks; call ``.compute()``.

    Cost: one batched forward sweep per block, on one thread per task (Dask schedules the
    tasks); the tape travels to each worker as its arrays (9 B/node + 8 B per constant).
    """
    da = _dask_array()
    X = _check_rows(tape, X, tape.n_inputs, "inputs")
    return da.map_blocks(lambda block: tape(np.asarray(block, dtype=np.float64), workers=1),
                         X, dtype=np.float64, chunks=(X.chunks[0], (tape.n_outputs,)))


def _block_sum(tape, params, output, n_grad):
    def run(block):
        block = np.asarray(block, dtype=np.float64)
        if block.shape[0] == 0:  # blocks may be empty (after filtering): they add nothing
            return np.zeros((1, 2 + n_grad))
        if params is None:
            value, grad = tape.gradient_sum(block, output=output, workers=1)
        else:
            value, grad = tape.loss_and_gradient(params, block, output=output, reduce="sum",
                                                 workers=1)
        return np.concatenate([[value, block.shape[0]], grad])[None, :]
    return run


def _reduce(tape, X, params, output, compute):
    validate.output_index(tape, output)  # a bad output is refused now, not inside a task
    n_grad = tape.n_inputs if params is None else tape.n_inputs - tape.n_data
    partial = X.map_blocks(_block_sum(tape, params, output, n_grad), dtype=np.float64,
                           chunks=((1,) * X.numblocks[0], (2 + n_grad,)))
    total = partial.sum(axis=0)
    if not compute:
        return total
    total = total.compute()
    return float(total[0]), total[2:], int(total[1])


def gradient_sum(tape, X, output=None, compute=True):
    """Sum over the rows of the dask array X (B, n_inputs) of an output and its gradient.

    Returns ``(value_sum, gradient_sum)`` like :meth:`Tape.gradient_sum`, computed; with
    ``compute=False`` the lazy dask array ``[value_sum, B, *gradient_sum]`` instead.

    Cost: one batched forward + reverse sweep per block (32 B per node and point of a chunk),
    then a sum of one row per block.
    """
    X = _check_rows(tape, X, tape.n_inputs, "inputs")
    out = _reduce(tape, X, None, output, compute)
    return out if not compute else out[:2]


def loss_and_gradient(tape, params, data, output=None, reduce="mean"):
    """:meth:`Tape.loss_and_gradient` over a dask array ``data`` (B, n_data) of examples.

    Returns ``(loss, gradient w.r.t. params)``, summed or averaged over all B examples.

    Cost: as :func:`gradient_sum`, the parameters broadcast to every block.
    """
    if reduce not in ("mean", "sum"):
        raise ValueError(f"reduce must be 'mean' or 'sum', got {reduce!r}")
    data = _check_rows(tape, data, tape.n_data, "data")
    params = validate.vector(params, tape.n_inputs - tape.n_data, "params")
    value, grad, count = _reduce(tape, data, params, output, compute=True)
    if count == 0:
        raise ValueError("data has no examples")
    if reduce == "mean":
        return value / count, grad / count
    return value, grad
