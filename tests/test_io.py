"""Saving, loading and pickling tapes; one tape shared by threads and by processes.

Oracles: the tape that was saved (every array bit for bit, every result bit for bit), the
format table of ``scalargraph/io.py`` read back through plain ``numpy.load`` without pickle,
and serial evaluation for the threaded and multiprocess runs (the same kernels on the same
inputs, so results must be identical, not merely close).
"""

import concurrent.futures
import io
import importlib
import multiprocessing
import pickle
import pkgutil
import zipfile

import numba
import numpy as np
import pytest

import scalargraph as sg
from scalargraph import ops
from scalargraph import io as sgio

ARRAYS = ("op", "arg0", "arg1", "consts", "outputs")


def table_tape():
    """Every computed op of the table once, each on the two inputs (or one and a constant).

    Built from raw arrays by operand kind, so a new op of the table is included unedited.
    Inputs 0.7 and 1.3 lie inside every op's domain.
    """
    op, arg0, arg1, consts = [ops.INPUT, ops.INPUT], [0, 1], [-1, -1], []
    for record in ops.OPS:
        if record.kind == ops.INPUT_KIND:
            continue
        op.append(record.code)
        if record.kind == ops.CONST_KIND:
            consts.append(0.5)
            arg0.append(len(consts) - 1)
            arg1.append(-1)
        elif record.kind == ops.UNARY:
            arg0.append(0), arg1.append(-1)
        elif record.kind == ops.BINARY:
            arg0.append(0), arg1.append(1)
        else:
            consts.append(1.5)
            arg0.append(1), arg1.append(len(consts) - 1)
    outputs = list(range(2, len(op))) + [0, len(op) - 1]
    return sg.Tape(op, arg0, arg1, consts, outputs, input_names=("x", None))


def recorded_tape():
    """A graph recorded by the public API: the Domke graph plus a constant output."""
    x, y = sg.var("x"), sg.var("y")
    f1 = sg.exp(x)
    f3 = f1 + f1 ** 2
    out = sg.exp(f3) + sg.sin(f3) + sg.maximum(x, y) * sg.leaky_relu(y, 0.2)
    return sg.compile([x, y], [out, 3.5, x])


POINTS = [np.array(p) for p in ([0.7, 1.3], [-0.2, 0.4], [0.0, 0.0], [np.nan, 1.0],
                                [np.inf, -np.inf], [1e300, -1e-310])]


def results(tape, x):
    """Everything a tape computes at x, for bit-for-bit comparisons."""
    out = [tape(x), tape.values(x), tape.jacobian(x, mode="forward"),
           tape.jacobian(x, mode="reverse"), tape.jvp(x, np.arange(tape.n_inputs) + 1.0),
           tape.vjp(x, np.arange(tape.n_outputs) + 1.0)]
    out += [tape.gradient(x, output=k) for k in range(tape.n_outputs)]
    out += [tape.adjoints(x, output=k) for k in range(tape.n_outputs)]
    return out


def assert_same_tape(a, b):
    for name in ARRAYS:
        x, y = getattr(a, name), getattr(b, name)
        assert x.dtype == y.dtype and x.shape == y.shape, name
        assert x.tobytes() == y.tobytes(), name  # bit for bit, NaN and -0.0 included
    assert tuple(a.input_names) == tuple(b.input_names) and a.n_data == b.n_data
    with np.errstate(all="ignore"):
        for x in POINTS:
            x = np.resize(x, a.n_inputs)
            for r, s in zip(results(a, x), results(b, x)):
                assert r.tobytes() == s.tobytes()


def saved(tape, **options):
    buf = io.BytesIO()
    sg.save(tape, buf, **options)
    return buf.getvalue()


def rewrite(data, **changes):
    """The file ``data`` with some members replaced (None: removed), written by numpy."""
    with np.load(io.BytesIO(data), allow_pickle=False) as f:
        members = {k: f[k] for k in f.files}
    for k, v in changes.items():
        if v is None:
            members.pop(k)
        else:
            members[k] = v
    buf = io.BytesIO()
    np.savez(buf, **members)
    return buf.getvalue()


