"""Sparse workloads: residuals of a 2-D stencil (Bratu) and of a banded chain of equations.

Both record vectorized (NodeArray), so 10^6 unknowns record in seconds. Their Jacobians are
sparse with a known structure, which the sparse-Jacobian benchmark, example and tests use:
5 nonzeros per row for Bratu (5-point stencil; 5 colors suffice), 2w + 1 for the chain.
"""

import numpy as np

import scalargraph as sg
from scalargraph.arrays import NodeArray
from scalargraph.graph import as_count


def bratu(N, lam=6.0):
    """The 2-D Bratu residual on the interior N x N grid of the unit square, zero boundary:

    F(u)_ij = 4 u_ij - u_(i-1)j - u_(i+1)j - u_i(j-1) - u_i(j+1) - h^2 lam exp(u_ij),
    h = 1 / (N + 1), i.e. h^2 (-Laplace u - lam e^u) with the 5-point Laplacian.
    Unknowns and residuals in row-major order. Returns ``(tape, u0)`` with u0 = 0.

    Cost: about 12 nodes per unknown, recorded in a few NumPy steps per stencil arm.
    """
    N = as_count(N, "N")
    if N < 1:
        raise ValueError(f"N must be >= 1, got {N}")
    g = sg.Graph()
    with g:
        U = sg.variables(N * N, "u").reshape(N, N)
        lap = (4.0 * U).indices.copy()
        # subtract each neighbor that exists (the boundary values are zero)
        for target, neighbor in (((slice(1, None), slice(None)), (slice(None, -1), slice(None))),
                                 ((slice(None, -1), slice(None)), (slice(1, None), slice(None))),
                                 ((slice(None), slice(1, None)), (slice(None), slice(None, -1))),
                                 ((slice(None), slice(None, -1)), (slice(None), slice(1, None)))):
            if lap[target].size:
                lap[target] = (NodeArray(g, lap[target]) - U[neighbor]).indices
        h2 = 1.0 / (N + 1) ** 2
        F = NodeArray(g, lap) - (h2 * lam) * sg.exp(U)
        tape = sg.compile(U.ravel(), F.ravel())
    return tape, np.zeros(N * N)


def banded_chain(n, w=2):
    """A chain of n coupled equations of bandwidth w (2w + 1 nonzeros per interior row):

    F_i = x_i^2 + sum over k = 1..w of sin(x_(i-k)) * x_(i+k) - 0.5 x_i,
    terms whose index falls outside 0..n-1 left out. Returns ``(tape, x0)``.
    Cost: about 5 w + 2 nodes per unknown, recorded in 3 w + 2 NumPy steps.
    """
    n, w = as_count(n, "n"), as_count(w, "w")
    if n < 1 or w < 1:
        raise ValueError(f"n and w must be >= 1, got {n}, {w}")
    g = sg.Graph()
    with g:
        X = sg.variables(n, "x")
        F = (sg.square(X) - 0.5 * X).indices.copy()
        for k in range(1, w + 1):
            if n > 2 * k:
                F[k:n - k] = (NodeArray(g, F[k:n - k]) + sg.sin(X[:n - 2 * k]) * X[2 * k:]).indices
        tape = sg.compile(X, NodeArray(g, F))
    return tape, np.linspace(-1.0, 1.0, n)


def casadi_bratu_jacobian(N, lam=6.0):
    """CasADi's sparse Jacobian of the same Bratu residual (SX, ``ca.jacobian``, which finds
    the pattern and colors it itself), as a peer: returns ``(call, values, u)`` where
    ``call()`` evaluates the Jacobian at ``u`` into ``values`` (its nonzeros, CasADi's
    column-major order) through CasADi's buffer call (lowest overhead).
    Raises ImportError when casadi is not installed.
    Cost: CasADi's symbolic Jacobian (0.3 s at N = 100, growing faster than N^2).
    """
    import casadi as ca
    N = as_count(N, "N")
    u = ca.SX.sym("u", N * N)
    U = ca.reshape(u, N, N).T  # U[i, j] = u[i N + j], the row-major order of :func:`bratu`
    P = ca.SX.zeros(N + 2, N + 2)
    P[1:N + 1, 1:N + 1] = U
    h2 = 1.0 / (N + 1) ** 2
    F = (4.0 * U - P[0:N, 1:N + 1] - P[2:N + 2, 1:N + 1] - P[1:N + 1, 0:N] - P[1:N + 1, 2:N + 2]
         - (h2 * lam) * ca.exp(U))
    f = ca.Function("J", [u], [ca.jacobian(ca.reshape(F.T, N * N, 1), u)])
    x = np.zeros(N * N)
    values = np.zeros(f.sparsity_out(0).nnz())
    buf, call = f.buffer()
    keep = (f, buf, memoryview(x), memoryview(values))
    buf.set_arg(0, keep[2])
    buf.set_res(0, keep[3])

    def evaluate():
        call()
        return keep  # the Function and views stay alive while the callable does

    return evaluate, values, x
