"""The small-tape plain call (scalargraph/smallcall.py): ``tape(x)``, ``tape.gradient(x)`` and
``tape.value_and_gradient(x)`` on a tape of one output and at most PACKED_NODES nodes.

Oracles: the interpreter's 11-array kernel (``sweeps.value_and_gradient``) and the values
kernel (``forward.forward_values``) called directly on fresh arrays, bit for bit; the closed
form of the Domke graph; the general path (a list, a copy) for every argument the short path
must turn away; a serial run for threads.
"""

import numpy as np
import pytest

import scalargraph as sg
from scalargraph import smallcall, workmem
from scalargraph.kernels import forward, sweeps
from scalargraph.kernels import smallcall as kernels
from scalargraph.bench import workloads

import strategies
import threaded


def same_bits(a, b):
    a, b = np.asarray(a), np.asarray(b)
    return a.shape == b.shape and a.dtype == b.dtype and a.tobytes() == b.tobytes()


def reference_vg(tape, x):
    n = tape.n_nodes
    g = np.empty(tape.n_inputs)
    v = sweeps.value_and_gradient(tape.op, tape.arg0, tape.arg1, tape.consts, tape.outputs, 0,
                                  np.empty(n), np.empty((n, 2)), np.empty(n),
                                  np.array(x, dtype=np.float64), g)
    return v, g


def reference_value(tape, x):
    values = np.empty(tape.n_nodes)
    forward.forward_values(tape.op, tape.arg0, tape.arg1, tape.consts,
                           np.array(x, dtype=np.float64), values)
    return values[tape.outputs]


@pytest.fixture
def counted(monkeypatch):
    """Counts the calls that reach the compiled entry points of the short path."""
    tape = workloads.domke().tape
    tape(np.array([0.5])), tape.gradient(np.array([0.5]))  # the entry points, looked up
    counts = {"vg": 0, "value": 0}
    vg, value = smallcall.vg, smallcall.value

    def count_vg(*args):
        counts["vg"] += 1
        return vg(*args)

    def count_value(*args):
        counts["value"] += 1
        return value(*args)

    monkeypatch.setattr(smallcall, "vg", count_vg)
    monkeypatch.setattr(smallcall, "value", count_value)
    return counts


def check_point(tape, x, counted=None):
    """The three short-path calls at x against the fresh kernels, bit for bit."""
    before = None if counted is None else dict(counted)
    v, g = reference_vg(tape, x)
    got_v, got_g = tape.value_and_gradient(x)
    assert same_bits(got_v, v) and type(got_v) is float, (x, got_v, v)
    assert same_bits(got_g, g), (x, got_g, g)
    assert same_bits(tape.gradient(x), g), x
    assert same_bits(tape(x), reference_value(tape, x)), x
    if counted is not None:  # each call above went through the short path
        assert counted["vg"] == before["vg"] + 2 and counted["value"] == before["value"] + 1


def small_every_op_tapes():
    """Small one-output random tapes that hold every computed op of the table among them."""
    tapes = [strategies.random_tape(np.random.default_rng(seed), 3, 55, 1) for seed in range(10)]
    held = set().union(*(t.op_counts() for t, _ in tapes))
    missing = {op.name for op in strategies.COMPUTED_OPS} - held
    assert not missing, missing
    assert all(t._small for t, _ in tapes)
    return tapes


def test_every_op_bit_for_bit_with_the_interpreter(counted):
    rng = np.random.default_rng(11)
    for tape, x in small_every_op_tapes():
        tape.value_and_gradient(list(x))  # the general path makes the blob
        assert tape._blob is not None
        near = x + rng.normal(0.0, 0.3, (6, x.size))
        far = rng.uniform(-6.0, 6.0, (6, x.size))  # inf, NaN and strong zeros occur here
        special = np.array([[0.0] * x.size, [-0.0] * x.size, [1.0] * x.size,
                            [np.nan] * x.size, [np.inf] * x.size, [-1.0] * x.size])
        for p in np.vstack([x, near, far, special]):
            check_point(tape, np.ascontiguousarray(p), counted)


