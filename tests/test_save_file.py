"""What ``save`` does to the file system (issue 12): modes, links, temporary files, fsync.

Oracles: os.stat of the files, the tape read back, the system calls recorded in order.
"""

import os
import signal
import stat
import subprocess
import sys
import textwrap
import time

import numpy as np
import pytest

import scalargraph as sg

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def small_tape(c=2.0):
    x = sg.var("x")
    return sg.compile([x], [sg.sin(x) * c])


def same(a, b):
    return all(np.array_equal(getattr(a, k), getattr(b, k))
               for k in ("op", "arg0", "arg1", "consts", "outputs"))


def test_saving_over_a_file_keeps_its_mode(tmp_path):
    path = tmp_path / "private.tape"
    small_tape(1.0).save(path)
    os.chmod(path, 0o600)
    small_tape(3.0).save(path)
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600  # was 0644 (the umask's default)
    assert same(sg.load(path), small_tape(3.0))
    os.chmod(path, 0o640)
    small_tape(4.0).save(path)
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o640


def test_a_new_file_gets_the_default_mode(tmp_path):
    umask = os.umask(0o022)
    try:
        os.umask(0o027)
        small_tape().save(tmp_path / "new.tape")
        assert stat.S_IMODE(os.stat(tmp_path / "new.tape").st_mode) == 0o640
    finally:
        os.umask(umask)


def test_saving_to_a_symlink_writes_its_target(tmp_path):
    (tmp_path / "real").mkdir()
    target = tmp_path / "real" / "model.tape"
    small_tape(1.0).save(target)
    link = tmp_path / "link.tape"
    link.symlink_to(target)
    small_tape(5.0).save(link)
    assert link.is_symlink() and os.readlink(link) == str(target)  # the link stays
    assert same(sg.load(target), small_tape(5.0))
    # A dangling link: the file is created where it points.
    dangling = tmp_path / "dangling.tape"
    dangling.symlink_to(tmp_path / "real" / "later.tape")
    small_tape(6.0).save(dangling)
    assert dangling.is_symlink() and same(sg.load(tmp_path / "real" / "later.tape"),
                                          small_tape(6.0))


def test_temporary_files_are_exclusive_unpredictable_and_synced(tmp_path, monkeypatch):
    events = []
    real_open, real_fsync, real_replace = os.open, os.fsync, os.replace

    def record_open(name, flags, *args):
        fd = real_open(name, flags, *args)
        events.append(("open", os.fspath(name), flags, fd))
        return fd

    monkeypatch.setattr(os, "open", record_open)
    monkeypatch.setattr(os, "fsync", lambda fd: (events.append(("fsync", fd)), real_fsync(fd)))
    monkeypatch.setattr(os, "replace", lambda a, b: (events.append(("replace", a, b)),
                                                     real_replace(a, b)))
    path = tmp_path / "m.tape"
    names = set()
    for _ in range(2):
        events.clear()
        small_tape().save(path)
        (_, tmp, flags, fd), *rest = events
        assert flags & os.O_EXCL and flags & os.O_CREAT and flags & os.O_NOFOLLOW
        assert os.path.dirname(tmp) == str(tmp_path) and str(os.getpid()) not in tmp
        names.add(tmp)
        # The file's data reaches the disk before the rename, the folder's entry after it.
        kinds = [e[0] for e in rest]
        assert kinds == ["fsync", "replace", "open", "fsync"], kinds
        assert rest[0][1] == fd and rest[1][1:] == (tmp, str(path))
        assert rest[2][1] == str(tmp_path) and rest[3][1] == rest[2][3]
    assert len(names) == 2  # a fresh random name each time
    assert sorted(os.listdir(tmp_path)) == ["m.tape"]


def test_a_failed_write_leaves_the_old_file_and_no_temporary(tmp_path, monkeypatch):
    path = tmp_path / "m.tape"
    small_tape(1.0).save(path)

    def fail(f, **arrays):
        f.write(b"partial")
        raise KeyboardInterrupt

    monkeypatch.setattr(np, "savez", fail)
    with pytest.raises(KeyboardInterrupt):
        small_tape(2.0).save(path)
    assert sorted(os.listdir(tmp_path)) == ["m.tape"]
    assert same(sg.load(path), small_tape(1.0))


def test_sigterm_during_saves_leaves_no_temporary_file(tmp_path):
    script = textwrap.dedent("""
        import sys
        import scalargraph as sg
        xs = sg.variables(200)
        h = xs
        for _ in range(400):
            h = h * 1.0001 + 0.5
        tape = sg.compile(xs, [sg.sum(h)])
        print("ready", flush=True)
        while True:
            tape.save(sys.argv[1], compress=True)
    """)
    path = tmp_path / "m.tape"
    proc = subprocess.Popen([sys.executable, "-c", script, str(path)], cwd=ROOT,
                            stdout=subprocess.PIPE, text=True,
                            env=dict(os.environ, PYTHONPATH=ROOT))
    try:
        assert proc.stdout.readline().strip() == "ready"
        deadline = time.monotonic() + 60
        while not path.exists() and time.monotonic() < deadline:
            time.sleep(0.01)
        time.sleep(0.3)  # saves back to back: the signal lands inside one
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=60) == -signal.SIGTERM  # it still ends by SIGTERM
    finally:
        proc.kill()
        proc.wait()
        proc.stdout.close()
    assert sorted(os.listdir(tmp_path)) == ["m.tape"]
    sg.load(path)  # whole


def test_the_handler_is_only_borrowed(tmp_path):
    before = signal.getsignal(signal.SIGTERM)
    small_tape().save(tmp_path / "a.tape")
    assert signal.getsignal(signal.SIGTERM) == before
    mine = signal.signal(signal.SIGTERM, lambda *a: None)
    try:
        handler = signal.getsignal(signal.SIGTERM)
        small_tape().save(tmp_path / "b.tape")
        assert signal.getsignal(signal.SIGTERM) is handler  # a program's own is left alone
    finally:
        signal.signal(signal.SIGTERM, mine)
