"""The kernel layer: a stale compiled kernel can never run, and the cache lives outside the package.

Each test works on a copy of the package in a temporary folder and runs Python in a
subprocess, so that it sees exactly what a user would after editing the table (or a loop)
and regenerating, with the on-disk cache of the run before.
"""

import os
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parents[1]

PROGRAM = ("import scalargraph as sg\n"
           "x = sg.var('x')\n"
           "t = sg.compile([x], [sg.sin(x)])\n"
           "print(repr(float(t([0.5])[0])), repr(float(t.vjp([0.5], [1.0])[0])))\n")


def _copy(tmp_path):
    """A copy of the package, the rules generator and nothing else."""
    root = tmp_path / "copy"
    shutil.copytree(ROOT / "scalargraph", root / "scalargraph",
                    ignore=shutil.ignore_patterns("__pycache__"))
    (root / "tools").mkdir()
    shutil.copy(ROOT / "tools" / "gen_rules.py", root / "tools" / "gen_rules.py")
    return root


def _run(root, cache, code=PROGRAM, check=True):
    env = dict(os.environ, PYTHONPATH=str(root), SCALARGRAPH_CACHE_DIR=str(cache),
               SCALARGRAPH_QUIET="1")
    env.pop("NUMBA_CACHE_DIR", None)
    run = subprocess.run([sys.executable, "-c", code], env=env, cwd=root, capture_output=True,
                         text=True, timeout=600)
    if check:
        assert run.returncode == 0, run.stderr
    return run


def _edit(path, old, new):
    text = path.read_text()
    assert old in text, f"{old!r} not in {path}"
    path.write_text(text.replace(old, new, 1))


@pytest.mark.slow
def test_a_regenerated_rule_is_never_served_stale(tmp_path):
    root, cache = _copy(tmp_path), tmp_path / "cache"
    before = _run(root, cache).stdout.split()
    assert [float(v) for v in before] == pytest.approx([0.479425538604203, 0.8775825618903728])
    # A new rule for sin in the table, regenerated: the cached loops inline the old rule.
    _edit(root / "scalargraph" / "ops.py", 'Op(12, "sin", UNARY, "sin(x)", ("cos(x)",))',
          'Op(12, "sin", UNARY, "sin(x) + 1.0", ("2.0 * cos(x)",))')
    gen = subprocess.run([sys.executable, "tools/gen_rules.py"], cwd=root, capture_output=True,
                         text=True, env=dict(os.environ, SCALARGRAPH_CACHE_DIR=str(cache)))
    assert gen.returncode == 0, gen.stderr
    after = [float(v) for v in _run(root, cache).stdout.split()]
    assert after == pytest.approx([1.479425538604203, 2 * 0.8775825618903728])
    # A hand edit of a loop file (not a rule) recompiles as well.
    _edit(root / "scalargraph" / "kernels" / "sweeps.py",
          "    reverse_loop(arg0, arg1, partials, adjoints, 0, arg0.shape[0])\n",
          "    reverse_loop(arg0, arg1, partials, adjoints, 0, arg0.shape[0])\n"
          "    for i in range(adjoints.shape[0]):\n        adjoints[i] *= 3.0\n")
    edited = [float(v) for v in _run(root, cache).stdout.split()]
    assert edited == pytest.approx([1.479425538604203, 6 * 0.8775825618903728])


def test_rules_from_another_table_are_refused_at_import(tmp_path):
    root = _copy(tmp_path)
    _edit(root / "scalargraph" / "ops.py", 'Op(12, "sin", UNARY, "sin(x)", ("cos(x)",))',
          'Op(12, "sin", UNARY, "sin(x) + 1.0", ("cos(x)",))')
    run = _run(root, tmp_path / "cache", "import scalargraph", check=False)
    assert run.returncode != 0 and "python tools/gen_rules.py" in run.stderr