def test_domke_closed_form_and_first_call_paths():
    tape = workloads.domke().tape
    assert tape._blob is None
    for x in (-2.0, 0.0, 0.3, 1.0):
        f3 = np.exp(x) + np.exp(2 * x)
        value = np.exp(f3) + np.sin(f3)
        slope = (np.exp(f3) + np.cos(f3)) * (np.exp(x) + 2 * np.exp(2 * x))
        for call in (lambda p: tape.value_and_gradient(p), lambda p: tape.value_and_gradient([x])):
            v, g = call(np.array([x]))
            assert v == pytest.approx(value, rel=1e-14) and g[0] == pytest.approx(slope, rel=1e-13)
        assert tape(np.array([x]))[0] == pytest.approx(value, rel=1e-14)
        assert tape.gradient(np.array([x]))[0] == pytest.approx(slope, rel=1e-13)
    # Each path's first call on a fresh tape makes the blob (tape(x) and gradient too).
    for first in ("__call__", "gradient", "value_and_gradient"):
        fresh = workloads.domke().tape
        getattr(fresh, first)(np.array([0.3]))
        assert fresh._blob is not None
        check_point(fresh, np.array([0.3]))


def test_results_are_fresh_arrays_the_caller_owns():
    tape = workloads.domke().tape
    x = np.array([0.3])
    v1, g1 = tape.value_and_gradient(x)
    g2, y2 = tape.gradient(x), tape(x)
    for a in (g1, g2, y2):
        assert a.base is None and a.flags.writeable and a.flags.owndata
        assert not np.shares_memory(a, tape._blob)
    keep = g1.copy(), g2.copy(), y2.copy()
    tape.value_and_gradient(np.array([-1.0])), tape(np.array([2.0]))  # overwrite the blob
    assert all(same_bits(a, b) for a, b in zip((g1, g2, y2), keep))
    g1[0] = 7.0  # the caller's to change; the next call is unaffected
    assert same_bits(tape.gradient(x), keep[0])


class Sub(np.ndarray):
    pass


def two_inputs():
    with sg.Graph():
        a, b = sg.var("a"), sg.var("b")
        return sg.compile([a, b], [sg.exp(a) * sg.sin(b) + a * b])


def turned_away(x):
    """Arrays the short path must send the general way (x has two values), with what the
    general path sees. (A strided array of length 1 is C-contiguous for NumPy and Numba
    alike, so it may take the short path: only longer ones are here.)"""
    x = [float(v) for v in x]
    unaligned = np.frombuffer(bytearray(17), dtype=np.float64, offset=1)[:2]
    unaligned[...] = x
    ro = np.array(x)
    ro.flags.writeable = False
    fortran_2d = np.asfortranarray(np.array([x, x]))[0]  # a row of an F array: strided
    return {
        "list": (x, x),
        "float32": (np.array(x, dtype=np.float32), [float(np.float32(v)) for v in x]),
        "int": (np.array([int(v) for v in x]), [float(int(v)) for v in x]),
        "big-endian": (np.array(x, dtype=">f8"), x),
        "read-only": (ro, x),
        "strided": (np.array([x[0], 9.0, x[1]])[::2], x),
        "reversed": (np.array(x[::-1])[::-1], x),
        "row of an F array": (fortran_2d, x),
        "unaligned": (unaligned, x),
        "subclass": (np.array(x).view(Sub), x),
    }


def test_other_arguments_go_the_general_way_with_the_same_results(counted):
    tape = two_inputs()
    tape(np.array([0.5, 0.25]))
    assert tape._blob is not None
    for name, (arg, expect) in turned_away([0.75, -2.0]).items():
        v, g = reference_vg(tape, expect)
        got_v, got_g = tape.value_and_gradient(arg)
        assert same_bits(got_v, v) and same_bits(got_g, g), name
        assert same_bits(tape.gradient(arg), g), name
        assert same_bits(tape(arg), reference_value(tape, expect)), name
    assert counted == {"vg": 0, "value": 0}  # none reached the entry points
    domke = workloads.domke().tape  # one input: a scalar and a 0-d array are one point
    domke(np.array([0.5]))
    for arg in (0.75, np.array(0.75)):
        assert same_bits(domke.value_and_gradient(arg)[1], reference_vg(domke, [0.75])[1])
        assert same_bits(domke(arg), reference_value(domke, [0.75]))
    assert counted == {"vg": 0, "value": 0}
    x = np.array([0.75, -2.0])  # and the plain array does take the short path
    assert same_bits(tape.value_and_gradient(x)[1], reference_vg(tape, x)[1])
    assert counted == {"vg": 1, "value": 0}


