"""The issue-18 peer table's peers: hand-written loops and CasADi on the tape's own graph.

Nothing here times anything: the peers must compute the same function as the tape (else
their times mean nothing), checked against the tape's reverse and forward modes, and the
table must run end to end at tiny sizes.
"""

import importlib.util

import numpy as np
import pytest

import scalargraph as sg
from scalargraph.bench import peer_table, peers, workloads

WORKLOADS = [("chain", 300), ("wide_sum", 50), ("toy_model", 20), ("random_dag", 300)]


def test_hand_written_toy_loss_agrees_with_the_tape():
    w = workloads.toy_model(40)
    xd, yd = peers.toy_data(40)
    g = np.empty(8)
    value = peers.hand_toy_loss_value_and_gradient(w.x, xd, yd, g)
    assert peers.hand_toy_loss(w.x, xd, yd) == pytest.approx(w.tape(w.x)[0], rel=1e-13)
    assert value == pytest.approx(w.tape(w.x)[0], rel=1e-13)
    np.testing.assert_allclose(g, w.tape.gradient(w.x), rtol=1e-11)


@pytest.mark.parametrize("name,size", WORKLOADS)
def test_casadi_functions_of_a_tape_agree_with_its_sweeps(name, size):
    pytest.importorskip("casadi")
    from scalargraph.bench.peers_casadi import CasadiCalls
    w = workloads.build(name, size)
    t, x = w.tape, w.x
    v = np.linspace(-1.0, 1.0, t.n_inputs)
    c = CasadiCalls(t, x, v)
    c.buffer_forward()
    assert c.value[0] == pytest.approx(t(x)[0], rel=1e-12)
    c.buffer_value_and_gradient()
    np.testing.assert_allclose(c.gradient, t.gradient(x), rtol=1e-10, atol=1e-14)
    c.buffer_jvp()
    assert c.tangent[0] == pytest.approx(t.jvp(x, v)[0], rel=1e-10, abs=1e-14)
    assert float(c.plain_forward()) == pytest.approx(t(x)[0], rel=1e-12)


def test_casadi_conversion_refuses_an_op_it_has_no_rule_for():
    pytest.importorskip("casadi")
    from scalargraph.bench.peers_casadi import casadi_expression
    x = sg.var("x")
    with pytest.raises(NotImplementedError, match="relu"):
        casadi_expression(sg.compile([x], [sg.relu(x)]))


def test_the_table_runs_and_its_ratios_divide_the_right_columns(capsys):
    results = peer_table.main(["--only", "wide_sum:30", "--only", "random_dag:100",
                               "--budget", "0.002", "--no-casadi"])
    out = capsys.readouterr().out
    assert "| wide_sum(30) |" in out and "| random_dag(100) |" in out
    row = results[0][2]
    assert {"forward", "v+g", "bind v+g", "hand fwd", "hand v+g"} <= set(row)
    q = peer_table.ratios(row)
    assert q["v+g / bind"] == pytest.approx(row["v+g"] / row["bind v+g"])
    assert "v+g / CasADi buffer" not in q  # no CasADi column without it
    assert "hand fwd" not in results[1][2]  # no hand-written loop for the random DAG
    assert "| cabuf" not in out and "ns per tape node" in out  # no empty CasADi columns


@pytest.mark.parametrize("case", ["domke", "toy_model"])
def test_every_path_of_the_per_call_table_gives_the_tapes_value_and_gradient(case):
    # Issue 17's table: each path (the hand-written floor, specialize, the interpreter from
    # @njit, the plain calls, bind, buffer, and CasADi's plain and buffer calls when it is
    # installed) must compute what the tape computes, or its time means nothing.
    from scalargraph.bench import call_table
    rows, _ = call_table.paths(case)
    tape, x = call_table.case_tape(case)
    want = tape.value_and_gradient(x)
    call_table.check(rows, want)
    names = [name for name, _, _ in rows]
    assert (call_table.CASADI_BUFFER in names) == (importlib.util.find_spec("casadi") is not None)
    if case == "domke":  # and the closed form (Prince eq. 7.42)
        e = np.exp(x[0])
        f3 = e + e * e
        assert want[0] == pytest.approx(np.exp(f3) + np.sin(f3), rel=1e-15)
        assert want[1][0] == pytest.approx((np.exp(f3) + np.cos(f3)) * (e + 2 * e * e),
                                           rel=1e-14)


@pytest.mark.parametrize("only, says", [
    ("wide_sum", "expected NAME:SIZE"), ("wide_sum:", "expected NAME:SIZE"),
    ("wide_sum:ten", "expected NAME:SIZE"), ("wide_sum:0", "expected NAME:SIZE"),
    ("nosuch:10", "unknown workload 'nosuch'")])
def test_a_bad_only_is_a_usage_error_not_a_traceback(only, says, capsys):
    with pytest.raises(SystemExit) as exit_:
        peer_table.main(["--only", only, "--no-casadi"])
    assert exit_.value.code == 2 and says in capsys.readouterr().err
