"""What every example shares: its command line, where pictures go, optional matplotlib, timing.

Each example runs as ``python examples/NAME.py [--quick] [--out DIR] [--plot | --no-plot]``:
default sizes reproduce the textbook and write plots into ``examples/out/``; ``--quick`` uses
tiny sizes and writes no plot unless ``--plot`` is given (the tests run every example so).
"""

import argparse
import os
import time

import numpy as np

OUT_DEFAULT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "out")


def parse_args(description, argv=None):
    """The common command line; returns the parsed namespace (``quick``, ``out``, ``plot``)."""
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--quick", action="store_true",
                        help="tiny sizes, runs in a moment; no plot unless --plot")
    parser.add_argument("--out", default=OUT_DEFAULT,
                        help="directory for plots and drawings (default: examples/out)")
    plot = parser.add_mutually_exclusive_group()
    plot.add_argument("--plot", dest="plot", action="store_true", default=None,
                      help="write plots even with --quick")
    plot.add_argument("--no-plot", dest="plot", action="store_false", help="write no plot")
    args = parser.parse_args(argv)
    if args.plot is None:
        args.plot = not args.quick
    return args


def pyplot():
    """matplotlib.pyplot with a file-only backend, or None (and a message) when not installed."""
    try:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        print("matplotlib is not installed: plot skipped (pip install matplotlib, or "
              "pip install '.[plot]')")
        return None
    return plt


def out_path(args, name):
    """Path of file ``name`` in the output directory, creating the directory."""
    os.makedirs(args.out, exist_ok=True)
    return os.path.join(args.out, name)


def save(fig, args, name):
    """Save a matplotlib figure as a PNG in the output directory and say where."""
    path = out_path(args, name)
    fig.savefig(path, dpi=110, bbox_inches="tight")
    import matplotlib.pyplot as plt
    plt.close(fig)
    print(f"plot written: {path}")
    return path


def draw(source, args, name, x=None, **options):
    """Render a graph picture with sg.draw; without Graphviz write the DOT text and say so."""
    import scalargraph as sg
    path = out_path(args, name)
    try:
        sg.draw(source, path, x, **options)
    except RuntimeError as err:
        dot = os.path.splitext(path)[0] + ".dot"
        sg.draw(source, dot, x, **options)
        print(f"drawing not rendered ({err}); DOT text written: {dot}")
        return dot
    print(f"drawing written: {path}")
    return path


def median_time(fn, repeat=7, number=None):
    """Median seconds per call of ``fn()``; ``number`` calls per sample (auto: >= ~2 ms)."""
    fn()  # warm: the first call may compile or fill caches
    if number is None:
        number, elapsed = 1, 0.0
        while True:
            t0 = time.perf_counter()
            for _ in range(number):
                fn()
            elapsed = time.perf_counter() - t0
            if elapsed > 2e-3 or number >= 1 << 16:
                break
            number *= 4
    samples = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        for _ in range(number):
            fn()
        samples.append((time.perf_counter() - t0) / number)
    return float(np.median(samples))


def fmt_time(seconds):
    """Seconds as a short human string (ns, µs, ms or s)."""
    for unit, scale in (("s", 1.0), ("ms", 1e-3), ("µs", 1e-6)):
        if seconds >= scale:
            return f"{seconds / scale:.3g} {unit}"
    return f"{seconds / 1e-9:.3g} ns"


def node_array(nodes):
    """A 1-d NumPy object array holding the given nodes (for ``W @ h`` with float ``W``)."""
    out = np.empty(len(nodes), dtype=object)
    for k, node in enumerate(nodes):
        out[k] = node
    return out
