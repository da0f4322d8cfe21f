"""The examples run (quick mode) and reproduce the textbook; pictures of graphs (export.py).

Each example's ``main(["--quick", ...])`` returns the numbers it printed; they are checked
against values from outside the engine: the textbook's chain rule, closed forms, the
worksheet's numbers, NumPy backpropagation, and eq. 7.30's variance factor.
"""

import importlib.util
import math
import os
import re
import subprocess
import sys

import numpy as np
import pytest

import scalargraph as sg
from scalargraph import export

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
EXAMPLES = os.path.join(ROOT, "examples")


def load(name):
    """Import examples/NAME.py as a module (examples/ is not a package)."""
    if EXAMPLES not in sys.path:
        sys.path.insert(0, EXAMPLES)
    spec = importlib.util.spec_from_file_location(f"example_{name}", os.path.join(EXAMPLES, f"{name}.py"))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def run(name, tmp_path, *extra):
    return load(name).main(["--quick", "--out", str(tmp_path), *extra])


# ---- examples ----------------------------------------------------------------------------

def domke_by_hand(x):
    """Prince 7.12-7.13 with the math module: forward values, reverse list, forward list."""
    f1 = math.exp(x)
    f2 = f1 * f1
    f3 = f1 + f2
    f4, f5 = math.exp(f3), math.sin(f3)
    dy_df3 = math.exp(f3) + math.cos(f3)
    reverse = [1.0, 1.0, dy_df3, dy_df3, dy_df3 * (1 + 2 * f1), dy_df3 * (1 + 2 * f1) * f1]
    d1 = f1
    d3 = d1 + 2 * f1 * d1
    forward = [d1, 2 * f1 * d1, d3, math.exp(f3) * d3, math.cos(f3) * d3,
               (math.exp(f3) + math.cos(f3)) * d3]
    return [f1, f2, f3, f4, f5, f4 + f5], reverse, forward


def test_domke_reproduces_problems_7_12_and_7_13(tmp_path, capsys):
    out = run("domke", tmp_path, "--no-plot")
    values, reverse, forward = domke_by_hand(1.0)
    np.testing.assert_allclose(out["values"], values, rtol=1e-14)
    np.testing.assert_allclose(out["reverse"], reverse, rtol=1e-14)   # dy/df5 ... dy/dx
    np.testing.assert_allclose(out["forward"], forward, rtol=1e-14)   # df1/dx ... dy/dx
    assert out["reverse"][-1] == pytest.approx(out["closed_form"], rel=1e-14)
    for row in out["many_inputs"]:
        assert row["agree"] <= 1e-12 * row["n"]   # forward-mode gradient == reverse-mode
    text = capsys.readouterr().out
    for needle in ("dy/df5", "dy/dx", "df1/dx", "Closed form", "reverse mode", "forward mode"):
        assert needle in text


def test_domke_script_runs_as_the_readme_says(tmp_path):
    env = dict(os.environ, PYTHONPATH=ROOT + os.pathsep + os.environ.get("PYTHONPATH", ""))
    proc = subprocess.run([sys.executable, os.path.join(EXAMPLES, "domke.py"), "--quick",
                           "--out", str(tmp_path)], capture_output=True, text=True, env=env,
                          timeout=120)
    assert proc.returncode == 0, proc.stderr
    exact = domke_by_hand(1.0)[1][-1]
    assert f"{exact:.15g}" in proc.stdout             # dy/dx at x = 1, to 15 digits
    assert not os.listdir(tmp_path)                   # --quick writes no picture


def test_staged_matches_the_worksheet(tmp_path):
    out = run("staged", tmp_path, "--no-plot")
    assert out["values"]["g"] == 3.0 and out["values"]["f"] == -12.0
    assert out["gradients"] == {"x": -4.0, "y": -4.0, "z": 3.0, "g": -4.0, "f": 1.0}


