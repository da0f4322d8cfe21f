"""Show that tape sweeps release the GIL: k threads sharing one tape vs the same work serially.

    python tools/gil_overlap.py [--nodes 1000000] [--threads 2] [--calls 8]

Each call is one gradient (forward sweep with partials + reverse sweep) of a tape of about
``--nodes`` nodes. If the kernels held the GIL, k threads would take as long as the serial
run; released, they take about 1/k of it on k free cores. The results of both runs are
compared bit for bit. A demonstration, not a test: timings depend on the machine's load.
"""

import argparse
import concurrent.futures
import time

import numpy as np

import scalargraph as sg
from scalargraph import ops


def chain_of_sines(n):
    """x -> sin(x) -> sin(sin(x)) ...: n nodes, built straight from arrays."""
    op = np.full(n, ops.SIN, dtype=np.uint8)
    op[0] = ops.INPUT
    arg0 = np.arange(-1, n - 1, dtype=np.int32)
    arg0[0] = 0
    return sg.Tape(op, arg0, np.full(n, -1, dtype=np.int32), [], [n - 1])


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--nodes", type=int, default=10 ** 6)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--calls", type=int, default=8)
    args = parser.parse_args()

    tape = chain_of_sines(args.nodes)
    points = [np.array([0.1 + 0.01 * k]) for k in range(args.calls)]
    tape.gradient(points[0])  # compile / load the kernels before timing

    start = time.perf_counter()
    serial = [tape.gradient(x) for x in points]
    t_serial = time.perf_counter() - start

    with concurrent.futures.ThreadPoolExecutor(args.threads) as pool:
        list(pool.map(tape.gradient, points[:args.threads]))  # start the threads
        start = time.perf_counter()
        threaded = list(pool.map(tape.gradient, points))
        t_threads = time.perf_counter() - start

    same = all(a.tobytes() == b.tobytes() for a, b in zip(serial, threaded))
    print(f"{args.calls} gradients of a {tape.n_nodes}-node tape")
    print(f"serial:      {t_serial:.3f} s")
    print(f"{args.threads} threads:   {t_threads:.3f} s   speed-up {t_serial / t_threads:.2f}x "
          f"(about {args.threads}x when the GIL is released and {args.threads} cores are free)")
    print(f"results identical to serial: {same}")


if __name__ == "__main__":
    main()
