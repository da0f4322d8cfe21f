"""Saving and loading tapes: a versioned NumPy ``.npz`` format read without pickle.

File format ``scalargraph.tape``, version 1: a zip archive (what ``numpy.savez`` writes) of
``.npy`` members, one per array, nothing else.

===============  =============  ===================================================
member           dtype, shape   content
===============  =============  ===================================================
``format``       unicode, 0-d   the string ``"scalargraph.tape"``
``version``      int64, 0-d     the format version, ``1``
``op``           uint8 (n,)     opcode of every node (numbers of :mod:`scalargraph.ops`)
``arg0``         int32 (n,)     first argument of every node (parent, or pool index)
``arg1``         int32 (n,)     second argument, ``-1`` where unused
``consts``       float64 (k,)   the constant pool
``outputs``      int32 (m,)     node index of every output
``input_names``  unicode (i,)   name of every input, ``""`` where it has none
``input_named``  bool (i,)      whether the input has a name (tells ``None`` from ``""``)
``n_data``       int64, 0-d     how many of the last inputs are data (``Tape.n_data``)
===============  =============  ===================================================

Numbers are little-endian when written; big-endian arrays of the same types are
accepted when read. ``numpy.load(path, allow_pickle=False)`` opens the file too.

Reading never unpickles and never runs code from the file: each member's ``.npy`` header is
parsed first (``numpy.lib.format``) and its dtype, shape and size checked against this table
and against the member's stored size before any data is read, every member is read to its
end (so the zip CRC-32 of every member is verified), and then the arrays go through the
same complete check as any :class:`~scalargraph.Tape` built from raw arrays (opcodes,
topological parent indices, arities, pool and output indices) before a compiled loop can
touch them. Whatever is wrong, loading raises ValueError naming it.
"""

import os
import zipfile

import numpy as np

from . import atomic, npzread, validate
from .tape import Tape

FORMAT_NAME = "scalargraph.tape"
FORMAT_VERSION = 1

# member -> (dtype kind, itemsize or None for any, ndim)
_LAYOUT = {
    "format": ("U", None, 0),
    "version": ("i", 8, 0),
    "op": ("u", 1, 1),
    "arg0": ("i", 4, 1),
    "arg1": ("i", 4, 1),
    "consts": ("f", 8, 1),
    "outputs": ("i", 4, 1),
    "input_names": ("U", None, 1),
    "input_named": ("b", 1, 1),
    "n_data": ("i", 8, 0),
}
_TYPE_NAMES = {"U": "unicode", "i": "int", "u": "uint", "f": "float", "b": "bool"}


def save(tape, path, *, compress=False):
    """Write ``tape`` to ``path`` in the ``scalargraph.tape`` format (version 1).

    Parameters
    ----------
    tape : Tape
    path : str, os.PathLike or binary file object
        Written as given (no ``.npz`` suffix is added). A path is written through a
        temporary file in the same folder (a random name, created exclusively), flushed to
        disk and renamed, so a failed or interrupted save never leaves a half-written file
        under that name, nor a temporary file (except after SIGKILL). A file that exists
        keeps its permission bits; a symbolic link is written through (its target is
        replaced, the link stays). See :mod:`scalargraph.atomic`.
    compress : bool
        Deflate the members (smaller, slower); default False.

    Cost: O(n_nodes) time; the file holds 9 B per node + 8 B per constant + 4 B per output
    + names, plus about 1 KiB of headers.
    """
    if not isinstance(tape, Tape):
        raise TypeError(f"save needs a Tape, got {type(tape).__name__}")
    names = tape.input_names
    if not all(n is None or isinstance(n, str) for n in names):
        raise TypeError("input names must be str or None to be saved")
    arrays = {
        "format": np.array(FORMAT_NAME),
        "version": np.array(FORMAT_VERSION, dtype="<i8"),
        "op": tape.op.astype("u1"),
        "arg0": tape.arg0.astype("<i4"),
        "arg1": tape.arg1.astype("<i4"),
        "consts": tape.consts.astype("<f8"),
        "outputs": tape.outputs.astype("<i4"),
        "input_names": np.array(["" if n is None else n for n in names], dtype=str),
        "input_named": np.array([n is not None for n in names], dtype=bool),
        "n_data": np.array(tape.n_data, dtype="<i8"),
    }
    writer = np.savez_compressed if compress else np.savez
    if hasattr(path, "write"):
        writer(path, **arrays)
        return
    atomic.write_file(path, lambda f: writer(f, **arrays))