def test_wrong_lengths_and_batches_are_refused_or_batched_like_the_general_path(counted):
    tape = workloads.domke().tape
    tape(np.array([0.5]))
    for bad in (np.zeros(2), np.zeros(0), np.zeros((1, 1, 1))):
        for call in (tape, tape.gradient, tape.value_and_gradient):
            with pytest.raises(ValueError, match="input value"):
                call(bad)
    X = np.array([[0.1], [0.7], [-1.5]])  # a batch: one result per row
    V, G = tape.value_and_gradient(X)
    for row, v, g in zip(X, V, G):
        want_v, want_g = reference_vg(tape, row)
        assert same_bits(v, want_v) and same_bits(g, want_g)
    assert same_bits(tape(X)[:, 0], V) and same_bits(tape.gradient(X), G)
    assert counted == {"vg": 0, "value": 0}
    # An output index or checkpoints take the general path, with the same bits.
    x = np.array([0.3])
    assert same_bits(tape.value_and_gradient(x, output=0)[1], reference_vg(tape, x)[1])
    assert same_bits(tape.gradient(x, checkpoints=2), reference_vg(tape, x)[1])
    assert same_bits(tape.value_and_gradient(x, output=-1)[1], reference_vg(tape, x)[1])
    with pytest.raises(IndexError, match="output 1 is out of range"):
        tape.value_and_gradient(x, output=1)
    assert counted == {"vg": 0, "value": 0}


def test_the_kernels_check_lengths_before_touching_memory():
    tape = workloads.domke().tape
    tape(np.array([0.5]))
    blob, one, two = tape._blob, np.zeros(1), np.zeros(2)
    for bad in ((blob, two, one), (blob, one, two), (blob, np.zeros(0), one)):
        with pytest.raises(ValueError, match="one value per input"):
            kernels.value_and_gradient_packed1(*bad)
    for short in (blob[:-1], blob[:1], blob[:0], np.concatenate([blob, [0.0]])):
        with pytest.raises(ValueError, match="blob"):
            kernels.value_and_gradient_packed1(short.copy(), one, np.zeros(1))
    with pytest.raises(ValueError, match="one entry"):
        kernels.value_packed1(blob, one, two)
    with pytest.raises(ValueError, match="one value per input"):
        kernels.value_packed1(blob, two, one)


def test_threads_share_one_blob_and_get_serial_results():
    tape, x0 = strategies.random_tape(np.random.default_rng(21), 3, 50, 1)
    assert tape._small
    points = x0 + np.random.default_rng(22).normal(0.0, 0.5, (24, 3))
    serial = [(reference_vg(tape, p), reference_value(tape, p)) for p in points]
    tape(points[0])
    got = threaded.on_threads(lambda p: (tape.value_and_gradient(p), tape.gradient(p), tape(p)),
                              points, rounds=50)
    for ((v, g), y), ((gv, gg), g2, gy) in zip(serial, got):
        assert same_bits(gv, v) and same_bits(gg, g) and same_bits(g2, g) and same_bits(gy, y)


def test_release_drops_the_blob_and_kept_bytes_counts_it():
    tape = workloads.domke().tape
    assert tape.kept_bytes == 0
    x = np.array([0.3])
    want = tape.value_and_gradient(x)
    assert tape._blob is not None and tape.kept_bytes >= tape._blob.nbytes > 0
    tape.release()
    assert tape._blob is None and tape.kept_bytes == 0
    assert same_bits(tape.value_and_gradient(x)[1], want[1])  # made again


