"""Peak memory of building a tape from raw arrays: ``sg.Tape(...)``, ``sg.load`` and unpickling.

    python tools/validation_memory.py [--nodes 1000000 10000000] [--repeat 1]

For each size, random valid tape arrays are written once to a temporary folder (as plain
``.npy`` files, as a tape file saved stored and deflated, and as a pickle). Then each route
runs in its own fresh Python process, after a warm-up on a tiny tape (so that compiling a
kernel, or loading it from the cache, is not measured):

* ``Tape``: the arrays are read with ``np.load``, then ``sg.Tape(op, arg0, arg1, consts,
  outputs)`` is measured (the caller's arrays are not counted: they exist before the call).
* ``load``, ``load deflated``: ``sg.load(path)`` is measured.
* ``unpickle p4``, ``unpickle p5``: the bytes of a pickle made with protocol 4 (Python's
  default) or 5 are read, then ``pickle.loads(data)`` is measured (the bytes are not
  counted).

Two measures of the call's peak, each as a multiple of the tape's own array bytes
(``tape.nbytes``: 9 B per node, 8 B per constant, 4 B per output):

* ``tracemalloc``: peak traced memory during the call minus traced memory before it
  (NumPy reports its array buffers to tracemalloc; Numba's own allocations it does not).
* ``VmHWM``: the process's peak resident memory during the call minus its resident memory
  before it, after resetting the peak (``/proc/self/clear_refs``, Linux): everything,
  Numba's allocations and the C library's included.

The tape that results is counted in both (it is what the call returns); so the floor is
1.0 for ``Tape`` and unpickling (the arrays are copied into memory the tape owns) and for
``load`` (the arrays are read from the file).
"""

import argparse
import json
import os
import pickle
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent

CHILD = r"""
import gc, json, os, pickle, sys, tracemalloc
import numpy as np
import scalargraph as sg

route, folder = sys.argv[1], sys.argv[2]

def rss():
    with open("/proc/self/status") as f:
        fields = dict(line.split(":", 1) for line in f)
    return int(fields["VmRSS"].split()[0]) * 1024, int(fields["VmHWM"].split()[0]) * 1024

# Warm up: every code path once on a tiny tape, so that kernels are compiled or loaded.
tiny = sg.load(os.path.join(folder, "tiny.tape"))
pickle.loads(pickle.dumps(tiny))
sg.Tape(tiny.op, tiny.arg0, tiny.arg1, tiny.consts, tiny.outputs)
del tiny

if route == "Tape":
    arrays = [np.load(os.path.join(folder, name + ".npy"))
              for name in ("op", "arg0", "arg1", "consts", "outputs")]
    call = lambda: sg.Tape(*arrays)
elif route.startswith("unpickle"):
    with open(os.path.join(folder, "tape.p" + route[-1]), "rb") as f:
        data = f.read()
    call = lambda: pickle.loads(data)
else:
    path = os.path.join(folder, "deflated.tape" if route == "load deflated" else "stored.tape")
    call = lambda: sg.load(path)

gc.collect()
with open("/proc/self/clear_refs", "w") as f:
    f.write("5")  # reset VmHWM to the current resident size
before_rss, _ = rss()
tracemalloc.start()
tape = call()
_, peak = tracemalloc.get_traced_memory()
tracemalloc.stop()
_, hwm = rss()
print(json.dumps({"nbytes": tape.nbytes, "tracemalloc": peak, "hwm": hwm - before_rss}))
"""


def random_tape_arrays(n, seed=0):
    """Valid tape arrays of ``n`` nodes: 1% inputs, random ops of every kind after them,
    parents drawn uniformly below each node, a pool of n/100 constants, 10 outputs."""
    import scalargraph as sg
    from scalargraph import ops
    rng = np.random.default_rng(seed)
    n_in, k = max(n // 100, 1), max(n // 100, 1)
    codes = {kind: np.array([o.code for o in ops.OPS if o.kind == kind], dtype=np.uint8)
             for kind in ops.Kind}
    kinds = rng.choice([ops.CONST_KIND, ops.UNARY, ops.BINARY, ops.CONST_RIGHT],
                       size=n - n_in, p=[0.05, 0.3, 0.5, 0.15]).astype(np.uint8)
    op = np.zeros(n, dtype=np.uint8)
    arg0 = np.full(n, -1, dtype=np.int32)
    arg1 = np.full(n, -1, dtype=np.int32)
    arg0[:n_in] = np.arange(n_in)
    own = np.arange(n_in, n)
    parent0 = (rng.random(n - n_in) * own).astype(np.int32)
    parent1 = (rng.random(n - n_in) * own).astype(np.int32)
    pool = rng.integers(0, k, size=n - n_in, dtype=np.int32)
    rest = slice(n_in, n)
    for kind in (ops.CONST_KIND, ops.UNARY, ops.BINARY, ops.CONST_RIGHT):
        where = kinds == kind
        op[rest][where] = rng.choice(codes[kind], size=int(where.sum()))
    a0, a1 = arg0[rest], arg1[rest]
    a0[:] = np.where(kinds == ops.CONST_KIND, pool, parent0)
    a1[:] = np.where(kinds == ops.BINARY, parent1, np.where(kinds == ops.CONST_RIGHT, pool, -1))
    consts = rng.normal(size=k)
    outputs = rng.integers(0, n, size=10, dtype=np.int32)
    return sg.Tape(op, arg0, arg1, consts, outputs)


def prepare(n, folder):
    import scalargraph as sg
    tape = random_tape_arrays(n)
    for name in ("op", "arg0", "arg1", "consts", "outputs"):
        np.save(os.path.join(folder, name + ".npy"), getattr(tape, name))
    sg.save(tape, os.path.join(folder, "stored.tape"))
    sg.save(tape, os.path.join(folder, "deflated.tape"), compress=True)
    for protocol in (4, 5):
        with open(os.path.join(folder, f"tape.p{protocol}"), "wb") as f:
            pickle.dump(tape, f, protocol=protocol)
    sg.save(random_tape_arrays(200), os.path.join(folder, "tiny.tape"))
    return tape.nbytes


ROUTES = ("Tape", "load", "load deflated", "unpickle p4", "unpickle p5")


def measure(route, folder, root=ROOT):
    env = dict(os.environ, PYTHONPATH=str(root), SCALARGRAPH_QUIET="1")
    done = subprocess.run([sys.executable, "-c", CHILD, route, folder], env=env, cwd=root,
                          capture_output=True, text=True, check=True)
    return json.loads(done.stdout.strip().splitlines()[-1])


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--nodes", type=int, nargs="+", default=[10**6, 10**7])
    parser.add_argument("--repeat", type=int, default=1)
    parser.add_argument("--root", default=str(ROOT),
                        help="the checkout whose scalargraph is measured (default: this one)")
    args = parser.parse_args(argv)
    sys.path.insert(0, str(ROOT))
    print(f"{'nodes':>10} {'route':<14} {'tape MB':>8} {'tracemalloc x':>13} {'VmHWM x':>8}")
    for n in args.nodes:
        with tempfile.TemporaryDirectory() as folder:
            prepare(n, folder)
            for route in ROUTES:
                rows = [measure(route, folder, args.root) for _ in range(args.repeat)]
                nbytes = rows[0]["nbytes"]
                tm = min(r["tracemalloc"] for r in rows) / nbytes
                hwm = min(r["hwm"] for r in rows) / nbytes
                print(f"{n:>10} {route:<14} {nbytes / 1e6:>8.1f} {tm:>13.2f} {hwm:>8.2f}",
                      flush=True)


if __name__ == "__main__":
    main()