def test_the_cache_is_outside_the_package_and_named_by_the_sources(tmp_path):
    root, cache = _copy(tmp_path), tmp_path / "cache"
    _run(root, cache)
    inside = [p for p in (root / "scalargraph").rglob("*") if p.suffix in (".nbi", ".nbc")]
    assert inside == []
    folders = [p for p in cache.iterdir() if p.is_dir()]
    assert len(folders) == 1 and any(folders[0].glob("*.nbi"))
    shown = _run(root, cache, "from scalargraph import kernels; print(kernels.cache_dir())")
    assert Path(shown.stdout.strip()) == folders[0]


def test_a_first_compile_says_so_once_on_stderr(tmp_path):
    root, cache = _copy(tmp_path), tmp_path / "cache"
    env = dict(os.environ, PYTHONPATH=str(root), SCALARGRAPH_CACHE_DIR=str(cache))
    env.pop("SCALARGRAPH_QUIET", None)
    cold = subprocess.run([sys.executable, "-c", PROGRAM], env=env, capture_output=True,
                          text=True, timeout=600)
    assert cold.stderr.count("compiling kernels, once") == 1, cold.stderr
    warm = subprocess.run([sys.executable, "-c", PROGRAM], env=env, capture_output=True,
                          text=True, timeout=600)
    assert "compiling" not in warm.stderr and warm.stdout == cold.stdout


def test_a_kernel_numba_cannot_cache_is_warned_about_and_not_an_error():
    # Numba refuses to cache a compile that holds dynamic globals (some kernels do under
    # NUMBA_OPT=0) and warns, naming the source file through the cache locator: our locator
    # must answer that, or the first call of the kernel fails with an AttributeError.
    from types import SimpleNamespace

    from numba.core import caching
    from numba.core.errors import NumbaWarning

    from scalargraph.kernels import forward
    impl = caching.CompileResultCacheImpl(forward.forward_values.py_func)
    assert type(impl.locator).__module__ == "scalargraph.kernels"  # ours, not Numba's
    cres = SimpleNamespace(lifted=(), library=SimpleNamespace(has_dynamic_globals=True),
                           fndesc=SimpleNamespace(qualname="forward_values"))
    with pytest.warns(NumbaWarning, match='Cannot cache compiled function "forward_values"'):
        assert impl.check_cachable(cres) is False


@pytest.mark.slow
def test_install_then_editable_install_imports(tmp_path):
    """pip install . -> use -> pip install -e . -> import works; uninstall leaves nothing."""
    pytest.importorskip("setuptools")
    target = tmp_path / "site"
    env = dict(os.environ, SCALARGRAPH_CACHE_DIR=str(tmp_path / "cache"), SCALARGRAPH_QUIET="1",
               PIP_DISABLE_PIP_VERSION_CHECK="1")
    pip = [sys.executable, "-m", "pip", "install", "--quiet", "--no-deps"]
    src = _copy(tmp_path)
    shutil.copy(ROOT / "pyproject.toml", src / "pyproject.toml")
    shutil.copy(ROOT / "README.md", src / "README.md")
    subprocess.run(pip + ["--target", str(target), str(src)], check=True, env=env,
                   capture_output=True, timeout=600)
    use = subprocess.run([sys.executable, "-c", PROGRAM], env=dict(env, PYTHONPATH=str(target)),
                         capture_output=True, text=True, timeout=600, cwd=tmp_path)
    assert use.returncode == 0, use.stderr
    left = [p for p in (target / "scalargraph").rglob("*") if p.suffix in (".nbi", ".nbc")]
    assert left == [], "Numba wrote into the installed package"
    # Every file in the installed package folder is one pip recorded, so an uninstall (or
    # an editable install over it) leaves nothing behind to shadow the package.
    record = next(target.glob("scalargraph-*.dist-info")) / "RECORD"
    owned = {line.split(",")[0] for line in record.read_text().splitlines()}
    on_disk = {str(p.relative_to(target)) for p in (target / "scalargraph").rglob("*")
               if p.is_file() and p.suffix != ".pyc"}
    assert on_disk <= owned, sorted(on_disk - owned)[:5]