def test_staged_draws_its_graph(tmp_path, capsys):
    run("staged", tmp_path, "--plot")
    files = os.listdir(tmp_path)
    picture = "staged_graph.png" if export.dot_program() else "staged_graph.dot"
    assert sorted(files) == sorted([picture, "staged_explorer.html"])
    out = capsys.readouterr().out
    # it says where the drawing went; the DOT text is in the .dot file when there is one,
    # not dumped on the terminal after the table
    assert f"drawing written: {tmp_path / picture}" in out or "DOT text written" in out
    assert "digraph" not in out


def test_toy_model_gradient_matches_eq_7_7_and_training_descends(tmp_path):
    out = run("toy_model", tmp_path, "--no-plot")
    assert out["max_gradient_error"] < 1e-12
    assert out["omega0_tape"] == pytest.approx(out["omega0_eq_7_7"], rel=1e-12)
    assert out["losses"][-1] < 0.1 * out["losses"][0]


def test_toy_model_closed_form_is_the_books(tmp_path):
    toy = load("toy_model")
    phi = [1.0, 0.1, 2.0, -0.4, -3.0, 2.0, 0.4, 3.0]
    x, y = 2.3, 2.0
    h = 1e-6   # eq. 7.7 against a central difference of l = (f - y)^2 in omega0
    loss = lambda w0: (toy.model(x, phi[:1] + [w0] + phi[2:]) - y) ** 2  # noqa: E731
    assert toy.eq_7_7(x, y, phi) == pytest.approx((loss(0.1 + h) - loss(0.1 - h)) / (2 * h), rel=1e-6)


def test_toy_model_plot_is_written(tmp_path):
    pytest.importorskip("matplotlib")
    run("toy_model", tmp_path, "--plot")
    assert os.listdir(tmp_path) == ["toy_model_loss.png"]


def test_mlp_training_gradient_matches_numpy_backprop(tmp_path):
    out = run("mlp_training", tmp_path, "--no-plot")
    assert out["gradient_error"] < 1e-12
    assert out["losses"][-1] < out["losses"][0]


def test_initialization_variance_factor_follows_eq_7_30(tmp_path):
    out = run("initialization", tmp_path, "--no-plot")
    D = out["D"]
    for s2, (forward, backward, predicted) in out["factors"].items():
        assert predicted == pytest.approx(D * s2 / 2)
        assert 0.5 < forward / predicted < 2 and 0.5 < backward / predicted < 2
    he_forward, _ = out["result"][0.1]   # quick mode: D = 20, so He is 2 / D = 0.1
    assert np.ptp(he_forward) < 2        # flat: within two decades over all layers
    tanh_large = out["lecture"][("tanh", "large 1")][1]
    assert tanh_large > 0.3              # large weights saturate tanh
    relu_small = out["lecture"][("relu", "small 0.01")][0]
    assert relu_small[-1] < 1e-3 * relu_small[0]


def test_vanishing_gradient_is_the_product_of_local_derivatives(tmp_path):
    out = run("vanishing", tmp_path, "--no-plot")
    assert out["max_relative_error"] < 1e-9
    tanh = out["medians"]["tanh"]
    assert tanh[0] == 1.0 and tanh[-1] < 0.05
    assert out["medians"]["sigmoid"][-1] < 0.25 ** (out["n"] - 4)


def test_batchnorm_gradients_match_the_notes(tmp_path):
    out = run("batchnorm", tmp_path, "--no-plot")
    assert out["max_relative_error"] < 1e-12
    assert out["compact_error"] < 1e-12
    assert abs(out["sum_dl_dx"]) < 1e-12


def test_examples_say_when_matplotlib_is_missing(tmp_path, monkeypatch, capsys):
    load("staged")   # puts examples/ on sys.path
    import _common
    monkeypatch.setitem(sys.modules, "matplotlib", None)   # import matplotlib -> ImportError
    assert _common.pyplot() is None
    assert "plot skipped" in capsys.readouterr().out


# ---- export.py -----------------------------------------------------------------------------

