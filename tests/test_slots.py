"""Work-vector slots (forward mode in O(live nodes) memory) and register forwarding.

Oracles: the full-storage sweeps (tangents through stored partials, the op-agnostic reverse
sweep) and the hand-written dual numbers of tests/reference.py.
"""

import numpy as np
import pytest

import scalargraph as sg
from scalargraph.kernels import forward as _kernels, sweeps as _sweeps
from reference import dual_evaluate
from strategies import random_tape


@pytest.mark.parametrize("seed", range(6))
def test_jvp_on_slots_equals_the_stored_tangent_sweep_bit_for_bit(seed):
    rng = np.random.default_rng(seed)
    tape, x = random_tape(rng, 4, 300, 3)
    v = rng.normal(size=4)
    full = tape.tangents(x, v)[tape.outputs]
    np.testing.assert_array_equal(tape.jvp(x, v), full)
    duals = dual_evaluate(tape, list(x), list(v))
    np.testing.assert_allclose(tape.jvp(x, v), [duals[i].derivative for i in tape.outputs],
                               rtol=1e-9, atol=1e-12)


def test_slots_are_reused_along_a_chain():
    x = sg.var("x")
    h = x
    for _ in range(2000):
        h = sg.sin(h) * 0.999 + 1e-5
    tape = sg.compile([x], [h])
    _, _, s_out, n_slots = tape._slot_tape()
    assert n_slots <= 3 and s_out.max() < n_slots
    h_value, h_tangent = 0.3, 1.0
    for _ in range(2000):
        h_value, h_tangent = np.sin(h_value) * 0.999 + 1e-5, np.cos(h_value) * 0.999 * h_tangent
    assert tape.jvp([0.3], [1.0])[0] == pytest.approx(h_tangent, rel=1e-12)


def test_slot_allocation_keeps_outputs_and_inputs_alive():
    a, b = sg.var("a"), sg.var("b")
    u = a * b
    outs = [u, sg.exp(u), a, u, sg.exp(u) + b]  # an input and a repeated node as outputs
    tape = sg.compile([a, b], outs)
    x, v = np.array([0.5, -1.5]), np.array([2.0, 3.0])
    np.testing.assert_array_equal(tape.jvp(x, v), tape.tangents(x, v)[tape.outputs])
    np.testing.assert_allclose(tape.jvp(x, v), tape.jacobian(x, mode="forward") @ v, rtol=1e-15)
    _, _, s_out, n_slots = tape._slot_tape()
    assert len(set(s_out[tape.outputs].tolist())) == len(set(tape.outputs.tolist()))


def test_reverse_forwarding_keeps_the_order_of_additions():
    # x * x and a chain through x: contributions to one node from the same child and from
    # the next node must add in the plain order; compare with an unforwarded sweep.
    x = sg.var("x")
    h = x
    for k in range(200):
        h = sg.tanh(h * h * 0.5 + sg.sin(h)) if k % 3 else sg.tanh(h) + 0.5 * h
    tape = sg.compile([x], [h])
    values = np.empty(tape.n_nodes)
    partials = np.empty((tape.n_nodes, 2))
    _kernels.forward_partials(tape.op, tape.arg0, tape.arg1, tape.consts, np.array([0.2]),
                              values, partials)
    plain = np.zeros(tape.n_nodes)
    plain[tape.outputs[0]] = 1.0
    for i in range(tape.n_nodes - 1, -1, -1):  # the textbook loop, in Python
        s = plain[i]
        if s == 0.0:
            continue
        for slot, parent in ((0, tape.arg0[i]), (1, tape.arg1[i])):
            if partials[i, slot] != 0.0:
                plain[parent] += partials[i, slot] * s
    forwarded = np.zeros(tape.n_nodes)
    forwarded[tape.outputs[0]] = 1.0
    _sweeps.reverse_adjoints(tape.arg0, tape.arg1, partials, forwarded)
    np.testing.assert_array_equal(forwarded, plain)
    np.testing.assert_array_equal(tape.adjoints([0.2]), plain)
    assert tape.gradient([0.2])[0] == plain[0]
    assert np.isfinite(plain[0]) and plain[0] != 0.0
