"""The README's runnable snippets run as they are.

Every fenced block that follows a ``<!-- runnable -->`` line runs: the Python blocks in order
in one namespace (later ones use what earlier ones defined), inside a temporary directory;
in the bash blocks, every ``python -m scalargraph ...`` line runs through the command line's
``main`` (``python -m scalargraph`` itself is started in tests/test_cli.py).
"""

import os
import re
import shlex

import pytest

from scalargraph import cli

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BLOCK = re.compile(r"<!-- runnable -->\n```(\w+)\n(.*?)\n```", re.S)


def blocks():
    with open(os.path.join(ROOT, "README.md"), encoding="utf-8") as fh:
        return BLOCK.findall(fh.read())


def test_the_readme_marks_runnable_snippets():
    kinds = [kind for kind, _ in blocks()]
    assert kinds.count("python") >= 7 and kinds.count("bash") >= 1


def test_readme_snippets_run(tmp_path, monkeypatch, capsys):
    pytest.importorskip("scipy")
    monkeypatch.chdir(tmp_path)
    namespace = {"__name__": "readme"}
    for number, (kind, code) in enumerate(blocks()):
        if kind == "python":
            exec(compile(code, f"README.md runnable block {number}", "exec"), namespace)
            continue
        assert kind == "bash"
        for line in code.splitlines():
            command = line.split("#")[0].strip()
            if not command:
                continue
            words = shlex.split(command)
            assert words[:3] == ["python", "-m", "scalargraph"], line
            assert cli.main(words[3:]) == 0, line
    out = capsys.readouterr().out
    assert "entries passed" in out and "central difference" in out
    assert (tmp_path / "rosen3.dot").read_text().startswith("digraph")
