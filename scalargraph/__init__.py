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
from .flatten import compile  # noqa: A004
from .tracing import trace
from .transforms import value_and_grad, grad_fn, jacobian_fn, hessian_fn
from .gradcheck import check_grads, GradCheckError
from .optimize import optimize
from .tape import Tape
from .kernels.sealed import value_and_gradient_kernel
from .export import to_dot, draw
from .explore import explore
from .paths import path_gradient, count_paths
from .io import save, load
from .symbolic import grad, jvp_graph, hessian
from .warmup import warmup
from .sparsity import SparsePlan
from .conditionals import where, custom_gradient
from .reductions import (max, min, prod, mean, variance, std, clip,  # noqa: A004
                         logsumexp, softmax, log_sigmoid, silu, gelu)
from . import numpy_interop as _numpy_interop  # noqa: F401  (NumPy ufuncs and functions on nodes)
from .specialize import Specialized
from . import order  # sg.order.locality(tape); sg.compile(..., order=)

__version__ = "0.1.0"

__all__ = ["Graph", "Node", "NodeArray", "Tape", "var", "const", "variables", "compile", "trace",
           "dense", "dot", "matmul", "sum", "value_and_gradient_kernel",
           "current_graph", "reset_default_graph", "ops", "to_dot", "draw", "explore",
           "path_gradient", "count_paths",
           "optimize",
           "save", "load",
           "grad", "jvp_graph", "hessian", "warmup",
           "SparsePlan", "Specialized",
           "value_and_grad", "grad_fn", "jacobian_fn", "hessian_fn",
           "check_grads", "GradCheckError",
           "where", "custom_gradient",
           "max", "min", "prod", "mean", "variance", "std", "clip",
           "logsumexp", "softmax", "log_sigmoid", "silu", "gelu",
           *_function_names]
