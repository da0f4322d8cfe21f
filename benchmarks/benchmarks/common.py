"""Shared pieces of the asv suite: the workload registry, cached builds, size grids.

The graphs come from :mod:`scalargraph.workloads`, the same registry that
``python -m scalargraph.bench`` and the tests use. Parameter grids stay modest by default;
``SCALARGRAPH_BENCH_FULL=1`` adds the large sizes (10^6 - 10^7 nodes), as SciPy's
``SCIPY_XSLOW`` does. Workloads are fixed (seeded): append new ones, never change one.
"""

import os
import time
from functools import lru_cache
from pathlib import Path

import numpy as np

import scalargraph
from scalargraph import bench
from scalargraph.bench import workloads

# The checkout to put on sys.path in a fresh interpreter (timeraw_*), when scalargraph is
# imported from the checkout rather than installed (see __init__.py).
_here = Path(__file__).resolve().parents[2]
ROOT = str(_here) if Path(scalargraph.__file__).resolve().parents[1] == _here else None

FULL = os.environ.get("SCALARGRAPH_BENCH_FULL", "") not in ("", "0")


def sizes(default, large=()):
    """The default grid, plus ``large`` when SCALARGRAPH_BENCH_FULL=1."""
    return list(default) + (list(large) if FULL else [])


@lru_cache(maxsize=4)
def with_nodes(name, n_nodes):
    """Cached :func:`scalargraph.workloads.with_nodes` (setup runs once per repeat)."""
    return workloads.with_nodes(name, n_nodes)


@lru_cache(maxsize=4)
def build(name, size):
    """Cached :func:`scalargraph.workloads.build`."""
    return workloads.build(name, size)


def ratio(numerator, denominator, budget=0.05):
    """Time ratio of two calls measured side by side (for ``track_*`` benchmarks)."""
    return bench.seconds(numerator, budget) / bench.seconds(denominator, budget)


def ns_per_node(fn, n_nodes, budget=0.05):
    """Nanoseconds per tape node of one call of ``fn`` (for ``track_*`` benchmarks)."""
    return bench.seconds(fn, budget) * 1e9 / n_nodes


class Benchmark:
    """Base class: asv attributes shared by the suite."""

    timeout = 120
    # Per-call times are microseconds to a second; asv picks the number of calls.
    warmup_time = 0.1
    # CPU time of the benchmark process, as in the cost report: on a shared machine the
    # time spent waiting while other processes run is most of the wall time and no cost of
    # the call, so `asv compare` of two runs would otherwise flag the load, not the code.
    timer = time.process_time


def warm(tape, x):
    """One call of every kernel a benchmark may time, so JIT and cache loads stay untimed."""
    tape(x)
    tape.gradient(x, output=0)
    tape.jvp(x, np.ones(tape.n_inputs))