def load_error(data):
    with pytest.raises(ValueError) as info:
        sg.load(io.BytesIO(data))
    return str(info.value)


# ---- round trips ----------------------------------------------------------------------------
@pytest.mark.parametrize("make", [table_tape, recorded_tape])
@pytest.mark.parametrize("compress", [False, True])
def test_round_trip_is_bit_for_bit(make, compress, tmp_path):
    tape = make()
    path = tmp_path / "model.tape"
    tape.save(path, compress=compress)
    assert path.exists() and not (tmp_path / "model.tape.npz").exists()  # no suffix added
    assert sorted(p.name for p in tmp_path.iterdir()) == ["model.tape"]  # no temp file left
    assert_same_tape(tape, sg.load(path))
    assert_same_tape(tape, sg.Tape.load(str(path)))
    assert_same_tape(tape, sg.load(io.BytesIO(saved(tape, compress=compress))))


def test_table_tape_covers_every_op():
    assert set(table_tape().op_counts()) == {op.name for op in ops.OPS}


def test_round_trip_keeps_special_constants_names_and_data_inputs():
    consts = [np.nan, -0.0, np.inf, -np.inf, 5e-324, 1.7976931348623157e308]
    op = [ops.INPUT, ops.INPUT, ops.INPUT] + [ops.CONST] * len(consts)
    arg0 = [0, 1, 2] + list(range(len(consts)))
    tape = sg.Tape(op, arg0, [-1] * len(op), consts, list(range(len(op))),
                   input_names=("", None, "naïve ∂"), n_data=2)
    back = sg.load(io.BytesIO(saved(tape)))
    assert_same_tape(tape, back)
    assert back.input_names == ("", None, "naïve ∂")
    assert back.n_data == 2


def test_empty_tapes_round_trip():
    for tape in (sg.Tape([], [], [], [], []), sg.compile([], [2.5]), sg.compile([sg.var()], [])):
        back = sg.load(io.BytesIO(saved(tape)))
        assert_same_tape(tape, back)
        assert back.n_inputs == tape.n_inputs and back.n_outputs == tape.n_outputs


def test_file_is_plain_npz_as_documented():
    """numpy.load without pickle reads the file; members and dtypes are the documented ones."""
    tape = recorded_tape()
    with np.load(io.BytesIO(saved(tape)), allow_pickle=False) as f:
        assert sorted(f.files) == sorted(sgio._LAYOUT)
        assert str(f["format"]) == "scalargraph.tape" and int(f["version"]) == 1
        assert f["op"].dtype == np.uint8 and f["consts"].dtype == np.float64
        for name in ("arg0", "arg1", "outputs"):
            assert f[name].dtype == np.dtype("<i4")
        for name in ARRAYS:
            assert np.array_equal(f[name], getattr(tape, name))
        assert f["input_names"].tolist() == ["x", "y"] and f["input_named"].all()


def test_loaded_tape_is_read_only_and_cannot_index():
    x = sg.var("x")
    tape = sg.compile([x], [sg.sin(x)])
    back = sg.load(io.BytesIO(saved(tape)))
    for name in ARRAYS:
        assert not getattr(back, name).flags.writeable
    with pytest.raises(ValueError, match="not compiled from a graph in this process"):
        back.index(x)


def test_big_endian_arrays_are_accepted_and_converted():
    tape = recorded_tape()
    data = rewrite(saved(tape), arg0=tape.arg0.astype(">i4"), consts=tape.consts.astype(">f8"),
                   version=np.array(1, dtype=">i8"))
    back = sg.load(io.BytesIO(data))
    assert back.arg0.dtype == np.int32 and back.consts.dtype == np.float64
    assert_same_tape(tape, back)


