"""Numbers from the books: every expected value here is a closed form or a worked example.

Prince, *Understanding Deep Learning* ch. 7 (toy model eqs. 7.5-7.7, problem 7.1, the Domke
graph of problems 7.12-7.13), the lecture notes (gates, softplus, converging paths) and the
staged-computation worksheet. Each derivative is checked in reverse mode and forward mode.
"""

import math

import numpy as np
import pytest

import scalargraph as sg

CLOSED_FORM_RTOL = 1e-14  # the engine and the closed form multiply in different orders


def both_modes(tape, x):
    """Gradient of the single output by reverse mode, checked against forward mode."""
    reverse = tape.gradient(x)
    np.testing.assert_allclose(tape.jacobian(x, mode="forward")[0], reverse,
                               rtol=CLOSED_FORM_RTOL, atol=0)
    return reverse


# ---- Domke graph: Prince problems 7.12 (reverse) and 7.13 (forward) -------------------------
DOMKE_POINTS = [-2.0, -0.5, 0.0, 0.3, 1.0]


@pytest.fixture
def domke():
    x = sg.var("x")
    f1 = sg.exp(x)
    f2 = f1 ** 2
    f3 = f1 + f2
    f4 = sg.exp(f3)
    f5 = sg.sin(f3)
    y = f4 + f5
    return sg.compile([x], [y]), (x, f1, f2, f3, f4, f5, y)


@pytest.mark.parametrize("x", DOMKE_POINTS)
def test_domke_value_and_derivative_match_closed_form(domke, x):
    # y = exp(e^x + e^2x) + sin(e^x + e^2x), eq. 7.42
    tape, _ = domke
    u = math.exp(x) + math.exp(2 * x)
    assert tape([x])[0] == pytest.approx(math.exp(u) + math.sin(u), rel=CLOSED_FORM_RTOL)
    dydx = (math.exp(u) + math.cos(u)) * (math.exp(x) + 2 * math.exp(2 * x))
    assert both_modes(tape, [x])[0] == pytest.approx(dydx, rel=CLOSED_FORM_RTOL)
    assert tape.jvp([x], [1.0])[0] == pytest.approx(dydx, rel=CLOSED_FORM_RTOL)
    assert tape.vjp([x], [1.0])[0] == pytest.approx(dydx, rel=CLOSED_FORM_RTOL)


@pytest.mark.parametrize("x", DOMKE_POINTS)
def test_domke_reverse_mode_intermediates_problem_7_12(domke, x):
    # dy/df5, dy/df4, dy/df3, dy/df2, dy/df1, dy/dx in that order, each from the previous.
    tape, (xn, f1n, f2n, f3n, f4n, f5n, yn) = domke
    f1 = math.exp(x)
    f3 = f1 + f1 ** 2
    dy_df5 = 1.0
    dy_df4 = 1.0
    dy_df3 = dy_df4 * math.exp(f3) + dy_df5 * math.cos(f3)
    dy_df2 = dy_df3 * 1.0
    dy_df1 = dy_df3 * 1.0 + dy_df2 * 2 * f1   # two children: f3 directly and through f2
    dy_dx = dy_df1 * f1
    adjoints = tape.adjoints([x])
    got = [adjoints[tape.index(n)] for n in (yn, f5n, f4n, f3n, f2n, f1n, xn)]
    expected = [1.0, dy_df5, dy_df4, dy_df3, dy_df2, dy_df1, dy_dx]
    np.testing.assert_allclose(got, expected, rtol=CLOSED_FORM_RTOL)


@pytest.mark.parametrize("x", DOMKE_POINTS)
def test_domke_forward_mode_intermediates_problem_7_13(domke, x):
    # df1/dx, df2/dx, df3/dx, df4/dx, df5/dx, dy/dx in that order.
    tape, (xn, f1n, f2n, f3n, f4n, f5n, yn) = domke
    f1 = math.exp(x)
    f2 = f1 ** 2
    f3 = f1 + f2
    df1 = f1
    df2 = 2 * f1 * df1
    df3 = df1 + df2
    df4 = math.exp(f3) * df3
    df5 = math.cos(f3) * df3
    dy = df4 + df5
    tangents = tape.tangents([x], [1.0])
    got = [tangents[tape.index(n)] for n in (xn, f1n, f2n, f3n, f4n, f5n, yn)]
    np.testing.assert_allclose(got, [1.0, df1, df2, df3, df4, df5, dy], rtol=CLOSED_FORM_RTOL)
    values = tape.values([x])
    got = [values[tape.index(n)] for n in (f1n, f2n, f3n, f4n, f5n)]
    np.testing.assert_allclose(got, [f1, f2, f3, math.exp(f3), math.sin(f3)],
                               rtol=CLOSED_FORM_RTOL)


