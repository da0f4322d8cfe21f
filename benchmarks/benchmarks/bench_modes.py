"""Claims 1 and 2: the gradient by reverse mode, forward mode and finite differences, and the
Jacobian of R -> R^m and R^n -> R by forward, reverse and automatic mode choice."""

import numpy as np

from scalargraph.bench import forward_differences, seconds

from .common import Benchmark, build, ratio, sizes, warm


class Gradient(Benchmark):
    """f = sum sin(x_i x_{i+1}): value, and the gradient by one reverse sweep."""

    params = [sizes([10, 100, 1000, 10**4, 10**5], [10**6])]
    param_names = ["n_inputs"]

    def setup(self, n):
        w = build("wide_sum", n)
        self.tape, self.x = w.tape, w.x
        warm(self.tape, self.x)

    def time_forward(self, n):
        self.tape(self.x)

    def time_reverse_gradient(self, n):
        self.tape.gradient(self.x)

    def track_reverse_over_forward(self, n):
        return ratio(lambda: self.tape.gradient(self.x), lambda: self.tape(self.x))

    track_reverse_over_forward.unit = "ratio"


class GradientByForwardMode(Benchmark):
    """The same gradient by n tangent directions and by n + 1 evaluations (cost ~ n^2)."""

    params = [sizes([10, 100, 1000], [10**4])]
    param_names = ["n_inputs"]

    def setup(self, n):
        w = build("wide_sum", n)
        self.tape, self.x = w.tape, w.x
        warm(self.tape, self.x)
        self.tape.jacobian(self.x, mode="forward")

    def time_forward_mode_gradient(self, n):
        self.tape.jacobian(self.x, mode="forward")

    def time_finite_differences(self, n):
        forward_differences(self.tape, self.x)

    def track_forward_mode_over_forward(self, n):
        return ratio(lambda: self.tape.jacobian(self.x, mode="forward"), lambda: self.tape(self.x))

    track_forward_mode_over_forward.unit = "ratio"

    def track_finite_difference_digits(self, n):
        exact = self.tape.gradient(self.x)
        err = np.max(np.abs(forward_differences(self.tape, self.x) - exact))
        return float(-np.log10(max(err / np.max(np.abs(exact)), 1e-17)))

    track_finite_difference_digits.unit = "digits"


class Jacobian(Benchmark):
    """The mirror image: f: R -> R^m (fan_out) and f: R^n -> R (wide_sum), each mode."""

    params = [["fan_out", "wide_sum"], sizes([1, 10, 100, 1000], [10**4])]
    param_names = ["workload", "size"]

    def setup(self, name, size):
        if name == "wide_sum" and size < 2:
            raise NotImplementedError("wide_sum needs at least 2 inputs")
        w = build(name, size)
        self.tape, self.x = w.tape, w.x
        for mode in ("forward", "reverse"):
            self.tape.jacobian(self.x, mode=mode)

    def time_jacobian_forward(self, name, size):
        self.tape.jacobian(self.x, mode="forward")

    def time_jacobian_reverse(self, name, size):
        self.tape.jacobian(self.x, mode="reverse")

    def time_jacobian_auto(self, name, size):
        self.tape.jacobian(self.x, mode="auto")

    def track_auto_over_cheaper(self, name, size):
        """Time of mode="auto" over the cheaper of the two modes: 1 when auto chose well."""
        t, x = self.tape, self.x
        secs = {mode: seconds(lambda: t.jacobian(x, mode=mode), 0.05)
                for mode in ("forward", "reverse", "auto")}
        return secs["auto"] / min(secs["forward"], secs["reverse"])

    track_auto_over_cheaper.unit = "ratio"
