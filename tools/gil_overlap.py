"""Show that tape sweeps release the GIL, two ways.

    python tools/gil_overlap.py [--sweep-nodes 4000000] [--nodes 1000000] [--threads 2]
                                [--calls 8]

1. Python keeps running beside a sweep: while another thread runs one forward sweep over a
   tape of ``--sweep-nodes`` nodes, the main thread counts loop iterations of plain Python.
   With the GIL released it keeps counting (on one core too, the OS shares it); the same loop
   compiled without ``nogil`` freezes the counter until the sweep returns (what it counts then
   is about one OS time slice around the sweep, so make the sweep much longer than that).
2. Threads overlap: ``--calls`` gradients on ``--threads`` threads sharing the tape against the
   same calls in series, results compared bit for bit. Free cores are needed to see the
   speed-up (about k times on k idle cores; none on a machine whose cores are busy).

A demonstration, not a test: the numbers depend on the machine and its load.
"""

import argparse
import concurrent.futures
import sys
import threading
import time

import numba
import numpy as np

import scalargraph as sg
from scalargraph import ops
from scalargraph.kernels import forward as _kernels


def chain_of_sines(n):
    """x -> sin(x) -> sin(sin(x)) ...: n nodes, built straight from arrays."""
    op = np.full(n, ops.SIN, dtype=np.uint8)
    op[0] = ops.INPUT
    arg0 = np.arange(-1, n - 1, dtype=np.int32)
    arg0[0] = 0
    return sg.Tape(op, arg0, np.full(n, -1, dtype=np.int32), [], [n - 1])


def python_progress_during(kernel, tape, x):
    """Iterations of a Python loop in this thread while ``kernel`` sweeps once in another.

    A short switch interval hands the GIL back to the sweeping thread as soon as it asks,
    so whatever the loop counts beyond a few iterations ran beside the sweep itself.
    """
    values = np.empty(tape.n_nodes)
    args = (tape.op, tape.arg0, tape.arg1, tape.consts, x, values)
    inside, done = threading.Event(), threading.Event()

    def sweep():
        inside.set()
        kernel(*args)
        done.set()

    interval = sys.getswitchinterval()
    sys.setswitchinterval(1e-5)
    try:
        worker = threading.Thread(target=sweep)
        worker.start()
        inside.wait()
        count = 0
        while not done.is_set():
            count += 1
        worker.join()
    finally:
        sys.setswitchinterval(interval)
    return count


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sweep-nodes", type=int, default=4 * 10 ** 6)
    parser.add_argument("--nodes", type=int, default=10 ** 6)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--calls", type=int, default=8)
    args = parser.parse_args()

    tape = chain_of_sines(args.sweep_nodes)
    x = np.array([0.1])
    holding = numba.njit(nogil=False)(_kernels.forward_values.py_func)  # the GIL-holding twin
    for kernel in (_kernels.forward_values, holding):
        kernel(tape.op, tape.arg0, tape.arg1, tape.consts, x, np.empty(tape.n_nodes))
    # Medians of 5: the OS may run the main thread for a time slice before the sweep starts.
    released = int(np.median([python_progress_during(_kernels.forward_values, tape, x)
                              for _ in range(5)]))
    held = int(np.median([python_progress_during(holding, tape, x) for _ in range(5)]))
    print(f"1. Python loop iterations in the main thread while one forward sweep of "
          f"{tape.n_nodes} nodes ran in another (median of 5): {released} with the nogil "
          f"kernel, {held} with the same loop compiled holding the GIL")

    tape = chain_of_sines(args.nodes)
    points = [np.array([0.1 + 0.01 * k]) for k in range(args.calls)]
    start = time.perf_counter()
    serial = [tape.gradient(p) for p in points]
    t_serial = time.perf_counter() - start
    with concurrent.futures.ThreadPoolExecutor(args.threads) as pool:
        list(pool.map(tape.gradient, points[:args.threads]))  # start the threads
        start = time.perf_counter()
        threaded = list(pool.map(tape.gradient, points))
        t_threads = time.perf_counter() - start
    same = all(a.tobytes() == b.tobytes() for a, b in zip(serial, threaded))
    print(f"2. {args.calls} gradients: serial {t_serial:.3f} s, {args.threads} threads "
          f"{t_threads:.3f} s, speed-up {t_serial / t_threads:.2f}x; identical results: {same}")


if __name__ == "__main__":
    main()
