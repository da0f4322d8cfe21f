"""Vanishing gradients as products of local derivatives (week-04 notes, "the problem of gradient flow").

The notes' network: the loss L = z1 depends on z2 and z3, both on z4, and below that a chain
z4 <- z5 <- ... <- zn, every unit z_k = tanh(w z_{k+1} + b). Then

    dL/dz_n = dL/dz1 dz1/dz2 dz2/dz4 dz4/dz5 ... dz_{n-1}/dz_n
            + dL/dz1 dz1/dz3 dz3/dz4 dz4/dz5 ... dz_{n-1}/dz_n,

a sum over the two paths of products of local derivatives dz_k/dz_{k+1} = tanh'(.) w =
(1 - tanh^2(.)) w, which are mostly smaller than 1 in magnitude. Products of such numbers
shrink geometrically (the notes: 0.5^10 ~ 0.001, 0.5^20 ~ 10^-6), so the gradient reaching
units far from the output vanishes.

The script builds this graph with the weights and biases as tape inputs, checks the tape's
gradient at every depth against the notes' sum of two products computed by hand, and
measures the gradient magnitude against depth over many random weight draws, for tanh and
for the logistic sigmoid (whose derivative is at most 1/4).

Run: python examples/vanishing.py [--quick] [--out DIR] [--no-plot]
"""

import os
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import scalargraph as sg  # noqa: E402
from _common import parse_args, pyplot, save  # noqa: E402

ACTIVATIONS = {
    "tanh": (sg.tanh, np.tanh, lambda z: 1 - np.tanh(z) ** 2),
    "sigmoid": (sg.sigmoid, lambda z: 1 / (1 + np.exp(-z)),
                lambda z: np.exp(-z) / (1 + np.exp(-z)) ** 2),
}


def build(n, act):
    """The notes' graph with units z1 ... zn; returns (tape, [z1 ... zn]).

    Tape inputs: zn, then w12 w13 w24 w34 b1 b2 b3, then w_k, b_k of the chain units
    z4 ... z_{n-1} (z_k = act(w_k z_{k+1} + b_k)).
    """
    with sg.Graph():
        zn = sg.var(f"z{n}")
        top = [sg.var(s) for s in ("w12", "w13", "w24", "w34", "b1", "b2", "b3")]
        chain = [(sg.var(f"w{k}"), sg.var(f"b{k}")) for k in range(n - 1, 3, -1)]
        z = {n: zn}
        for (w, b), k in zip(chain, range(n - 1, 3, -1)):
            z[k] = act(w * z[k + 1] + b)
        w12, w13, w24, w34, b1, b2, b3 = top
        z[2] = act(w24 * z[4] + b2)
        z[3] = act(w34 * z[4] + b3)
        z[1] = act(w12 * z[2] + w13 * z[3] + b1)
        inputs = [zn] + top + [v for pair in chain for v in pair]
        return sg.compile(inputs, [z[1]]), [z[k] for k in range(1, n + 1)]


def by_hand(point, n, act, dact):
    """dL/dz_k for k = 1..n by the notes' formula: sums over paths of local-derivative products."""
    zn, w12, w13, w24, w34, b1, b2, b3 = point[:8]
    chain = point[8:].reshape(-1, 2)  # (w_k, b_k) for k = n-1 ... 4
    z, pre = {n: zn}, {}
    for (w, b), k in zip(chain, range(n - 1, 3, -1)):
        pre[k] = w * z[k + 1] + b
        z[k] = act(pre[k])
    pre[2], pre[3] = w24 * z[4] + b2, w34 * z[4] + b3
    z[2], z[3] = act(pre[2]), act(pre[3])
    pre[1] = w12 * z[2] + w13 * z[3] + b1
    d = {1: 1.0}
    d[2] = dact(pre[1]) * w12                      # dL/dz1 dz1/dz2
    d[3] = dact(pre[1]) * w13
    d[4] = d[2] * dact(pre[2]) * w24 + d[3] * dact(pre[3]) * w34   # the two paths meet
    for (w, _), k in zip(chain[::-1], range(4, n)):
        d[k + 1] = d[k] * dact(pre[k]) * w          # one more factor per unit of depth
    return np.array([d[k] for k in range(1, n + 1)])