def test_no_enum_member_reaches_a_kernel(monkeypatch):
    """Numba types an IntEnum argument by typing every member of its class (72 opcodes) at
    each call: 77 of the 147 us that sg.compile took on a six-node graph. Every kernel call
    of the passes below must take plain numbers."""
    import enum

    import numpy as np
    from numba.core.typing import typeof as numba_typeof

    import scalargraph as sg

    reached = []
    original = numba_typeof.typeof_impl.dispatch(enum.IntEnum)

    def refuse(val, c):
        reached.append(repr(val))
        return original(val, c)

    numba_typeof.typeof_impl.register(enum.IntEnum)(refuse)
    try:
        for n in (3, 300):  # a small tape (packed kernels) and a large one
            with sg.Graph():
                x, y = sg.var("x"), sg.var("y")
                f = sg.sin(x) * y + x ** 2
                for _ in range(n):
                    f = sg.cos(f) * 0.5 + y * 2.0
                for options in ({}, {"fold": True}, {"cse": True}):
                    tape = sg.compile([x, y], f, **options)
                    p = np.array([0.3, 0.7])
                    tape(p), tape.gradient(p), tape.jvp(p, [1.0, 0.0]), tape.hessian(p)
    finally:
        numba_typeof.typeof_impl.register(enum.IntEnum)(original)
    assert reached == []


def _record_of_random_graph(rng, n_nodes):
    """A random graph's record arrays (every kind of node, dead ones, shared parents) with
    its variables and outputs, for the compile kernels."""
    import scalargraph as sg
    from scalargraph import flatten

    g = sg.Graph()
    with g:
        xs = list(sg.variables(3))
        nodes = list(xs)
        while len(nodes) < n_nodes:
            a = nodes[rng.integers(0, len(nodes))]
            b = nodes[rng.integers(max(0, len(nodes) - 8), len(nodes))]
            kind = rng.integers(0, 5)
            nodes.append([a * b, sg.sin(a) + 0.5, a / 3.0, sg.maximum(a, b) - a,
                          sg.const(float(rng.normal()))][kind])
        outputs = [nodes[-1], nodes[rng.integers(0, len(nodes))]]
    top = max(n.index for n in nodes)
    record = flatten.record_snapshot(g, top + 1)
    return record, np.array([x.index for x in xs]), np.array([o.index for o in outputs])


def _same(a, b):
    if isinstance(a, tuple):
        return len(a) == len(b) and all(_same(u, v) for u, v in zip(a, b))
    a, b = np.asarray(a), np.asarray(b)
    if a.dtype.kind in "iu" and b.dtype.kind in "iu" and a.ndim == 0:
        return int(a) == int(b)
    return a.dtype == b.dtype and a.shape == b.shape and a.tobytes() == b.tobytes()


