"""Measuring helpers of the cost report: interleaved timing, robust statistics, intervals.

How a time is measured (every ratio and slope of the report goes through here):

* the calls to compare run **interleaved**, A B C A B C ..., one short batch of each per
  round, so a change of machine load hits all of them alike;
* **many short repeats** (batches of about ``budget / 50`` seconds, 50 rounds or more for
  fast calls and more where they are noisy, at least 9 for calls longer than a batch);
* the clock is the **CPU time** of the process: time spent waiting while other processes
  run is not a cost of the call (and on a busy machine it is most of the wall time);
* the statistic is a **low quantile** (the 20th percentile) of the per-call times of the
  rounds: on a shared machine other processes only ever add time, so the least-disturbed
  rounds estimate the cost, and a quantile is steadier than the single minimum;
* the **spread** of the rounds is kept (75th over 25th percentile) and every derived number
  gets a 95% **bootstrap interval**: the rounds are resampled (the same rounds for every
  call, keeping the pairing), the statistic recomputed, and slopes refitted.
"""

import gc
import math
import time
import tracemalloc
from dataclasses import dataclass

import numpy as np

QUANTILE = 0.2       # the robust statistic: this quantile of the per-round times
N_BOOT = 400         # bootstrap resamples for every interval
LEVEL = 0.95         # interval coverage
_RNG_SEED = 20261201  # the bootstrap is reproducible for given samples


@dataclass
class Samples:
    """Per-call seconds of ``k`` calls timed interleaved in ``rounds`` rounds.

    Attributes
    ----------
    times : ndarray (rounds, k)
        Seconds per call of call ``j`` in round ``i`` (one batch of ``numbers[j]`` calls).
    numbers : list of int
        Calls per batch of each call.
    """

    times: np.ndarray
    numbers: list

    def stat(self, j=None):
        """The robust statistic (20th percentile over rounds) of call ``j``, or of all."""
        q = np.quantile(self.times, QUANTILE, axis=0)
        return q if j is None else float(q[j])

    def spread(self, j):
        """75th over 25th percentile of call ``j``'s rounds, minus 1 (0 = no noise)."""
        q1, q3 = np.quantile(self.times[:, j], [0.25, 0.75])
        return float(q3 / q1 - 1) if q1 > 0 else float("nan")

    def boot(self, combine=None, n=N_BOOT):
        """Bootstrap draws of ``combine(stat vector)`` (default: the stat vector itself).

        Rounds are resampled with replacement, the same rounds for every call (pairing).
        Returns an array (n,) or (n, k).

        Cost: O(n * rounds * k) time and memory.
        """
        rounds = self.times.shape[0]
        rng = np.random.default_rng(_RNG_SEED + rounds)
        idx = rng.integers(0, rounds, (n, rounds))
        q = np.quantile(self.times[idx], QUANTILE, axis=1)  # (n, k)
        return q if combine is None else np.array([combine(row) for row in q])

    def ratio(self, i, j):
        """Estimate of call i's time over call j's, with its interval: an :class:`Estimate`."""
        draws = self.boot(lambda q: q[i] / q[j])
        return Estimate.of(self.stat(i) / self.stat(j), draws,
                           max(self.spread(i), self.spread(j)))


@dataclass
class Estimate:
    """A measured number with its 95% interval and the noise behind it."""

    value: float
    lo: float
    hi: float
    spread: float = float("nan")   # relative spread of the noisiest timing that went in
    sizes: int = None              # for slopes: how many sizes were fitted (None: a ratio)

    @classmethod
    def of(cls, value, draws, spread=float("nan"), sizes=None):
        draws = np.asarray(draws, float)
        draws = draws[np.isfinite(draws)]
        if draws.size == 0:
            return cls(float(value), float("nan"), float("nan"), spread, sizes)
        a = (1 - LEVEL) / 2
        lo, hi = np.quantile(draws, [a, 1 - a])
        return cls(float(value), float(min(lo, value)), float(max(hi, value)), spread, sizes)

    @classmethod
    def exact(cls, value, sizes=None):
        """A number that is counted, not timed (an interval of zero width)."""
        return cls(float(value), float(value), float(value), 0.0, sizes)

    def __format__(self, spec):
        if not math.isfinite(self.value):
            return "-"
        if self.lo == self.hi:
            return f"{_num(self.value)} (exact)"
        return f"{_num(self.value)} [{_num(self.lo)}, {_num(self.hi)}]"

    def as_dict(self):
        return dict(value=self.value, lo=self.lo, hi=self.hi, spread=self.spread,
                    sizes=self.sizes)


def _num(v):
    a = abs(v)
    if a == 0:
        return "0"
    if a >= 1e4 or a < 1e-2:
        return f"{v:.2e}"
    return f"{v:.3g}"


def _clock_overhead(clock):
    """Seconds one reading of ``clock`` adds to a timed batch (least of many tries)."""
    best = math.inf
    for _ in range(200):
        a = clock()
        best = min(best, clock() - a)
    return best


_OVERHEAD = {}


