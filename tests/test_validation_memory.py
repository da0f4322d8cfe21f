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


# ---- the same verdicts and messages as the NumPy checks it replaced --------------------------
def numpy_checks(op, arg0, arg1, consts, outputs):
    """The vectorized checks of scalargraph/validate.py before the compiled pass (d1caeca),
    word for word after the dtype conversions: the oracle for which problem is named."""
    from scalargraph import ops
    kind_of = np.array([int(o.kind) for o in ops.OPS], dtype=np.uint8)
    K, n = ops.Kind, op.shape[0]
    if arg0.shape[0] != n or arg1.shape[0] != n:
        raise ValueError(f"tape arrays op, arg0, arg1 must have one length, got "
                         f"{n}, {arg0.shape[0]}, {arg1.shape[0]}")
    bad = np.flatnonzero(op >= len(ops.OPS))
    if bad.size:
        raise ValueError(f"node {bad[0]} has unknown opcode {op[bad[0]]} "
                         f"(known: 0..{len(ops.OPS) - 1})")
    kind = kind_of[op]
    own = np.arange(n)
    n_inputs = int(np.count_nonzero(kind == K.INPUT))
    if n_inputs and not np.all(kind[:n_inputs] == K.INPUT):
        raise ValueError(f"input nodes must come first: node {np.flatnonzero(kind == K.INPUT)[-1]} "
                         f"is an input after a non-input")
    checks = (
        (kind == K.INPUT, arg0 == own, "an input's arg0 must be its own position"),
        (np.isin(kind, (K.UNARY, K.BINARY, K.CONST_RIGHT)), (arg0 >= 0) & (arg0 < own),
         "arg0 must be a parent index >= 0 and < the node's own index"),
        (kind == K.BINARY, (arg1 >= 0) & (arg1 < own),
         "arg1 must be a parent index >= 0 and < the node's own index"),
        (kind == K.CONST, (arg0 >= 0) & (arg0 < consts.shape[0]),
         "a constant's arg0 must index the constant pool"),
        (kind == K.CONST_RIGHT, (arg1 >= 0) & (arg1 < consts.shape[0]),
         "arg1 must index the constant pool"),
        (np.isin(kind, (K.INPUT, K.CONST, K.UNARY)), arg1 == -1, "an unused arg1 must be -1"),
    )
    for applies, ok, message in checks:
        wrong = np.flatnonzero(applies & ~ok)
        if wrong.size:
            i = wrong[0]
            raise ValueError(f"node {i} ({ops.BY_CODE[int(op[i])].name}, arg0={arg0[i]}, "
                             f"arg1={arg1[i]}): {message}")
    wrong = np.flatnonzero((outputs < 0) | (outputs >= n))
    if wrong.size:
        raise ValueError(f"outputs[{wrong[0]}] = {outputs[wrong[0]]} is not a node index "
                         f"(the tape has {n} nodes)")


def test_every_corruption_gets_the_verdict_and_message_of_the_numpy_checks():
    from scalargraph import ops
    rng = np.random.default_rng(12)
    t = random_dag(40).tape
    refused = 0
    for case in range(3000):
        n = t.n_nodes if case % 7 else int(rng.integers(0, t.n_nodes + 1))  # cut short too
        op, arg0, arg1 = (np.array(a[:n]) for a in (t.op, t.arg0, t.arg1))
        consts, outputs = np.array(t.consts), np.array(t.outputs % max(n, 1))
        for _ in range(rng.integers(0, 4)):  # up to three corruptions: which is named first
            where = rng.integers(0, 5)
            if where == 3:
                outputs[rng.integers(0, outputs.size)] = rng.integers(-3, n + 3)
            elif n:
                a = (op, arg0, arg1, op, arg0)[where]
                hi = len(ops.OPS) + 3 if a is op else n + 3
                a[rng.integers(0, n)] = rng.integers(0 if a is op else -3, hi)
        expected = got = None
        try:
            numpy_checks(op, arg0, arg1, consts, outputs)
        except ValueError as err:
            expected = str(err)
        try:
            built = sg.Tape(op, arg0, arg1, consts, outputs)
        except ValueError as err:
            got = str(err)
        assert got == expected, (case, got, expected)
        if expected is None:
            assert all(np.array_equal(getattr(built, k), v) for k, v in
                       zip(ARRAYS, (op, arg0, arg1, consts, outputs)))
        refused += expected is not None
    assert 1000 < refused < 2900  # both verdicts are common
