"""Scalar helpers that the op table's rules call by name, besides ``math`` (hand-written).

The rule strings of :mod:`scalargraph.ops` use arithmetic, ``math`` functions and these
helpers; ``rules.py`` (generated) imports them. :mod:`scalargraph.functions` evaluates the
same rules on plain floats with the same libm calls, so constant folding gives the kernels'
bits. Every helper is inlined into the loops that call it.
"""

import math

from numba import njit


@njit(cache=True, inline="always")
def gt(x, y):
    """Step 1{x > y} as a float (derivative zero everywhere)."""
    return 1.0 if x > y else 0.0


@njit(cache=True, inline="always")
def sigmoid(x):
    """Logistic 1 / (1 + exp(-x)), without overflow for large |x|."""
    if x >= 0.0:
        return 1.0 / (1.0 + math.exp(-x))
    e = math.exp(x)
    return e / (1.0 + e)


@njit(cache=True, inline="always")
def softplus(x):
    """log(1 + exp(x)) = max(x, 0) + log1p(exp(-|x|)), exact to rounding for every x."""
    return max(x, 0.0) + math.log1p(math.exp(-abs(x)))


HELPERS = ("gt", "sigmoid", "softplus")
