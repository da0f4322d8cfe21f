"""Scalar helpers that the op table's rules call by name, besides ``math`` (hand-written).

The rule strings of :mod:`scalargraph.ops` use arithmetic, ``math`` functions and these
helpers; ``rules.py`` (generated) imports them. :mod:`scalargraph.functions` evaluates the
same rules on plain floats with the same libm calls, so constant folding gives the kernels'
bits. Every helper ends up inlined into the loops that call it: the steps, ``where`` and
``round`` by LLVM (compiled once, called, then inlined when the caller is optimized: no
call is left in the compiled loops), the others by Numba (``inline="always"``).
"""

import math

import numpy as np
from numba import njit

# Functions the rules call that are not taken from ``math``: math.exp2 is Python 3.11+, and
# in Numba math.floor/ceil/trunc return ints where the rules need floats (NumPy's give floats).
exp2 = getattr(math, "exp2", np.exp2)
floor, ceil, trunc, fmod = np.floor, np.ceil, np.trunc, np.fmod


# The steps and ``where`` are not inlined by Numba: it copies a callee's IR at every use,
# and the accurate rules of pow, erf and hypot use them a dozen times each; compiled once,
# they cut the first gradient's compile (smallcall's packed kernel 7.1 -> 5.2 s cpu, the
# partials switches 2.3 -> 1.3 s), and LLVM inlines them all the same (the loops' assembly
# calls none of them; forward and value-and-gradient on the toy loss, wide sum, random DAG
# and a maximum/abs network unchanged within noise, alternating processes, min of 3).
@njit(cache=True, nogil=True)
def gt(x, y):
    """Step 1{x > y} as a float."""
    return 1.0 if x > y else 0.0


@njit(cache=True, nogil=True)
def lt(x, y):
    """Step 1{x < y} as a float."""
    return 1.0 if x < y else 0.0


@njit(cache=True, nogil=True)
def ge(x, y):
    """Step 1{x >= y} as a float."""
    return 1.0 if x >= y else 0.0


@njit(cache=True, nogil=True)
def le(x, y):
    """Step 1{x <= y} as a float."""
    return 1.0 if x <= y else 0.0


@njit(cache=True, nogil=True)
def eq(x, y):
    """1{x == y} as a float."""
    return 1.0 if x == y else 0.0


@njit(cache=True, nogil=True)
def ne(x, y):
    """1{x != y} as a float (1 for NaN)."""
    return 1.0 if x != y else 0.0


@njit(cache=True, nogil=True)
def where(c, a, b):
    """a where c != 0 (NaN counts as true), else b: both are already computed."""
    return a if c != 0.0 else b


@njit(cache=True, inline="always")
def dsigmoid(x):
    """sigmoid'(x) = e^-|x| / (1 + e^-|x|)^2, full relative accuracy in both tails."""
    e = math.exp(-abs(x))
    d = 1.0 + e
    return e / (d * d)


@njit(cache=True, nogil=True)
def round(x):
    """Round half to even, as np.rint (exact)."""
    return np.rint(x)


@njit(cache=True, inline="always")
def cbrt(x):
    """Real cube root: pow(|x|, 1/3) and one Newton step (within 1.3 ulp), sign of x."""
    if x == 0.0 or not math.isfinite(x):
        return x + x
    a = abs(x)
    s = 1.0
    if a < 2.2250738585072014e-308:  # subnormal: c * c * c would underflow in the Newton step
        a = a * 5.846006549323611e+48  # 2**162, whose cube root is 2**54
        s = 5.551115123125783e-17      # 2**-54
    c = a ** (1.0 / 3.0)
    c = c - (c * c * c - a) / (3.0 * c * c)
    return math.copysign(c * s, x)


@njit(cache=True, inline="always")
def remainder(x, y):
    """IEEE remainder, CPython's math.remainder algorithm (every step exact)."""
    if math.isfinite(x) and math.isfinite(y):
        if y == 0.0:
            return math.nan
        ax = abs(x)
        ay = abs(y)
        m = np.fmod(ax, ay)
        c = ay - m
        if m < c:
            r = m
        elif m > c:
            r = -c
        else:
            r = m - 2.0 * np.fmod(0.5 * (ax - m), ay)
        return math.copysign(1.0, x) * r
    if x != x:
        return x
    if y != y:
        return y
    if math.isinf(x):
        return math.nan
    return x


@njit(cache=True, inline="always")
def logaddexp(x, y):
    """log(e^x + e^y) as np.logaddexp: max + log1p(exp(-|x - y|))."""
    if x == y:
        return x + 0.6931471805599453
    d = x - y
    if d > 0.0:
        return x + math.log1p(math.exp(-d))
    if d <= 0.0:
        return y + math.log1p(math.exp(d))
    return d


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


HELPERS = ('exp2', 'floor', 'ceil', 'trunc', 'fmod', 'gt', 'lt', 'ge', 'le', 'eq', 'ne', 'where', 'dsigmoid', 'round', 'cbrt', 'remainder', 'logaddexp', 'sigmoid', 'softplus')
