"""Verdicts of the cost report: matches, differs or inconclusive, and why; the report collector.

A claim predicts a band (a slope of 1 +- 0.2, a ratio <= 3). A measured number comes with
its 95% interval (:class:`~scalargraph.bench.timing.Estimate`), and the verdict compares the
interval, not the point, with the band:

* ``matches``: the whole interval lies inside the band;
* ``differs``: the whole interval lies outside it;
* ``inconclusive``: the interval crosses an edge of the band (the noise is too large to
  decide), or a slope was fitted over fewer than :data:`MIN_SIZES` sizes; the reason is
  written next to it.

So a busier machine, which widens the intervals, can turn a verdict inconclusive but
should not turn ``matches`` into ``differs`` or back.
"""

import math
import time
from dataclasses import dataclass, field

import numpy as np

from .timing import Estimate

MATCHES, DIFFERS, INCONCLUSIVE = "matches", "differs", "inconclusive"
MIN_SIZES = 4   # a slope is fitted over at least this many sizes
# A fitted slope "matches" its prediction within TOL: constant per-call overheads and cache
# levels bend a log-log line by about this much over the decades the report spans.
TOL = 0.2
# What the repeats of one run cannot see (load that changes between sizes or calls, the
# state of caches and frequency): every timed interval is widened by this much before it
# is compared with the band. Measured on the shared 2-core machine: quiet and busy runs
# of the report move slopes by up to ~0.05 and ratios by up to ~10%.
SYS_SLOPE = 0.05
SYS_RATIO = 0.10


@dataclass
class Check:
    """One claim's number against its prediction."""

    claim: str
    quantity: str
    measured: object            # Estimate, or a str for a yes/no tally
    predicted: str
    verdict: str
    why: str = ""               # the reason for inconclusive / differs, or a note

    def as_dict(self):
        m = self.measured.as_dict() if isinstance(self.measured, Estimate) else self.measured
        return dict(claim=self.claim, quantity=self.quantity, measured=m,
                    measured_text=format(self.measured) if isinstance(self.measured, Estimate)
                    else str(self.measured),
                    predicted=self.predicted, verdict=self.verdict, why=self.why)


def judge(est, lo=-math.inf, hi=math.inf):
    """Verdict and reason for ``est`` (an Estimate) against the band [lo, hi].

    The interval is first widened by the systematic allowance (:data:`SYS_SLOPE` for a
    slope, :data:`SYS_RATIO` for a ratio; nothing for a counted number), so a verdict
    flips from matches to differs only when the estimate moves by twice the allowance.
    """
    if est.sizes is not None and est.sizes < MIN_SIZES:
        return INCONCLUSIVE, f"too few sizes: {est.sizes} (a slope needs {MIN_SIZES})"
    if not math.isfinite(est.value):
        return INCONCLUSIVE, "not measured"
    e_lo, e_hi = est.lo, est.hi
    if e_lo != e_hi:   # timed, not counted
        if est.sizes is not None:
            e_lo, e_hi = e_lo - SYS_SLOPE, e_hi + SYS_SLOPE
        else:
            e_lo, e_hi = e_lo / (1 + SYS_RATIO), e_hi * (1 + SYS_RATIO)
    if lo <= e_lo and e_hi <= hi:
        return MATCHES, ""
    if e_hi < lo or e_lo > hi:
        return DIFFERS, f"the whole interval lies {'below' if est.hi < lo else 'above'} " \
                        f"{_band(lo, hi)}"
    edge = lo if e_lo < lo else hi
    noise = f"; repeats spread {100 * est.spread:.0f}%" if math.isfinite(est.spread) else ""
    return INCONCLUSIVE, f"noise: the interval crosses the band edge {edge:g}{noise}"


def _band(lo, hi):
    if lo == -math.inf:
        return f"<= {hi:g}"
    if hi == math.inf:
        return f">= {lo:g}"
    return f"[{lo:g}, {hi:g}]"


def combine(verdicts):
    """One verdict from several (e.g. per size): differs if any, else inconclusive if any."""
    if DIFFERS in verdicts:
        return DIFFERS
    return INCONCLUSIVE if INCONCLUSIVE in verdicts else MATCHES


class Report:
    """Collects tables, checks and curves; prints progress as it goes."""

    def __init__(self, stream, mode="default"):
        self.stream = stream
        self.mode = mode
        self.tables = []   # (title, columns, rows, note)
        self.checks = []   # Check
        self.curves = {}   # plot name -> data
        self.header = {}
        self.started = time.perf_counter()

    def progress(self, claim, what):
        print(f"[{time.perf_counter() - self.started:6.1f}s] {claim}: {what}",
              file=self.stream, flush=True)

    def slope(self, claim, quantity, est, predicted, center, tol=TOL, why=""):
        """Record a slope check: band ``center +- tol``."""
        verdict, reason = judge(est, center - tol, center + tol)
        self.checks.append(Check(str(claim), quantity, est, predicted, verdict,
                                 "; ".join(s for s in (reason, why) if s)))

    def bound(self, claim, quantity, est, predicted, lo=-math.inf, hi=math.inf, why=""):
        """Record a ratio check against the band [lo, hi]."""
        verdict, reason = judge(est, lo, hi)
        self.checks.append(Check(str(claim), quantity, est, predicted, verdict,
                                 "; ".join(s for s in (reason, why) if s)))

    def tally(self, claim, quantity, measured, predicted, verdict, why=""):
        """Record a check whose verdict was reached elsewhere (e.g. per size)."""
        self.checks.append(Check(str(claim), quantity, measured, predicted, verdict, why))


def fmt(v):
    """A table cell: numbers to 3 significant digits, Estimates with their interval."""
    if isinstance(v, str):
        return v
    if isinstance(v, Estimate):
        return format(v)
    if isinstance(v, dict) and "value" in v:   # an Estimate, saved as data
        return format(Estimate(v["value"], v["lo"], v["hi"]))
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
    cells = [[fmt(c).replace("|", "/") for c in row] for row in rows]
    widths = [max(len(str(c)) for c in col) for col in zip(columns, *cells)]
    line = lambda r: "| " + " | ".join(str(c).rjust(w) for c, w in zip(r, widths)) + " |"
    out = [f"### {title}", "", line(columns), "|" + "|".join("-" * (w + 2) for w in widths) + "|"]
    out += [line(r) for r in cells]
    if note:
        out += ["", note]
    return "\n".join(out)
