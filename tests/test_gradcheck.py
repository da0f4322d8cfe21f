"""sg.check_grads (scalargraph/gradcheck.py): passes on correct derivatives, and catches
wrong ones in each mode (the tape's own methods are replaced by wrong ones)."""

import numpy as np
import pytest

import scalargraph as sg


def rosen(x):
    return sg.sum(100.0 * (x[1:] - x[:-1] ** 2) ** 2 + (1.0 - x[:-1]) ** 2)


def test_passes_on_correct_derivatives():
    x = np.array([-1.2, 1.0, 0.5, 2.0])
    report = sg.check_grads(rosen, x, order=2)
    assert report.ok
    checks = {e["check"] for e in report.entries}
    assert checks == {"forward", "reverse", "transpose", "hvp", "symmetry"}
    # 4 unit directions: forward 4, reverse 4, transpose 4, hvp 16, symmetry 6
    assert len(report.entries) == 34
    assert report.step == pytest.approx(np.finfo(float).eps ** (1 / 3) * 2.0)


def test_many_inputs_use_random_directions():
    x = np.linspace(-1, 1, 40)
    report = sg.check_grads(lambda x: sg.sum(sg.tanh(x) * x), x, n_random=3)
    assert report.ok
    assert {e["direction"] for e in report.entries} == {"v0", "v1", "v2"}


def test_multi_output_tape():
    a, b = sg.var("a"), sg.var("b")
    tape = sg.compile([a, b], [sg.sin(a) * b, a * b + sg.exp(b)])
    assert sg.check_grads(tape, [0.3, 0.7], order=2).ok
    assert {e["output"] for e in sg.check_grads(tape, [0.3, 0.7], output=1).entries
            if e["check"] == "forward"} == {1}


def test_a_kink_fails_and_names_the_worst_entry():
    with pytest.raises(sg.GradCheckError, match=r"forward mode J v, d output 0 / d input 0: "
                                                r"AD 0, central difference \(step 6.06e-06\) 0.5"):
        sg.check_grads(sg.relu, 0.0)
    report = sg.check_grads(sg.relu, 0.0, raise_on_failure=False)
    assert not report.ok and {e["check"] for e in report.failures} == {"forward", "reverse"}


@pytest.fixture
def tape():
    x = sg.variables(3)
    return sg.compile(x, sg.sum(sg.sin(x) * x))


def test_wrong_forward_mode_is_caught(tape, monkeypatch):
    right = tape.jvp
    monkeypatch.setattr(tape, "jvp", lambda x, v: right(x, v) * (1 + 1e-3))
    report = sg.check_grads(tape, [0.1, 0.2, 0.3], raise_on_failure=False)
    assert {e["check"] for e in report.failures} == {"forward", "transpose"}


def test_wrong_reverse_mode_is_caught(tape, monkeypatch):
    monkeypatch.setattr(tape, "vjp", lambda x, w: np.array([1.0, 0.0, 0.0]))
    with pytest.raises(sg.GradCheckError) as info:
        sg.check_grads(tape, [0.1, 0.2, 0.3])
    assert {e["check"] for e in info.value.report.failures} == {"reverse", "transpose"}


def test_wrong_hvp_is_caught(tape, monkeypatch):
    right = tape.hvp
    monkeypatch.setattr(tape, "hvp", lambda x, v, output=None: right(x, v, output) + 1e-3 * v)
    report = sg.check_grads(tape, [0.1, 0.2, 0.3], order=2, raise_on_failure=False)
    assert {e["check"] for e in report.failures} == {"hvp"}
    assert sg.check_grads(tape, [0.1, 0.2, 0.3], order=1).ok   # first order is unaffected


def test_bad_arguments():
    with pytest.raises(ValueError, match="order must be"):
        sg.check_grads(sg.exp, 1.0, order=3)
    with pytest.raises(ValueError, match="modes"):
        sg.check_grads(sg.exp, 1.0, modes=("sideways",))
    with pytest.raises(TypeError, match="Tape or a function"):
        sg.check_grads(3, 1.0)