# ---- Toy model, Prince eq. 7.5, least-squares loss 7.6 --------------------------------------
TOY_CASES = [
    # (beta0..beta3, omega0..omega3, x_i, y_i)
    ((0.3, -0.2, 0.5, 1.0), (1.2, -0.7, 0.4, 2.0), 0.8, 1.5),
    ((-1.0, 0.4, -0.3, 0.2), (0.5, 1.1, -0.9, -1.3), -1.7, -0.4),
    ((0.0, 0.0, 0.0, 0.0), (1.0, 1.0, 1.0, 1.0), 2.0, 0.0),
]


@pytest.mark.parametrize("beta, omega, xi, yi", TOY_CASES)
def test_toy_model_all_eight_parameter_derivatives(beta, omega, xi, yi):
    b = [sg.var(f"beta{k}") for k in range(4)]
    w = [sg.var(f"omega{k}") for k in range(4)]
    f = b[3] + w[3] * sg.cos(b[2] + w[2] * sg.exp(b[1] + w[1] * sg.sin(b[0] + w[0] * xi)))
    loss = (f - yi) ** 2
    tape = sg.compile(b + w, [loss])
    point = list(beta) + list(omega)
    gradient = both_modes(tape, point)

    b0, b1, b2, b3 = beta
    w0, w1, w2, w3 = omega
    f0 = b0 + w0 * xi          # pre-activations and activations of Prince eq. 7.11
    h1 = math.sin(f0)
    f1 = b1 + w1 * h1
    h2 = math.exp(f1)
    f2 = b2 + w2 * h2
    h3 = math.cos(f2)
    f3 = b3 + w3 * h3
    assert tape(point)[0] == pytest.approx((f3 - yi) ** 2, rel=CLOSED_FORM_RTOL)
    # Eq. 7.7 for omega0, exactly as printed:
    d_omega0 = (-2 * (b3 + w3 * math.cos(b2 + w2 * math.exp(b1 + w1 * math.sin(b0 + w0 * xi)))
                      - yi)
                * w1 * w2 * w3 * xi * math.cos(b0 + w0 * xi)
                * math.exp(b1 + w1 * math.sin(b0 + w0 * xi))
                * math.sin(b2 + w2 * math.exp(b1 + w1 * math.sin(b0 + w0 * xi))))
    # The others by the same chain rule, by hand: dl/df3 = 2 (f3 - y), then inward.
    dl_df3 = 2 * (f3 - yi)
    dl_df2 = dl_df3 * w3 * -math.sin(f2)
    dl_df1 = dl_df2 * w2 * h2
    dl_df0 = dl_df1 * w1 * math.cos(f0)
    expected = {
        "beta0": dl_df0, "beta1": dl_df1, "beta2": dl_df2, "beta3": dl_df3,
        "omega0": d_omega0, "omega1": dl_df1 * h1, "omega2": dl_df2 * h2, "omega3": dl_df3 * h3,
    }
    assert list(tape.input_names) == list(expected)
    scale = max(abs(v) for v in expected.values())
    np.testing.assert_allclose(gradient, list(expected.values()), rtol=CLOSED_FORM_RTOL,
                               atol=CLOSED_FORM_RTOL * scale)
    assert gradient[4] == pytest.approx(dl_df0 * xi, rel=1e-14, abs=1e-14 * scale)


# ---- Worksheet: staged computation f = (x + y) z --------------------------------------------
def test_staged_computation_worksheet_numbers():
    x, y, z = sg.var("x"), sg.var("y"), sg.var("z")
    g = x + y
    f = g * z
    tape = sg.compile([x, y, z], [f])
    point = [-2.0, 5.0, -4.0]
    assert tape(point)[0] == -12.0
    assert tape.values(point)[tape.index(g)] == 3.0
    assert both_modes(tape, point).tolist() == [-4.0, -4.0, 3.0]
    adjoints = tape.adjoints(point)
    assert adjoints[tape.index(g)] == -4.0   # dfdg = z
    assert adjoints[tape.index(f)] == 1.0


# ---- Lecture notes: softplus, gates, converging paths ---------------------------------------
@pytest.mark.parametrize("x", [-30.0, -2.0, 0.0, 0.7, 3.0, 30.0])
def test_softplus_matches_its_analytic_derivative(x):
    # y = log(1 + exp(x)), dy/dx = exp(x) / (1 + exp(x)); built from b = exp(x), a = 1 + b
    # as in the lecture, and as the softplus op.
    xn = sg.var("x")
    b = sg.exp(xn)
    a = 1.0 + b
    y = sg.log(a)
    staged = sg.compile([xn], [y, sg.softplus(xn)])
    analytic = math.exp(x) / (1.0 + math.exp(x))
    jac = staged.jacobian([x], mode="reverse")
    np.testing.assert_allclose(jac[:, 0], [analytic, analytic], rtol=1e-15)
    np.testing.assert_allclose(staged([x]), [math.log(1.0 + math.exp(x)),  # as staged
                                             math.log1p(math.exp(x))], rtol=1e-15)
    adjoints = staged.adjoints([x], output=0)
    assert adjoints[staged.index(a)] == pytest.approx(1.0 / (1.0 + math.exp(x)), rel=1e-15)
    assert adjoints[staged.index(b)] == adjoints[staged.index(a)]   # dy/db = dy/da


