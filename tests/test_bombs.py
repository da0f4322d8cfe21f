"""Files built to make ``load`` allocate without bound, and malformed files (issue 12).

Each bomb is refused before its payload is read; the peak memory of loading it is measured
with tracemalloc in a fresh process (NumPy reports its buffers to tracemalloc), against the
gigabytes each one claims. Oracles: the sizes the files claim, which the test writes itself.
"""

import base64
import io
import json
import os
import struct
import subprocess
import sys
import textwrap
import zipfile
import zlib

import numpy as np
import pytest

import scalargraph as sg
from scalargraph import npzread

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
MIB = 1 << 20

# bz2 (level 9) of a .npy header for a uint8 array of 2^30 entries and then 2^30 zero
# bytes, made once with bz2.BZ2Compressor (20 s): 894 bytes that expand to 1 GiB + 128.
BZIP2_GIB = base64.b64decode(
    "QlpoOTFBWSZTWdqJOsYFfkDfoOAQQOT80AEDQiCvRd8OCAAACCAAlIZTSnqPUbUaAeUYmgemp7UgiqnqYQYINNA0"
    "aaDTIh+UQBVUSACgCqomfCAKAJJJBErFeIDmEYls8WV0gOtdw6OfXlolKLIyfA7MM78PGWPWdUsq3INSYnRKXqoR"
    "dcM6BsVaASAASSUT+YoKyTKayHBPFvgK/HIABgAAAEEAAYQCajIVAS1IVAS5igrJMprIcE8W+Ar8cgAGAAAAQQAB"
    "hAJqMhUBLUhUBLmKCskymshwTxb4CvxyAAYAAABBAAGEAmoyFQEtSFQEuYoKyTKayHBPFvgK/HIABgAAAEEAAYQC"
    "ajIVAS1IVAS5igrJMprIcE8W+Ar8cgAGAAAAQQABhAJqMhUBLUhUBLmKCskymshwTxb4CvxyAAYAAABBAAGEAmoy"
    "FQEtSFQEuYoKyTKayHBPFvgK/HIABgAAAEEAAYQCajIVAS1IVAS5igrJMprIcE8W+Ar8cgAGAAAAQQABhAJqMhUB"
    "LUhUBLmKCskymshwTxb4CvxyAAYAAABBAAGEAmoyFQEtSFQEuYoKyTKayHBPFvgK/HIABgAAAEEAAYQCajIVAS1I"
    "VAS5igrJMprIcE8W+Ar8cgAGAAAAQQABhAJqMhUBLUhUBLmKCskymshwTxb4CvxyAAYAAABBAAGEAmoyFQEtSFQE"
    "uYoKyTKayHBPFvgK/HIABgAAAEEAAYQCajIVAS1IVAS5igrJMprIcE8W+Ar8cgAGAAAAQQABhAJqMhUBLUhUBLmK"
    "CskymshwTxb4CvxyAAYAAABBAAGEAmoyFQEtSFQEuYoKyTKayHBPFvgK/HIABgAAAEEAAYQCajIVAS1IVAS5igrJ"
    "MprIcE8W+Ar8cgAGAAAAQQABhAJqMhUBLUhUBLmKCskymshwTxb4CvxyAAYAAABBAAGEAmoyFQEtSFQEuYoKyTKa"
    "yHBPFvgK/HIABgAAAEEAAYQCajIVAS1IVAS5igrJMprIcE8W+Ar8cgAGAAAAQQABhAJqMhUBLUhUBLmKCskymshw"
    "Txb4CvxyAAYAAABBAAGEAmoyFQEtSFQEuYoKyTKayHBPFvgK/HIABgAAAEEAAYQCajIVAS1IVAS5igrJMprI1tKU"
    "2ARS2kAGAAAAIABBAAEFKaDMZSkSGxUpEh4u5IpwoSFRiVJ4")
BZIP2_GIB_SIZE, BZIP2_GIB_CRC = (1 << 30) + 128, 0xF8B6184C
# zlib.crc32 of the 128-byte header of a uint8 array of 1400 MiB followed by its zeros.
DEFLATE_CRC = 0xD66C1107


def npy(a):
    buf = io.BytesIO()
    np.lib.format.write_array(buf, np.asarray(a))
    return buf.getvalue()


def npy_header(shape, descr="|u1", version=(1, 0)):
    buf = io.BytesIO()
    d = {"descr": descr, "fortran_order": False, "shape": shape}
    if version == (1, 0):
        np.lib.format.write_array_header_1_0(buf, d)
    else:
        np.lib.format.write_array_header_2_0(buf, d)
    return buf.getvalue()


