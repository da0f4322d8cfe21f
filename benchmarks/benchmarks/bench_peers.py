"""The core engine's targets: the chain against a hand-written Numba loop and CasADi SX.

CasADi is optional: without it, its parameter is skipped (setup raises NotImplementedError,
which asv reports as skipped). Per-op-node times, ratios in ``track_*``.
"""

import numpy as np

from scalargraph.bench import casadi_chain, hand_chain, hand_chain_value_and_derivative

from .common import Benchmark, build, ratio, sizes, warm


class Chain(Benchmark):
    """h <- sin(h) * 0.999 + 1e-5, ``n_ops`` op nodes, by each implementation."""

    params = [["scalargraph", "hand_numba", "casadi"], sizes([10**4, 10**5], [10**6])]
    param_names = ["implementation", "n_ops"]

    def setup(self, impl, n_ops):
        w = build("chain", n_ops)
        steps = w.info["steps"]
        if impl == "scalargraph":
            tape, x, v = w.tape, w.x, np.ones(1)
            warm(tape, x)
            self.forward = lambda: tape(x)
            self.value_and_gradient = lambda: tape.value_and_gradient(x)
            self.jvp = lambda: tape.jvp(x, v)
        elif impl == "hand_numba":
            self.forward = lambda: hand_chain(0.5, steps)
            self.value_and_gradient = lambda: hand_chain_value_and_derivative(0.5, steps)
            self.jvp = self.value_and_gradient
        else:
            try:
                calls, _ = casadi_chain(steps)
            except ImportError:
                raise NotImplementedError("casadi is not installed") from None
            self._keep = calls
            self.forward, self.value_and_gradient, self.jvp = (call for call, _ in calls)
        self.forward(), self.value_and_gradient(), self.jvp()

    def time_forward(self, impl, n_ops):
        self.forward()

    def time_value_and_gradient(self, impl, n_ops):
        self.value_and_gradient()

    def time_jvp(self, impl, n_ops):
        self.jvp()

    def track_value_and_gradient_over_forward(self, impl, n_ops):
        return ratio(self.value_and_gradient, self.forward)

    track_value_and_gradient_over_forward.unit = "ratio"
