"""Fuzzing the doors around the validation (issue 12): compressed members with forged zip
fields, pickles that build a tape by either route, the public node constructors and the
in-@njit kernel's arguments.

Oracles as in test_fuzz.py: a file or pickle is refused with ValueError, or gives exactly
the arrays it holds, which the per-node rules written by hand (``valid_by_hand``) accept;
and loading never takes more memory than deflate's own limit allows for the file's size.
"""

import copyreg
import io
import pickle
import struct
import tracemalloc
import zipfile

import numpy as np
from hypothesis import event, given
from hypothesis import strategies as st

import scalargraph as sg
from scalargraph import ops
from scalargraph import io as sg_io, npzread

from test_fuzz import (INDEX_VALUES, TRIED, arrays_of, assert_holds, hostile_floats,
                       load_or_refuse, scaled, tapes, valid_by_hand)

SIZES = st.one_of(st.integers(0, 600), st.sampled_from([2 ** 31 - 1, 2 ** 32 - 1, 2 ** 31]),
                  st.integers(0, 2 ** 32 - 1))
METHODS = st.sampled_from([0, 8, 12, 14, 9, 99])  # stored, deflate, bzip2, LZMA, others


def central_records(data):
    """Offsets of the central directory records, by member name."""
    out, at = {}, data.find(b"PK\x01\x02")
    while at >= 0:
        name_len = struct.unpack_from("<H", data, at + 28)[0]
        out[data[at + 46:at + 46 + name_len].decode()] = at
        at = data.find(b"PK\x01\x02", at + 46)
    return out


@scaled(3)
@given(tapes(hostile_floats(), max_nodes=12), st.data())
def test_compressed_members_with_forged_fields_are_refused_or_harmless(tape, data):
    buf = io.BytesIO()
    tape.save(buf, compress=data.draw(st.booleans()))
    good = buf.getvalue()
    records = central_records(good)
    name = data.draw(st.sampled_from(sorted(records)))
    at = records[name]
    bad = bytearray(good)
    how = data.draw(st.sampled_from(["method", "file_size", "compress_size", "both sizes",
                                     "payload"]))
    if how == "method":
        struct.pack_into("<H", bad, at + 10, data.draw(METHODS))
    if how in ("file_size", "both sizes"):
        struct.pack_into("<I", bad, at + 24, data.draw(SIZES))
    if how in ("compress_size", "both sizes"):
        struct.pack_into("<I", bad, at + 20, data.draw(SIZES))
    if how == "payload":
        with zipfile.ZipFile(io.BytesIO(good)) as z:
            info = z.getinfo(name)
        start = info.header_offset + 30 + len(name)
        for _ in range(data.draw(st.integers(1, 3))):
            k = start + data.draw(st.integers(0, max(info.compress_size - 1, 0)))
            bad[k] ^= data.draw(st.integers(1, 255))
    event(how)
    tracemalloc.start()
    try:
        loaded = load_or_refuse(bytes(bad))
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    # Whatever the fields say, no more than deflate could expand the file to (plus the
    # fixed cost of reading it: a piece buffer, the zip directory, the tape's checks).
    assert peak <= npzread.MAX_DEFLATE_RATIO * len(bad) + 4 * npzread.PIECE, (how, peak)
    TRIED["files with forged zip fields or compressed payloads"] += 1
    if loaded is not None:
        assert_holds(loaded, arrays_of(tape))


class _Reduce:
    """Pickles as ``fn(*args)`` (then ``state``, if any): any route a pickle can take."""

    def __init__(self, fn, args, state=None):
        self.fn, self.args, self.state = fn, args, state

    def __reduce__(self):
        return (self.fn, self.args) if self.state is None else (self.fn, self.args, self.state)


@scaled(3)
@given(tapes(hostile_floats(), max_nodes=12), st.data())
def test_pickles_that_build_tapes_are_validated(tape, data):
    arrays = {k: v.copy() for k, v in arrays_of(tape).items()}
    names, n_data = tuple(tape.input_names), tape.n_data
    what = data.draw(st.sampled_from(["op", "arg0", "arg1", "outputs", "consts", "names",
                                      "n_data", "nothing"]))
    if what in arrays and arrays[what].size:
        a = arrays[what]
        if what == "consts":
            a = a[:data.draw(st.integers(0, a.size - 1))]
        else:
            a[data.draw(st.integers(0, a.size - 1))] = data.draw(
                st.integers(0, 255) if what == "op" else INDEX_VALUES)
        arrays[what] = a
    elif what == "names":
        names = names + (None,) if data.draw(st.booleans()) else names[:-1]
    elif what == "n_data":
        n_data = data.draw(st.integers(-3, 8))
    valid = (valid_by_hand(**arrays, n_names=len(names))
             and 0 <= n_data <= sum(int(o) == ops.INPUT for o in arrays["op"]))
    route = data.draw(st.sampled_from(["reducer", "bare Tape + state"]))
    if route == "reducer":
        forged = _Reduce(sg_io._from_arrays, (*arrays.values(), names, n_data))
    else:
        state = dict(arrays, input_names=names, n_data=n_data, n_inputs=10 ** 9)
        forged = _Reduce(copyreg._reconstructor, (sg.Tape, object, None), state)
    payload = pickle.dumps(forged)
    event(f"{route}: {'valid' if valid else 'invalid'}")
    TRIED["pickles building a tape by either route"] += 1
    try:
        loaded = pickle.loads(payload)
    except (ValueError, TypeError) as err:
        assert not valid, f"a valid tape refused by the {route} route: {err}"
        return
    assert valid, f"an invalid tape accepted by the {route} route"
    assert type(loaded) is sg.Tape and loaded.input_names == names
    assert loaded.n_inputs == len(names)  # the forged n_inputs was not taken
    assert_holds(loaded, arrays)


