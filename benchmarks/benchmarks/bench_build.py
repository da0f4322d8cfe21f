"""Claim 4 for building: recording in Python, compile, and the import / first-call cost."""

from .common import ROOT, Benchmark, FULL, ns_per_node, sizes, with_nodes
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


class ImportAndFirstCall(Benchmark):
    """A fresh interpreter: import, record, compile and differentiate a small graph.

    With the on-disk kernel cache warm this is load cost, not JIT compile cost: a jump here
    means the cache stopped working.
    """

    def timeraw_import_and_first_gradient(self):
        path = f"import sys; sys.path.insert(0, {ROOT!r})\n" if ROOT else ""
        return path + (
            "import scalargraph as sg\n"
            "x = sg.var('x')\n"
            "tape = sg.compile([x], [sg.exp(sg.sin(x) * x)])\n"
            "tape.gradient([1.0]); tape([1.0]); tape.jvp([1.0], [1.0])\n")