def load(path):
    """Read a tape written by :func:`save`, checking everything before any kernel runs.

    Parameters
    ----------
    path : str, os.PathLike or binary file object

    Returns
    -------
    Tape
        Evaluates bit for bit like the saved tape; it has no graph, so :meth:`Tape.index`
        raises.

    Raises
    ------
    OSError
        The file cannot be opened.
    ValueError
        Anything wrong with the content, named: not a zip archive, a truncated or corrupt
        archive (bad CRC), wrong format name, unsupported version, a missing or unexpected
        array, a wrong dtype or shape, an array shorter or longer than its header says, or
        tape arrays that break the tape's rules (unknown opcode, a parent index that is
        negative or not smaller than the node's own, a wrong arity, an index out of range).

    Cost: O(file size) time; memory: the arrays the headers declare, after they were checked
    against each other and against the members' sizes (so at most about 1032 times the
    file's size, deflate's limit; see :mod:`scalargraph.npzread`), read straight into the
    tape's own arrays and checked in place in one pass (O(1) beyond them, plus pieces of
    ``npzread.PIECE`` bytes while reading): about 1.03 times the tape's bytes in all at
    10^7 nodes.
    """
    if hasattr(path, "read"):
        return _load(path, str(getattr(path, "name", "<stream>")))
    with open(os.fspath(path), "rb") as f:
        return _load(f, os.fspath(path))


def _load(f, where):
    try:
        size = npzread.archive_size(f)
        archive = zipfile.ZipFile(f)
    except zipfile.BadZipFile as err:
        raise ValueError(f"{where}: not a {FORMAT_NAME} file: not a zip archive ({err})") from None
    except Exception as err:  # noqa: BLE001  (any failure to parse untrusted bytes)
        raise ValueError(f"{where}: corrupt zip archive ({type(err).__name__}: {err})") from None
    try:
        with archive:
            return _load_members(archive, size, where)
    except npzread.Invalid as err:
        raise ValueError(f"{where}: {err}") from None


def _load_members(archive, size, where):
    members, unexpected = {}, []
    for info in archive.infolist():
        name = info.filename[:-4] if info.filename.endswith(".npy") else None
        if name not in _LAYOUT:
            unexpected.append(info.filename)
        elif name in members:
            raise npzread.Invalid(f"member {info.filename!r} appears twice")
        else:
            npzread.check_member(info, size)
            members[name] = info

    def header(name):
        if name not in members:
            raise npzread.Invalid(f"missing array {name!r}"
                                  + (f" (not a {FORMAT_NAME} file?)" if name == "format" else ""))
        return _member_header(archive, members[name], name)

    def read(name, head):
        return _read_member(archive, members[name], name, head)

    fmt = read("format", header("format"))
    if str(fmt) != FORMAT_NAME:
        raise npzread.Invalid(f"wrong format name {str(fmt)[:80]!r}, expected {FORMAT_NAME!r}")
    version = int(read("version", header("version")))
    if version != FORMAT_VERSION:
        newer = " (written by a newer scalargraph: upgrade)" if version > FORMAT_VERSION else ""
        raise npzread.Invalid(f"unsupported {FORMAT_NAME} version {version}; this "
                              f"scalargraph reads version {FORMAT_VERSION}{newer}")
    if unexpected:  # after the version check: a newer version may add arrays
        raise npzread.Invalid(f"unexpected member {unexpected[0]!r} in a {FORMAT_NAME} "
                              f"version {FORMAT_VERSION} file")
    # Every header first, and their lengths cross-checked, so that no array is read for a
    # file whose other arrays could not match it (a bomb in one member alone).
    heads = {name: header(name) for name in _LAYOUT if name not in ("format", "version")}
    n = heads["op"][0]
    for name in ("arg0", "arg1"):
        if heads[name][0] != n:
            raise npzread.Invalid(f"array {name!r} has shape {heads[name][0]} but 'op' has "
                                  f"{n}: one entry per node in each")
    if heads["input_names"][0] != heads["input_named"][0]:
        raise npzread.Invalid(f"input_names has {heads['input_names'][0][0]} entries but "
                              f"input_named {heads['input_named'][0][0]}")
    if heads["input_names"][0][0] > n[0]:
        raise npzread.Invalid(f"{heads['input_names'][0][0]} input names for a tape of "
                              f"{n[0]} nodes")
    arrays = {name: read(name, head) for name, head in heads.items()}

    try:
        names = tuple(str(s) if k else None for s, k in zip(arrays["input_names"].tolist(),
                                                            arrays["input_named"].tolist()))
    except Exception as err:  # noqa: BLE001  (any failure to decode untrusted text)
        raise npzread.Invalid(f"input_names is not valid text ({err})") from None
    try:
        # Checked in place: these arrays were just read and nothing else holds them.
        checked = validate.tape_arrays(*(arrays.pop(k) for k in _STATE_KEYS), copy=False)
        return Tape(*checked, input_names=names, n_data=int(arrays["n_data"]), _trusted=True)
    except (ValueError, TypeError) as err:
        raise npzread.Invalid(f"invalid tape: {err}") from None


