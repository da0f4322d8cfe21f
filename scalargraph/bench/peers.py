"""The peers of the core engine's targets: the chain written by hand as a straight Numba loop,
and the same chain as a CasADi SX Function (CasADi is optional).

These live with the benchmarks, not in the engine: they are what the tape is measured against.
"""

import numpy as np
from numba import njit


@njit(cache=True, nogil=True)
def hand_chain(x, steps):
    """The chain h <- sin(h) * 0.999 + 1e-5 as a straight loop: no graph, no stored values."""
    h = x
    for _ in range(steps):
        h = np.sin(h) * 0.999 + 1e-5
    return h


@njit(cache=True, nogil=True)
def hand_chain_value_and_derivative(x, steps):
    """Value and dh/dx of the chain, by hand (a tangent carried along: one input)."""
    h, d = x, 1.0
    for _ in range(steps):
        d = d * np.cos(h) * 0.999
        h = np.sin(h) * 0.999 + 1e-5
    return h, d


def casadi_chain(steps):
    """CasADi SX Functions of the chain: value, value + gradient, and one JVP.

    The SX expression is built by repeated squaring of a one-step Function (calling an
    SX Function on SX inlines it), so building 10^6 ops costs seconds, not minutes.
    Returns three zero-argument callables using CasADi's buffer call (lowest overhead),
    or raises ImportError when casadi is not installed.
    """
    import casadi as ca
    x, v = ca.SX.sym("x"), ca.SX.sym("v")
    power = ca.Function("step", [x], [ca.sin(x) * 0.999 + 1e-5])
    expr, k = x, steps
    while k:
        if k & 1:
            expr = power(expr)
        k >>= 1
        if k:
            power = ca.Function("power", [x], [power(power(x))])
    fns = (ca.Function("f", [x], [expr]),
           ca.Function("g", [x], [expr, ca.gradient(expr, x)]),
           ca.Function("j", [x, v], [ca.jtimes(expr, x, v)]))
    a, one, out = np.array([0.5]), np.array([1.0]), np.zeros(2)
    calls = []
    for f in fns:
        buf, call = f.buffer()
        # Keep the Function and every memoryview alive as long as the buffer is used.
        views = [memoryview(a if i == 0 else one) for i in range(f.n_in())]
        views += [memoryview(out[i:i + 1]) for i in range(f.n_out())]
        for i in range(f.n_in()):
            buf.set_arg(i, views[i])
        for i in range(f.n_out()):
            buf.set_res(i, views[f.n_in() + i])
        calls.append((call, (buf, f, views)))
    return calls, out


@njit(cache=True, nogil=True)
def hand_wide_sum(x):
    """f = sum_i sin(x_i x_{i+1}) as a straight loop (the wide-sum workload by hand)."""
    f = 0.0
    for i in range(x.shape[0] - 1):
        f += np.sin(x[i] * x[i + 1])
    return f


@njit(cache=True, nogil=True)
def hand_wide_sum_value_and_gradient(x, grad):
    """Value of the wide sum, and its gradient written into ``grad``, by hand (one pass)."""
    f = 0.0
    for i in range(x.shape[0]):
        grad[i] = 0.0
    for i in range(x.shape[0] - 1):
        p = x[i] * x[i + 1]
        f += np.sin(p)
        c = np.cos(p)
        grad[i] += c * x[i + 1]
        grad[i + 1] += c * x[i]
    return f


def toy_data(n_points):
    """The toy model workload's data (x_i, y_i), drawn as ``workloads.toy_model`` draws them."""
    rng = np.random.default_rng(7)
    xd = rng.uniform(-1.0, 1.0, n_points)
    return xd, rng.uniform(-1.0, 1.0, n_points)


@njit(cache=True, nogil=True)
def hand_toy_loss(phi, xd, yd):
    """The toy model's least-squares loss (workload ``toy_model``) as a straight loop."""
    b0, w0, b1, w1, b2, w2, b3, w3 = phi[0], phi[1], phi[2], phi[3], phi[4], phi[5], phi[6], phi[7]
    loss = 0.0
    for i in range(xd.shape[0]):
        r = b3 + w3 * np.cos(b2 + w2 * np.exp(b1 + w1 * np.sin(b0 + w0 * xd[i]))) - yd[i]
        loss += r * r
    return loss


@njit(cache=True, nogil=True)
def hand_toy_loss_value_and_gradient(phi, xd, yd, grad):
    """The toy loss and its gradient in ``grad`` (8,), by hand: reverse mode per example."""
    b0, w0, b1, w1, b2, w2, b3, w3 = phi[0], phi[1], phi[2], phi[3], phi[4], phi[5], phi[6], phi[7]
    for k in range(8):
        grad[k] = 0.0
    loss = 0.0
    for i in range(xd.shape[0]):
        s1 = b0 + w0 * xd[i]
        a1 = np.sin(s1)
        s2 = b1 + w1 * a1
        a2 = np.exp(s2)
        s3 = b2 + w2 * a2
        a3 = np.cos(s3)
        r = b3 + w3 * a3 - yd[i]
        loss += r * r
        dr = 2.0 * r
        grad[6] += dr
        grad[7] += dr * a3
        ds3 = -np.sin(s3) * (dr * w3)
        grad[4] += ds3
        grad[5] += ds3 * a2
        ds2 = a2 * (ds3 * w2)
        grad[2] += ds2
        grad[3] += ds2 * a1
        ds1 = np.cos(s1) * (ds2 * w1)
        grad[0] += ds1
        grad[1] += ds1 * xd[i]
    return loss
