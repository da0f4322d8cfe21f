"""The Dask helpers against the single-process batch (Dask is an optional extra)."""

import numpy as np
import pytest

from scalargraph import distributed as sgd
from scalargraph.bench import workloads

da = pytest.importorskip("dask.array")


toy_tape = workloads.toy_loss


@pytest.fixture
def problem():
    rng = np.random.default_rng(4)
    p = rng.normal(size=8) * 0.5
    D = np.column_stack([rng.uniform(-1, 1, 5000), rng.normal(size=5000)])
    return toy_tape(), p, D


def test_values_over_a_dask_array_equal_the_batch(problem):
    tape, p, D = problem
    X = np.column_stack([np.broadcast_to(p, (len(D), 8)), D])
    lazy = sgd.values(tape, da.from_array(X, chunks=(700, 10)))
    np.testing.assert_array_equal(lazy.compute(scheduler="threads"), tape(X))


def test_loss_and_gradient_over_dask_equals_single_process(problem):
    tape, p, D = problem
    value, grad = tape.loss_and_gradient(p, D)
    dvalue, dgrad = sgd.loss_and_gradient(tape, p, da.from_array(D, chunks=(900, 2)))
    np.testing.assert_allclose(dvalue, value, rtol=1e-13)
    np.testing.assert_allclose(dgrad, grad, rtol=1e-12, atol=1e-16)


def test_gradient_sum_over_dask(problem):
    tape, p, D = problem
    X = np.column_stack([np.broadcast_to(p, (len(D), 8)), D])
    value, grad = tape.gradient_sum(X)
    dvalue, dgrad = sgd.gradient_sum(tape, da.from_array(X, chunks=(1000, 5)))
    np.testing.assert_allclose(dvalue, value, rtol=1e-13)
    np.testing.assert_allclose(dgrad, grad, rtol=1e-12, atol=1e-16)


def test_wrong_shapes_are_refused(problem):
    tape, p, D = problem
    with pytest.raises(ValueError, match=r"\(points, 2\)"):
        sgd.loss_and_gradient(tape, p, da.zeros((10, 3)))
    with pytest.raises(ValueError, match="params of length 8"):
        sgd.loss_and_gradient(tape, p[:7], da.zeros((10, 2)))
    with pytest.raises(TypeError, match="real numbers"):
        sgd.loss_and_gradient(tape, ["1"] * 8, da.zeros((10, 2)))
    with pytest.raises(TypeError, match="real numbers"):
        sgd.loss_and_gradient(tape, p, da.zeros((10, 2), dtype=bool))
    with pytest.raises(TypeError, match="dask array"):
        sgd.loss_and_gradient(tape, p, np.zeros((10, 2)))
    with pytest.raises(IndexError, match="out of range"):
        sgd.gradient_sum(tape, da.zeros((10, 10)), output=3, compute=False)


def test_empty_blocks_add_nothing(problem):
    tape, p, D = problem
    keep = (np.arange(len(D)) < 1000) & (D[:, 0] > 0.0)
    dd = da.from_array(D, chunks=(700, 2))
    filtered = dd[da.from_array(keep, chunks=700)]  # unknown chunk sizes; blocks 2.. empty
    value, grad = sgd.loss_and_gradient(tape, p, filtered)
    np.testing.assert_allclose(value, tape.loss_and_gradient(p, D[keep])[0], rtol=1e-12)
    with pytest.raises(ValueError, match="no examples"):
        sgd.loss_and_gradient(tape, p, dd[da.from_array(D[:, 0] > 5.0, chunks=700)])


def test_local_cluster_with_two_worker_processes(problem):
    distributed = pytest.importorskip("dask.distributed")
    tape, p, D = problem
    tape.loss_and_gradient(p, D[:10])  # warm the on-disk kernel cache before workers start
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                  dashboard_address=None) as cluster, \
            distributed.Client(cluster):
        dvalue, dgrad = sgd.loss_and_gradient(tape, p, da.from_array(D, chunks=(1300, 2)))
    value, grad = tape.loss_and_gradient(p, D)
    np.testing.assert_allclose(dvalue, value, rtol=1e-13)
    np.testing.assert_allclose(dgrad, grad, rtol=1e-12, atol=1e-16)