def deflate_of_repeats(head, byte, mib):
    """Raw deflate of ``head`` then ``mib`` MiB of ``byte``: one flushed segment of a MiB
    repeated (a full flush resets the dictionary, so each MiB compresses to the same bytes)."""
    c = zlib.compressobj(9, zlib.DEFLATED, -15)
    start = c.compress(head) + c.flush(zlib.Z_FULL_FLUSH)
    segment = c.compress(bytes([byte]) * MIB) + c.flush(zlib.Z_FULL_FLUSH)
    return start + segment * mib + c.flush()


def build_zip(entries):
    """A zip archive from raw entries (name, method, crc, payload, file_size, compress_size):
    the payload written as given, the size fields as given (so they can lie)."""
    out, central = io.BytesIO(), []
    for name, method, crc, payload, usize, csize in entries:
        offset = out.tell()
        raw = name.encode()
        out.write(struct.pack("<IHHHHHIIIHH", 0x04034B50, 20, 0, method, 0, 0x21, crc,
                              csize & 0xFFFFFFFF, usize & 0xFFFFFFFF, len(raw), 0) + raw)
        out.write(payload)
        central.append(struct.pack("<IHHHHHHIIIHHHHHII", 0x02014B50, 20, 20, 0, method, 0,
                                   0x21, crc, csize & 0xFFFFFFFF, usize & 0xFFFFFFFF, len(raw),
                                   0, 0, 0, 0, 0, offset) + raw)
    start = out.tell()
    for c in central:
        out.write(c)
    out.write(struct.pack("<IHHHHIIH", 0x06054B50, 0, 0, len(central), len(central),
                          out.tell() - start, start, 0))
    return out.getvalue()


def stored(name, data):
    return (name, zipfile.ZIP_STORED, zlib.crc32(data), data, len(data), len(data))


def good_members():
    """The members of a small valid tape file, as .npy bytes."""
    x = sg.var("x")
    buf = io.BytesIO()
    sg.save(sg.compile([x], [sg.sin(x) * x]), buf)
    with zipfile.ZipFile(io.BytesIO(buf.getvalue())) as z:
        return {info.filename: z.read(info) for info in z.infolist()}


def with_member(replacement):
    """A tape file whose ``op.npy`` member is the raw entry ``replacement``."""
    members = good_members()
    return build_zip([replacement if name == "op.npy" else stored(name, data)
                      for name, data in members.items()])


def bombs():
    """name -> (file bytes, bytes its payload claims)."""
    out = {}
    out["bzip2 member, 1 GiB"] = (with_member(
        ("op.npy", zipfile.ZIP_BZIP2, BZIP2_GIB_CRC, BZIP2_GIB, BZIP2_GIB_SIZE,
         len(BZIP2_GIB))), BZIP2_GIB_SIZE)
    head = npy_header((1400 * MIB,))
    payload = deflate_of_repeats(head, 0, 1400)
    out["deflate member, 1.4 GiB"] = (with_member(
        ("op.npy", zipfile.ZIP_DEFLATED, DEFLATE_CRC, payload, 1400 * MIB + len(head),
         len(payload))), 1400 * MIB)
    # A .npy 2.0 header that says it is 1.4 GiB long: spaces, deflated (NumPy read all of
    # it before checking its own max_header_size).
    length = 1400 * MIB
    head = b"\x93NUMPY\x02\x00" + struct.pack("<I", length)
    payload = deflate_of_repeats(head, 0x20, 1400)
    out[".npy 2.0 header length, 1.4 GiB"] = (with_member(
        ("op.npy", zipfile.ZIP_DEFLATED, 0, payload, length + len(head), len(payload))),
        length)
    # A stored member whose zip size fields (and .npy header) claim 4 GiB - 1.
    head = npy_header((2 ** 32 - 1 - 128,))
    out["stored member, forged 4 GiB sizes"] = (with_member(
        ("op.npy", zipfile.ZIP_STORED, 0, head + bytes(2048), 2 ** 32 - 1, 2 ** 32 - 1)),
        2 ** 32 - 1)
    return out


PEAK_SCRIPT = textwrap.dedent("""
    import json, sys, tracemalloc
    import scalargraph as sg
    out = {}
    for name, path in json.loads(sys.argv[1]).items():
        tracemalloc.start()
        try:
            sg.load(path)
            error = None
        except Exception as err:
            error = f"{type(err).__name__}: {err}"
        out[name] = {"peak": tracemalloc.get_traced_memory()[1], "error": error}
        tracemalloc.stop()
    print(json.dumps(out))
""")


