"""Prince figure 7.7 and the lecture's initialization experiments, on a network of scalar nodes.

Part 1, Prince fig. 7.7: a ReLU network with 50 hidden layers of D_h = 100 units, a
100-dimensional input x ~ N(0, 1), one output, target y = 0, least squares; biases 0 and
weights N(0, sigma^2) for sigma^2 in {0.001, 0.01, 0.02, 0.1, 1.0}. For each, the variance of
the hidden units h_k (forward pass) and of the gradients dl/df_k (backward pass) per layer,
on a log scale. He initialization, sigma^2 = 2 / D_h = 0.02 (eq. 7.31), keeps both flat; the
others change by the factor D_h sigma^2 / 2 per layer that eq. 7.30 predicts.

The network is recorded once, about 10^6 scalar nodes: Omega_k = sigma Z_k with Z_k fixed
standard normal matrices and sigma a tape input, so that one tape serves every sigma^2.
``tape.values`` and ``tape.adjoints`` give every node's value and gradient, and ``tape.index``
finds the layers in them.

Part 2, the lecture notes: 10 layers of 100 units on random data, weights 0.01 N(0, 1) (small),
N(0, 1) (large), Xavier N(0, 1 / n_in) and He N(0, 2 / n_in), with tanh and with ReLU: small
weights make the activations vanish, large ones explode (ReLU) or saturate (tanh), Xavier
suits tanh, and with ReLU only He keeps the activations alive at layer 10.

Run: python examples/initialization.py [--quick] [--out DIR] [--no-plot]
"""

import os
import sys
import time

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import scalargraph as sg  # noqa: E402
from _common import parse_args, pyplot, save, node_array  # noqa: E402

SIGMA2 = (0.001, 0.01, 0.02, 0.1, 1.0)  # Prince fig. 7.7


def log10_var(a):
    """log10 of the variance of ``a``, computed so that 1e-200 or 1e+200 values cannot under- or
    overflow (the variance itself may leave the float64 range at sigma^2 = 1)."""
    a = np.ravel(a)
    m = np.max(np.abs(a))
    if m == 0.0:
        return -np.inf
    return float(np.log10(np.var(a / m)) + 2 * np.log10(m))


def build_network(D, layers, act, rng, loss=True):
    """Record the scaled network; returns (tape, pre-activation nodes, activation nodes).

    f_0 = sigma Z_0 x, h_k = act(f_{k-1}), f_k = sigma Z_k h_k; with ``loss`` a last layer
    f_K = sigma Z_K h_K (one unit) and l = f_K^2 (target y = 0). Tape inputs: x, then sigma.
    """
    with sg.Graph():
        x = node_array([sg.var(f"x{i}") for i in range(D)])
        sigma = sg.var("sigma")
        f, h = [], []
        cur = x
        for k in range(layers):
            Z = rng.standard_normal((D, D))
            pre = node_array([sigma * n for n in Z @ cur])  # Omega_k = sigma Z_k, biases 0
            f.append(pre)
            cur = act(pre)
            h.append(cur)
        if loss:
            out = sigma * (rng.standard_normal(D) @ cur)
            output = out * out
        else:
            output = np.sum(cur)
        tape = sg.compile(list(x) + [sigma], [output])
    return tape, f, h


def positions(tape, layers_of_nodes):
    return [np.array([tape.index(n) for n in layer]) for layer in layers_of_nodes]


def prince_fig_7_7(D, layers, samples, rng):
    t0 = time.perf_counter()
    tape, f, h = build_network(D, layers, sg.relu, rng)
    built = time.perf_counter() - t0
    f_at, h_at = positions(tape, f), positions(tape, h)
    xs = rng.standard_normal((samples, D))
    result = {}
    t0 = time.perf_counter()
    for s2 in SIGMA2:
        vals, grads = [], []
        for x in xs:
            point = np.append(x, np.sqrt(s2))
            vals.append(tape.values(point))
            grads.append(tape.adjoints(point))
        vals, grads = np.array(vals), np.array(grads)
        fwd = [log10_var(vals[:, at]) for at in h_at]
        bwd = [log10_var(grads[:, at]) for at in f_at]
        result[s2] = (np.array(fwd), np.array(bwd))
    swept = time.perf_counter() - t0
    return tape, result, built, swept


def per_layer_factor(log_vars):
    """Geometric-mean change of the variance per layer, over the middle layers."""
    n = len(log_vars)
    a, b = n // 10, n - 1 - n // 10
    return 10 ** ((log_vars[b] - log_vars[a]) / (b - a))


def lecture_experiments(D, layers, n_points, rng):
    """Std of the activations per layer for the lecture's initializations."""
    X = rng.standard_normal((n_points, D))
    scales = {"small 0.01": 0.01, "large 1": 1.0, "Xavier 1/n_in": np.sqrt(1.0 / D),
              "He 2/n_in": np.sqrt(2.0 / D)}
    rows = {}
    for act_name, act in (("tanh", sg.tanh), ("relu", sg.relu)):
        tape, _, h = build_network(D, layers, act, np.random.default_rng(1), loss=False)
        h_at = positions(tape, h)
        for init, scale in scales.items():
            vals = np.array([tape.values(np.append(x, scale)) for x in X])
            stds = [float(np.std(vals[:, at])) for at in h_at]
            saturated = float(np.mean(np.abs(vals[:, h_at[-1]]) > 0.99)) if act_name == "tanh" else None
            rows[(act_name, init)] = (stds, saturated)
    return rows