def staged_tape():
    x, y, z = sg.var("x"), sg.var("y"), sg.var("z")
    g = x + y
    f = g * z
    return sg.compile([x, y, z], [f]), g, f


def node_lines(dot):
    return {m.group(1): m.group(2) for m in re.finditer(r"^\s*n(\d+) \[(.*)\];$", dot, re.M)}


def edges(dot):
    return re.findall(r"^\s*n(\d+) -> n(\d+)", dot, re.M)


def test_to_dot_boxes_edges_and_names():
    tape, g, f = staged_tape()
    dot = sg.to_dot(tape, labels={g: "g"})
    assert dot.startswith("digraph") and dot.rstrip().endswith("}")
    nodes = node_lines(dot)
    assert len(nodes) == tape.n_nodes == 5
    assert "<b>x</b>" in nodes["0"] and "<b>y</b>" in nodes["1"] and "<b>z</b>" in nodes["2"]
    assert "<b>g = +</b>" in nodes["3"] and "<b>×</b>" in nodes["4"]
    assert "peripheries=2" in nodes["4"]                       # the output
    assert sorted(edges(dot)) == [("0", "3"), ("1", "3"), ("2", "4"), ("3", "4")]
    assert "color=\"blue\"" not in dot                          # no x: no numbers
    assert tape.to_dot() == sg.to_dot(tape)


def test_to_dot_values_black_adjoints_blue_and_edge_labels():
    tape, g, f = staged_tape()
    dot = tape.to_dot([-2.0, 5.0, -4.0], partials=True, messages=True)
    nodes = node_lines(dot)
    assert '<font color="black">-12</font><br/><font color="blue">1</font>' in nodes["4"]
    assert '<font color="black">3</font><br/><font color="blue">-4</font>' in nodes["3"]
    assert '<font color="blue">3</font>' in nodes["2"]        # df/dz = g = 3
    # edge z -> f: z's value forward, message adjoint(f) * df/dz = 3 back, local partial g = 3
    edge = re.search(r"n2 -> n4 \[label=<(.*)>\]", dot).group(1)
    assert edge == ('<font color="black">-4</font><br/><font color="blue">3</font><br/>'
                    '<font color="#777777">∂ 3</font>')


def test_to_dot_labels_every_op_as_the_user_wrote_it():
    x, y = sg.var("x"), sg.var("y")
    parts = [getattr(sg, op.name)(x) for op in sg.ops.OPS if op.kind == sg.ops.UNARY
             and hasattr(sg, op.name)]
    parts += [x / y, x - y, x ** y, sg.maximum(x, y), 3.0 * x, sg.const(2.5) + x, 1 / x, x / 3]
    dot = sg.to_dot(parts)
    shown = set(re.findall(r"<b>([^<]+)</b>", dot))
    expected = {op.name for op in sg.ops.OPS if op.kind == sg.ops.UNARY and hasattr(sg, op.name)}
    assert expected | {"/", "−", "^", "maximum", "x × 3", "+", "2.5", "1 / x", "x / 3"} <= shown
    assert not shown & {"mul_const", "rdiv_const", "div_const", "const 2.5", "div", "sub"}


def test_to_dot_of_nodes_infers_inputs_and_takes_named_values():
    x = sg.var("x")
    unused = sg.var("unused")  # noqa: F841  (not an ancestor: not drawn)
    y = sg.exp(x) * x
    dot = sg.to_dot(y, {"x": 1.0})
    assert len(node_lines(dot)) == 3 and "unused" not in dot
    assert f'<font color="blue">{2 * math.e:.4g}</font>' in dot   # d(x e^x)/dx at 1 = 2e