def main(argv=None):
    args = parse_args(__doc__.splitlines()[0], argv)
    n, trials = (10, 20) if args.quick else (30, 400)
    rng = np.random.default_rng(0)
    print("Week-04 notes: gradient flow through a tanh network with two paths at the top")
    print(f"units z1 ... z{n}; z1 = tanh(w12 z2 + w13 z3 + b1), z2 and z3 read z4, z_k reads z_(k+1)")
    print(f"weights w ~ N(0, 1), biases b ~ N(0, 0.1^2), input z{n} ~ N(0, 1); {trials} random draws\n")

    medians, worst_err, factor = {}, 0.0, {}
    for name, (sg_act, np_act, np_dact) in ACTIVATIONS.items():
        tape, z = build(n, sg_act)
        at = np.array([tape.index(node) for node in z])
        grads, hands = [], []
        for _ in range(trials):
            point = np.empty(tape.n_inputs)
            point[0] = rng.standard_normal()
            point[1:5] = rng.standard_normal(4)
            point[5:8] = 0.1 * rng.standard_normal(3)
            point[8::2] = rng.standard_normal(len(point[8::2]))
            point[9::2] = 0.1 * rng.standard_normal(len(point[9::2]))
            g = tape.adjoints(point)[at]
            h = by_hand(point, n, np_act, np_dact)
            worst_err = max(worst_err, float(np.max(np.abs(g - h) / np.maximum(np.abs(h), 1e-300))))
            grads.append(np.abs(g))
            hands.append(h)
        grads = np.array(grads)
        medians[name] = np.median(grads, axis=0)
        # Typical size of one factor tanh'(.) w down the chain: geometric mean over depth.
        ratio = grads[:, -1] / grads[:, 3]
        factor[name] = float(np.exp(np.median(np.log(ratio[ratio > 0])) / (n - 4)))
        if name == "tanh":
            example = (g, h)

    g, h = example
    print("one draw, dL/dz_k from tape.adjoints next to the notes' sum of path products:")
    print(f"  {'k':>3} {'tape':>13} {'by hand':>13}")
    for k in sorted({1, 2, 3, 4, 5, n // 2, n}):
        print(f"  {k:3d} {g[k - 1]:13.5e} {h[k - 1]:13.5e}")
    print(f"  largest relative difference over all draws, depths and both activations: {worst_err:.1e}\n")

    print("median |dL/dz_k| over the draws, against depth k:")
    print(f"  {'k':>3} {'tanh':>11} {'sigmoid':>11} {'0.5^k':>11} {'0.25^k':>11}")
    for k in sorted({1, 2, 4, 5, 10, 15, 20, n} & set(range(1, n + 1))):
        print(f"  {k:3d} {medians['tanh'][k - 1]:11.3e} {medians['sigmoid'][k - 1]:11.3e} "
              f"{0.5 ** k:11.3e} {0.25 ** k:11.3e}")
    print(f"  typical factor per unit of depth: tanh {factor['tanh']:.3f}, "
          f"sigmoid {factor['sigmoid']:.3f} (sigmoid' <= 0.25)")
    print("  the notes' arithmetic: 0.5^10 = {:.1e}, 0.5^20 = {:.1e}, 0.1^5 = {:.0e}, 0.1^10 = {:.0e}"
          .format(0.5 ** 10, 0.5 ** 20, 0.1 ** 5, 0.1 ** 10))

    if args.plot:
        plt = pyplot()
        if plt is not None:
            fig, ax = plt.subplots(figsize=(6.5, 4))
            k = np.arange(1, n + 1)
            ax.semilogy(k, medians["tanh"], "o-", ms=3, label="tanh chain (median |dL/dz_k|)")
            ax.semilogy(k, medians["sigmoid"], "s-", ms=3, label="sigmoid chain")
            ax.semilogy(k, 0.5 ** k, "k--", lw=0.8, label="0.5^k")
            ax.semilogy(k, 0.25 ** k, "k:", lw=0.8, label="0.25^k")
            ax.set_xlabel("depth k (distance from the loss)")
            ax.set_ylabel("|dL/dz_k|")
            ax.set_title("Week-04 notes: gradients vanish as products of local derivatives")
            ax.legend(fontsize=8)
            save(fig, args, "vanishing.png")
    return dict(max_relative_error=worst_err, medians=medians, factor=factor, n=n)


if __name__ == "__main__":
    main()