def test_multi_output_and_big_tapes_keep_their_paths():
    with sg.Graph():
        x = sg.var("x")
        tape = sg.compile([x], [sg.sin(x), sg.exp(x)])
    p = np.array([0.4])
    for k in (0, 1):
        assert tape.value_and_gradient(p, output=k)[1][0] == pytest.approx(
            [np.cos(0.4), np.exp(0.4)][k], rel=1e-15)
    assert tape._blob is None and not tape._small
    big, xb = strategies.random_tape(np.random.default_rng(5), 3, 200, 1)
    assert big.n_nodes > workmem.PACKED_NODES
    assert same_bits(big.gradient(xb), reference_vg(big, xb)[1])
    assert big._blob is None


def test_bind_takes_the_short_path_only_with_two_exact_arrays(counted):
    tape = two_inputs()
    f = tape.bind()
    x = np.array([0.75, -2.0])
    v, g = reference_vg(tape, x)
    out = np.empty(2)
    assert same_bits(f(x, out), v) and same_bits(out, g)
    assert counted["vg"] == 1
    # A subclass is viewed as a plain array and goes the general way (a read-only or an
    # unaligned x would too, compiling the 11-array kernel for that type: not done here).
    out = np.empty(2)
    assert same_bits(f(x.copy().view(Sub), out), v) and same_bits(out, g)
    assert counted["vg"] == 1
    for bad_x, bad_g in ((x.astype(np.float32), np.empty(2)), (x, np.empty(3)),
                         (np.zeros(3), np.empty(3)), (x, np.empty(2, dtype=np.float32)),
                         ([0.75, -2.0], np.empty(2)), (x, np.empty(4)[::2])):
        with pytest.raises(TypeError, match="contiguous float64"):
            f(bad_x, bad_g)
    ro = np.empty(2)
    ro.flags.writeable = False
    with pytest.raises(TypeError, match="writable"):
        f(x, ro)
    sub = np.zeros(2).view(Sub)  # the gradient lands in the caller's subclass array
    assert same_bits(f(x, sub), v) and same_bits(sub.view(np.ndarray), g)
    assert counted["vg"] == 1


def test_specialized_plain_call_and_what_it_turns_away():
    tape = two_inputs()
    spec = tape.specialize()
    x = np.array([0.75, -2.0])
    v, g = reference_vg(tape, x)
    for _ in range(2):  # the first call compiles and finds the entry point; the second uses it
        got_v, got_g = spec.value_and_gradient(x)
        assert same_bits(got_v, v) and same_bits(got_g, g)
    assert spec._vg is not spec._vg_first
    for name, (arg, expect) in turned_away([0.75, -2.0]).items():
        want = reference_vg(tape, expect)
        got = spec.value_and_gradient(arg)
        assert same_bits(got[0], want[0]) and same_bits(got[1], want[1]), name
    with pytest.raises(ValueError, match="input value"):
        spec.value_and_gradient(np.zeros(3))


def test_buffer_call_matches_the_interpreter_bit_for_bit():
    rng = np.random.default_rng(31)
    cases = [(t, x, 0) for t, x in small_every_op_tapes()[:4]]
    big, xb = strategies.random_tape(np.random.default_rng(32), 3, 200, 2)  # 11-array kernel
    cases += [(big, xb, 0), (big, xb, 1)]
    for tape, x0, k in cases:
        call, x, g = tape.buffer(output=k if tape.n_outputs > 1 else None)
        assert x.shape == g.shape == (tape.n_inputs,)
        for p in np.vstack([x0, x0 + rng.normal(0.0, 0.3, (5, x0.size)),
                            rng.uniform(-6.0, 6.0, (5, x0.size))]):
            x[:] = p
            n = tape.n_nodes
            want_g = np.empty(tape.n_inputs)
            want_v = sweeps.value_and_gradient(
                tape.op, tape.arg0, tape.arg1, tape.consts, tape.outputs, k, np.empty(n),
                np.empty((n, 2)), np.empty(n), p.copy(), want_g)
            assert same_bits(call(), want_v) and same_bits(g, want_g), (p, k)


