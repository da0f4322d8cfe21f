"""Claim 4 for building: recording in Python, compile, and the import / first-call cost."""

import os
import subprocess
import sys
import tempfile

from .common import ROOT, Benchmark, FULL, ns_per_node, sizes, with_nodes
import scalargraph as sg
from scalargraph.bench import workloads


class Build(Benchmark):
    """Recording a graph from Python (and compiling it), then compiling alone."""

    params = [["chain", "wide_sum", "random_dag"], sizes([10**3, 10**4, 10**5], [10**6])]
    param_names = ["workload", "n_nodes"]
    timeout = 300 if FULL else 120

    def setup(self, name, n_nodes):
        self.w = with_nodes(name, n_nodes)
        self.w.recompile()

    def time_build_and_compile(self, name, n_nodes):
        workloads.with_nodes(name, n_nodes)

    def time_compile(self, name, n_nodes):
        self.w.recompile()

    def track_compile_ns_per_node(self, name, n_nodes):
        return ns_per_node(self.w.recompile, self.w.n_nodes)

    track_compile_ns_per_node.unit = "ns/node"

    def track_tape_bytes_per_node(self, name, n_nodes):
        return self.w.tape.nbytes / self.w.n_nodes

    track_tape_bytes_per_node.unit = "bytes/node"


class CompileSmall(Benchmark):
    """The fixed cost of ``sg.compile``: the Domke graph (7 nodes), plain, folded, with cse.

    The kernel calls take IntEnum opcodes as plain ints: Numba types an IntEnum argument by
    typing all 72 members of its class on every call: plain 147 -> 70 us, fold 247 -> 93,
    cse 177 -> 118 (min of 5 x 200 calls, before and after, one process each)."""

    params = [["plain", "fold", "cse"]]
    param_names = ["passes"]

    def setup(self, passes):
        with sg.Graph():
            self.x = sg.var("x")
            f1 = sg.exp(self.x)
            f3 = f1 + f1 ** 2
            self.y = sg.exp(f3) + sg.sin(f3)
        self.options = {"plain": {}, "fold": {"fold": True}, "cse": {"cse": True}}[passes]
        sg.compile([self.x], [self.y], **self.options)

    def time_compile_domke(self, passes):
        sg.compile([self.x], [self.y], **self.options)


def _fresh_interpreter(code):
    """``code`` as a program for a fresh interpreter, importing scalargraph from the checkout
    when the suite does (``ROOT``), else the installed one."""
    path = f"import sys; sys.path.insert(0, {ROOT!r})\n" if ROOT else ""
    return path + "import scalargraph as sg\n" + code


class ImportAndFirstCall(Benchmark):
    """A fresh interpreter: import, record, compile and differentiate a small graph.

    With the on-disk kernel cache warm this is load cost, not JIT compile cost: a jump here
    means the cache stopped working.
    """

    def timeraw_import_and_first_gradient(self):
        return _fresh_interpreter(
            "x = sg.var('x')\n"
            "tape = sg.compile([x], [sg.exp(sg.sin(x) * x)])\n"
            "tape.gradient([1.0]); tape([1.0]); tape.jvp([1.0], [1.0])\n")


# What the first call of a fresh install runs, per case: a tiny graph takes the small-tape
# kernels, the 1000-input wide sum (3997 nodes) the sweeps every larger tape takes.
_FIRST_CALLS = {
    "domke gradient": ("x = sg.var('x'); f1 = sg.exp(x); f3 = f1 + f1 ** 2\n"
                       "tape = sg.compile([x], [sg.exp(f3) + sg.sin(f3)])\n"
                       "tape.gradient([1.0])\n"),
    "wide sum tape(x)": ("from scalargraph.bench import workloads\n"
                         "w = workloads.wide_sum(1000); w.tape(w.x)\n"),
    "wide sum gradient": ("from scalargraph.bench import workloads\n"
                          "w = workloads.wide_sum(1000); w.tape.value_and_gradient(w.x)\n"),
}


class FirstCallOnAnEmptyCache(Benchmark):
    """CPU seconds of a fresh interpreter with an empty kernel cache, from ``import
    scalargraph`` to the first result: the first impression of a new install, almost all
    of it compiling kernels (the README's first command runs the Domke graph)."""

    params = [list(_FIRST_CALLS)]
    param_names = ["first call"]
    timeout = 300

    def track_cpu_seconds(self, case):
        with tempfile.TemporaryDirectory() as cache:
            env = dict(os.environ, SCALARGRAPH_CACHE_DIR=cache, SCALARGRAPH_QUIET="1")
            before = os.times()
            # A limit below asv's own, so that the child is stopped and the cache removed.
            subprocess.run([sys.executable, "-c", _fresh_interpreter(_FIRST_CALLS[case])],
                           env=env, check=True, timeout=self.timeout - 30)
            after = os.times()
        return (after.children_user - before.children_user
                + after.children_system - before.children_system)

    track_cpu_seconds.unit = "s"
