"""Peak memory of building a tape from raw arrays: ``sg.Tape``, ``load``, unpickling (issue 12).

The oracle is the tape's own byte count: the tape built must exist (1x, or 2x where a
writable array is copied after unpickling made it), and the check of the arrays must take
no memory per node beyond that. tracemalloc sees NumPy's buffers (the old NumPy checks
peaked at 3.7x for ``sg.Tape`` and 4.7x for ``load`` and unpickling); the compiled check
allocates 80 bytes. Memory is deterministic, unlike time, so the bounds are tight.

Also the ownership rules that let the check skip copies: an array someone could still write
to is copied; one nothing can write to (a protocol-5 unpickle) is kept.
"""

import io
import pickle
import tracemalloc

import numpy as np
import pytest

import scalargraph as sg
from scalargraph import npzread
from scalargraph.bench.workloads import random_dag

ARRAYS = ("op", "arg0", "arg1", "consts", "outputs")
SLACK = 0.1  # of the tape's bytes, for the small objects around the arrays


@pytest.fixture(scope="module")
def tape():
    t = random_dag(400_000).tape
    tiny = random_dag(20).tape
    # Every route once on a tiny tape first: compiling the check is not what is measured.
    sg.Tape(*(getattr(tiny, k) for k in ARRAYS))
    sg.load(io.BytesIO(saved(tiny)))
    pickle.loads(pickle.dumps(tiny, protocol=5))
    return t


def saved(tape, compress=False):
    buf = io.BytesIO()
    sg.save(tape, buf, compress=compress)
    return buf.getvalue()


def peak_of(call):
    """(result, peak bytes traced during the call beyond what was traced before it)."""
    tracemalloc.start()
    try:
        before = tracemalloc.get_traced_memory()[0]
        result = call()
        peak = tracemalloc.get_traced_memory()[1] - before
    finally:
        tracemalloc.stop()
    return result, peak


def test_tape_from_arrays_peaks_at_its_copy(tape):
    arrays = [np.array(getattr(tape, k)) for k in ARRAYS]  # writable: copied
    built, peak = peak_of(lambda: sg.Tape(*arrays))
    assert built.nbytes == tape.nbytes > 3_000_000
    assert peak <= (1 + SLACK) * tape.nbytes, peak / tape.nbytes


@pytest.mark.parametrize("compress", [False, True])
def test_load_peaks_at_the_arrays_it_reads(tape, compress):
    data = saved(tape, compress)
    back, peak = peak_of(lambda: sg.load(io.BytesIO(data)))
    assert all(np.array_equal(getattr(back, k), getattr(tape, k)) for k in ARRAYS)
    # Beyond the arrays: the zip reader's pieces (a few of npzread.PIECE bytes at a time).
    assert peak <= (1 + SLACK) * tape.nbytes + 8 * npzread.PIECE, peak / tape.nbytes


@pytest.mark.parametrize("protocol, floor", [(4, 2), (5, 1)])
def test_unpickling_peaks_at_the_arrays_it_must_hold(tape, protocol, floor):
    # Protocol 4 unpickles writable arrays, which are copied; protocol 5 read-only ones over
    # bytes objects, which are kept.
    data = pickle.dumps(tape, protocol=protocol)
    back, peak = peak_of(lambda: pickle.loads(data))
    assert all(np.array_equal(getattr(back, k), getattr(tape, k)) for k in ARRAYS)
    assert peak <= (floor + SLACK) * tape.nbytes, peak / tape.nbytes


def test_arrays_anyone_can_write_to_are_copied():
    x, y = sg.variables(2)
    t = sg.compile([x, y], [sg.sin(x) * y + 2.0])
    mine = [np.array(getattr(t, k)) for k in ARRAYS]
    frozen_view = [a[:] for a in mine]  # read-only views of memory the caller can write
    for a in frozen_view:
        a.flags.writeable = False
    via_bytes = [np.frombuffer(bytearray(a.tobytes()), a.dtype) for a in mine]
    for a in via_bytes:
        a.flags.writeable = False  # ... over a bytearray, which stays writable
    for arrays in (mine, frozen_view, via_bytes):
        built = sg.Tape(*arrays)
        for k, a in zip(ARRAYS, arrays):
            assert not np.shares_memory(getattr(built, k), a), k
            assert not getattr(built, k).flags.writeable
        mine[1][2] = 99  # a parent after the node: the tape keeps its own, checked arrays
        assert built.arg0[2] != 99
        assert built(np.array([0.5, 2.0]))[0] == pytest.approx(np.sin(0.5) * 2.0 + 2.0, rel=1e-15)
        mine[1][2] = t.arg0[2]


def test_arrays_nothing_can_write_to_are_kept_and_stay_read_only():
    x, y = sg.variables(2)
    t = sg.compile([x, y], [sg.sin(x) * y + 2.0])
    frozen = [np.frombuffer(getattr(t, k).tobytes(), getattr(t, k).dtype) for k in ARRAYS]
    built = sg.Tape(*frozen)
    for k, a in zip(ARRAYS, frozen):
        assert np.shares_memory(getattr(built, k), a), k
        with pytest.raises(ValueError, match="WRITEABLE"):
            getattr(built, k).flags.writeable = True
    back = pickle.loads(pickle.dumps(t, protocol=5))
    for k in ARRAYS:
        with pytest.raises(ValueError, match="WRITEABLE"):
            getattr(back, k).flags.writeable = True
    assert back(np.array([0.5, 2.0]))[0] == pytest.approx(np.sin(0.5) * 2.0 + 2.0, rel=1e-15)
    # Kept, but checked all the same: a forged parent in immutable memory is refused.
    arg0 = np.array(t.arg0)
    arg0[2] = 5
    with pytest.raises(ValueError, match="parent index >= 0 and <"):
        sg.Tape(frozen[0], np.frombuffer(arg0.tobytes(), np.int32), *frozen[2:])