def test_buffer_arrays_are_the_callers_views_and_cannot_reach_the_kernel():
    tape = two_inputs()
    call, x, g = tape.buffer()
    x[:] = [0.75, -2.0]
    v, want = reference_vg(tape, [0.75, -2.0])
    assert same_bits(call(), v) and same_bits(g, want)
    x.shape = (1, 2)  # reshaping or freezing the caller's views changes nothing for call
    x[0] = [0.5, 0.25]
    x.flags.writeable = False
    g.shape = (2, 1)
    x.base.shape = (1, x.base.size)  # nor reshaping the memory they are views of
    v2, want2 = reference_vg(tape, [0.5, 0.25])
    assert same_bits(call(), v2) and same_bits(g.ravel(), want2)
    with pytest.raises(IndexError, match="out of range"):
        tape.buffer(output=1)


def test_specialized_buffer_call_matches_the_tape_bit_for_bit():
    with sg.Graph():
        a, b = sg.var("a"), sg.var("b")
        tape = sg.compile([a, b], [sg.exp(a) * sg.sin(b) + a * b, sg.sqrt(a * a + 1.0) / b])
    spec = tape.specialize()
    rng = np.random.default_rng(41)
    for k in (0, 1, -1):
        call, x, g = spec.buffer(output=k)
        for p in rng.uniform(-3.0, 3.0, (8, 2)):
            x[:] = p
            want_v, want_g = tape.value_and_gradient(p, output=k)
            assert same_bits(call(), want_v) and same_bits(g, want_g), (p, k)
    with pytest.raises(ValueError, match="outputs"):
        spec.buffer()


def test_adjoints_of_a_small_tape_are_the_general_paths_bit_for_bit():
    # tape.adjoints on a small tape reads the packed kernel's adjoint table; the oracle is the
    # general path, forward_partials then reverse_adjoints from a seed of 1.0 at the output.
    rng = np.random.default_rng(5)
    for tape, x in small_every_op_tapes():
        n = tape.n_nodes
        special = np.array([[0.0] * x.size, [-0.0] * x.size, [np.nan] * x.size,
                            [np.inf] * x.size, [-1.0] * x.size])
        for p in np.vstack([x, rng.uniform(-6.0, 6.0, (6, x.size)), special]):
            values, partials, adj = np.empty(n), np.empty((n, 2)), np.full(n, -0.0)
            forward.forward_partials(tape.op, tape.arg0, tape.arg1, tape.consts, p, values,
                                     partials)
            adj[tape.outputs[0]] = 1.0
            sweeps.reverse_adjoints(tape.arg0, tape.arg1, partials, adj)
            got = tape.adjoints(p)
            assert same_bits(got, adj + 0.0), p
            assert same_bits(got[:tape.n_inputs], tape.gradient(p)), p
    # a blob per call: threads on one tape get serial results
    tape, x = small_every_op_tapes()[0]
    points = x + np.random.default_rng(6).normal(0.0, 0.5, (24, x.size))
    serial = [tape.adjoints(p) for p in points]
    got = threaded.on_threads(lambda p: (tape.adjoints(p), tape.gradient(p)), points, rounds=50)
    for a, (ga, gg) in zip(serial, got):
        assert same_bits(ga, a) and same_bits(gg, a[:tape.n_inputs])


def test_linearize_of_a_small_tape_is_forward_partials_bit_for_bit():
    # tape.linearize (what tape.evaluate, sg.draw and sg.explore read) takes the packed
    # kernel's tables on a small tape, of any number of outputs; the oracle is
    # forward_partials on fresh arrays.
    rng = np.random.default_rng(9)
    tapes = small_every_op_tapes() + [strategies.random_tape(rng, 2, 40, 3)]
    for tape, x in tapes:
        n = tape.n_nodes
        for p in np.vstack([x, rng.uniform(-6.0, 6.0, (6, x.size)), np.full(x.size, np.nan),
                            np.full(x.size, -0.0), np.full(x.size, np.inf)]):
            values, partials = np.empty(n), np.empty((n, 2))
            forward.forward_partials(tape.op, tape.arg0, tape.arg1, tape.consts, p, values,
                                     partials)
            got_values, got_partials = tape.linearize(p)
            assert same_bits(got_values, values) and same_bits(got_partials, partials), p
            got_values[0] = 7.0  # the caller's own arrays: the next call is not changed
            assert same_bits(tape.linearize(p)[0], values)
