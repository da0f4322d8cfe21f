"""Work memory kept between plain calls, the packed small-tape kernel, and the forward
Jacobian's slot blocks.

Oracles: the allocating kernels of kernels/sweeps.py called directly with fresh arrays
(bit for bit), the other AD mode, and a serial run of the same calls.
"""

import numpy as np
import pytest

import scalargraph as sg
from scalargraph import tiles, workmem
from scalargraph.kernels import forward, sweeps

from strategies import random_tape
import threaded


def _reference_vg(tape, x, k=0):
    """value_and_gradient by the 11-array kernel on fresh arrays."""
    n = tape.n_nodes
    g = np.empty(tape.n_inputs)
    v = sweeps.value_and_gradient(tape.op, tape.arg0, tape.arg1, tape.consts, tape.outputs, k,
                                  np.empty(n), np.empty((n, 2)), np.empty(n), x, g)
    return v, g


def _reference_jac_forward(tape, x, block):
    """The Jacobian by the n-row block kernel (every node holds a row), as before tiling."""
    n, nn = tape.n_inputs, tape.n_nodes
    values, partials = np.empty(nn), np.empty((nn, 2))
    forward.forward_partials(tape.op, tape.arg0, tape.arg1, tape.consts, x, values, partials)
    jac = np.zeros((tape.n_outputs, n))
    for start in range(0, n, block):
        k = min(block, n - start)
        t = np.zeros((nn, k))
        t[start + np.arange(k), np.arange(k)] = 1.0
        sweeps.forward_tangents_block(n, tape.arg0, tape.arg1, partials, t)
        jac[:, start:start + k] = t[tape.outputs] + 0.0  # -0.0: not reached (kernels/reach.py)
    return jac


def _domke():
    x = sg.var("x")
    f3 = sg.exp(x) + sg.exp(2 * x)
    return sg.compile([x], [sg.exp(f3) + sg.sin(f3)])


def _same(a, b):
    a, b = np.asarray(a), np.asarray(b)
    return a.shape == b.shape and a.tobytes() == b.tobytes()


@pytest.mark.parametrize("seed", range(6))
def test_packed_and_kept_match_fresh_kernel_bit_for_bit(seed):
    rng = np.random.default_rng(seed)
    tape, x = random_tape(rng, 3, 40, 1)
    assert tape._small
    expect = _reference_vg(tape, x)
    for _ in range(3):  # the kept arrays hold the last call's numbers: no effect
        v, g = tape.value_and_gradient(x)
        assert _same(v, expect[0]) and _same(g, expect[1])
        assert _same(tape.gradient(x), expect[1])
        assert _same(tape.value_and_gradient(list(x))[1], expect[1])  # the general path


def test_big_tape_path_matches_bit_for_bit(monkeypatch):
    monkeypatch.setattr(workmem, "PACKED_NODES", 10)
    rng = np.random.default_rng(7)
    tape, x = random_tape(rng, 4, 60, 2)
    for k in (0, 1):
        assert _same(tape.value_and_gradient(x, output=k)[1], _reference_vg(tape, x, k)[1])


def test_small_path_refuses_wrong_lengths_like_the_general_path():
    tape = _domke()
    with pytest.raises(ValueError, match="1 input value"):
        tape.value_and_gradient(np.zeros(2))
    x = np.arange(3.0)[::2][:1]  # a strided view: the general path copies it
    assert _same(tape.value_and_gradient(x)[1], _reference_vg(tape, np.array([0.0]))[1])
    from scalargraph.kernels.packed import value_and_gradient_packed
    ints, work = workmem.packed(tape)
    with pytest.raises(ValueError, match="one value per input"):
        value_and_gradient_packed(ints, work, 0, np.zeros(2), np.zeros(2))
    with pytest.raises(ValueError, match="output index"):
        value_and_gradient_packed(ints, work, 1, np.zeros(1), np.zeros(1))
    with pytest.raises(ValueError, match="lengths"):
        value_and_gradient_packed(ints[:-1], work, 0, np.zeros(1), np.zeros(1))
    with pytest.raises(ValueError, match="lengths"):
        value_and_gradient_packed(ints, work[:-1], 0, np.zeros(1), np.zeros(1))


