"""The toy model of Prince section 7.3, fitted by SGD with gradients from the tape.

    f[x, phi] = beta3 + omega3 cos[beta2 + omega2 exp[beta1 + omega1 sin[beta0 + omega0 x]]]  (7.5)
    l_i = (f[x_i, phi] - y_i)^2                                                          (7.6)

First the gradient of one loss term l_i with respect to the eight parameters is taken from the
tape and checked against the textbook: d l_i / d omega0 against the closed form of eq. 7.7, and
all eight against the forward pass (7.8) and backward passes (7.10-7.15) written out by hand.
Then the model is fitted by stochastic gradient descent (mini-batches of 10, eq. 7.3) to
synthetic data drawn from known parameters plus noise; the loss per epoch is printed and
plotted, with the data and the fitted curve.

Run: python examples/toy_model.py [--quick] [--out DIR] [--no-plot]
"""

import math
import os
import sys
import time

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import scalargraph as sg  # noqa: E402
from _common import parse_args, pyplot, save  # noqa: E402

NAMES = ["beta0", "omega0", "beta1", "omega1", "beta2", "omega2", "beta3", "omega3"]
TRUE = np.array([0.5, 1.0, -0.5, 0.8, 0.2, 1.5, 0.3, 1.2])  # makes the synthetic data
NOISE = 0.05  # standard deviation of the noise on y: the loss cannot fall below NOISE^2


def model(x, phi):
    """Eq. 7.5 on nodes, numbers or arrays (sg functions fold numbers, map arrays)."""
    b0, w0, b1, w1, b2, w2, b3, w3 = phi
    return b3 + w3 * sg.cos(b2 + w2 * sg.exp(b1 + w1 * sg.sin(b0 + w0 * x)))


def loss_tape(batch):
    """Mean of eq. 7.6 over a batch; inputs: 8 parameters, then the batch's x, then its y."""
    with sg.Graph():
        phi = [sg.var(n) for n in NAMES]
        xs = [sg.var(f"x{i}") for i in range(batch)]
        ys = [sg.var(f"y{i}") for i in range(batch)]
        loss = sum((model(x, phi) - y) ** 2 for x, y in zip(xs, ys)) / batch
        return sg.compile(phi + xs + ys, [loss])


def textbook_gradient(x, y, phi):
    """d l_i / d phi by the forward pass 7.8 and the backward passes 7.10-7.15, by hand."""
    b0, w0, b1, w1, b2, w2, b3, w3 = phi
    f0 = b0 + w0 * x
    h1 = math.sin(f0)
    f1 = b1 + w1 * h1
    h2 = math.exp(f1)
    f2 = b2 + w2 * h2
    h3 = math.cos(f2)
    f3 = b3 + w3 * h3
    dl_df3 = 2 * (f3 - y)                                  # 7.10
    dl_dh3 = w3 * dl_df3                                   # 7.11
    dl_df2 = -math.sin(f2) * dl_dh3                        # 7.12
    dl_dh2 = w2 * dl_df2
    dl_df1 = math.exp(f1) * dl_dh2
    dl_dh1 = w1 * dl_df1
    dl_df0 = math.cos(f0) * dl_dh1
    # 7.13-7.15: d f_k / d beta_k = 1, d f_k / d omega_k = h_k (x for k = 0)
    return [dl_df0, x * dl_df0, dl_df1, h1 * dl_df1, dl_df2, h2 * dl_df2, dl_df3, h3 * dl_df3]


def eq_7_7(x, y, phi):
    """The closed form of d l_i / d omega0, eq. 7.7 as printed."""
    b0, w0, b1, w1, b2, w2, b3, w3 = phi
    inner = math.exp(b1 + w1 * math.sin(b0 + w0 * x))
    f = b3 + w3 * math.cos(b2 + w2 * inner)
    return (-2 * (f - y) * w1 * w2 * w3 * x * math.cos(b0 + w0 * x) * inner
            * math.sin(b2 + w2 * inner))


def check_gradient(phi, x, y):
    """Print the tape's gradient of one l_i next to the textbook's; return the largest error."""
    tape = loss_tape(1)
    grad = tape.gradient(np.concatenate([phi, [x], [y]]))[:8]
    hand = textbook_gradient(x, y, phi)
    print(f"Gradient of one loss term l_i at x_i = {x}, y_i = {y} (eq. 7.6):")
    print(f"  {'parameter':10} {'tape.gradient':>20} {'backprop by hand':>20}   (7.8, 7.10-7.15)")
    for name, g, h in zip(NAMES, grad, hand):
        print(f"  {name:10} {g:20.12g} {h:20.12g}")
    closed = eq_7_7(x, y, phi)
    print(f"  omega0 by the closed form of eq. 7.7: {closed:.12g} "
          f"(tape: {grad[1]:.12g}, relative difference {abs(grad[1] / closed - 1):.1e})\n")
    return float(np.max(np.abs(grad - hand) / np.maximum(1.0, np.abs(hand)))), float(grad[1]), closed


