"""Specialized (straight-line) tapes against a hand-written straight-line @njit floor.

Issue 17's table, side by side in one run: the Domke graph, the toy model's squared error
per example and in batches of 10^2, 10^4, 10^6 points (with NumPy's vectorized expression
of the same loss and its hand-written gradient), and a 10^3-node random graph, whose floor is
the tape's own readable Python export (``to_source("python")``) compiled with plain @njit:
what one writes by hand from the textbook. ``track_*`` report ratios against the floor,
measured interleaved, and against CasADi's buffer call (``F.buffer()``) where CasADi is
installed (the ``peers`` extra) and has the function (Domke, toy model); the CasADi paths
are skipped otherwise. ``python -m scalargraph.bench.call_table`` prints the same per-call
rows as one table (min and median of interleaved samples).
"""

import re

import numpy as np
from numba import njit

import scalargraph as sg
from scalargraph.bench import straight_peers as peers
from scalargraph.bench import workloads

from .common import Benchmark, ratio

try:
    from asv_runner.benchmarks.mark import SkipNotImplemented as _Skip  # asv's skip in a method
except ImportError:
    _Skip = NotImplementedError

CALLS = 1000  # value-and-gradient calls per timed njit loop


def _domke():
    tape = workloads.domke().tape
    return tape, np.array([0.3])


def _toy():
    tape = workloads.toy_loss()
    rng = np.random.default_rng(17)
    x = np.concatenate([[0.1, 0.5, -0.2, 0.7, 0.3, 0.4, -0.1, 0.8], rng.uniform(-1, 1, 2)])
    return tape, x


def _random():
    w = workloads.build("random_dag", 1000)
    return w.tape, w.x


CASES = {"domke": _domke, "toy_model": _toy, "random_dag_1000": _random}


def _floor(case, tape):
    """The hand-written straight-line value-and-gradient ``f(x, g) -> value``."""
    if case == "domke":
        return peers.domke_value_and_gradient
    if case == "toy_model":
        return peers.toy_value_and_gradient
    # The readable export, with the gradient written into g instead of returned as a list.
    lines = tape.to_source("python").splitlines()
    last = lines.pop()  # "    return v, [g0, g1, ...]"
    value, grads = re.fullmatch(r"    return (\w+), \[(.*)\]", last).groups()
    lines = [line.replace("def value_and_gradient(inputs):", "def floor(inputs, g):")
             for line in lines]
    lines += [f"    g[{i}] = {e}" for i, e in enumerate(grads.split(", "))]
    lines.append(f"    return {value}")
    namespace = {}
    exec("\n".join(lines), namespace)  # noqa: S102 -- our own generated text
    for helper in ("gt", "sigmoid", "softplus"):  # plain Python there; compiled here
        namespace[helper] = njit(namespace[helper])
    return njit(namespace["floor"])


class PerCall(Benchmark):
    """Value and gradient, one point per call: from user @njit code (a loop of 1000 calls)
    and from Python."""

    params = [list(CASES), ["hand_njit", "specialized_njit", "interpreter_njit",
                            "specialized_python", "tape_python", "tape_gradient_python",
                            "tape_call_python", "bind_python", "buffer_python", "casadi_plain",
                            "casadi_buffer"]]
    param_names = ["graph", "path"]
    timeout = 600

    def setup(self, case, path):
        tape, x = CASES[case]()
        self.casadi = _casadi(case, x)
        if path.startswith("casadi") and self.casadi is None:
            raise NotImplementedError("CasADi is not installed, or has no such function")
        spec = tape.specialize()
        g = np.empty(tape.n_inputs)
        x = x.copy()
        floor = _floor(case, tape)
        self.floor = lambda: peers.repeat(floor, x, g, CALLS)
        if path == "hand_njit":
            self.run = self.floor
        elif path == "specialized_njit":
            kernel = spec.kernel
            self.run = lambda: peers.repeat_output(kernel, x, g, CALLS)
        elif path == "interpreter_njit":
            args = tape.bind().args
            kernel = sg.value_and_gradient_kernel
            self.run = lambda: peers.repeat_interpreter(kernel, args, x, g, CALLS)
        elif path == "specialized_python":
            self.run = lambda: [spec.value_and_gradient(x) for _ in range(CALLS)]
        elif path == "tape_gradient_python":
            self.run = lambda: [tape.gradient(x) for _ in range(CALLS)]
        elif path == "tape_call_python":  # the value only
            self.run = lambda: [tape(x) for _ in range(CALLS)]
        elif path == "bind_python":
            f = tape.bind()
            self.run = lambda: [f(x, g) for _ in range(CALLS)]
        elif path == "buffer_python":  # tape.buffer(): arrays bound once, no arguments
            call, bx, _ = tape.buffer()
            bx[:] = x
            self.run = lambda: [call() for _ in range(CALLS)]
        elif path == "casadi_plain":
            plain = self.casadi.plain
            self.run = lambda: [plain(x) for _ in range(CALLS)]
        elif path == "casadi_buffer":
            call = self.casadi.buffer_call
            self.run = lambda: [call() for _ in range(CALLS)]
        else:
            self.run = lambda: [tape.value_and_gradient(x) for _ in range(CALLS)]
        self.run(), self.floor()

    def time_value_and_gradient_x1000(self, case, path):
        self.run()

    def track_over_hand_written(self, case, path):
        return ratio(self.run, self.floor)

    track_over_hand_written.unit = "ratio"

    def track_over_casadi_buffer(self, case, path):
        if self.casadi is None:  # without CasADi, or a graph it was not written for
            raise _Skip("no CasADi Function for this graph")
        call = self.casadi.buffer_call
        return ratio(self.run, lambda: [call() for _ in range(CALLS)])

    track_over_casadi_buffer.unit = "ratio"


def _casadi(case, x):
    """CasADi's value-and-gradient Function of ``case`` (None without CasADi, or for a
    graph written only as a tape)."""
    if case not in peers.CASADI_CASES:
        return None
    try:
        return peers.CasadiValueAndGradient(case, x)
    except ImportError:
        return None


class ToyBatch(Benchmark):
    """The toy model's squared error and gradient at B points (parameters and data per row)."""

    params = [[10**2, 10**4, 10**6], ["hand_njit", "specialized", "tape", "numpy"]]
    param_names = ["points", "path"]
    timeout = 600

    def setup(self, B, path):
        tape, x = _toy()
        X = np.tile(x, (B, 1))
        X[:, 8:] = np.random.default_rng(1).uniform(-1, 1, (B, 2))
        vals, G = np.empty(B), np.empty((B, tape.n_inputs))
        self.floor = lambda: peers.toy_rows(X, vals, G)
        if path == "hand_njit":
            self.run = self.floor
        elif path == "specialized":
            spec = tape.specialize()
            self.run = lambda: spec.value_and_gradient(X, workers=1)
        elif path == "tape":
            self.run = lambda: tape.value_and_gradient(X, workers=1)
        else:
            self.run = lambda: peers.toy_numpy(X)
        self.run(), self.floor()

    def time_value_and_gradient(self, B, path):
        self.run()

    def track_over_hand_written(self, B, path):
        return ratio(self.run, self.floor)

    track_over_hand_written.unit = "ratio"
