"""Reading the ``.npy`` members of an untrusted zip archive with bounded memory.

What a hostile file can claim, and what bounds it here, before any data is read:

* **Zip size fields.** A member's compressed size must fit in the archive (Python's zip
  reader otherwise asks the OS for as many bytes as the field says: 4 GiB for a forged
  2.5 KB file); a stored member's sizes must agree; a deflated member cannot expand more
  than deflate itself can (1032:1), so its claimed size is refused beyond that.
* **Compression methods.** ``numpy.savez`` writes stored members and
  ``numpy.savez_compressed`` deflated ones; bzip2 and LZMA (which reach ratios of 10^5 and
  more: 3 KB expanding to 1 GiB) and encrypted members are refused.
* **``.npy`` headers.** The header length field is read here and capped at
  ``MAX_HEADER`` bytes before NumPy parses the header (NumPy reads a version 2.0 header of
  any claimed length, up to 4 GiB, before checking its own limit).
* **Data.** Each array is read in pieces of at most ``PIECE`` bytes straight into the
  array its header declares (no second copy), after that size was checked against the member's
  size; the caller checks the headers against each other (equal lengths) before reading.

So the memory a file can make the reader take is at most the arrays its headers declare,
each no larger than its member, and in all at most 1032 times the file's size.
"""

import io
import zipfile

import numpy as np
from numpy.lib import format as npy_format

# Bytes of .npy header (after the magic and length field) NumPy's own default allows.
MAX_HEADER = 10000
# Deflate's largest expansion: 258 bytes from a 2-bit code, plus block overhead.
MAX_DEFLATE_RATIO = 1032
PIECE = 1 << 18
_METHODS = {zipfile.ZIP_STORED: "stored", zipfile.ZIP_DEFLATED: "deflate"}
_METHOD_NAMES = {zipfile.ZIP_BZIP2: "bzip2", zipfile.ZIP_LZMA: "LZMA"}


class Invalid(Exception):
    """What is wrong with the file (the caller reports it as ValueError naming the file)."""


def archive_size(f):
    """Bytes in the (seekable) file ``f``."""
    here = f.tell()
    try:
        return f.seek(0, 2)
    finally:
        f.seek(here)


def check_member(info, size):
    """Refuse a member whose zip fields claim more than the archive of ``size`` bytes can
    hold or its compression method can produce."""
    name = info.filename
    if info.compress_type not in _METHODS:
        method = _METHOD_NAMES.get(info.compress_type, f"method {info.compress_type}")
        raise Invalid(f"member {name!r} is compressed with {method}: tape files hold stored "
                      "or deflated members only (numpy.savez / savez_compressed)")
    if info.flag_bits & 0x1:
        raise Invalid(f"member {name!r} is encrypted")
    if info.compress_size > size or info.header_offset + info.compress_size > size:
        raise Invalid(f"member {name!r} claims {info.compress_size} bytes at offset "
                      f"{info.header_offset}, beyond the end of the {size}-byte file: "
                      "forged or truncated")
    if info.compress_type == zipfile.ZIP_STORED and info.file_size != info.compress_size:
        raise Invalid(f"stored member {name!r} claims {info.file_size} bytes but holds "
                      f"{info.compress_size}: forged sizes")
    if info.file_size > MAX_DEFLATE_RATIO * info.compress_size + 1024:
        raise Invalid(f"member {name!r} claims to expand from {info.compress_size} to "
                      f"{info.file_size} bytes, more than deflate can: forged sizes")


def read_header(f, what):
    """``(shape, dtype, header bytes)`` of the open member ``f``, the header length capped.

    ``shape`` entries are checked to be plain non-negative ints (NumPy accepts ``True``).
    """
    magic = f.read(npy_format.MAGIC_LEN)
    if len(magic) != npy_format.MAGIC_LEN or magic[:-2] != npy_format.MAGIC_PREFIX:
        raise Invalid(f"{what} is not a .npy array (bad magic)")
    version = (magic[-2], magic[-1])
    if version not in ((1, 0), (2, 0)):
        raise Invalid(f"{what}: unsupported .npy version {version}")
    width = 2 if version == (1, 0) else 4
    field = f.read(width)
    if len(field) != width:
        raise Invalid(f"{what}: truncated .npy header")
    length = int.from_bytes(field, "little")
    if length > MAX_HEADER:
        raise Invalid(f"{what} declares a {length}-byte .npy header, "
                      f"over the {MAX_HEADER} bytes any real header needs")
    text = f.read(length)
    if len(text) != length:
        raise Invalid(f"{what}: truncated .npy header")
    # NumPy's parser, on the header bytes already read (and bounded) here.
    buf = io.BytesIO(magic + field + text)
    buf.seek(npy_format.MAGIC_LEN)
    reader = (npy_format.read_array_header_1_0 if version == (1, 0)
              else npy_format.read_array_header_2_0)
    try:
        shape, _, dtype = reader(buf, max_header_size=MAX_HEADER)
    except Exception as err:  # noqa: BLE001  (any failure to parse untrusted bytes)
        raise Invalid(f"{what}: bad .npy header "
                      f"({type(err).__name__}: {err})") from None
    if not all(type(d) is int and d >= 0 for d in shape):
        raise Invalid(f"{what} has shape {shape!r:.80}, not a shape (its dimensions "
                      "must be non-negative ints)")
    return shape, dtype, npy_format.MAGIC_LEN + width + length


def nbytes_of(shape, dtype):
    """Bytes of data an array of ``shape`` and ``dtype`` holds (exact, no overflow)."""
    n = 1
    for d in shape:
        n *= d
    return n * dtype.itemsize


def read_data(f, info, shape, dtype, header_bytes, what):
    """The array of ``shape`` and ``dtype`` that follows the header in the open member ``f``,
    read in pieces straight into its memory; the member must end there (which makes the
    zip reader check its CRC-32). The array is frozen (:mod:`scalargraph.frozen`): its
    memory is a bytes object, so a tape can keep it as it is."""
    nbytes = nbytes_of(shape, dtype)
    if nbytes > info.file_size - header_bytes:
        raise Invalid(f"{what} claims {nbytes} bytes of data but its member holds only "
                      f"{max(info.file_size - header_bytes, 0)} bytes: truncated or corrupt")
    # The pieces are written into a BytesIO sized once, whose getvalue() hands over its own
    # bytes object (CPython does not copy it): the data is held once, not read into an
    # array and then copied into bytes (2x the tape's size at the peak).
    sink = io.BytesIO()
    if nbytes:
        sink.seek(nbytes - 1)
        sink.write(b"\0")
        sink.seek(0)
    pos = 0
    while pos < nbytes:
        piece = f.read(min(PIECE, nbytes - pos))
        if not piece:
            raise Invalid(f"{what} is truncated: {pos} of {nbytes} bytes")
        sink.write(piece)
        pos += len(piece)
    if f.read(1):
        raise Invalid(f"{what} has data beyond what its header declares")
    return np.frombuffer(sink.getvalue(), dtype=dtype).reshape(shape)
