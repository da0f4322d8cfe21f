"""Replacing a file atomically, the way careful writers do (``save``'s file handling).

* The data goes to a new temporary file in the target's folder, named with 64 random bits
  and opened with ``O_CREAT | O_EXCL | O_NOFOLLOW`` (never an existing file or a link
  planted under a guessed name), written, ``fsync``-ed, renamed over the target, and the
  folder ``fsync``-ed: after a crash the name holds the old file or the new one, whole.
* A symbolic link is written through: its target is replaced, the link stays.
* A file that exists keeps its permission bits (a 0600 file stays 0600); a new one gets
  the default mode (0666 less the umask), as ``open`` would give it.
* The temporary file is removed if anything fails, on KeyboardInterrupt, and on SIGTERM
  (while the process has no handler of its own for SIGTERM, one is installed for the
  duration of the write; after cleaning up the process is ended by SIGTERM as it would
  have been). SIGKILL cannot be caught: it may leave a ``.*.tmp`` file next to the target
  (never a damaged target).
"""

import os
import secrets
import signal
import stat
import threading


class _Terminated(BaseException):
    """SIGTERM arrived during a write (raised by the temporary handler)."""


def _on_sigterm(signum, frame):
    raise _Terminated


def _fsync_folder(folder):
    try:
        fd = os.open(folder, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0))
    except OSError:  # a platform without directory handles
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def _create_temporary(target):
    """``(fd, name)`` of a new file next to ``target``, exclusive and unpredictable."""
    folder, base = os.path.split(target)
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0) \
        | getattr(os, "O_BINARY", 0) | getattr(os, "O_CLOEXEC", 0)
    for _ in range(100):
        name = os.path.join(folder, f".{base}.{secrets.token_hex(8)}.tmp")
        try:
            return os.open(name, flags, 0o666), name
        except FileExistsError:
            continue
    raise FileExistsError(f"could not create a temporary file next to {target}")


def write_file(path, write):
    """Call ``write(f)`` on a binary file object, then make its bytes the file ``path``.

    Cost: the write, plus two ``fsync`` calls (file and folder): on a disk, milliseconds.
    """
    target = os.path.realpath(path) if os.path.islink(path) else os.fspath(path)
    try:
        mode = stat.S_IMODE(os.stat(target).st_mode)
    except FileNotFoundError:
        mode = None
    own_handler = (threading.current_thread() is threading.main_thread()
                   and signal.getsignal(signal.SIGTERM) == signal.SIG_DFL)
    tmp = None
    try:
        if own_handler:
            signal.signal(signal.SIGTERM, _on_sigterm)
        fd, tmp = _create_temporary(target)
        with os.fdopen(fd, "wb") as f:
            if mode is not None:
                os.fchmod(f.fileno(), mode)
            write(f)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, target)
        tmp = None
        _fsync_folder(os.path.dirname(target) or ".")
    except _Terminated:
        _remove(tmp)
        signal.signal(signal.SIGTERM, signal.SIG_DFL)
        os.kill(os.getpid(), signal.SIGTERM)  # end as SIGTERM would have
        raise
    except BaseException:
        _remove(tmp)
        raise
    finally:
        if own_handler:
            signal.signal(signal.SIGTERM, signal.SIG_DFL)


def _remove(name):
    if name is not None:
        try:
            os.remove(name)
        except FileNotFoundError:
            pass