def main(argv=None):
    args = parse_args(__doc__.splitlines()[0], argv)
    rng = np.random.default_rng(0)
    D, layers, samples = (20, 10, 2) if args.quick else (100, 50, 4)
    D2, layers2, n_points = (20, 4, 5) if args.quick else (100, 10, 50)

    print(f"Part 1, Prince fig. 7.7: {layers} hidden ReLU layers x {D} units, x ~ N(0, 1), y = 0")
    tape, result, built, swept = prince_fig_7_7(D, layers, samples, rng)
    print(f"one tape of {tape.n_nodes} scalar nodes, recorded and compiled in {built:.1f} s; "
          f"{len(SIGMA2) * samples} points x (values + adjoints) in {swept:.1f} s\n")
    print("log10 variance of the hidden units h_k (forward) and of dl/df_k (backward):")
    show = sorted({0, 1, layers // 4, layers // 2, 3 * layers // 4, layers - 1})
    print(f"  {'sigma^2':>8}  {'layer':>6} " + " ".join(f"{k + 1:>7d}" for k in show))
    for s2, (fwd, bwd) in result.items():
        tag = "  <- He, 2/D_h" if np.isclose(s2, 2 / D) else ""
        print(f"  {s2:8g}  {'h_k':>6} " + " ".join(f"{fwd[k]:7.1f}" for k in show) + tag)
        print(f"  {'':8}  {'dl/df_k':>6} " + " ".join(f"{bwd[k]:7.1f}" for k in show))
    print("\nvariance factor per layer, measured vs eq. 7.30 (D_h sigma^2 / 2):")
    print(f"  {'sigma^2':>8} {'forward':>10} {'backward':>10} {'eq. 7.30':>10}")
    factors = {}
    for s2, (fwd, bwd) in result.items():
        fw, bw = per_layer_factor(fwd), 1 / per_layer_factor(bwd)
        factors[s2] = (fw, bw, D * s2 / 2)
        print(f"  {s2:8g} {fw:10.3g} {bw:10.3g} {D * s2 / 2:10.3g}")
    print("  (backward: the factor by which dl/df_k grows per layer going back toward the input)")

    print(f"\nPart 2, lecture notes: {layers2} layers x {D2} units, {n_points} random inputs; "
          f"std of the activations per layer")
    rows = lecture_experiments(D2, layers2, n_points, rng)
    cols = sorted({0, 1, layers2 // 2, layers2 - 1})
    print(f"  {'activation':10} {'weights':14} " + " ".join(f"{'layer ' + str(k + 1):>10}" for k in cols))
    for (act, init), (stds, sat) in rows.items():
        extra = f"  ({100 * sat:.0f}% of units saturated, |h| > 0.99)" if sat is not None and sat > 0.05 else ""
        print(f"  {act:10} {init:14} " + " ".join(f"{stds[k]:10.3g}" for k in cols) + extra)
    print("  small weights: activations vanish; large: ReLU explodes, tanh saturates at +-1;")
    print("  Xavier keeps tanh healthy but halves ReLU's variance per layer; He keeps ReLU alive.")

    if args.plot:
        plt = pyplot()
        if plt is not None:
            fig, (a, b) = plt.subplots(1, 2, figsize=(11, 4))
            layers_axis = np.arange(1, layers + 1)
            for s2, (fwd, bwd) in result.items():
                label = f"σ² = {s2:g}" + (" (He)" if np.isclose(s2, 2 / D) else "")
                a.plot(layers_axis, fwd, label=label)
                b.plot(layers_axis, bwd, label=label)
            a.set_title("a) forward: variance of hidden units h_k")
            b.set_title("b) backward: variance of gradients ∂ℓ/∂f_k")
            for ax in (a, b):
                ax.set_xlabel("layer")
                ax.set_ylabel("log10 variance")
            a.legend(fontsize=8, loc="upper left")
            fig.suptitle(f"Prince fig. 7.7 on scalar nodes: {layers} ReLU layers × {D} units")
            save(fig, args, "initialization_fig7_7.png")
            fig, ax = plt.subplots(figsize=(6.5, 4))
            colors = dict(zip(["small 0.01", "large 1", "Xavier 1/n_in", "He 2/n_in"],
                              ["tab:blue", "tab:red", "tab:green", "tab:orange"]))
            for (act, init), (stds, _) in rows.items():
                ax.semilogy(np.arange(1, layers2 + 1), np.maximum(stds, 1e-300), color=colors[init],
                            ls="-" if act == "relu" else "--", label=f"{act}, {init}")
            ax.set_xlabel("layer")
            ax.set_ylabel("std of activations")
            ax.set_title("Lecture notes: initialization and activation")
            ax.legend(fontsize=7, ncol=2)
            save(fig, args, "initialization_lecture.png")
    return dict(factors=factors, result=result, lecture=rows, n_nodes=tape.n_nodes, D=D)


if __name__ == "__main__":
    main()
