"""The rule switches compiled once, as functions of their own, for the sweeps that call them
per node but are not hot enough to pay for an inlined copy each.

Numba compiles a function that another kernel *calls* once and links it into every caller;
a function it *inlines* is compiled again inside each caller. With the 72 ops of the table,
one inlined copy of the partials switch costs about 13 s of compiling (2 cores) and of the
second partials about 20 s, so only the hot forward sweeps (``forward.values_range`` and
``forward.partials_range``) inline the rules; forward mode (``jvp``) and second order call
these, for about 6 s of compiling each, once, at 10-20 % of their sweep time (a call per
node: 12.8 against 10.6 ns/node on a random mix of all ops).
"""

from numba import njit

from . import rules


@njit(cache=True, nogil=True, error_model="numpy")
def unary_partials(o, x):
    """``rules.unary_partials``, compiled once."""
    return rules.unary_partials(o, x)


@njit(cache=True, nogil=True, error_model="numpy")
def binary_partials(o, x, y):
    """``rules.binary_partials``, compiled once."""
    return rules.binary_partials(o, x, y)


@njit(cache=True, nogil=True, error_model="numpy")
def const_right_partials(o, x, y):
    """``rules.const_right_partials``, compiled once."""
    return rules.const_right_partials(o, x, y)


@njit(cache=True, nogil=True, error_model="numpy")
def second(o, x, y, z):
    """``rules.second``, compiled once."""
    return rules.second(o, x, y, z)
