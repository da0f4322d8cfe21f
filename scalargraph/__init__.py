"""scalargraph: scalar computational graphs recorded in Python, run as Numba loops over flat arrays.

Build a graph with ``sg.var``, arithmetic and the functions below; ``sg.compile(inputs,
outputs)`` flattens it into a :class:`Tape`; the tape evaluates values (forward sweep),
gradients and vector-Jacobian products (reverse mode) and Jacobian-vector products
(forward mode).

>>> import scalargraph as sg
>>> x = sg.var("x")
>>> tape = sg.compile([x], [sg.exp(x) * x])
>>> tape.gradient([1.0])            # d/dx x e^x = 2e at x = 1
array([5.43656366])
"""

from . import ops
from .graph import Graph, Node, var, const, current_graph, reset_default_graph
from .arrays import NodeArray, variables, dense, dot, matmul, reduce_sum as sum  # noqa: A004
from .functions import *  # noqa: F401,F403  (exp, log, sin, ..., maximum, leaky_relu, gt)
from .functions import __all__ as _function_names
from .flatten import compile, trace  # noqa: A004
from .optimize import optimize
from .tape import Tape
from .kernels.loops import value_and_gradient as value_and_gradient_kernel
from .export import to_dot, draw
from .paths import path_gradient, count_paths
from .io import save, load
from .symbolic import grad, jvp_graph, hessian
from .conditionals import where, custom_gradient
from .reductions import (max, min, prod, mean, variance, std, clip,  # noqa: A004
                         logsumexp, softmax, log_sigmoid, silu, gelu)
from . import interop as _interop  # noqa: F401  (NumPy ufuncs and functions on nodes)

__version__ = "0.1.0"

__all__ = ["Graph", "Node", "NodeArray", "Tape", "var", "const", "variables", "compile", "trace",
           "dense", "dot", "matmul", "sum", "value_and_gradient_kernel",
           "current_graph", "reset_default_graph", "ops", "to_dot", "draw",
           "path_gradient", "count_paths",
           "optimize",
           "save", "load",
           "grad", "jvp_graph", "hessian",
           "where", "custom_gradient",
           "max", "min", "prod", "mean", "variance", "std", "clip",
           "logsumexp", "softmax", "log_sigmoid", "silu", "gelu",
           *_function_names]
