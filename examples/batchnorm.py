"""The batch-normalization computational graph of the lecture notes, from scalar nodes.

One unit over a batch of m examples x^(1) ... x^(m) (lecture 7, "Batch normalization
computational graph"):

    mu = (1/m) sum_j x^(j)               sigma^2 = (1/m) sum_j (x^(j) - mu)^2
    a^(j) = x^(j) - mu                   e^(j) = sigma^2 + eps
    c^(j) = sqrt(e^(j))                  b^(j) = 1 / c^(j)
    xhat^(j) = a^(j) b^(j)               y^(j) = gamma xhat^(j) + beta

The layers above are summed up by their upstream gradients g_j = dl/dy^(j) (the loss
l = sum_j g_j y^(j) has exactly these). The tape's adjoint of every node of this graph is
checked against the closed-form expressions the notes derive by backpropagating by hand:

    dl/dbeta = sum_j dl/dy^(j)              dl/dgamma = sum_j dl/dy^(j) xhat^(j)
    dl/dxhat^(j) = dl/dy^(j) gamma          dl/da^(j) = dl/dxhat^(j) / sqrt(sigma^2 + eps)
    dl/db^(j) = (x^(j) - mu) dl/dxhat^(j)   dl/dc^(j) = -(x^(j) - mu) dl/dxhat^(j) / (sigma^2 + eps)
    dl/de^(j) = -1/2 (sigma^2 + eps)^(-3/2) (x^(j) - mu) dl/dxhat^(j)
    dl/dsigma^2 = sum_j dl/de^(j)
    dl/dmu = -(1 / sqrt(sigma^2 + eps)) sum_j dl/dxhat^(j) - (2/m) sum_j (x^(j) - mu) dl/dsigma^2
    dl/dx^(j) = dl/dxhat^(j) / sqrt(sigma^2 + eps) + 2 (x^(j) - mu)/m dl/dsigma^2 + (1/m) dl/dmu

Run: python examples/batchnorm.py [--quick] [--out DIR] [--no-plot]
"""

import os
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import scalargraph as sg  # noqa: E402
from _common import parse_args, draw  # noqa: E402

EPS = 1e-5


def build(g):
    """The notes' graph for len(g) examples; returns (tape, dict of named nodes).

    The variance is computed from its own x^(j) - mu nodes, as the notes' graph does (sigma^2
    is a function of x and mu), so a^(j) feeds only xhat^(j).
    """
    m = len(g)
    with sg.Graph():
        x = [sg.var(f"x{j + 1}") for j in range(m)]
        gamma, beta = sg.var("gamma"), sg.var("beta")
        mu = sum(x[1:], x[0]) / m
        var = sum((sg.square(xj - mu) for xj in x[1:]), sg.square(x[0] - mu)) / m
        a = [xj - mu for xj in x]
        e = [var + EPS for _ in range(m)]
        c = [sg.sqrt(ej) for ej in e]
        b = [1.0 / cj for cj in c]
        xhat = [aj * bj for aj, bj in zip(a, b)]
        y = [gamma * xh + beta for xh in xhat]
        loss = sum((gj * yj for gj, yj in zip(g[1:], y[1:])), g[0] * y[0])
        tape = sg.compile(x + [gamma, beta], [loss])
    nodes = dict(x=x, gamma=gamma, beta=beta, mu=mu, var=var, a=a, e=e, c=c, b=b, xhat=xhat, y=y)
    return tape, nodes


def mu_of(x):
    return x.mean()


def notes_formulas(x, gamma, g):
    """The notes' closed-form gradients, evaluated with NumPy."""
    m = len(x)
    mu = x.mean()
    var = np.mean((x - mu) ** 2)
    s = np.sqrt(var + EPS)
    xhat = (x - mu) / s
    d_xhat = g * gamma
    d_e = -0.5 * (var + EPS) ** -1.5 * (x - mu) * d_xhat
    d_var = d_e.sum()
    d_mu = -d_xhat.sum() / s - 2.0 / m * np.sum(x - mu) * d_var
    return dict(
        beta=g.sum(), gamma=np.sum(g * xhat), xhat=d_xhat, a=d_xhat / s, b=(x - mu) * d_xhat,
        c=-(x - mu) * d_xhat / (var + EPS), e=d_e, var=d_var, mu=d_mu,
        x=d_xhat / s + 2 * (x - mu) / m * d_var + d_mu / m,
        # the usual compact form of the last line
        x_compact=gamma / (m * s) * (m * g - g.sum() - xhat * np.sum(g * xhat)),
    )