def test_to_dot_of_a_node_array_and_special_values():
    x = sg.variables(2, "v")
    dot = sg.to_dot(sg.log(x), [0.0, -1.0])
    assert "<b>v0</b>" in dot and "<b>v1</b>" in dot
    nodes = node_lines(dot)
    # d log(v0) / d v0 at 0 passes log'(0) = inf: NaN (the derivative rule, kernels/reach.py)
    assert '<b>v0</b><br/><font color="black">0</font><br/><font color="blue">nan</font>' in nodes["0"]
    assert '<b>log</b><br/><font color="black">-inf</font>' in nodes["2"]      # log(0)
    assert '<b>log</b><br/><font color="black">nan</font>' in nodes["3"]       # log(-1)


def test_to_dot_bad_input():
    tape, g, f = staged_tape()
    with pytest.raises(ValueError, match="pass x="):
        tape.to_dot(values=True)
    with pytest.raises(TypeError, match="Tape or graph nodes"):
        sg.to_dot("f")
    with pytest.raises(ValueError, match="labels"):
        tape.to_dot(labels={99: "nope"})
    with pytest.raises(ValueError, match="no value for"):
        tape.to_dot({"x": 1.0})
    with pytest.raises(ValueError, match="expected 3 input"):
        tape.to_dot([1.0, 2.0])


def test_large_graphs_are_refused_or_summarized():
    x = sg.var("x")
    h = x
    for _ in range(300):
        h = sg.sin(h) * 0.5
    tape = sg.compile([x], [h])
    assert tape.n_nodes > export.MAX_NODES
    with pytest.raises(ValueError, match=r"601 nodes.*sin 300, mul_const 300.*large='summary'"):
        tape.to_dot()
    summary = tape.to_dot(large="summary")
    assert '"sin" [label="sin × 300"]' in summary
    assert '"sin" -> "mul_const" [label="300"]' in summary
    assert '"mul_const" -> "sin" [label="299"]' in summary
    assert len(node_lines(tape.to_dot(max_nodes=1000))) == 601


def test_draw_without_graphviz_says_how_to_install(tmp_path, monkeypatch):
    tape, g, f = staged_tape()
    monkeypatch.setattr(export.shutil, "which", lambda name: None)
    with pytest.raises(RuntimeError, match="apt-get install graphviz.*conda install graphviz"):
        sg.draw(tape, tmp_path / "g.svg")
    path = sg.draw(tape, tmp_path / "g.dot", [-2, 5, -4])   # DOT text needs no Graphviz
    with open(path, encoding="utf-8") as fh:
        assert fh.read() == tape.to_dot([-2, 5, -4])
    with pytest.raises(ValueError, match=r"\.svg, \.png"):
        sg.draw(tape, tmp_path / "g.jpg")


@pytest.mark.skipif(export.dot_program() is None, reason="Graphviz is not installed")
def test_draw_renders_svg(tmp_path):
    tape, g, f = staged_tape()
    path = sg.draw(tape, tmp_path / "g.svg", [-2, 5, -4], labels={g: "g"})
    with open(path, encoding="utf-8") as fh:
        svg = fh.read()
    assert "<svg" in svg and "g = +" in svg and "-12" in svg


@pytest.mark.parametrize("value,lo,hi,words", [
    (1.1, 1.0, 1.2, "cost about the same"),
    (5.0, 4.5, 5.5, "reverse mode (gradient) is faster here"),
    (0.2, 0.15, 0.25, "forward mode (jvp) is faster here"),
    (1.4, 1.2, 1.7, "too noisy"),
])
def test_domke_timing_sentence_says_what_its_interval_says(value, lo, hi, words):
    # Under load the two one-sweep calls can time apart; the sentence must follow the numbers
    import importlib.util
    from scalargraph.bench.timing import Estimate
    spec = importlib.util.spec_from_file_location("domke_sentence", os.path.join(EXAMPLES, "domke.py"))
    domke = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(domke)
    sentence = domke.same_cost_sentence(Estimate(value, lo, hi))
    assert words in sentence and f"{value:.2f}" in sentence and f"{lo:.2f}-{hi:.2f}" in sentence
    assert ("about the same" in sentence) == (words == "cost about the same")
