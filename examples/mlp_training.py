"""Prince figure 7.8 without PyTorch: a two-hidden-layer ReLU network built from scalar nodes.

The figure's recipe, step for step: D_i, D_k, D_o = 10, 40, 5; two hidden layers with ReLU;
He initialization (``kaiming_normal_``: weights N(0, 2 / fan_in), biases 0); least squares
(``MSELoss``: the mean over the batch and the outputs); SGD with learning rate 0.1 and momentum
0.9; the learning rate halved every 10 epochs (``StepLR(step_size=10, gamma=0.5)``); 100
random points x ~ N(0, 1), y ~ N(0, 1) in shuffled batches of 10; 100 epochs, printing the
sum of the batch losses of each epoch.

The network for one batch is recorded once, as scalar nodes (``W @ h`` on NumPy object arrays,
``sg.relu`` elementwise), with the parameters and the batch's data as the tape's inputs; each
SGD step is one ``tape.value_and_gradient`` call. The tape's gradient is checked once against
the backpropagation equations 7.23-7.25 written in NumPy.

Run: python examples/mlp_training.py [--quick] [--out DIR] [--no-plot]
"""

import os
import sys
import time

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import scalargraph as sg  # noqa: E402
from _common import parse_args, pyplot, save  # noqa: E402


def variables(shape, prefix):
    """An object array of new variables, named prefix[i,j]."""
    out = np.empty(shape, dtype=object)
    for idx in np.ndindex(*shape):
        out[idx] = sg.var(f"{prefix}[{','.join(map(str, idx))}]")
    return out


def build(D_i, D_k, D_o, batch):
    """Tape of the batch loss; inputs: parameters (W1 b1 W2 b2 W3 b3, row-major), X, Y."""
    with sg.Graph():
        shapes = [(D_k, D_i), (D_k,), (D_k, D_k), (D_k,), (D_o, D_k), (D_o,)]
        params = [variables(s, name) for s, name in zip(shapes, ["W1", "b1", "W2", "b2", "W3", "b3"])]
        W1, b1, W2, b2, W3, b3 = params
        X = variables((batch, D_i), "x")
        Y = variables((batch, D_o), "y")
        total = None
        for j in range(batch):
            h1 = sg.relu(W1 @ X[j] + b1)
            h2 = sg.relu(W2 @ h1 + b2)
            pred = W3 @ h2 + b3
            sq = np.sum((pred - Y[j]) ** 2)
            total = sq if total is None else total + sq
        loss = total / (batch * D_o)  # MSELoss: mean over batch and outputs
        inputs = [n for p in params for n in p.ravel()] + list(X.ravel()) + list(Y.ravel())
        return sg.compile(inputs, [loss]), shapes


def he_init(shapes, rng):
    """kaiming_normal_ on each weight (std sqrt(2 / fan_in)), zero biases; one flat vector."""
    parts = []
    for s in shapes:
        parts.append(rng.standard_normal(s).ravel() * np.sqrt(2.0 / s[1]) if len(s) == 2
                     else np.zeros(s))
    return np.concatenate(parts)


def unflatten(p, shapes):
    out, k = [], 0
    for s in shapes:
        n = int(np.prod(s))
        out.append(p[k:k + n].reshape(s))
        k += n
    return out


def backprop_numpy(p, shapes, X, Y):
    """Loss and gradient by Prince eqs. 7.23-7.25, summed over the batch, in NumPy."""
    W1, b1, W2, b2, W3, b3 = unflatten(p, shapes)
    B, D_o = Y.shape
    f0 = X @ W1.T + b1               # 7.23, one row per example
    h1 = np.maximum(f0, 0)
    f1 = h1 @ W2.T + b2
    h2 = np.maximum(f1, 0)
    f2 = h2 @ W3.T + b3
    loss = np.sum((f2 - Y) ** 2) / (B * D_o)
    d2 = 2 * (f2 - Y) / (B * D_o)    # dl/df_K of the mean squared error
    d1 = (f1 > 0) * (d2 @ W3)        # 7.24: I[f_{k-1} > 0] * (Omega_k^T dl/df_k)
    d0 = (f0 > 0) * (d1 @ W2)
    grads = [d0.T @ X, d0.sum(0), d1.T @ h1, d1.sum(0), d2.T @ h2, d2.sum(0)]  # 7.24-7.25
    return loss, np.concatenate([g.ravel() for g in grads])