def test_add_gate_distributes_mul_gate_switches_max_gate_routes():
    # f = 2 (x y + max(z, w)) at x = 3, y = -4, z = 2, w = -1: the add gate passes the
    # upstream 2 to both inputs, the mul gate swaps its inputs' values, the max gate sends
    # everything to the larger input.
    x, y, z, w = (sg.var(n) for n in "xyzw")
    f = 2.0 * (x * y + sg.maximum(z, w))
    tape = sg.compile([x, y, z, w], [f])
    point = [3.0, -4.0, 2.0, -1.0]
    assert tape(point)[0] == -20.0
    assert both_modes(tape, point).tolist() == [-8.0, 6.0, 2.0, 0.0]
    assert both_modes(tape, [3.0, -4.0, -1.0, 2.0]).tolist() == [-8.0, 6.0, 0.0, 2.0]


def test_two_paths_converging_on_one_node_add_their_contributions():
    # Law of total derivatives: L = q1 q2 with q1 = sin(x), q2 = x^2;
    # dL/dx = dL/dq1 dq1/dx + dL/dq2 dq2/dx = x^2 cos x + sin(x) 2x.
    x = sg.var("x")
    q1, q2 = sg.sin(x), x ** 2
    tape = sg.compile([x], [q1 * q2])
    for v in (-1.3, 0.0, 0.5, 2.0):
        expected = v ** 2 * math.cos(v) + math.sin(v) * 2 * v
        assert both_modes(tape, [v])[0] == pytest.approx(expected, rel=1e-15, abs=1e-300)
        adjoints = tape.adjoints([v])
        assert adjoints[tape.index(q1)] == v ** 2
        assert adjoints[tape.index(q2)] == math.sin(v)


# ---- Prince problem 7.1: two-layer ReLU network, 13 parameters ------------------------------
NAMES_7_1 = ["phi0", "phi1", "phi2", "theta01", "theta11", "theta02", "theta12",
             "psi01", "psi11", "psi21", "psi02", "psi12", "psi22"]


def _problem_7_1_by_hand(p, x):
    """dy/d(parameter) for eq. 7.34, differentiated directly (a'[z] = 1{z > 0}, fig. 7.6)."""
    step = lambda z: 1.0 if z > 0 else 0.0  # noqa: E731
    relu = lambda z: z if z > 0 else 0.0     # noqa: E731
    z1 = p["theta01"] + p["theta11"] * x
    z2 = p["theta02"] + p["theta12"] * x
    h1, h2 = relu(z1), relu(z2)
    g1 = p["psi01"] + p["psi11"] * h1 + p["psi21"] * h2
    g2 = p["psi02"] + p["psi12"] * h1 + p["psi22"] * h2
    y = p["phi0"] + p["phi1"] * relu(g1) + p["phi2"] * relu(g2)
    s1, s2 = p["phi1"] * step(g1), p["phi2"] * step(g2)
    d = {
        "phi0": 1.0, "phi1": relu(g1), "phi2": relu(g2),
        "psi01": s1, "psi11": s1 * h1, "psi21": s1 * h2,
        "psi02": s2, "psi12": s2 * h1, "psi22": s2 * h2,
        "theta01": (s1 * p["psi11"] + s2 * p["psi12"]) * step(z1),
        "theta02": (s1 * p["psi21"] + s2 * p["psi22"]) * step(z2),
    }
    d["theta11"] = d["theta01"] * x
    d["theta12"] = d["theta02"] * x
    return y, [d[n] for n in NAMES_7_1]


def _parameter_sets():
    rng = np.random.default_rng(71)
    sets = [(dict(zip(NAMES_7_1, rng.normal(size=13))), float(rng.normal())) for _ in range(6)]
    kink = dict(zip(NAMES_7_1, rng.normal(size=13)))
    kink.update(theta01=0.5, theta11=-0.5)  # first hidden unit exactly at 0 for x = 1
    sets.append((kink, 1.0))
    return sets


@pytest.mark.parametrize("params, x", _parameter_sets())
def test_problem_7_1_two_layer_relu_network_13_derivatives(params, x):
    p = {n: sg.var(n) for n in NAMES_7_1}
    a = sg.relu
    h1 = a(p["theta01"] + p["theta11"] * x)
    h2 = a(p["theta02"] + p["theta12"] * x)
    y = (p["phi0"] + p["phi1"] * a(p["psi01"] + p["psi11"] * h1 + p["psi21"] * h2)
         + p["phi2"] * a(p["psi02"] + p["psi12"] * h1 + p["psi22"] * h2))
    tape = sg.compile([p[n] for n in NAMES_7_1], [y])
    point = [params[n] for n in NAMES_7_1]
    value, expected = _problem_7_1_by_hand(params, x)
    assert tape(point)[0] == pytest.approx(value, rel=1e-15, abs=1e-15)
    np.testing.assert_allclose(both_modes(tape, point), expected, rtol=1e-15, atol=1e-15)