def test_compile_scans_give_the_same_arrays_interpreted_and_compiled():
    """sg.compile runs its scans in the interpreter on small graphs (kernels.small_or_compiled):
    the interpreted source must return exactly what the compiled kernel returns, also for
    records and tapes that break the rules."""
    from scalargraph import ops
    from scalargraph.kernels import flatten as kf, order as ko, tapecheck

    rng = np.random.default_rng(11)
    arity, slot = ops.ARITY_TABLE, ops.CONST_SLOT_TABLE
    for n_nodes in (4, 9, 30, 64, 200):
        for _ in range(6):
            (op, arg0, arg1, consts), inputs, outputs = _record_of_random_graph(rng, n_nodes)
            live = kf.mark_live(op, arg0, arg1, arity, outputs)
            assert _same(live, kf.mark_live.py_func(op, arg0, arg1, arity, outputs))
            args = (op, arg0, arg1, consts, arity, slot, live, inputs, int(ops.INPUT))
            tape = kf.renumber(*args)
            assert _same(tape, kf.renumber.py_func(*args))
            t_op, t_arg0, t_arg1 = tape[:3]
            t_out = tape[4][outputs].astype(np.int32)
            for a in (t_op, t_arg0, t_arg1, t_out):  # read-only, as a Tape's arrays are
                a.flags.writeable = False
            for kernel, args in ((ko.depth_first, (t_op, t_arg0, t_arg1, arity, t_out, 3)),
                                 (ko.locality, (t_op, t_arg0, t_arg1, arity, 3))):
                assert _same(kernel(*args), kernel.py_func(*args))
            # the tape check, on the tape and on broken copies of it
            for trial in range(8):
                b_op, b_arg0, b_arg1 = t_op.copy(), t_arg0.copy(), t_arg1.copy()
                i = rng.integers(0, b_op.shape[0])
                if trial % 4 == 1:
                    b_op[i] = rng.integers(0, 256)
                elif trial % 4 == 2:
                    b_arg0[i] = rng.integers(-3, b_op.shape[0] + 3)
                elif trial % 4 == 3:
                    b_arg1[i] = rng.integers(-3, b_op.shape[0] + 3)
                out = np.array([rng.integers(-2, b_op.shape[0] + 2)], dtype=np.int32)
                for a in (b_op, b_arg0, b_arg1, out):  # read-only, as validate passes them
                    a.flags.writeable = False
                args = (b_op, b_arg0, b_arg1, consts.shape[0], out, ops.KIND_TABLE)
                assert _same(tapecheck.tape_faults(*args), tapecheck.tape_faults.py_func(*args))


def test_a_small_compile_on_an_empty_cache_compiles_no_kernel(tmp_path):
    """The quick start's sg.compile took 2.4 s on an empty cache, compiling four scans; on a
    small graph they now run in the interpreter until the kernels are compiled. The tape is
    the one the compiled scans make, its gradient the closed form's; after the gradient, the
    adjoint table compiles nothing more (it took 3.8 s, compiling the general loops)."""
    code = (
        "import math, numba.core.event as ev, numpy as np, scalargraph as sg\n"
        "compiled = []\n"
        "class L(ev.Listener):\n"
        "    def on_start(self, e): compiled.append(e.data['dispatcher'].py_func.__name__)\n"
        "    def on_end(self, e): pass\n"
        "ev.register('numba:compile', L())\n"
        "x = sg.var('x')\n"
        "f1 = sg.exp(x); f3 = f1 + f1 ** 2; y = sg.exp(f3) + sg.sin(f3)\n"
        "t = sg.compile([x], [y])\n"
        "assert compiled == [], compiled\n"
        "from scalargraph import kernels\n"
        "kernels.FIRST_CALLS = 0\n"  # the compiled scans, for the same graph
        "u = sg.compile([x], [y])\n"
        "assert compiled, 'the compiled scans ran'\n"
        "for a in ('op', 'arg0', 'arg1', 'consts', 'outputs'):\n"
        "    assert np.array_equal(getattr(t, a), getattr(u, a)), a\n"
        "e = math.exp(1.0); v3 = e + e * e\n"
        "dy_df3 = math.exp(v3) + math.cos(v3)\n"
        "exact = dy_df3 * (e + 2 * e * e)\n"
        "g = t.gradient([1.0])[0]\n"
        "assert abs(g - exact) <= 1e-15 * exact, (g, exact)\n"
        "compiled.clear()\n"
        "a = t.adjoints([1.0])\n"
        "assert compiled == [], compiled\n"
        "assert abs(a[t.index(f3)] - dy_df3) <= 1e-15 * dy_df3, (a, dy_df3)\n"
        "assert a[0] == g\n"
        "print('ok')\n")
    run = _run(ROOT, tmp_path / "cache", code)
    assert run.stdout.strip() == "ok"
