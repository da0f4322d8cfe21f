"""The rule switches compiled once, as functions of their own, for the sweeps that call them
per node but are not hot enough to pay for an inlined copy each.

Numba compiles a function that another kernel *calls* once and links it into every caller;
a function it *inlines* is compiled again inside each caller. With the 72 ops of the table,
one inlined copy of the partials switch costs about 6 s of compiling (2 cores) and of the
second partials about 13 s, so only the hot forward sweeps (``forward.values_range`` and
``forward.partials_range``) inline the rules; forward mode (``jvp``, but for its small
const_right switch), the small-tape kernel and second order call these, at 10-20 % of their
sweep time (a call per node: 12.8 against 10.6 ns/node on a random mix of all ops).

Each is the ``rules`` function itself compiled as a function of its own, not a wrapper that
inlines it: Numba inlines by deep-copying the callee's IR block by block, each block with
the callee's whole variable scope, so the wrapper of ``rules.second`` (646 blocks, 3557
variables) spent 12.5 s in the copy alone, and those of the two partials switches 3 s.
"""

import types

from numba import njit

from . import rules


def _compiled_once(rule):
    """The ``rules`` switch ``rule`` as a kernel of this module: compiled once, then called.

    A copy of the Python function under a name of its own: Numba names a cache entry after
    the source file, the function's name and its first line, so the rule itself would share
    it (and a kernel compiled with other options could be served from it).
    """
    f = rule.py_func
    own = types.FunctionType(f.__code__, f.__globals__, f.__name__, f.__defaults__,
                             f.__closure__)
    own.__qualname__ = f"shared_{f.__name__}"
    own.__module__ = __name__
    own.__doc__ = f.__doc__
    return njit(cache=True, nogil=True, error_model="numpy")(own)


unary_partials = _compiled_once(rules.unary_partials)
binary_partials = _compiled_once(rules.binary_partials)
const_right_partials = _compiled_once(rules.const_right_partials)
second = _compiled_once(rules.second)
