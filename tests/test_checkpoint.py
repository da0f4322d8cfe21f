"""Checkpointed gradients (Tape.gradient(x, checkpoints=k)): equal to the plain sweep bit for
bit, for every k, in the memory the model of scalargraph.checkpoint states.

The oracle is the plain reverse sweep; equality is of the bytes (so -0.0, NaN and the last
bit all count), because the checkpointed sweep performs the same operations in the same
order. Memory is measured with tracemalloc, which sees every NumPy allocation.
"""

import tracemalloc

import numpy as np
import pytest
from hypothesis import given, note, settings
from hypothesis import strategies as st

import scalargraph as sg
from scalargraph import checkpoint
from scalargraph.bench import workloads

import strategies


def assert_same_bits(actual, expected):
    assert actual.dtype == expected.dtype and actual.shape == expected.shape
    assert actual.tobytes() == expected.tobytes(), (actual, expected)


def every_k(tape):
    """k = 1, 2, 3, a few in between, sqrt(n), n - 1, n and beyond n."""
    n = tape.n_nodes - tape.n_inputs
    return sorted({1, 2, 3, 7, max(1, int(n ** 0.5)), max(1, n - 1), max(1, n), n + 5})


@pytest.fixture(scope="module")
def chain():
    return workloads.chain(3000)


def test_chain_gradient_is_bit_identical_for_every_k(chain):
    tape, x = chain.tape, chain.x
    plain = tape.gradient(x)
    for k in every_k(tape):
        assert_same_bits(tape.gradient(x, checkpoints=k), plain)


@pytest.mark.parametrize("name,size", [("random_dag", 2000), ("toy_model", 20),
                                       ("wide_sum", 200), ("diamond", 30), ("domke", 1)])
def test_workload_gradients_are_bit_identical(name, size):
    w = workloads.build(name, size)
    plain = w.tape.gradient(w.x)
    for k in every_k(w.tape):
        assert_same_bits(w.tape.gradient(w.x, checkpoints=k), plain)


@settings(max_examples=60)
@given(strategies.dags(max_inputs=4, max_nodes=25, max_outputs=3), st.integers(1, 40))
def test_random_dag_gradients_are_bit_identical(case, k):
    tape, x = case
    note(strategies.describe(tape, x))
    for output in range(tape.n_outputs):
        assert_same_bits(tape.gradient(x, output, checkpoints=k), tape.gradient(x, output))


def test_large_random_tape_with_several_outputs_is_bit_identical():
    tape, x = strategies.random_tape(np.random.default_rng(11), 6, 3000, 3)
    for output in range(3):
        plain = tape.gradient(x, output)
        for k in (1, 5, 55, 400, 3000):
            assert_same_bits(tape.gradient(x, output, checkpoints=k), plain)


def test_inf_nan_and_signed_zeros_come_out_as_in_the_plain_sweep():
    x, y = sg.var("x"), sg.var("y")
    a = sg.sqrt(x)                  # sqrt'(0) = inf
    b = sg.relu(-x) * a             # relu'(0) = 0 blocks the inf (strong zero)
    c = sg.log(x) * y               # log(0) = -inf, log'(0) = inf
    d = -(y * 0.0) + b + c * 1e-3
    tape = sg.compile([x, y], [d, b])
    for point in ([0.0, 1.0], [0.0, -0.0], [-1.0, 2.0], [4.0, np.nan]):
        for output in (0, 1):
            with np.errstate(all="ignore"):
                plain = tape.gradient(point, output)
            for k in (1, 2, 3, 4, 100):
                with np.errstate(all="ignore"):
                    assert_same_bits(tape.gradient(point, output, checkpoints=k), plain)


def test_output_that_is_an_input_or_a_constant():
    x, y = sg.var("x"), sg.var("y")
    tape = sg.compile([x, y], [x, 2.5, sg.sin(x) * y])
    for output in range(3):
        plain = tape.gradient([0.3, 0.4], output)
        for k in (1, 2, 10):
            assert_same_bits(tape.gradient([0.3, 0.4], output, checkpoints=k), plain)
    only_inputs = sg.compile([x, y], [y])
    assert_same_bits(only_inputs.gradient([1.0, 2.0], checkpoints=3), np.array([0.0, 1.0]))