# ---- what load refuses, by name ---------------------------------------------------------------
def test_load_names_what_is_wrong():
    tape = recorded_tape()
    good = saved(tape)
    cases = {
        "not a scalargraph.tape file: not a zip": b"hello, world",
        "not a zip archive": b"",
        "missing array 'format'": rewrite(good, format=None),
        "missing array 'consts'": rewrite(good, consts=None),
        "wrong format name 'other.thing'": rewrite(good, format=np.array("other.thing")),
        "unsupported scalargraph.tape version 2": rewrite(good, version=np.array(2)),
        "unsupported scalargraph.tape version 0": rewrite(good, version=np.array(0)),
        "version 3; this scalargraph reads version 1 (written by a newer": rewrite(
            good, version=np.array(3), new_array=np.zeros(2)),  # the version, not the member
        "array 'version' has dtype float64": rewrite(good, version=np.array(1.0)),
        "array 'op' has dtype int64, expected uint8": rewrite(good, op=tape.op.astype(np.int64)),
        "array 'arg0' has dtype float64, expected int32": rewrite(good, arg0=tape.arg0 * 1.0),
        "array 'consts' has dtype float32": rewrite(good, consts=tape.consts.astype(np.float32)),
        "array 'input_names' has dtype int64": rewrite(good, input_names=np.arange(2)),
        "array 'outputs' has shape (1, 3), expected a 1-d": rewrite(
            good, outputs=tape.outputs[None, :]),
        "array 'format' has shape (1,), expected a 0-d": rewrite(
            good, format=np.array(["scalargraph.tape"])),
        "unexpected member 'extra.npy'": rewrite(good, extra=np.zeros(3)),
        "input_names has 1 entries but input_named 2": rewrite(
            good, input_names=np.array(["x"])),
        "unknown opcode 200": rewrite(good, op=np.where(np.arange(tape.n_nodes) == 4, 200,
                                                        tape.op).astype(np.uint8)),
        "outputs[0] = 99 is not a node index": rewrite(
            good, outputs=np.array([99, 0, 0], dtype=np.int32)),
        "n_data must be an int in 0..2": rewrite(good, n_data=np.array(3)),
    }
    for expected, data in cases.items():
        assert expected in load_error(data), expected


def test_parent_indices_must_point_backwards():
    tape = recorded_tape()
    unary = int(np.flatnonzero(np.isin(tape.op, [ops.EXP, ops.SIN]))[-1])
    for bad in (unary, unary + 1, -1, -(2 ** 31), 2 ** 31 - 1):
        arg0 = tape.arg0.copy()
        arg0[unary] = bad
        message = load_error(rewrite(saved(tape), arg0=arg0))
        assert f"node {unary}" in message and "parent index >= 0 and <" in message