def reduce_tape(tape):
    """``Tape.__reduce__``: the tape as its arrays, rebuilt through the validating constructor.

    A pickle holds 9 B per node + 8 B per constant + 4 B per output, the names and about
    0.5 KiB; no graph and no per-node Python objects. Unpickling holds the arrays once with
    protocol 5 (read-only arrays over ``bytes``, kept as they are) and twice with protocols
    2-4 (writable arrays, which the tape copies). Unpickling checks the arrays as
    :func:`load` does (but pickle itself can run code: unpickle only trusted data, and use
    :func:`save` / :func:`load` for files from elsewhere).
    """
    return _from_arrays, (tape.op, tape.arg0, tape.arg1, tape.consts, tape.outputs,
                          tuple(tape.input_names), tape.n_data)


def _from_arrays(op, arg0, arg1, consts, outputs, input_names, n_data):
    return Tape(op, arg0, arg1, consts, outputs, input_names=input_names, n_data=n_data)


_STATE_KEYS = ("op", "arg0", "arg1", "consts", "outputs")


def setstate_tape(tape, state):
    """``Tape.__setstate__``: a tape built from a state dict, as pickle's BUILD step does for
    a pickle written without :func:`reduce_tape` (by hand, or by another library).

    The arrays, names and ``n_data`` found in ``state`` go through the validating
    constructor, and only what it produced is kept (no graph); anything else in ``state``
    is ignored. A state that is not such a dict raises ValueError. (Pickle can still call
    any importable function: this closes the route that builds a Tape and fills its
    attributes, not every route; unpickle only data you trust.)
    """
    if "op" in tape.__dict__:  # a live tape: plans and caches made for its arrays stay
        raise ValueError("a Tape is immutable: __setstate__ builds a new (unpickled) tape, "
                         "not a tape that exists already; make a new tape instead")
    if isinstance(state, tuple) and len(state) == 2 and state[1] is None:
        state = state[0]  # (dict, slot state) as some writers give it
    if not isinstance(state, dict) or not all(k in state for k in _STATE_KEYS):
        raise ValueError("cannot unpickle a Tape from this state: expected a dict with the "
                         f"arrays {', '.join(_STATE_KEYS)}, got {type(state).__name__}")
    names = state.get("input_names")
    try:
        names = None if names is None else tuple(names)
        built = Tape(*(state[k] for k in _STATE_KEYS), input_names=names,
                     n_data=state.get("n_data", 0))
    except (TypeError, ValueError) as err:
        raise ValueError(f"unpickled Tape state is invalid: {err}") from None
    tape.__dict__.clear()
    tape.__dict__.update(built.__dict__)


def _member_header(archive, info, name):
    """``(shape, dtype, header bytes)`` of a member, checked against ``_LAYOUT``."""
    kind, itemsize, ndim = _LAYOUT[name]
    what = f"array {name!r}"
    try:
        with archive.open(info) as f:
            shape, dtype, header_bytes = npzread.read_header(f, what)
    except npzread.Invalid:
        raise
    except Exception as err:  # noqa: BLE001  (any failure to parse untrusted bytes)
        raise npzread.Invalid(f"corrupt member {info.filename!r} "
                              f"({type(err).__name__}: {err})") from None
    if (dtype.kind != kind or dtype.fields is not None or dtype.subdtype is not None
            or (itemsize is not None and dtype.itemsize != itemsize)
            or dtype.itemsize == 0):
        bits = f"{itemsize * 8}" if itemsize and kind != "b" else ""
        expected = _TYPE_NAMES[kind] + bits
        raise npzread.Invalid(f"{what} has dtype {dtype}, expected {expected}")
    if len(shape) != ndim:
        raise npzread.Invalid(f"{what} has shape {shape}, expected "
                              + ("a 0-d array" if ndim == 0 else "a 1-d array"))
    if npzread.nbytes_of(shape, dtype) > info.file_size:  # before the data is read
        raise npzread.Invalid(f"{what} claims {npzread.nbytes_of(shape, dtype)} bytes of data "
                              f"but its member holds only {info.file_size} bytes: truncated "
                              "or corrupt")
    return shape, dtype, header_bytes


def _read_member(archive, info, name, head):
    """One member's array (native byte order), its header already checked."""
    shape, dtype, header_bytes = head
    what = f"array {name!r}"
    try:
        with archive.open(info) as f:
            f.read(header_bytes)
            array = npzread.read_data(f, info, shape, dtype, header_bytes, what)
    except npzread.Invalid:
        raise
    except Exception as err:  # noqa: BLE001  (any failure to parse untrusted bytes)
        raise npzread.Invalid(f"corrupt member {info.filename!r} "
                              f"({type(err).__name__}: {err})") from None
    if dtype.kind == "b" and array.size and array.view(np.uint8).max() > 1:  # only 0 and 1
        raise npzread.Invalid(f"{what} holds bytes other than 0 and 1")
    native = dtype.newbyteorder("=")
    if dtype != native:
        array = array.astype(native)
    if dtype.kind == "U" and array.size:  # code points beyond U+10FFFF are not text
        top = int(array.reshape(-1).view(np.uint32).max())
        if top > 0x10FFFF:
            raise npzread.Invalid(f"{what} holds code point {top:#x}, beyond U+10FFFF: "
                                  "not valid text")
    return array