# ---- the memory model --------------------------------------------------------------------
def traced_peak(fn):
    """Peak bytes allocated (and traced) while fn runs, above what was held before."""
    tracemalloc.start()
    try:
        tracemalloc.reset_peak()
        base = tracemalloc.get_traced_memory()[0]
        fn()
        return tracemalloc.get_traced_memory()[1] - base
    finally:
        tracemalloc.stop()


def test_sqrt_n_checkpoints_hold_o_sqrt_n_work_memory():
    w = workloads.chain(60000)
    tape, x = w.tape, w.x
    n = tape.n_nodes
    k = int(n ** 0.5)
    plan = checkpoint.plan(tape, k)  # planned (and cached) before measuring
    tape.gradient(x, checkpoints=k)
    plain_peak = traced_peak(lambda: tape.gradient(x))
    peak = traced_peak(lambda: tape.gradient(x, checkpoints=k))
    assert plain_peak >= 32 * n
    # The model: 41 B per node of the longest segment and its outside parents (swept as a
    # local tape) + 16 B per checkpoint (+ the result and a few small arrays): on a chain,
    # k = sqrt(n) segments of sqrt(n) nodes, one outside parent each.
    assert plan.work_bytes <= 60 * n ** 0.5
    assert peak <= plan.work_bytes + 4096
    assert peak * 100 < plain_peak


def test_a_memory_budget_picks_the_fewest_segments_that_fit(chain):
    tape, x = chain.tape, chain.x
    budget = 20000
    k = checkpoint.checkpoints_for_budget(tape, budget)
    assert checkpoint.plan(tape, k).work_bytes <= budget
    smaller = [j for j in (1, 2, 4, 8, 16, 32, 64) if j < k]
    assert all(checkpoint.Plan(tape, j).work_bytes > budget for j in smaller)
    assert_same_bits(tape.gradient(x, checkpoints=k), tape.gradient(x))
    assert checkpoint.checkpoints_for_budget(tape, 10 ** 9) == 1
    with pytest.raises(ValueError, match="least work memory"):
        checkpoint.checkpoints_for_budget(tape, 100)


def test_plan_counts_boundary_nodes():
    x = sg.var("x")
    h = x
    for _ in range(100):
        h = sg.sin(h)
    tape = sg.compile([x], [h])
    plan = checkpoint.plan(tape, 10)  # segments [1, 11), [11, 21), ..., [91, 101)
    # A chain: each segment reads one node of the segment before it (the first reads x).
    assert plan.k == 10 and plan.keep.tolist() == [0] + list(range(10, 100, 10))
    assert plan.longest == 10 and plan.widest == 1


# ---- bad input ---------------------------------------------------------------------------
def test_bad_checkpoints_raise_clear_errors(chain):
    tape, x = chain.tape, chain.x
    with pytest.raises(ValueError, match=">= 1"):
        tape.gradient(x, checkpoints=0)
    with pytest.raises(TypeError, match="must be an int"):
        tape.gradient(x, checkpoints=2.5)
    with pytest.raises(TypeError, match="must be an int"):
        tape.gradient(x, checkpoints=True)
    with pytest.raises(ValueError, match="one point"):
        tape.gradient(np.zeros((2, 1)), checkpoints=3)
    with pytest.raises(ValueError, match="expected 1 input value"):
        tape.gradient([1.0, 2.0], checkpoints=3)
    with pytest.raises(ValueError, match="positive"):
        checkpoint.checkpoints_for_budget(tape, 0)


def test_threads_may_share_a_tape_and_its_plans():
    from concurrent.futures import ThreadPoolExecutor
    w = workloads.chain(3000)  # a fresh tape: no plan cached yet
    plain = w.tape.gradient(w.x)
    with ThreadPoolExecutor(4) as pool:
        results = list(pool.map(lambda k: w.tape.gradient(w.x, checkpoints=k),
                                [1, 7, 55, 300, 7, 55, 300, 1] * 3))
    for g in results:
        assert_same_bits(g, plain)
