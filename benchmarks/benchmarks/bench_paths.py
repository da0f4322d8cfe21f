"""Claim 3: the chain rule summed over every path (exponential) vs the reverse sweep (linear)."""

from scalargraph import count_paths, path_gradient

from .common import Benchmark, build, ratio, sizes


class PathsVsReverse(Benchmark):
    """Ladder of diamonds: 2^depth input-to-output paths, 4 nodes per level."""

    params = [sizes([4, 8, 12, 16, 20], [24, 28])]
    param_names = ["depth"]
    timeout = 300

    def setup(self, depth):
        w = build("diamond", depth)
        self.tape, self.x = w.tape, w.x
        path_gradient(self.tape, self.x)
        self.tape.gradient(self.x)

    def time_path_gradient(self, depth):
        path_gradient(self.tape, self.x)

    def time_reverse_gradient(self, depth):
        self.tape.gradient(self.x)

    def time_count_paths(self, depth):
        count_paths(self.tape)

    def track_paths(self, depth):
        return count_paths(self.tape)

    track_paths.unit = "paths"

    def track_path_over_reverse(self, depth):
        return ratio(lambda: path_gradient(self.tape, self.x), lambda: self.tape.gradient(self.x))

    track_path_over_reverse.unit = "ratio"


class DeepReverse(Benchmark):
    """The reverse sweep alone on ladders far too deep to enumerate (2^1000 paths and more)."""

    params = [sizes([10**3, 10**4, 10**5], [10**6])]
    param_names = ["depth"]

    def setup(self, depth):
        w = build("diamond", depth)
        self.tape, self.x = w.tape, w.x
        self.tape.gradient(self.x)

    def time_reverse_gradient(self, depth):
        self.tape.gradient(self.x)