def interleaved(fns, budget, min_rounds=9, max_rounds=200, clock=time.process_time,
                counted=False):
    """Time ``fns`` interleaved (A B C A B C ...): a :class:`Samples` of per-call seconds.

    Each function runs once untimed (JIT, caches, page faults) and gets a batch size of
    about ``budget / 50`` seconds (one call if a call is longer). Rounds run until each
    function has had about ``budget`` seconds of batches (at least ``min_rounds``); where
    the rounds are noisy (median over 10th percentile above 1.2 for some call) they go on
    to twice that, at most ``max_rounds``. Garbage collection is off while timing, as in asv.

    The clock is the CPU time of this process (``time.process_time``) by default: time the
    process spends waiting while other processes run is not a cost of the call, and on a
    busy machine it is most of the wall time. Each batch's reading overhead is subtracted.

    ``counted=True``: each of ``fns`` takes a call count and makes that many calls itself
    (``lambda k: loop(f, x, k)``), so a batch costs no Python call per call: the
    zero-argument lambda of the default form adds about 40 ns a call, a third of a 100 ns
    call (the per-call table, :mod:`scalargraph.bench.call_table`).

    Cost: about ``budget * len(fns)`` seconds of CPU (twice that when noisy), or
    ``min_rounds`` calls of each when the calls are longer than a batch.
    """
    if clock not in _OVERHEAD:
        _OVERHEAD[clock] = _clock_overhead(clock)
    overhead = _OVERHEAD[clock]
    enabled = gc.isenabled()
    gc.disable()
    try:
        batch = budget / 50
        numbers = []
        run = _counted if counted else _repeat
        for fn in fns:
            run(fn, 1)
            number = 1
            while True:
                t0 = clock()
                run(fn, number)
                dt = clock() - t0
                if dt >= batch or number >= 1 << 20:
                    break
                number = max(2 * number, int(number * batch / max(dt, 1e-9)))
            numbers.append(number)
        rows, spent, goal = [], 0.0, budget * len(fns)
        while True:
            row = []
            for fn, number in zip(fns, numbers):
                t0 = clock()
                run(fn, number)
                dt = clock() - t0
                spent += dt
                row.append(max(dt - overhead, dt / 100) / number)
            rows.append(row)
            if len(rows) >= max_rounds:
                break
            if len(rows) < min_rounds or spent < goal:
                continue
            if spent >= 2 * goal or not _noisy(rows):
                break
        return Samples(np.array(rows), numbers)
    finally:
        if enabled:
            gc.enable()


def _repeat(fn, number):
    for _ in range(number):
        fn()


def _counted(fn, number):
    fn(number)


def _noisy(rows):
    t = np.asarray(rows)
    q10, q50 = np.quantile(t, [0.1, 0.5], axis=0)
    return bool(np.any(q50 > 1.2 * q10))


def side_by_side(fns, budget, rounds=None):
    """Seconds per call of each of ``fns``, timed interleaved: the robust statistic of each.

    See :func:`interleaved`; ``rounds`` (if given) is the least number of rounds.
    """
    return list(interleaved(fns, budget, min_rounds=rounds or 9).stat())


def seconds(fn, budget):
    """Seconds per call of ``fn()`` (the 20th percentile of short repeats)."""
    return side_by_side([fn], budget)[0]


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


def _slopes(u, v):
    """Least-squares slopes of every row of ``v`` against ``u`` (vectorized polyfit)."""
    uc = u - u.mean()
    return (v - v.mean(axis=-1, keepdims=True)) @ uc / (uc @ uc)


def slope_estimate(xs, measured, log_x=True):
    """Fitted slope of ``measured`` against ``xs`` with a bootstrap interval.

    ``measured`` holds one entry per size: a ``(Samples, combine)`` pair, where
    ``combine(stat vector)`` gives the size's value (e.g. ``lambda q: q[1] / q[0]``), or a
    plain number for a size that is counted, not timed. Each size's rounds are resampled on
    their own; the slope is log(y) against log(x) (``log_x``) or log2(y) against x.
    Returns an :class:`Estimate` with ``sizes`` set (exact where nothing was timed).

    Cost: 400 resamples of every size's rounds, milliseconds.
    """
    xs = np.asarray(xs, float)
    u = np.log(xs) if log_x else xs
    ylog = np.log if log_x else np.log2
    point, cols, spread = [], [], 0.0
    for m in measured:
        if isinstance(m, tuple):
            samples, combine = m
            point.append(combine(samples.stat()))
            cols.append(samples.boot(combine))
            spread = max(spread, max(samples.spread(j) for j in range(samples.times.shape[1])))
        else:
            point.append(float(m))
            cols.append(np.full(N_BOOT, float(m)))
    point = np.array(point)
    if len(xs) < 2 or np.any(point <= 0) or not np.all(np.isfinite(point)):
        return Estimate(float("nan"), float("nan"), float("nan"), spread, len(xs))
    draws = _slopes(u, ylog(np.maximum(np.array(cols).T, 1e-300)))
    value = float(_slopes(u, ylog(point)))
    if all(not isinstance(m, tuple) for m in measured):
        return Estimate.exact(value, len(xs))
    return Estimate.of(value, draws, spread, len(xs))
