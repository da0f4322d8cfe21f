"""NumPy interop: ufuncs on nodes, NumPy's reductions on NodeArrays, object arrays of nodes.

* NumPy ufuncs on a Node or a NodeArray (``np.log1p(x)``, ``np.arctan2(y, x)``, ...) record
  the table op of the same meaning (``_UFUNCS``); comparison ufuncs (``np.less`` ...) give
  the 0/1 comparison nodes.
* On an object array of Nodes, NumPy's object loops call the element's method named after
  the ufunc (``x.arcsin()``): every unary ufunc below is also a Node method of its NumPy
  name, and ``conjugate`` / ``real`` make ``np.var`` and ``np.std`` work.
* ``np.where`` with a NodeArray operand records :func:`scalargraph.where`; the reductions
  (``np.max``, ``np.mean`` ...) call the NodeArray methods of :mod:`scalargraph.reductions`.

What cannot work on *object arrays* of nodes: ``np.max``, ``np.min``, ``np.clip`` and
``np.where``, since NumPy's object loops ask each element for a truth value. Their error
message points at ``sg.max`` / ``sg.min`` / ``sg.clip`` / ``sg.where`` (which take object
arrays) or at NodeArrays.
"""

import numpy as np

from . import functions as F
from .arrays import NodeArray
from ._npoptions import reduction_options
from .conditionals import where
from .graph import Node

F._UFUNCS.update({
    np.log1p: F.log1p, np.expm1: F.expm1, np.log2: F.log2, np.log10: F.log10,
    np.exp2: F.exp2, np.sinh: F.sinh, np.cosh: F.cosh, np.arcsin: F.asin, np.arccos: F.acos,
    np.arctan: F.atan, np.arcsinh: F.asinh, np.arccosh: F.acosh, np.arctanh: F.atanh,
    np.arctan2: F.atan2, np.hypot: F.hypot, np.cbrt: F.cbrt, np.sign: F.sign,
    np.floor: F.floor, np.ceil: F.ceil, np.rint: F.round, np.trunc: F.trunc, np.fmod: F.fmod,
    np.copysign: F.copysign, np.fmax: F.fmax, np.fmin: F.fmin, np.logaddexp: F.logaddexp,
    np.fabs: F.abs, np.reciprocal: lambda x: 1.0 / x,
    np.rad2deg: lambda x: x * (180.0 / np.pi), np.degrees: lambda x: x * (180.0 / np.pi),
    np.deg2rad: lambda x: x * (np.pi / 180.0), np.radians: lambda x: x * (np.pi / 180.0),
    np.less: F.lt, np.less_equal: F.le, np.greater: F.gt, np.greater_equal: F.ge,
    np.equal: F.eq, np.not_equal: F.ne,
})

# Method names NumPy's object loops look up, where they differ from the op's name.
for _ufunc, _fn in (("arcsin", F.asin), ("arccos", F.acos), ("arctan", F.atan),
                    ("arcsinh", F.asinh), ("arccosh", F.acosh), ("arctanh", F.atanh),
                    ("rint", F.round), ("fabs", F.abs)):
    setattr(Node, _ufunc, _fn)
Node.conjugate = lambda self: self  # real nodes: np.var multiplies by the conjugate
Node.real = property(lambda self: self)
Node.reciprocal = lambda self: 1.0 / self


def _node_sum(self, axis=None, dtype=None, out=None, **kwargs):
    """np.sum of a lone node: the node itself."""
    if axis not in (None, 0, -1, ()) or out is not None:
        raise TypeError("np.sum of a single node takes no axis or out=")
    reduction_options("sum", dtype, kwargs)
    return self


Node.sum = _node_sum


def _array_function(self, func, types, args, kwargs):
    if func is np.where and len(args) == 3 and not kwargs:
        return where(*args)
    implementation = getattr(func, "_implementation", None)
    if implementation is None:
        return NotImplemented
    return implementation(*args, **kwargs)


NodeArray.__array_function__ = _array_function
del _ufunc, _fn
