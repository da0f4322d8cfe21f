"""Ctrl-C in the middle of long work, as the interruptibility tests send it: a child process
counts the calls of one kernel and sends itself SIGINT as the third call starts."""

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]

_CHILD = """
import importlib, json, os, signal, threading, time
signal.signal(signal.SIGINT, signal.default_int_handler)  # as a shell gives it
signal.pthread_sigmask(signal.SIG_UNBLOCK, [signal.SIGINT])
{setup}
module = importlib.import_module({module!r})
kernel = getattr(module, {name!r})
calls, sent = [], []
def counting(*args):
    calls.append(time.perf_counter())
    return kernel(*args)
setattr(module, {name!r}, counting)
def interrupt():
    while len(calls) < 3:  # the work is in its third kernel call
        time.sleep(0.0005)
    sent.append(time.perf_counter())
    os.kill(os.getpid(), signal.SIGINT)
threading.Thread(target=interrupt, daemon=True).start()
try:
    {call}
    caught = None
except KeyboardInterrupt:
    caught = time.perf_counter()
print(json.dumps({{"latency": caught - sent[0] if caught else None, "calls": len(calls)}}))
"""


def interrupted(setup, module, name, call):
    """Run ``setup`` (code: compile first, build the work) in a child process, then the one
    statement ``call`` with kernel ``module.name`` counted, and SIGINT sent as its third call
    starts. Returns ``{"latency": seconds from the signal to the KeyboardInterrupt, or None
    when the work ran to its end, "calls": the kernel's calls}``."""
    script = _CHILD.format(setup=textwrap.dedent(setup), module=module, name=name, call=call)
    run = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                         env=dict(os.environ, PYTHONPATH=str(REPO)), timeout=600, cwd=REPO)
    assert run.returncode == 0, run.stderr[-2000:]
    return json.loads(run.stdout.strip().splitlines()[-1])