def fit(tape, xs, ys, phi, epochs, batch, lr, rng):
    """Plain SGD (eq. 7.3) on mini-batches; returns the fitted phi and the loss per epoch.

    ``losses[0]`` is the mean loss over all data at the start, ``losses[e]`` the mean of the
    batch losses during epoch e.
    """
    losses = [float(np.mean((model(xs, phi).astype(float) - ys) ** 2))]
    for _ in range(epochs):
        order = rng.permutation(len(xs))
        total = 0.0
        for k in range(0, len(xs) - batch + 1, batch):
            idx = order[k:k + batch]
            value, grad = tape.value_and_gradient(np.concatenate([phi, xs[idx], ys[idx]]))
            phi = phi - lr * grad[:8]
            total += value
        losses.append(total / (len(xs) // batch))
    return phi, losses


def main(argv=None):
    args = parse_args(__doc__.splitlines()[0], argv)
    rng = np.random.default_rng(0)
    n_data, epochs, batch, lr = (40, 20, 10, 0.05) if args.quick else (200, 200, 10, 0.05)

    print("Toy model, Prince section 7.3 (eq. 7.5), least squares (eq. 7.6)\n")
    phi0 = TRUE + 0.3 * rng.standard_normal(8)  # start: the true parameters, perturbed
    max_err, g_omega0, g_closed = check_gradient(phi0, x=1.3, y=0.7)

    xs = rng.uniform(-3, 3, n_data)
    ys = model(xs, TRUE).astype(float) + NOISE * rng.standard_normal(n_data)
    tape = loss_tape(batch)
    t0 = time.perf_counter()
    phi, losses = fit(tape, xs, ys, phi0, epochs, batch, lr, rng)
    seconds = time.perf_counter() - t0
    steps = epochs * (n_data // batch)
    print(f"SGD: {n_data} points, batches of {batch}, learning rate {lr}, {epochs} epochs "
          f"({steps} steps, {seconds:.2f} s, {seconds / steps * 1e6:.0f} µs per step)")
    for e in sorted({0, 1, 2, 5, 10, epochs // 2, epochs} & set(range(epochs + 1))):
        print(f"  epoch {e:4d}: mean loss {losses[e]:.5f}" + ("  (at the start)" if e == 0 else ""))
    print(f"  noise floor NOISE^2 = {NOISE ** 2:.5f}; loss fell from {losses[0]:.4f} to {losses[-1]:.5f}")
    print("  fitted:", ", ".join(f"{n} {v:.3f}" for n, v in zip(NAMES, phi)))
    print("  (beta1 and omega2 trade off: omega2 exp[beta1 + ...] = omega2 e^beta1 exp[...],"
          " so only the curve, not each parameter, is recovered)")

    if args.plot:
        plt = pyplot()
        if plt is not None:
            fig, (a, b) = plt.subplots(1, 2, figsize=(10, 3.6))
            a.semilogy(np.arange(epochs + 1), losses, label="mean loss per epoch")
            a.axhline(NOISE ** 2, color="gray", ls="--", label="noise floor")
            a.set_xlabel("epoch")
            a.set_ylabel("loss (eq. 7.6, mean)")
            a.set_title("SGD on the toy model (Prince eq. 7.5)")
            a.legend()
            grid = np.linspace(-3, 3, 300)
            b.plot(xs, ys, ".", color="gray", label="data")
            b.plot(grid, model(grid, TRUE).astype(float), "k--", label="true curve")
            b.plot(grid, model(grid, phi0).astype(float), color="tab:orange", label="start")
            b.plot(grid, model(grid, phi).astype(float), color="tab:blue", label="fitted")
            b.set_xlabel("x")
            b.set_ylabel("f[x, phi]")
            b.legend()
            save(fig, args, "toy_model_loss.png")
    return dict(max_gradient_error=max_err, omega0_tape=g_omega0, omega0_eq_7_7=g_closed,
                losses=losses, phi=phi, noise_floor=NOISE ** 2)


if __name__ == "__main__":
    main()
