"""The command line, python -m scalargraph (scalargraph/cli.py)."""

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import scalargraph as sg
from scalargraph import cli

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


@pytest.fixture
def saved(tmp_path):
    tape = sg.trace(lambda x: sg.sum(sg.tanh(x) * x), 3)
    path = tmp_path / "model.tape"
    tape.save(path)
    return str(path)


def test_info(saved, capsys):
    assert cli.main(["info", saved]) == 0
    out = capsys.readouterr().out
    assert "scalargraph.tape version 1" in out and "validation ok" in out
    assert "nodes 11, inputs 3 (x0, x1, x2), outputs 1" in out
    assert cli.main(["info", saved, "--json"]) == 0
    facts = json.loads(capsys.readouterr().out)
    assert facts["op_counts"] == {"input": 3, "tanh": 3, "mul": 3, "add": 2}


def test_info_of_a_bad_file(tmp_path, capsys):
    bad = tmp_path / "bad.tape"
    bad.write_bytes(b"not a tape")
    assert cli.main(["info", str(bad)]) == 1
    assert "not a zip archive" in capsys.readouterr().out
    assert cli.main(["info", str(tmp_path / "missing.tape")]) == 1


def test_a_missing_file_is_named_as_unreadable_not_as_an_invalid_tape(tmp_path, capsys):
    missing = str(tmp_path / "missing.tape")
    assert cli.main(["info", missing]) == 1
    assert capsys.readouterr().out.strip() == \
        f"cannot read tape file: {missing}: No such file or directory"
    for command in (["check", missing], ["draw", missing, "-o", str(tmp_path / "g.dot")]):
        assert cli.main(command) == 1
        assert capsys.readouterr().err.strip() == \
            f"cannot read tape file: {missing}: No such file or directory"
    bad = tmp_path / "bad.tape"
    bad.write_bytes(b"not a tape")
    assert cli.main(["check", str(bad)]) == 1
    assert capsys.readouterr().err.startswith(f"invalid tape file: {bad}: ")


def test_check(saved, capsys):
    assert cli.main(["check", saved, "--order", "2"]) == 0
    assert "entries passed" in capsys.readouterr().out
    kink = sg.trace(lambda x: sg.relu(x), 1)
    path = os.path.join(os.path.dirname(saved), "relu.tape")
    kink.save(path)
    assert cli.main(["check", path, "--at", "0"]) == 1
    assert "FAILED" in capsys.readouterr().out
    with pytest.raises(SystemExit, match="--at gives 2 value"):
        cli.main(["check", path, "--at", "0", "1"])


def test_draw(saved, tmp_path, capsys):
    out = tmp_path / "g.dot"
    assert cli.main(["draw", saved, "--at", "1", "2", "3", "-o", str(out)]) == 0
    text = out.read_text()
    assert text.startswith("digraph") and f"{np.tanh(2.0) * 2:.4g}" in text   # a node's value
    assert cli.main(["draw", saved, "-o", str(tmp_path / "g.txt")]) == 1
    assert ".svg, .png" in capsys.readouterr().err


def test_warmup_unavailable_or_called(monkeypatch, capsys):
    monkeypatch.delattr(sg, "warmup", raising=False)
    assert cli.main(["warmup"]) == 1
    assert "unavailable" in capsys.readouterr().err
    calls = []
    monkeypatch.setattr(sg, "warmup", lambda progress: calls.append(progress), raising=False)
    assert cli.main(["warmup"]) == 0 and cli.main(["warmup", "--quiet"]) == 0
    assert calls == [True, False]


@pytest.mark.parametrize("command", ["info", "draw", "check", "warmup"])
def test_every_subcommand_has_help(command, capsys):
    with pytest.raises(SystemExit) as info:
        cli.main([command, "--help"])
    assert info.value.code == 0
    assert capsys.readouterr().out.startswith(f"usage: python -m scalargraph {command}")


@pytest.mark.parametrize("args", [["--help"], ["bench", "--help"]])
def test_python_m_scalargraph(args):
    done = subprocess.run([sys.executable, "-m", "scalargraph", *args], cwd=ROOT,
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("usage: python -m scalargraph")


def test_warmup_runs_the_sparse_kernels_and_skips_them_without_scipy(monkeypatch, capsys):
    pytest.importorskip("scipy")
    w = sys.modules["scalargraph.warmup"]  # sg.warmup is the function
    features = dict(w._FEATURES)
    assert w._NEEDS["sparse"] == "scipy"
    chosen = (("compile", features["compile"]), ("sparse", features["sparse"]))
    monkeypatch.setattr(w, "_FEATURES", chosen)
    assert set(w.warmup(progress=False)) == {"compile", "sparse"}  # the real calls run
    monkeypatch.setattr(w, "_installed", lambda module: module != "scipy")
    assert set(w.warmup(progress=True)) == {"compile"}
    assert "skipped: sparse (needs scipy)" in capsys.readouterr().err


def test_warmup_does_not_tell_the_user_to_run_warmup(monkeypatch, capsys):
    # An empty cache compiles during warmup: the first compile's notice, which says to run
    # `python -m scalargraph warmup`, must not appear while that command runs. A compile
    # event for a scalargraph kernel stands in for the real compile (50 s of CPU).
    import importlib
    from types import SimpleNamespace

    from numba.core import event

    from scalargraph import kernels
    warmup = importlib.import_module("scalargraph.warmup")
    kernel = SimpleNamespace(py_func=SimpleNamespace(__module__="scalargraph.kernels.forward"))

    def compile_one():
        with event.trigger_event("numba:compile", data={"dispatcher": kernel}):
            pass

    monkeypatch.delenv("SCALARGRAPH_QUIET", raising=False)
    monkeypatch.setattr(kernels._Announce, "said", False)
    compile_one()   # outside warmup the notice is printed, once
    assert "compiles them all ahead of time" in capsys.readouterr().err
    monkeypatch.setattr(kernels._Announce, "said", False)
    monkeypatch.setattr(sg, "_compile_one", compile_one, raising=False)
    monkeypatch.setattr(warmup, "_FEATURES", (("compile", "sg._compile_one()"),))
    warmup.warmup(progress=True)
    err = capsys.readouterr().err
    assert "scalargraph warmup [#] 1/1 compile" in err and "kernels cached in" in err
    assert "compiling kernels, once" not in err


def test_warmup_compiles_the_scans_that_small_graphs_run_interpreted():
    # sg.compile of a small graph runs its scans in the interpreter (kernels.small_or_compiled);
    # warmup's tiny tape must still compile them, or the first large compile after a warmup
    # would. A fresh process: which kernels are compiled is per process.
    code = ("import sys\n"
            "import scalargraph as sg\n"
            "w = sys.modules['scalargraph.warmup']\n"
            "f = dict(w._FEATURES)\n"
            "w._FEATURES = (('compile', f['compile']), ('load', f['load']))\n"
            "w.warmup(progress=False)\n"
            "from scalargraph.kernels import flatten, order, tapecheck\n"
            "print([k.__name__ for k in (tapecheck.tape_faults, flatten.mark_live,\n"
            "       flatten.renumber, order.depth_first, order.locality) if not k.overloads])\n"
            "print(sg.kernels.FIRST_CALLS)\n")
    env = dict(os.environ, PYTHONPATH=str(Path(__file__).resolve().parents[1]),
               SCALARGRAPH_QUIET="1")
    done = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True,
                          text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    assert done.stdout.split("\n")[:2] == ["[]", "16"]
