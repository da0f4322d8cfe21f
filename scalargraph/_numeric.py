"""The rule helpers of the new ops on plain float64 numbers, bit for bit as the kernels compute them.

``scalargraph/kernels/scalar.py`` defines each helper for Numba; here is the
same function for constant folding (:func:`scalargraph.functions.fold`) and for the
symbolic evaluation of rules on numbers. Both call the same libm (through ``math``) or do
the same exact IEEE steps, so the two agree bit for bit (``tests/test_ops.py`` checks it).
"""

import math

import numpy as np

_F = np.float64


def ieee(fn, special):
    """``fn`` from math, with the IEEE result where math raises (log(0) = -inf ...)."""
    def wrapped(*args):
        try:
            return _F(fn(*args))
        except (ValueError, OverflowError):
            with np.errstate(all="ignore"):
                return _F(special(*args))
    return wrapped


def _step(test):
    return lambda x, y: _F(1.0) if test(x, y) else _F(0.0)


def where(c, a, b):
    """a where c != 0 (NaN counts as true), else b."""
    return a if c != 0.0 else b


def dsigmoid(x):
    e = _exp(-abs(x))
    d = 1.0 + e
    return _F(e / (d * d))


def cbrt(x):
    x = _F(x)
    if x == 0.0 or not math.isfinite(x):
        return x + x
    a = abs(x)
    s = 1.0
    if a < 2.2250738585072014e-308:  # subnormal: scaled as in kernels/scalar.py
        a = a * 5.846006549323611e+48
        s = 5.551115123125783e-17
    c = a ** (1.0 / 3.0)
    c = c - (c * c * c - a) / (3.0 * c * c)
    return _F(math.copysign(c * s, x))


def remainder(x, y):
    # math.remainder is CPython's exact algorithm, as the kernel's; IEEE NaN where it raises.
    try:
        return _F(math.remainder(x, y))
    except ValueError:
        return _F(math.nan)


def logaddexp(x, y):
    """np.logaddexp's algorithm with libm's exp and log1p (the kernels' calls)."""
    if x == y:
        return _F(x + 0.6931471805599453)
    d = x - y
    if d > 0.0:
        return _F(x + math.log1p(_exp(-d)))
    if d <= 0.0:
        return _F(y + math.log1p(_exp(d)))
    return _F(d)


_exp = ieee(math.exp, np.exp)
_exp2 = getattr(math, "exp2", None)

HELPERS = {
    "lt": _step(lambda x, y: x < y), "le": _step(lambda x, y: x <= y),
    "ge": _step(lambda x, y: x >= y), "eq": _step(lambda x, y: x == y),
    "ne": _step(lambda x, y: x != y),
    "where": where, "dsigmoid": dsigmoid, "cbrt": cbrt, "remainder": remainder,
    "logaddexp": logaddexp,
    "log1p": ieee(math.log1p, np.log1p), "expm1": ieee(math.expm1, np.expm1),
    "log2": ieee(math.log2, np.log2), "log10": ieee(math.log10, np.log10),
    "exp2": ieee(_exp2, np.exp2) if _exp2 is not None else (lambda x: _F(np.exp2(x))),
    "sinh": ieee(math.sinh, np.sinh), "cosh": ieee(math.cosh, np.cosh),
    "asin": ieee(math.asin, np.arcsin), "acos": ieee(math.acos, np.arccos),
    "atan": ieee(math.atan, np.arctan), "asinh": ieee(math.asinh, np.arcsinh),
    "acosh": ieee(math.acosh, np.arccosh), "atanh": ieee(math.atanh, np.arctanh),
    "atan2": ieee(math.atan2, np.arctan2),
    # Python's math.hypot is its own algorithm; np.hypot calls libm's hypot, as Numba does.
    "hypot": lambda x, y: _F(np.hypot(_F(x), _F(y))),
    "erf": ieee(math.erf, lambda x: np.nan), "erfc": ieee(math.erfc, lambda x: np.nan),
    "copysign": lambda x, y: _F(math.copysign(x, y)),
    "floor": lambda x: np.floor(_F(x)), "ceil": lambda x: np.ceil(_F(x)),
    "trunc": lambda x: np.trunc(_F(x)), "round": lambda x: np.rint(_F(x)),
    "fmod": ieee(math.fmod, lambda x, y: np.fmod(_F(x), _F(y))),
}