# ---- public node constructors ---------------------------------------------------------------
# What a user may pass as an index: ints of every size and sign, NumPy integers of every
# width, floats, bools, strings, None. Oracle: the constructor raises (IndexError for an int
# outside the graph, TypeError for what is not an int), or gives the node the graph holds at
# that index, which compiles and evaluates as the node itself.
ANY_INDEX = st.one_of(
    st.integers(-2 ** 70, 2 ** 70), st.integers(-3, 12),
    st.sampled_from([2 ** 32 + 1, 2 ** 31, -2 ** 31 - 1, 2 ** 63, -1]),
    st.builds(lambda v, t: t(v % 128), st.integers(-200, 200),
              st.sampled_from([np.int8, np.uint8, np.int32, np.uint32, np.int64, np.uint64])),
    st.floats(allow_nan=True), st.booleans(), st.text(max_size=3), st.none())


@scaled(4)
@given(st.lists(ANY_INDEX, min_size=1, max_size=4))
def test_node_constructors_refuse_or_give_the_graphs_own_nodes(indices):
    with sg.Graph() as g:
        x = sg.var("x")
        nodes = [x, sg.sin(x), sg.sin(x) * 2.0, 3.0 * x]
    n = len(g.op)
    for index in indices:
        try:
            node = sg.Node(g, index)
        except (IndexError, TypeError) as e:
            ok_int = isinstance(index, (int, np.integer)) and not isinstance(index, (bool, np.bool_))
            assert isinstance(e, IndexError) == (ok_int and not 0 <= int(index) < n), (index, e)
            TRIED["node constructor arguments refused"] += 1
            continue
        assert 0 <= node.index < n and node.index == int(index)
        TRIED["node constructor arguments accepted"] += 1
    try:
        arr = sg.NodeArray(g, indices)
    except (IndexError, TypeError, ValueError):
        TRIED["NodeArray index arrays refused"] += 1
        return
    tape = sg.compile([x], [arr.sum()])
    by_hand = sg.compile([x], [sum(sg.Node(g, int(i)) for i in indices)])
    assert tape([0.7]).tobytes() == by_hand([0.7]).tobytes()
    TRIED["NodeArray index arrays accepted (evaluated)"] += 1
    assert nodes  # the graph's own nodes stay valid whatever was tried


# ---- the in-@njit kernel's arguments -------------------------------------------------------
# sg.value_and_gradient_kernel from user @njit code with a point, a gradient buffer and an
# output index of any length or value, and work arrays cut short. Oracle: ValueError before
# any memory is touched, or exactly tape.value_and_gradient's bits.
_KERNEL_CALL = []


def _kernel_call():
    """A user @njit function calling the kernel (compiled once per test process)."""
    if not _KERNEL_CALL:
        import numba
        kernel = sg.value_and_gradient_kernel

        @numba.njit
        def call(op, arg0, arg1, consts, outputs, output, values, partials, adjoints, x, g):
            return kernel(op, arg0, arg1, consts, outputs, output, values, partials, adjoints,
                          x, g)
        _KERNEL_CALL.append(call)
    return _KERNEL_CALL[0]


@scaled(2)
@given(tapes(hostile_floats(), max_nodes=12), st.data())
def test_kernel_arguments_raise_or_give_the_tapes_own_result(tape, data):
    n, m, nn = tape.n_inputs, tape.n_outputs, tape.n_nodes
    if m == 0:
        return
    op, arg0, arg1, consts, outputs, _, values, partials, adjoints = tape.bind(0).args
    length = st.one_of(st.just(n), st.integers(0, n + 3))  # right half the time
    x = np.asarray([data.draw(hostile_floats()) for _ in range(data.draw(length))], float)
    g = np.full(data.draw(length), 7.0)
    output = data.draw(st.one_of(st.integers(0, m - 1), st.integers(-3, m + 3)))
    cut = data.draw(st.sampled_from(["none", "none", "values", "partials", "adjoints",
                                     "arg1"]))
    short = max(nn - data.draw(st.integers(1, 3)), 0)
    if cut == "values":
        values = values[:short]
    elif cut == "partials":
        partials = partials[:short]
    elif cut == "adjoints":
        adjoints = adjoints[:short]
    elif cut == "arg1":
        arg1 = arg1[:short]
    call = _kernel_call()
    with np.errstate(all="ignore"):
        try:
            value = call(op, arg0, arg1, consts, outputs, output, values, partials, adjoints,
                         x, g)
        except ValueError:
            bad = (x.shape[0] != n or g.shape[0] != n or not 0 <= output < m
                   or (cut != "none" and short < nn))
            assert bad, "refused good arguments"
            TRIED["kernel calls refused"] += 1
            return
        assert x.shape[0] == n and g.shape[0] == n and 0 <= output < m
        assert cut == "none" or short >= nn
        want_value, want_g = tape.value_and_gradient(x, output)
    assert np.asarray(value).tobytes() == np.asarray(want_value).tobytes()
    assert g.tobytes() == want_g.tobytes()
    TRIED["kernel calls answered (checked bit for bit)"] += 1