def main(argv=None):
    args = parse_args(__doc__.splitlines()[0], argv)
    if args.quick:
        D_i, D_k, D_o, n_data, batch, epochs = 10, 8, 5, 20, 10, 3
    else:
        D_i, D_k, D_o, n_data, batch, epochs = 10, 40, 5, 100, 10, 100
    rng = np.random.default_rng(0)
    t0 = time.perf_counter()
    tape, shapes = build(D_i, D_k, D_o, batch)
    t_build = time.perf_counter() - t0
    n_params = sum(int(np.prod(s)) for s in shapes)
    print("Prince figure 7.8: two hidden ReLU layers, He init, MSE, SGD + momentum, StepLR")
    print(f"D_i, D_k, D_o = {D_i}, {D_k}, {D_o}: {n_params} parameters; the loss of a batch of "
          f"{batch} is a tape of {tape.n_nodes} scalar nodes (built and compiled in {t_build:.2f} s)")

    x = rng.standard_normal((n_data, D_i))
    y = rng.standard_normal((n_data, D_o))
    p = he_init(shapes, rng)

    # Check once: the tape against the textbook's backward pass.
    value, grad = tape.value_and_gradient(np.concatenate([p, x[:batch].ravel(), y[:batch].ravel()]))
    ref_value, ref_grad = backprop_numpy(p, shapes, x[:batch], y[:batch])
    grad_err = float(np.max(np.abs(grad[:n_params] - ref_grad)) / np.max(np.abs(ref_grad)))
    print(f"gradient check on the first batch: loss {value:.6f} (NumPy {ref_value:.6f}); "
          f"max |tape - eqs. 7.23-7.25| / max |gradient| = {grad_err:.1e}\n")

    lr0, momentum = 0.1, 0.9
    buf = np.zeros(n_params)
    losses = []
    t0 = time.perf_counter()
    for epoch in range(epochs):
        lr = lr0 * 0.5 ** (epoch // 10)  # StepLR(step_size=10, gamma=0.5)
        order = rng.permutation(n_data)
        epoch_loss = 0.0
        for k in range(0, n_data, batch):
            idx = order[k:k + batch]
            value, grad = tape.value_and_gradient(
                np.concatenate([p, x[idx].ravel(), y[idx].ravel()]))
            buf = momentum * buf + grad[:n_params]  # torch.optim.SGD momentum (dampening 0)
            p = p - lr * buf
            epoch_loss += value
        losses.append(epoch_loss)
        if epoch < 3 or epoch % 10 == 9 or epoch == epochs - 1:
            print(f"Epoch {epoch:5d}, loss {epoch_loss:.3f}   (learning rate {lr:g})")
    seconds = time.perf_counter() - t0
    steps = epochs * (n_data // batch)
    print(f"\n{steps} SGD steps in {seconds:.2f} s ({seconds / steps * 1e3:.2f} ms per step: "
          f"one forward + one reverse sweep over {tape.n_nodes} nodes)")
    print(f"loss per epoch fell from {losses[0]:.3f} to {losses[-1]:.3f}")

    if args.plot:
        plt = pyplot()
        if plt is not None:
            fig, ax = plt.subplots(figsize=(6, 3.6))
            ax.semilogy(np.arange(epochs), losses)
            for e in range(10, epochs, 10):
                ax.axvline(e, color="gray", lw=0.5, ls=":")
            ax.set_xlabel("epoch (dotted: learning rate halved)")
            ax.set_ylabel("sum of batch losses")
            ax.set_title("Prince fig. 7.8 network, trained on scalar nodes")
            save(fig, args, "mlp_training_loss.png")
    return dict(losses=losses, gradient_error=grad_err, n_nodes=tape.n_nodes,
                seconds_per_step=seconds / steps)


if __name__ == "__main__":
    main()
