"""Fuzzing the doors around the validation (issue 12): compressed members with forged zip
fields, and pickles that build a tape by either route.

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