def test_results_never_share_the_kept_buffer():
    rng = np.random.default_rng(3)
    tape, x = random_tape(rng, 3, 50, 2)
    v = np.ones(3)
    calls = [lambda: tape(x), lambda: tape.vjp(x, [1.0, 2.0]), lambda: tape.jvp(x, v),
             lambda: tape.adjoints(x, output=1), lambda: tape.tangents(x, v),
             lambda: tape.hvp(x, v, output=0), lambda: tape.jacobian(x, mode="forward"),
             lambda: tape.jacobian(x, mode="reverse"), lambda: tape.gradient(x, output=1),
             lambda: tape.gradient(x, output=1, checkpoints=3)]
    first = [np.array(c(), copy=True) for c in calls]
    kept = [c() for c in calls]
    for c in calls:  # every other call writes the kept buffers again
        c()
    for a, b in zip(first, kept):
        assert _same(a, b)


def test_kept_bytes_and_release():
    rng = np.random.default_rng(4)
    tape, x = random_tape(rng, 3, 50, 1)
    assert tape.kept_bytes == 0
    tape.hvp(x, np.ones(3))
    assert tape.kept_bytes >= 64 * tape.n_nodes
    tape.release()
    assert tape.kept_bytes == 0
    assert _same(tape.gradient(x), _reference_vg(tape, x)[1])


def test_over_the_cap_nothing_is_kept(monkeypatch):
    monkeypatch.setattr(workmem, "KEEP_BYTES", 64)
    monkeypatch.setattr(workmem, "PACKED_NODES", 0)
    rng = np.random.default_rng(5)
    tape, x = random_tape(rng, 3, 50, 1)
    assert _same(tape.gradient(x), _reference_vg(tape, x)[1])
    assert tape.kept_bytes == 0


def test_threads_on_one_tape_give_serial_results():
    rng = np.random.default_rng(6)
    tape, _ = random_tape(rng, 4, 300, 2)
    points = rng.uniform(-1, 1, (16, 4))
    v = np.ones(4)

    def work(x):
        return (tape.value_and_gradient(x, output=0)[1], tape.vjp(x, [1.0, -1.0]),
                tape.jvp(x, v), tape.hvp(x, v, output=1), tape.jacobian(x, mode="forward"))

    serial = [work(x) for x in points]
    got = threaded.on_threads(work, points, rounds=20)
    for a, b in zip(serial, got):
        assert all(_same(p, q) for p, q in zip(a, b))
    assert tape.kept_bytes > 0  # ended threads' buffers go at the next new thread's call
    tape.release()


@pytest.mark.parametrize("seed", range(4))
def test_forward_jacobian_slot_blocks_match_full_blocks_bit_for_bit(seed, monkeypatch):
    rng = np.random.default_rng(100 + seed)
    tape, x = random_tape(rng, 9, 120, 3)
    want = _reference_jac_forward(tape, x, 64)
    for block in (1, 4):  # the blocks do not change a bit
        assert _same(_reference_jac_forward(tape, x, block), want)
    for block in (64, 1, 2, 4):
        monkeypatch.setattr(tiles, "MAX_BLOCK", block)
        assert _same(tape.jacobian(x, mode="forward"), want)
    np.testing.assert_allclose(want, tape.jacobian(x, mode="reverse"), rtol=1e-12, atol=1e-12)


def test_forward_jacobian_with_inputs_as_outputs_and_squares():
    xs = sg.variables(3)
    y = xs[0] * xs[0] + sg.sin(xs[1] * xs[2])
    tape = sg.compile(xs, [xs[1], y, xs[1], 2.0])
    x = np.array([0.3, -1.2, 0.7])
    want = np.array([[0, 1, 0],
                     [2 * x[0], x[2] * np.cos(x[1] * x[2]), x[1] * np.cos(x[1] * x[2])],
                     [0, 1, 0], [0, 0, 0]])
    got = tape.jacobian(x, mode="forward")
    np.testing.assert_allclose(got, want, rtol=1e-15)
    assert _same(got, _reference_jac_forward(tape, x, 64))


def test_slot_map_keeps_a_small_live_set_on_the_wide_sum():
    xs = sg.variables(2000)
    f = sum(np.sin(xs[:-1] * xs[1:]))
    tape = sg.compile(xs, [f])
    assert tiles.slots(tape)[3] <= 4  # a handful of rows, whatever n is