def main(argv=None):
    args = parse_args(__doc__.splitlines()[0], argv)
    m = 4 if args.quick else 8
    rng = np.random.default_rng(0)
    x = 2.0 + 3.0 * rng.standard_normal(m)
    gamma, beta = 1.5, -0.5
    g = rng.standard_normal(m)

    tape, nodes = build(g)
    point = np.concatenate([x, [gamma, beta]])
    adj = tape.adjoints(point)
    val = tape.values(point)
    ref = notes_formulas(x, gamma, g)

    def tape_of(name):
        n = nodes[name]
        return np.array([adj[tape.index(k)] for k in n]) if isinstance(n, list) else adj[tape.index(n)]

    print(f"Batch normalization of one unit over a batch of m = {m} (lecture notes' graph), "
          f"eps = {EPS:g}")
    print(f"x = {np.round(x, 3).tolist()}, gamma = {gamma}, beta = {beta}")
    y_at = [tape.index(n) for n in nodes["y"]]
    print(f"y = gamma xhat + beta = {np.round(val[y_at], 4).tolist()} "
          f"(mean {val[y_at].mean():.4f} = beta, std {val[y_at].std():.4f} ~ gamma)")
    print(f"upstream gradients dl/dy = {np.round(g, 3).tolist()}\n")
    print(f"  {'gradient':14} {'tape.adjoints':>16} {'notes formula':>16} {'max rel. diff':>14}"
          f"   (for per-example nodes: j = 1 shown, max over j)")
    worst = 0.0
    rows = [("beta", "dl/dbeta"), ("gamma", "dl/dgamma"), ("xhat", "dl/dxhat^(j)"),
            ("a", "dl/da^(j)"), ("b", "dl/db^(j)"), ("c", "dl/dc^(j)"), ("e", "dl/de^(j)"),
            ("var", "dl/dsigma^2"), ("mu", "dl/dmu"), ("x", "dl/dx^(j)")]
    for key, label in rows:
        t = tape_of(key)
        r = ref[key]
        scale = max(np.max(np.abs(r)), 1e-300)
        diff = float(np.max(np.abs(np.asarray(t) - r)) / scale)
        worst = max(worst, diff)
        show_t, show_r = np.ravel(t)[0], np.ravel(r)[0]
        print(f"  {label:14} {show_t:16.9g} {show_r:16.9g} {diff:14.1e}")
    compact = float(np.max(np.abs(tape_of("x") - ref["x_compact"])) / np.max(np.abs(ref["x_compact"])))
    print(f"\n  dl/dx^(j) in the compact form gamma/(m sqrt(sigma^2+eps)) (m g_j - sum g - xhat_j "
          f"sum g xhat): max rel. diff {compact:.1e}")
    grad = tape.gradient(point)
    second = 2.0 / m * np.sum(x - mu_of(x)) * ref["var"]
    print(f"  the second term of dl/dmu, (2/m) sum_j (x^(j) - mu) dl/dsigma^2, is {second:.1e}: "
          "sum_j (x^(j) - mu) = 0, which is why the notes' second version drops it")
    print(f"  sum_j dl/dx^(j) = {grad[:m].sum():.1e}: shifting the whole batch does not move the "
          "normalized output")
    print(f"  tape.gradient: dl/dx = {np.round(grad[:m], 5).tolist()}, dl/dgamma = "
          f"{grad[m]:.5f}, dl/dbeta = {grad[m + 1]:.5f}")

    if args.plot:
        small_g = g[:3]
        small, named = build(small_g)
        labels = {named["mu"]: "mu", named["var"]: "sigma^2"}
        for key in ("a", "e", "c", "b", "xhat", "y"):
            for j, node in enumerate(named[key]):
                labels[node] = f"{key}{j + 1}"
        draw(small, args, "batchnorm_graph.png", np.concatenate([x[:3], [gamma, beta]]),
             labels=labels, title="batch normalization, m = 3 (lecture notes)")
    return dict(max_relative_error=worst, compact_error=compact, sum_dl_dx=float(grad[:m].sum()),
                m=m)


if __name__ == "__main__":
    main()
