"""micrograd-style access (tape.evaluate), repr and notebook pictures (result.py, display.py).

Values and adjoints are checked against the Domke graph's closed forms (Prince 7.12-7.13).
"""

import math

import numpy as np
import pytest

import scalargraph as sg
from scalargraph import display, export


@pytest.fixture
def domke():
    x = sg.var("x")
    f1 = sg.exp(x); f2 = f1 ** 2; f3 = f1 + f2
    y = sg.exp(f3) + sg.sin(f3)
    return sg.compile([x], [y]), x, (f1, f2, f3), y


def test_evaluate_value_and_adjoint_by_node(domke):
    tape, x, (f1, f2, f3), y = domke
    r = tape.evaluate([1.0])
    e = math.e
    F3 = e + e * e
    assert r.value(f1) == e and r.value(f3) == pytest.approx(F3, rel=1e-15)
    assert r[y] == pytest.approx(math.exp(F3) + math.sin(F3), rel=1e-15)
    assert r.adjoint(f3) == pytest.approx(math.exp(F3) + math.cos(F3), rel=1e-14)  # dy/df3
    assert r.adjoint(f2) == r.adjoint(f3)                                          # df3/df2 = 1
    assert r.adjoint(x) == pytest.approx((math.exp(F3) + math.cos(F3)) * (e + 2 * e * e),
                                         rel=1e-14)
    assert r.adjoint(x) == tape.gradient([1.0])[0]
    np.testing.assert_array_equal(r.value([f1, f2]), [e, e ** 2])
    np.testing.assert_array_equal(r.adjoints(), tape.adjoints([1.0]))


def test_evaluate_node_arrays_and_outputs():
    w = sg.variables(3, "w")
    y = sg.sum(w * w)
    z = sg.sum(sg.sin(w))
    tape = sg.compile(w, [y, z])
    r = tape.evaluate([1.0, 2.0, 3.0])
    np.testing.assert_array_equal(r.adjoint(w, output=0), [2.0, 4.0, 6.0])
    np.testing.assert_array_equal(r.adjoint(w, output=1), np.cos([1.0, 2.0, 3.0]))
    np.testing.assert_array_equal(r.outputs, [14.0, np.sin([1.0, 2.0, 3.0]).sum()])
    with pytest.raises(ValueError, match="output=k"):
        r.adjoint(w)
    assert tape.evaluate([1.0, 2.0, 3.0], output=1).adjoint(w[0]) == np.cos(1.0)
    with pytest.raises(ValueError, match="not in this tape"):
        r.value(sg.var("other") * 2 if False else sg.exp(w[0]))
    with pytest.raises(TypeError, match="expected a node"):
        r.value(3)


def test_repr_is_one_line_with_counts(domke):
    tape = domke[0]
    assert repr(tape) == "<Tape: 1 input, 1 output, 7 nodes (add 2, exp 2, sin 1, square 1), 67 bytes>"
    big = sg.compile(sg.variables(100), [1.0])
    assert "\n" not in repr(big) and "100 inputs" in repr(big)


def test_notebook_html_table_without_graphviz(domke, monkeypatch):
    monkeypatch.setattr(export, "dot_program", lambda: None)
    tape, x, (f1, f2, f3), y = domke
    assert tape._repr_svg_() is None
    assert "<iframe" in tape._repr_html_()                   # small: the explorer page
    page = display.html_text(tape)
    assert page.count("<tr>") == 8 and "exp" in page        # header + 7 nodes
    page = tape.evaluate([1.0])._repr_html_()
    assert f"{24521.66286131298:.6g}" in page               # y(1)
    assert f"{429038.13549379783:.6g}" in page              # dy/dx, the adjoint of x


@pytest.mark.skipif(export.dot_program() is None, reason="Graphviz's dot is not installed")
def test_notebook_svg_with_graphviz(domke):
    tape = domke[0]
    assert tape._repr_svg_().startswith("<svg")
    assert tape._repr_html_().startswith("<iframe")
    assert "24520" in tape.evaluate([1.0])._repr_svg_() or "2.452e+04" in \
        tape.evaluate([1.0])._repr_svg_()


def test_large_tape_shows_a_summary():
    xs = sg.variables(100)
    tape = sg.compile(xs, sg.sum(sg.sin(xs) * xs))
    assert tape.n_nodes > display.SMALL
    assert tape._repr_svg_() is None
    page = tape._repr_html_()
    assert "100 inputs" in page and "<td>sin</td><td>100</td>" in page and "3595 bytes" in page
    assert "outputs: [" in tape.evaluate(np.ones(100))._repr_html_()
