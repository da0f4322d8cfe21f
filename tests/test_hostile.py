"""Doors around the validation: pickles, names, failed compiles, hash flooding (issue 12).

Oracles: the same tape built through the validating constructor, names as they were given,
counts of comparisons and hash probes (not timings).
"""

import copyreg
import io
import pickle
import threading
import importlib

import numpy as np
import pytest

import scalargraph as sg
from scalargraph import ops
from scalargraph.kernels import optimize as kernel

optimize_module = importlib.import_module("scalargraph.optimize")  # sg.optimize is the function


class CountingInt(int):
    """An int that counts the comparisons made with it (either side of the operator)."""

    count = 0

    def _cmp(name):
        def method(self, other):
            CountingInt.count += 1
            return getattr(int(self), name)(other)
        return method

    __lt__, __le__ = _cmp("__lt__"), _cmp("__le__")
    __gt__, __ge__ = _cmp("__gt__"), _cmp("__ge__")


def test_many_separate_variable_vectors_are_looked_up_by_binary_search():
    xs = [sg.variables(1, prefix=f"v{k}_")[0] for k in range(16000)]
    g = xs[0].graph
    CountingInt.count = 0
    assert g.names.get(CountingInt(xs[137].index)) == "v137_0"
    # A scan of the 16,000 ranges made about 32,000 comparisons; a binary search 2 log2.
    assert CountingInt.count <= 40, CountingInt.count
    tape = sg.compile(xs, [sg.sum(sg.NodeArray(g, [x.index for x in xs]))])
    names = tuple(tape.input_names)
    assert names[0] == "v0_0" and names[-1] == "v15999_0" and len(set(names)) == 16000
    assert pickle.loads(pickle.dumps(tape)).input_names == names
    buf = io.BytesIO()
    sg.save(tape, buf)
    buf.seek(0)
    assert sg.load(buf).input_names == names


def test_names_of_single_variables_and_ranges_mix():
    a = sg.var("a")
    v = sg.variables(3, prefix="v")
    b = sg.var("b")
    w = sg.variables(2)
    c = sg.var()
    tape = sg.compile([a, *v, b, *w, c], [a + b])
    assert tuple(tape.input_names) == ("a", "v0", "v1", "v2", "b", "x0", "x1", None)


class _ForgedTape:
    """Pickles as "make a bare Tape, then fill its attributes" (copyreg's reconstructor and
    BUILD, what pickle does for a class without a reducer), bypassing Tape.__reduce__."""

    def __init__(self, state):
        self.state = state

    def __reduce__(self):
        return copyreg._reconstructor, (sg.Tape, object, None), self.state


def _state_of(tape, **changes):
    state = {k: getattr(tape, k) for k in ("op", "arg0", "arg1", "consts", "outputs",
                                           "input_names", "n_data", "n_inputs")}
    state.update(changes)
    return state


def test_a_pickle_that_bypasses_the_reducer_is_validated():
    x, y = sg.var("x"), sg.var("y")
    tape = sg.compile([x, y], [sg.sin(x) * y])
    arg0 = tape.arg0.copy()
    arg0[-1] = 10**6  # a parent far out of range: the sweep would read wild memory
    with pytest.raises(ValueError, match="arg0"):
        pickle.loads(pickle.dumps(_ForgedTape(_state_of(tape, arg0=arg0))))
    with pytest.raises(ValueError, match="outputs"):
        pickle.loads(pickle.dumps(_ForgedTape(_state_of(tape, outputs=np.array([-7], np.int32)))))
    with pytest.raises(ValueError, match="state"):
        pickle.loads(pickle.dumps(_ForgedTape({"op": tape.op})))
    # A well-formed state gives a working tape, as the reducer's route would.
    good = pickle.loads(pickle.dumps(_ForgedTape(_state_of(tape))))
    assert good.input_names == ("x", "y")
    np.testing.assert_array_equal(good.gradient([0.5, 2.0]), tape.gradient([0.5, 2.0]))
    np.testing.assert_allclose(good([0.5, 2.0]), [np.sin(0.5) * 2.0], rtol=1e-15)


_M64 = (1 << 64) - 1
_K0, _K1, _K2 = 0x9E3779B97F4A7C15, 0xFF51AFD7ED558CCD, 0xC4CEB9FE1A85EC53


def _mix(h):  # MurmurHash3's fmix64, the CSE hash's mixer
    h ^= h >> 33
    h = h * _K1 & _M64
    h ^= h >> 33
    h = h * _K2 & _M64
    return h ^ (h >> 33)


def _unmix(h):  # its inverse: x ^ (x >> 33) is its own inverse on 64 bits
    h ^= h >> 33
    h = h * pow(_K2, -1, 1 << 64) & _M64
    h ^= h >> 33
    h = h * pow(_K1, -1, 1 << 64) & _M64
    return h ^ (h >> 33)


