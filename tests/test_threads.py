"""The shared thread pool of batched calls: fork safety, stopping early, the workers cap.

Oracles: single-thread results of the same batch (the chunks, and so the values, do not
depend on the threads), counts of chunks started and threads alive.
"""

import json
import multiprocessing
import os
import subprocess
import sys
import textwrap
import threading
import time

import numpy as np
import pytest

import scalargraph as sg
from scalargraph import batch, threads

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def small_tape():
    xs = sg.variables(3)
    return sg.compile(xs, [sg.sin(xs[0]) * xs[1] + sg.exp(-xs[2] * xs[2])])


def _batch_in_child(tape, X):
    return tape(X, workers=2)


@pytest.fixture
def four_workers(monkeypatch):
    """Allow several threads even on a one-core machine, and make every batch multi-chunk."""
    monkeypatch.setattr(threads, "max_workers", lambda: 4)
    monkeypatch.setattr(batch, "MAX_CHUNK", 7)


@pytest.mark.skipif(not hasattr(os, "fork"), reason="needs fork")
def test_batch_calls_work_in_a_forked_child(four_workers):
    tape = small_tape()
    X = np.random.default_rng(0).normal(size=(100, 3))
    expected = tape(X, workers=1)
    np.testing.assert_array_equal(tape(X, workers=2), expected)  # the pool now has threads
    with multiprocessing.get_context("fork").Pool(1) as pool:
        # Before the fix the child's pool had no threads and this waited forever.
        got = pool.apply_async(_batch_in_child, (tape, X)).get(timeout=120)
    np.testing.assert_array_equal(got, expected)


def test_a_failing_chunk_stops_the_other_threads(four_workers):
    calls = []

    def fn(s, e):
        calls.append(s)
        if s == 0:
            time.sleep(0.02)  # the other threads have started their shares
            raise KeyboardInterrupt
        time.sleep(0.005)
        return s

    bounds = [(s, s + 1) for s in range(400)]
    with pytest.raises(KeyboardInterrupt):
        threads.map_shares(fn, bounds, workers=4)
    started = len(calls)
    time.sleep(0.1)
    assert len(calls) == started  # nothing runs after the call has raised
    # Each of the other three threads finishes at most the chunk it had begun after the
    # stop flag was set; before the fix they swept all of their 100 chunks each.
    assert started < 40, started


def test_ctrl_c_stops_a_batch_at_the_next_chunk():
    script = textwrap.dedent("""
        import json, os, signal, threading, time
        # A child inherits an ignored SIGINT, and a blocked one, from its parent (pytest, or
        # a library it loaded, may have set either): Python's default, as a shell gives it.
        inherited = [str(signal.getsignal(signal.SIGINT)),
                     sorted(int(s) for s in signal.pthread_sigmask(signal.SIG_BLOCK, []))]
        signal.signal(signal.SIGINT, signal.default_int_handler)
        signal.pthread_sigmask(signal.SIG_UNBLOCK, [signal.SIGINT])
        import numpy as np
        import scalargraph as sg
        from scalargraph import batch, threads
        threads.max_workers = lambda: 2
        batch.MAX_CHUNK = 64
        xs = sg.variables(4)
        h = xs
        # 300 layers: the batch takes about a second, so that the interrupting thread is
        # scheduled well before its end even on a loaded machine (30 layers: ~0.1 s, and
        # the batch sometimes ended first at load 5+).
        for _ in range(300):
            h = sg.tanh(h * 1.01 + 0.1)
        tape = sg.compile(xs, [sg.sum(h)])
        X = np.random.default_rng(0).normal(size=(64 * 4000, 4))
        tape(X[:256], workers=2)  # compile the kernels first
        started = []
        get = batch._Work.get
        def counting(self, C, partials=True):
            started.append(time.perf_counter())
            return get(self, C, partials)
        batch._Work.get = counting
        sent = []
        def interrupt():
            while len(started) < 20:
                time.sleep(0.001)
            sent.append(time.perf_counter())
            os.kill(os.getpid(), signal.SIGINT)
        threading.Thread(target=interrupt).start()
        try:
            tape(X, workers=2)
            caught = None
        except KeyboardInterrupt:
            caught = time.perf_counter()
        at_raise = len(started)
        time.sleep(0.3)
        print(json.dumps({"latency": caught - sent[0] if caught else None,
                          "at_raise": at_raise, "later": len(started), "chunks": 4000,
                          "inherited": inherited,
                          "idle_threads": [t.name for t in threading.enumerate()
                                           if t.name.startswith("scalargraph")]}))
    """)
    env = dict(os.environ, PYTHONPATH=ROOT)
    run = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                         env=env, timeout=300, cwd=ROOT)
    assert run.returncode == 0, run.stderr
    result = json.loads(run.stdout.strip().splitlines()[-1])
    assert result["latency"] is not None, f"the batch ran to its end: {result}"
    assert result["later"] == result["at_raise"]  # the pool is idle once the call raised
    assert result["at_raise"] < result["chunks"] // 2, result  # before the fix: all of them


def test_workers_are_capped_at_the_cores(monkeypatch):
    monkeypatch.setattr(batch, "MAX_CHUNK", 1)
    monkeypatch.setattr(threads, "_pool", None)  # a pool of this test's own
    tape = small_tape()
    X = np.random.default_rng(1).normal(size=(1000, 3))
    before = set(threading.enumerate())
    np.testing.assert_array_equal(tape(X, workers=400), tape(X, workers=1))
    new = [t for t in set(threading.enumerate()) - before if t.name.startswith("scalargraph")]
    assert len(new) <= threads.max_workers()  # before the fix: one thread per chunk, 400
    assert threads._pool is None or threads._pool._max_workers <= threads.max_workers()
    assert threads.check_workers(400) == threads.max_workers()
    with pytest.raises(ValueError, match="workers"):
        threads.check_workers(0)
    with pytest.raises(TypeError, match="workers"):
        threads.check_workers(2.0)