def test_truncated_and_corrupt_archives():
    good = saved(recorded_tape())
    assert "not a zip archive" in load_error(good[:len(good) // 2])
    assert "not a zip archive" in load_error(good[:-1])
    # A flipped byte inside the op array's data: the zip CRC-32 catches it.
    with zipfile.ZipFile(io.BytesIO(good)) as z:
        info = z.getinfo("op.npy")
    start = info.header_offset + 30 + len(info.filename) + len(info.extra) + 128
    data = bytearray(good)
    data[start] ^= 0x04
    assert "corrupt member 'op.npy'" in load_error(bytes(data))


def test_a_member_longer_than_its_header_is_refused():
    good = saved(recorded_tape())
    arrays = dict(np.load(io.BytesIO(good), allow_pickle=False))
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        for name, a in arrays.items():
            raw = io.BytesIO()
            np.lib.format.write_array(raw, a)
            z.writestr(name + ".npy", raw.getvalue() + (b"\0" * 4 if name == "outputs" else b""))
    assert "'outputs' has data beyond what its header declares" in load_error(buf.getvalue())


@pytest.mark.parametrize("name, descr, shape, words", [
    ("consts", "<f8", (2 ** 40,), "'consts' claims 8796093022208 bytes"),  # before allocating
    ("consts", "<f8", (-1,), "'consts' has shape (-1,)"),
    ("input_names", "<U0", (10 ** 18,), "'input_names' has dtype <U0"),
    ("op", "|O", (2,), "'op' has dtype object"),
])
def test_forged_headers_are_refused_before_reading_data(name, descr, shape, words):
    good = saved(recorded_tape())
    arrays = dict(np.load(io.BytesIO(good), allow_pickle=False))
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        for member, a in arrays.items():
            raw = io.BytesIO()
            if member == name:  # the forged header, then 8 bytes
                np.lib.format.write_array_header_1_0(
                    raw, {"descr": descr, "fortran_order": False, "shape": shape})
                raw.write(b"\0" * 8)
            else:
                np.lib.format.write_array(raw, a)
            z.writestr(member + ".npy", raw.getvalue())
    assert words in load_error(buf.getvalue())


class _Marker:
    """Unpickling this sets a flag: proof of whether a loader ran pickle on a file."""
    ran = False

    def __reduce__(self):
        return (_mark, ())


def _mark():
    _Marker.ran = True
    return 0.0


def test_object_arrays_are_refused_without_running_pickle():
    good = saved(recorded_tape())
    with np.load(io.BytesIO(good), allow_pickle=False) as f:
        members = {k: f[k] for k in f.files}
    members["consts"] = np.array([_Marker(), 1.0], dtype=object)
    buf = io.BytesIO()
    np.savez(buf, **members)  # numpy pickles object arrays into the file
    assert "array 'consts' has dtype object" in load_error(buf.getvalue())
    assert not _Marker.ran


def test_input_named_must_hold_booleans():
    good = saved(recorded_tape())
    raw = np.array([1, 2], dtype=np.uint8).view(np.bool_)
    assert "holds bytes other than 0 and 1" in load_error(rewrite(good, input_named=raw))


def test_missing_file_is_an_os_error_and_save_checks_its_argument(tmp_path):
    with pytest.raises(FileNotFoundError):
        sg.load(tmp_path / "nothing.tape")
    with pytest.raises(TypeError, match="save needs a Tape"):
        sg.save("not a tape", tmp_path / "x.tape")
    with pytest.raises(OSError):
        recorded_tape().save(tmp_path / "no" / "such" / "folder.tape")
    assert list(tmp_path.iterdir()) == []


def test_failed_save_keeps_the_old_file(tmp_path):
    path = tmp_path / "model.tape"
    tape = recorded_tape()
    tape.save(path)
    before = path.read_bytes()
    bad = sg.Tape([ops.INPUT], [0], [-1], [], [0], input_names=[7])  # a name that is not str
    with pytest.raises(TypeError, match="input names must be str"):
        bad.save(path)
    assert path.read_bytes() == before
    assert [p.name for p in tmp_path.iterdir()] == ["model.tape"]


# ---- pickling -------------------------------------------------------------------------------
@pytest.mark.parametrize("protocol", range(2, pickle.HIGHEST_PROTOCOL + 1))
def test_pickle_is_compact_and_round_trips(protocol):
    x = sg.variables(50, "x")
    tape = sg.compile(list(x), [sg.sum(np.tanh(x)) * 2.0, x[0]])
    data = pickle.dumps(tape, protocol=protocol)
    # the arrays and a fixed overhead: no graph, no Node, nothing per node but the arrays
    assert len(data) < tape.nbytes + 60 * tape.n_inputs + 1024
    assert b"Graph" not in data and b"Node" not in data
    back = pickle.loads(data)
    assert back._graph is None and back._source is None
    assert_same_tape(tape, back)
    with pytest.raises(ValueError, match="not compiled from a graph in this process"):
        back.index(x[0])


def test_pickle_round_trip_bit_for_bit():
    for tape in (table_tape(), recorded_tape()):
        assert_same_tape(tape, pickle.loads(pickle.dumps(tape)))


def test_unpickling_validates_the_arrays():
    tape = recorded_tape()
    func, args = tape.__reduce__()
    arg0 = args[1].copy()
    node = int(np.flatnonzero(args[0] == ops.SIN)[0])
    arg0[node] = len(arg0) + 5  # a parent after the node: would read out of bounds
    with pytest.raises(ValueError, match="parent index >= 0 and <"):
        func(args[0], arg0, *args[2:])
    with pytest.raises(ValueError, match="parent index >= 0 and <"):
        pickle.loads(pickle.dumps(_Forged(func, (args[0], arg0) + args[2:])))


class _Forged:
    """Pickles as a call of the tape's own reconstructor with given (bad) arguments."""

    def __init__(self, func, args):
        self.func, self.args = func, args

    def __reduce__(self):
        return self.func, self.args


# ---- processes and threads ------------------------------------------------------------------
def test_two_process_pool_gives_serial_results():
    tape = table_tape()
    rng = np.random.default_rng(3)
    points = [rng.uniform(0.2, 2.0, 2) for _ in range(8)]
    serial_values = [tape(p) for p in points]
    serial_grads = [tape.gradient(p, output=0) for p in points]
    ctx = multiprocessing.get_context("spawn")
    with ctx.Pool(2) as pool:
        values = pool.map(tape, points)  # the tape itself travels pickled, as the callable
        grads = pool.starmap(sg.Tape.gradient, [(tape, p, 0) for p in points])
    for a, b in zip(values + grads, serial_values + serial_grads):
        assert a.tobytes() == b.tobytes()


def wide_tape(n=300, depth=30):
    """n inputs mixed through `depth` layers of tanh(sum of neighbours): 2*10^4 nodes."""
    x = sg.variables(n, "x")
    h = x
    for layer in range(depth):
        h = np.tanh(h + 0.5 * np.roll(h, 1) - 0.25 * np.roll(h, layer + 2))
    return sg.compile(list(x), [sg.sum(h), h[0] * h[-1]])


def test_threads_sharing_one_tape_match_serial():
    tape = wide_tape()
    rng = np.random.default_rng(11)
    points = [rng.normal(size=tape.n_inputs) for _ in range(24)]
    direction = rng.normal(size=tape.n_inputs)

    def work(x):  # every kind of sweep, and the per-tape caches of plans and gradient tapes
        return (tape(x), tape.gradient(x, output=0), tape.jvp(x, direction),
                tape.vjp(x, [1.0, -2.0]), tape.values(x), tape.value_and_gradient(x, 1)[1],
                tape.gradient(x, output=1, checkpoints=7), tape.hvp(x, direction, output=0),
                tape.jacobian(x, mode="forward"))

    serial = [work(x) for x in points]
    with concurrent.futures.ThreadPoolExecutor(max_workers=4) as pool:
        threaded = list(pool.map(work, points * 2))
    for got, want in zip(threaded, serial * 2):
        for a, b in zip(got, want):
            assert a.tobytes() == b.tobytes()


def _dispatchers():
    """Every top-level Numba kernel of the package: all of them live in scalargraph.kernels."""
    import scalargraph.kernels
    found = {}
    for info in pkgutil.iter_modules(scalargraph.kernels.__path__):
        module = importlib.import_module(f"scalargraph.kernels.{info.name}")
        for name, obj in vars(module).items():
            if (isinstance(obj, numba.core.registry.CPUDispatcher)
                    and obj.__module__ == module.__name__
                    and obj.targetoptions.get("inline", "never") != "always"):
                found[f"{info.name}.{name}"] = obj
    return found


def test_every_kernel_releases_the_gil():
    """Threads overlap only if each kernel runs without the GIL (tools/gil_overlap.py shows it)."""
    import scalargraph.kernels
    kernels = _dispatchers()
    assert {"forward.forward_values", "sweeps.reverse_adjoints"} <= set(kernels)
    # A module may name kernels that hold the GIL on purpose, in HOLDS_THE_GIL (with why).
    meant = set()
    for info in pkgutil.iter_modules(scalargraph.kernels.__path__):
        module = importlib.import_module(f"scalargraph.kernels.{info.name}")
        meant |= {f"{info.name}.{name}" for name in getattr(module, "HOLDS_THE_GIL", ())}
    assert meant <= set(kernels), meant - set(kernels)
    holding = sorted(name for name, k in kernels.items() if not k.targetoptions.get("nogil"))
    assert set(holding) == meant, f"kernels compiled without nogil=True: {holding}"
