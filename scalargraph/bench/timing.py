"""Measuring helpers of the cost report: side-by-side timing, work memory, slopes, tables."""

import gc
import math
import time
import tracemalloc

import numpy as np


def seconds(fn, budget):
    """Seconds per call of ``fn()``; see :func:`side_by_side`."""
    return side_by_side([fn], budget)[0]


def side_by_side(fns, budget, rounds=5):
    """Seconds per call of each of ``fns``, timed in interleaved rounds: the fastest batch each.

    Each function first runs once untimed (JIT, caches, page faults) and gets a batch size
    of about ``budget / 10`` seconds (one call if a call is longer). Then ``rounds`` rounds
    each time one batch of every function in turn, so that a change of machine load hits
    all of them alike; each function's time is its fastest batch: on a shared machine other
    processes only ever add time, so the least-disturbed batch is the best estimate of the
    cost. Only 3 rounds when the calls are longer than the budget. Garbage collection is
    off while timing, as in asv.
    """
    enabled = gc.isenabled()
    gc.disable()
    try:
        numbers = []
        for fn in fns:
            fn()
            number = 1
            while True:
                t0 = time.perf_counter()
                for _ in range(number):
                    fn()
                dt = time.perf_counter() - t0
                if dt >= budget / 10 or number >= 1 << 20:
                    break
                number = max(2 * number, int(number * budget / 10 / max(dt, 1e-9)))
            numbers.append(number)
        best = [math.inf] * len(fns)
        for done in range(rounds):
            t_round = time.perf_counter()
            for k, (fn, number) in enumerate(zip(fns, numbers)):
                t0 = time.perf_counter()
                for _ in range(number):
                    fn()
                best[k] = min(best[k], (time.perf_counter() - t0) / number)
            if done >= 2 and time.perf_counter() - t_round > budget * len(fns):
                break  # calls longer than the budget itself: 3 rounds will do
        return best
    finally:
        if enabled:
            gc.enable()


def work_bytes(fn):
    """Peak bytes NumPy allocates during ``fn()`` (tracemalloc), above what was live before.

    Counts the arrays the tape methods allocate (values, partials, adjoints, tangents,
    results); memory allocated inside Numba kernels would not be seen.
    """
    gc.collect()
    tracemalloc.start()
    try:
        before = tracemalloc.get_traced_memory()[0]
        fn()
        return tracemalloc.get_traced_memory()[1] - before
    finally:
        tracemalloc.stop()


def slope(xs, ys, log_x=True):
    """Least-squares slope of log(y) against log(x) (or against x, base 2 for y)."""
    xs, ys = np.asarray(xs, float), np.asarray(ys, float)
    ok = (ys > 0) & np.isfinite(ys)
    if ok.sum() < 2:
        return float("nan")
    if log_x:
        return float(np.polyfit(np.log(xs[ok]), np.log(ys[ok]), 1)[0])
    return float(np.polyfit(xs[ok], np.log2(ys[ok]), 1)[0])


class Report:
    """Collects tables, slope checks and curves; prints progress as it goes."""

    def __init__(self, stream):
        self.stream = stream
        self.tables = []   # (title, columns, rows, note)
        self.checks = []   # (claim, quantity, fitted, predicted, verdict)
        self.curves = {}   # plot name -> data
        self.started = time.perf_counter()

    def progress(self, claim, what):
        print(f"[{time.perf_counter() - self.started:6.1f}s] {claim}: {what}",
              file=self.stream, flush=True)

    def check(self, claim, quantity, fitted, predicted, ok):
        if isinstance(fitted, float) and math.isnan(fitted):
            verdict = "n/a (too few sizes)"
        else:
            verdict = "matches" if ok else "DIFFERS"
        self.checks.append((claim, quantity, fitted, predicted, verdict))


def _fmt(v):
    if isinstance(v, str):
        return v
    if v is None or (isinstance(v, float) and math.isnan(v)):
        return "-"
    if isinstance(v, (int, np.integer)):
        return f"{int(v):,}" if abs(v) < 10**15 else f"{float(v):.3g}"
    a = abs(v)
    if a == 0:
        return "0"
    if a >= 1e5 or a < 1e-2:
        return f"{v:.2e}"
    return f"{v:.3g}" if a < 100 else f"{v:.0f}"


def format_table(title, columns, rows, note=""):
    """Plain-text table (GitHub-markdown compatible) of formatted cells."""
    cells = [[_fmt(c) for c in row] for row in rows]
    widths = [max(len(str(c)) for c in col) for col in zip(columns, *cells)]
    line = lambda r: "| " + " | ".join(str(c).rjust(w) for c, w in zip(r, widths)) + " |"
    out = [f"### {title}", "", line(columns), "|" + "|".join("-" * (w + 2) for w in widths) + "|"]
    out += [line(r) for r in cells]
    if note:
        out += ["", note]
    return "\n".join(out)