def test_compression_bombs_are_refused_before_their_payload_is_read(tmp_path):
    files = {}
    claims = {}
    for k, (name, (data, claim)) in enumerate(bombs().items()):
        path = tmp_path / f"bomb{k}.tape"
        path.write_bytes(data)
        files[name], claims[name] = str(path), claim
        assert len(data) < 2 * MIB  # small files ...
        assert claim >= (1 << 30)  # ... that claim gigabytes
    run = subprocess.run([sys.executable, "-c", PEAK_SCRIPT, json.dumps(files)],
                         capture_output=True, text=True, timeout=600, cwd=ROOT,
                         env=dict(os.environ, PYTHONPATH=ROOT))
    assert run.returncode == 0, run.stderr
    result = json.loads(run.stdout.strip().splitlines()[-1])
    for name, r in result.items():
        assert r["error"] is not None and r["error"].startswith("ValueError: "), (name, r)
        assert files[name] in r["error"], r["error"]  # names the file
        # Before the fix: 2.1, 3, 3 and 4 GiB.
        assert r["peak"] < 16 * MIB, (name, r["peak"])
    messages = {name: r["error"] for name, r in result.items()}
    assert "bzip2" in messages["bzip2 member, 1 GiB"]
    assert "'arg0' has shape" in messages["deflate member, 1.4 GiB"]
    assert "header" in messages[".npy 2.0 header length, 1.4 GiB"]
    assert "beyond the end" in messages["stored member, forged 4 GiB sizes"]


def raw_npy(header, data=b"", version=(1, 0)):
    """A .npy member with ``header`` (a dict's text, unchecked) and ``data`` as given."""
    text = header.encode("latin1")
    text += b" " * (-(len(text) + 11) % 64) + b"\n"
    width = "<H" if version == (1, 0) else "<I"
    return b"\x93NUMPY" + bytes(version) + struct.pack(width, len(text)) + text + data


def file_with(**replaced):
    """A valid tape file with some members' .npy bytes replaced."""
    members = good_members()
    for name, data in replaced.items():
        members[name + ".npy"] = data
    return build_zip([stored(name, data) for name, data in members.items()])


def header(descr="|u1", shape="(3,)", fortran="False"):
    return f"{{'descr': {descr!r}, 'fortran_order': {fortran}, 'shape': {shape}, }}"


MALFORMED = {
    # A name with a code point beyond Unicode's last (NumPy raised SystemError on it).
    "code point 0x110000": file_with(input_names=raw_npy(
        header("<U1", "(1,)"), struct.pack("<I", 0x110000))),
    "has shape (True,)": file_with(op=raw_npy(header(shape="(True,)"), b"\0")),
    "shape is not valid: ((1,),)": file_with(op=raw_npy(header(shape="((1,),)"), b"\0")),
    "claims 1180591620717411303424 bytes": file_with(op=raw_npy(header(shape=f"({2 ** 70},)"))),
    "bad .npy header": file_with(op=raw_npy("[1, 2, 3]")),
    "bad .npy header ": file_with(op=raw_npy(header(fortran="'yes'"), b"\0" * 3)),
    "bad .npy header  ": file_with(op=raw_npy(header(descr="<X9"), b"\0" * 3)),
    "bad magic": file_with(op=b"\x93NUMPX\x01\x00" + bytes(100)),
    "unsupported .npy version (3, 0)": file_with(op=raw_npy(header(), b"\0" * 3, (3, 0))),
    "truncated .npy header": file_with(op=raw_npy(header(), b"")[:20]),
    "has dtype object": file_with(op=raw_npy(header(descr="|O"), b"\0" * 24)),
    "appears twice": build_zip([stored(n, d) for n, d in good_members().items()]
                               + [stored("op.npy", good_members()["op.npy"])]),
}


@pytest.mark.parametrize("words", sorted(MALFORMED))
def test_every_malformed_file_raises_value_error_naming_file_and_problem(tmp_path, words):
    path = tmp_path / "bad.tape"
    path.write_bytes(MALFORMED[words])
    with pytest.raises(ValueError) as info:
        sg.load(path)
    message = str(info.value)
    assert message.startswith(f"{path}: ") and words.strip() in message, message
    with pytest.raises(ValueError) as info:  # a stream is named by its name, or <stream>
        sg.load(io.BytesIO(MALFORMED[words]))
    assert str(info.value).startswith("<stream>: ")


def test_the_bounds_leave_real_files_alone():
    x = sg.variables(3)
    tape = sg.compile(x, [sg.sum(sg.sin(x) * x)] * 2)
    for compress in (False, True):
        buf = io.BytesIO()
        sg.save(tape, buf, compress=compress)
        back = sg.load(io.BytesIO(buf.getvalue()))
        for name in ("op", "arg0", "arg1", "consts", "outputs"):
            assert np.array_equal(getattr(back, name), getattr(tape, name))
    # A deflated member at deflate's own limit (a MiB of one byte) is no bomb: accepted.
    c = zlib.compressobj(9, zlib.DEFLATED, -15)
    assert len(c.compress(bytes(MIB)) + c.flush()) * npzread.MAX_DEFLATE_RATIO >= MIB