def colliding_tape(n):
    """x + c_j for n constants whose keys all land in one slot under the unseeded hash
    (opcode add_const, parent 0, constant bits b: mix(mix(o K0 + 0) ^ (b + K0))), with
    distinct high bits so that no key comparison ends a probe chain early."""
    h = _mix(ops.ADD_CONST * _K0 & _M64)
    bits = np.array([((_unmix(j << 32) ^ h) - _K0) & _M64 for j in range(1, n + 1)],
                    dtype=np.uint64)
    assert _mix(h ^ (int(bits[5]) + _K0 & _M64)) & 0xFFFFFFFF == 0
    consts = bits.view(np.float64)
    op = np.r_[ops.INPUT, np.full(n, ops.ADD_CONST)].astype(np.uint8)
    arg0 = np.zeros(n + 1, dtype=np.int32)
    arg1 = np.r_[-1, np.arange(n)].astype(np.int32)
    outputs = np.arange(1, n + 1, dtype=np.int32)
    return sg.Tape(op, arg0, arg1, consts, outputs)


def test_constants_built_to_collide_do_not_make_cse_quadratic(monkeypatch):
    n = 160_000
    tape = colliding_tape(n)
    opt = sg.optimize(tape, cse=True, fold=False)
    # Before the fix every lookup stepped over all earlier nodes: n^2 / 2 = 1.3e10 probes
    # (14 s). Seeded, a half-full table steps over about one occupied slot per lookup.
    assert opt._cse_probes <= 4 * n, opt._cse_probes
    assert opt.n_nodes == n + 1  # all keys differ: nothing merges
    x = np.array([0.25])
    np.testing.assert_array_equal(opt(x), tape(x))
    # Even with the seed the constants were built for, each lookup stops at MAX_PROBES.
    monkeypatch.setattr(optimize_module, "_SEED", np.zeros(2, dtype=np.uint64))
    flooded = sg.optimize(tape, cse=True, fold=False)
    assert flooded._cse_probes <= kernel.MAX_PROBES * n
    assert flooded._cse_probes >= (kernel.MAX_PROBES - 1) * (n - kernel.MAX_PROBES)  # it did collide
    np.testing.assert_array_equal(flooded(x), tape(x))


def test_cse_still_merges_duplicates_among_colliding_keys(monkeypatch):
    monkeypatch.setattr(optimize_module, "_SEED", np.zeros(2, dtype=np.uint64))
    base = colliding_tape(40)  # fewer colliding keys than MAX_PROBES: every lookup completes
    # Each constant used twice: nodes 41..80 repeat nodes 1..40.
    op = np.r_[base.op, base.op[1:]]
    arg0 = np.r_[base.arg0, base.arg0[1:]]
    arg1 = np.r_[base.arg1, base.arg1[1:]]
    tape = sg.Tape(op, arg0, arg1, base.consts, np.arange(1, 81, dtype=np.int32))
    opt = sg.optimize(tape, cse=True, fold=False)
    assert opt.n_nodes == 41
    x = np.array([-3.0])
    np.testing.assert_array_equal(opt(x), tape(x))


def test_recording_continues_after_a_failed_compile():
    x, y = sg.var("x"), sg.var("y")
    f = x * y
    with pytest.raises(ValueError, match="not among the inputs") as info:
        sg.compile([x], [f])  # y forgotten
    assert info.value.__traceback__ is not None  # the traceback, and its frames, kept alive
    z = f
    for _ in range(5000):  # grows the record's buffers (was: BufferError)
        z = z * 1.0001
    tape = sg.compile([x, y], [z])
    np.testing.assert_allclose(tape([2.0, 3.0]), [6.0 * 1.0001 ** 5000], rtol=1e-12)


def test_recording_while_another_thread_compiles_the_graph():
    xs = sg.variables(2)
    h = xs[0]
    for _ in range(100_000):
        h = h * 0.99999 + xs[1]
    g = h.graph
    done, results, errors = threading.Event(), [], []

    def compile_repeatedly():
        try:
            while not done.is_set() or not results:
                results.append(sg.compile(xs, [h]))
        except BaseException as err:  # noqa: BLE001  (reported below)
            errors.append(err)

    worker = threading.Thread(target=compile_repeatedly)
    worker.start()
    try:
        with g:
            z = xs[0]
            for _ in range(100_000):  # was: BufferError when a compile held views
                z = z + 1.0
    finally:
        done.set()
        worker.join()
    assert not errors, errors
    expected = 0.99999 ** 100_000 * 1.0 + 0.0
    for tape in results[:3]:
        np.testing.assert_allclose(tape([1.0, 0.0]), [expected], rtol=1e-9)
    np.testing.assert_array_equal(sg.compile(xs, [z])([0.5, 0.0]), [100_000.5])


def test_a_memory_error_in_compile_says_where_and_how_big(monkeypatch):
    from scalargraph import flatten

    def no_memory(*args):
        raise MemoryError("Allocation failed (probably too large).")

    x = sg.var("x")
    y = sg.exp(x) * x
    monkeypatch.setattr(flatten._flatten, "renumber", no_memory)
    with pytest.raises(MemoryError, match=r"writing the tape arrays, for 3 nodes.*Allocation"):
        sg.compile([x], [y])
