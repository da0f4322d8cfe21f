"""The benchmark suite, the cost report, the workloads and the path-sum reference differentiator.

Nothing here times anything. The asv suite must import and every benchmark must run once at
its smallest size (so a broken benchmark cannot land); ``python -m scalargraph.bench
--quick`` must print its table; and ``sg.path_gradient`` / ``sg.count_paths`` are checked
against oracles from outside them: dual numbers of the hand-written reference evaluator,
closed forms, and path counts known from how the graph was built.
"""

import importlib
import inspect
import json
import math
import os
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, note

import scalargraph as sg
from scalargraph import bench
from scalargraph.bench import checks, compare, readme, timing, workloads

import interrupt
import reference
import strategies

try:
    from asv_runner.benchmarks.mark import SkipNotImplemented
except ImportError:  # asv not installed: nothing can raise it
    class SkipNotImplemented(NotImplementedError):
        pass

REPO = Path(__file__).resolve().parents[1]
BENCH_DIR = REPO / "benchmarks"
AD_RTOL = 1e-11


# ---- the path-sum differentiator ------------------------------------------------------------
@pytest.mark.parametrize("depth", [0, 1, 2, 5, 12, 40, 70])
def test_count_paths_on_the_diamond_ladder_is_two_to_the_depth(depth):
    # 70 levels: 2^70 overflows int64, so the exact Python-integer fallback answers
    assert sg.count_paths(workloads.diamond(depth).tape) == 2 ** depth


def test_count_paths_per_input_of_the_wide_sum():
    # x_i appears in the terms i-1 and i: two paths, one for the end inputs; x*x counts twice
    n = 7
    per = sg.count_paths(workloads.wide_sum(n).tape, per_input=True)
    assert per == [1] + [2] * (n - 2) + [1]
    x = sg.var("x")
    assert sg.count_paths(sg.compile([x], [x * x])) == 2
    assert sg.count_paths(sg.compile([x], [x])) == 1


def _naive_path_count(tape, node, n_inputs):
    """Paths from ``node`` down to the inputs, by plain recursion (tiny graphs only)."""
    if node < n_inputs:
        return 1
    arity = sg.ops.BY_CODE[int(tape.op[node])].arity
    parents = [tape.arg0[node], tape.arg1[node]][:arity]
    return sum(_naive_path_count(tape, int(p), n_inputs) for p in parents)


@given(strategies.dags(max_nodes=20))
def test_path_gradient_equals_dual_numbers_on_random_dags(case):
    tape, x = case
    note(strategies.describe(tape, x))
    duals = np.array(reference.jacobian(tape, x))
    for k in range(tape.n_outputs):
        got = sg.path_gradient(tape, x, output=k)
        np.testing.assert_allclose(got, duals[k], rtol=AD_RTOL, atol=AD_RTOL,
                                   err_msg=f"output {k}")
        assert sg.count_paths(tape, output=k) == _naive_path_count(
            tape, int(tape.outputs[k]), tape.n_inputs)


@pytest.mark.parametrize("name,size", [("domke", 1), ("toy_model", 3), ("wide_sum", 30),
                                       ("diamond", 14), ("random_dag", 80)])
def test_path_gradient_equals_reverse_mode_on_the_workloads(name, size):
    w = workloads.build(name, size)
    for k in range(w.tape.n_outputs):
        np.testing.assert_allclose(sg.path_gradient(w.tape, w.x, output=k),
                                   w.tape.gradient(w.x, output=k), rtol=1e-12, atol=1e-15)


def test_path_gradient_of_domke_matches_the_closed_form():
    x = 1.0
    f3 = math.exp(x) + math.exp(2 * x)
    dydx = (math.exp(f3) + math.cos(f3)) * (math.exp(x) + 2 * math.exp(2 * x))
    w = workloads.domke()
    assert sg.path_gradient(w.tape, [x])[0] == pytest.approx(dydx, rel=1e-13)


def test_path_gradient_keeps_the_strong_zero_of_the_sweeps():
    # maximum(sqrt(x), 1) at x = 0: the switched-off branch has partial 0 against sqrt'(0) = inf
    x = sg.var("x")
    tape = sg.compile([x], [sg.maximum(sg.sqrt(x), 1.0)])
    assert sg.path_gradient(tape, [0.0])[0] == 0.0 == tape.gradient([0.0])[0]


def test_path_gradient_walks_a_deep_chain_without_recursion():
    w = workloads.chain(30_000)
    assert sg.count_paths(w.tape) == 1
    np.testing.assert_allclose(sg.path_gradient(w.tape, w.x), w.tape.gradient(w.x), rtol=1e-12)


def test_path_gradient_of_an_output_that_is_an_input_and_of_unused_inputs():
    x, y = sg.var("x"), sg.var("y")
    tape = sg.compile([x, y], [x, sg.sin(x)])
    np.testing.assert_array_equal(sg.path_gradient(tape, [0.3, 2.0], output=0), [1.0, 0.0])
    np.testing.assert_allclose(sg.path_gradient(tape, [0.3, 2.0], output=1),
                               [math.cos(0.3), 0.0], rtol=1e-15)


@pytest.mark.parametrize("pops", [1, 7, 1000])
def test_path_gradient_in_slices_is_the_same_sum(monkeypatch, pops):
    """Stopping the walk every few pops and going on adds the same terms in the same order."""
    from scalargraph import paths
    w = workloads.random_dag(60 if pops == 1 else 300, seed=3)
    monkeypatch.setattr(paths, "POPS_PER_CALL", 1 << 62)
    whole = sg.path_gradient(w.tape, w.x, max_paths=10**7)
    monkeypatch.setattr(paths, "POPS_PER_CALL", pops)
    sliced = sg.path_gradient(w.tape, w.x, max_paths=10**7)
    assert sg.count_paths(w.tape) > 10 * pops  # many slices
    np.testing.assert_array_equal(sliced, whole)
    np.testing.assert_allclose(sliced, w.tape.gradient(w.x), rtol=1e-12, atol=1e-14)


def test_ctrl_c_stops_a_walk_over_a_billion_paths():
    """A walk of 2^30 paths (about half a minute) ends within a slice of a Ctrl-C."""
    result = interrupt.interrupted("""
        import scalargraph as sg
        from scalargraph.bench import workloads
        small = workloads.diamond(3)
        sg.path_gradient(small.tape, small.x)  # compile first
        w = workloads.diamond(30)
    """, "scalargraph.kernels.paths", "walk_paths",
        "sg.path_gradient(w.tape, w.x, max_paths=2**30)")
    assert result["latency"] is not None, f"the walk ran to its end: {result}"
    # A slice is about 20 ms; before the walk was sliced, Ctrl-C waited for its end.
    assert result["latency"] < 5.0, result

def test_path_gradient_refuses_too_many_paths_and_bad_input():
    w = workloads.diamond(40)
    with pytest.raises(ValueError, match="paths.*tape.gradient"):
        sg.path_gradient(w.tape, w.x)
    with pytest.raises(ValueError, match="max_paths"):
        sg.path_gradient(workloads.diamond(5).tape, [0.1], max_paths=31)
    with pytest.raises(ValueError, match="expected 1 input"):
        sg.path_gradient(w.tape, [1.0, 2.0])
    with pytest.raises(ValueError, match="outputs"):
        sg.path_gradient(workloads.fan_out(2).tape, [0.1])


# ---- the workload registry ------------------------------------------------------------------
@pytest.mark.parametrize("name", list(workloads.WORKLOADS))
def test_every_workload_builds_evaluates_and_is_reproducible(name):
    a, b = workloads.build(name, 40), workloads.build(name, 40)
    for attr in ("op", "arg0", "arg1", "consts", "outputs"):
        np.testing.assert_array_equal(getattr(a.tape, attr), getattr(b.tape, attr))
    np.testing.assert_array_equal(a.x, b.x)
    assert np.all(np.isfinite(a.tape.values(a.x)))
    jac = a.tape.jacobian(a.x, mode="reverse")
    np.testing.assert_allclose(jac, np.array(reference.jacobian(a.tape, a.x)), rtol=1e-10,
                               atol=1e-12)


def test_workload_sizes_mean_what_the_registry_says():
    assert workloads.chain(3000).tape.n_nodes == 3001
    assert workloads.wide_sum(100).tape.n_inputs == 100
    assert workloads.fan_out(17).tape.n_outputs == 17
    assert workloads.diamond(9).tape.n_nodes == 1 + 4 * 9
    assert abs(workloads.random_dag(5000).tape.n_nodes - 5016) <= 1
    assert workloads.toy_model(4).tape.n_inputs == 8
    for name in ("chain", "wide_sum", "diamond", "random_dag"):
        assert 0.9 * 4000 <= workloads.with_nodes(name, 4000).tape.n_nodes <= 1.1 * 4000
    w = workloads.chain(300)
    np.testing.assert_array_equal(w.recompile().op, w.tape.op)
    with pytest.raises(ValueError, match="unknown workload"):
        workloads.build("nope", 3)
    with pytest.raises(ValueError, match="int size >= 2"):
        workloads.wide_sum(1)


# ---- the report's helpers -------------------------------------------------------------------
def test_slope_recovers_known_exponents():
    n = np.array([10.0, 100.0, 1000.0])
    assert bench.slope(n, 3 * n ** 2) == pytest.approx(2.0)
    doubling = [5 * 2.0 ** d for d in (1, 2, 3)]
    assert bench.slope([1, 2, 3], doubling, log_x=False) == pytest.approx(1.0)
    assert math.isnan(bench.slope([1], [1.0]))


class _Ticks:
    """A clock for the harness that advances only when a fake call is made: 1 us a call."""

    def __init__(self):
        self.now = 0.0

    def __call__(self):
        return self.now


@pytest.mark.parametrize("counted", [False, True])
def test_interleaved_reports_per_call_time_for_both_runner_forms(counted):
    # Call j costs (j + 1) us on the fake clock, so the harness must report exactly that per
    # call whatever batch sizes it picks; a runner given a count makes that many calls.
    clock, calls = _Ticks(), [0, 0]

    def call(j):
        calls[j] += 1
        clock.now += (j + 1) * 1e-6

    if counted:
        fns = [lambda k, j=j: [call(j) for _ in range(k)] for j in range(2)]
    else:
        fns = [lambda j=j: call(j) for j in range(2)]
    s = timing.interleaved(fns, budget=0.01, min_rounds=5, max_rounds=5, clock=clock,
                           counted=counted)
    assert s.times.shape == (5, 2)
    np.testing.assert_allclose(s.times, [[1e-6, 2e-6]] * 5, rtol=1e-9)
    # One untimed call each, the calibration batches, then 5 rounds of numbers[j] calls.
    assert all(calls[j] >= 5 * s.numbers[j] + 1 for j in range(2))
    assert s.numbers[0] > 1 and s.numbers[0] >= s.numbers[1]


def test_forward_differences_agree_with_the_gradient_to_half_the_digits():
    w = workloads.wide_sum(20)
    exact = w.tape.gradient(w.x)
    err = np.max(np.abs(bench.forward_differences(w.tape, w.x) - exact))
    assert 1e-12 < err / np.max(np.abs(exact)) < 1e-6


def test_hand_written_chain_agrees_with_the_tape():
    w = workloads.chain(3000)
    value, derivative = bench.hand_chain_value_and_derivative(0.5, w.info["steps"])
    assert bench.hand_chain(0.5, w.info["steps"]) == pytest.approx(w.tape(w.x)[0], rel=1e-13)
    assert value == pytest.approx(w.tape(w.x)[0], rel=1e-13)
    assert derivative == pytest.approx(w.tape.gradient(w.x)[0], rel=1e-10)


def test_quick_report_prints_every_table_and_writes_its_files(tmp_path, capsys):
    bench.main(["--quick", "--out", str(tmp_path)])
    out = capsys.readouterr().out
    for heading in ("claim 1 (cheap gradient): wide_sum n=10", "### Claim 1", "### Claim 2",
                    "### Claim 3", "### Claim 4", "### Claim 5", "### Core targets",
                    "### Verdicts", "hand-written Numba loop"):
        assert heading in out
    assert "Traceback" not in out
    if importlib.util.find_spec("scipy") is not None:
        assert "### Claim 6" in out   # the sparse Jacobian, measured with SciPy
    report = (tmp_path / "report.md").read_text()
    assert report.startswith("# scalargraph cost report")
    # the header says where the numbers came from, and a saved quick report says they mean little
    for line in ("- date: ", "- commit: ", "- machine: ", "- load average (1/5/15 min): before ",
                 "- versions: python ", "- mode: quick", "--quick: a smoke test"):
        assert line in report, line
    results = json.loads((tmp_path / "results.json").read_text())
    assert results["header"]["mode"] == "quick" and results["header"]["total_s"] > 0
    verdicts = {c["verdict"] for c in results["checks"]}
    assert verdicts <= {"matches", "differs", "inconclusive"}, verdicts
    page = (tmp_path / "report.html").read_text()
    assert page.startswith("<!doctype html>") and "--quick: a smoke test" in page
    if importlib.util.find_spec("matplotlib") is not None:
        assert (tmp_path / "summary.png").stat().st_size > 0
        # one plot per claim and the targets, inline (claim 6 needs SciPy)
        plots = 6 + (importlib.util.find_spec("scipy") is not None)
        assert page.count("src='data:image/png;base64,") == plots


def test_claim_6_is_in_the_report_and_counts_the_stencil_colors(tmp_path, capsys):
    # README.md: "--claims 3   # one claim (1-6, core)", and claim 6 is the sparse Jacobian
    pytest.importorskip("scipy")
    bench.main(["--quick", "--claims", "6", "--no-plots", "--out", str(tmp_path)])
    out = capsys.readouterr().out
    assert "### Claim 6: sparse Jacobians, one sweep per color" in out
    results = json.loads((tmp_path / "results.json").read_text())
    checks_6 = [c for c in results["checks"] if c["claim"] == "6"]
    assert {c["claim"] for c in results["checks"]} == {"6"} and len(checks_6) == 7
    # dense / sparse in operations: n directions against one per color (5), so a slope of
    # exactly 1 (--quick has too few dense sizes for a verdict)
    operations = [c for c in checks_6 if "operations" in c["quantity"]]
    assert len(operations) == 2 and all(c["measured_text"] == "1 (exact)" for c in operations)
    # a distance-2 coloring of the 5-point stencil needs 5 colors, and DSATUR finds 5
    colors = [c for c in checks_6 if c["quantity"].startswith("colors")]
    assert colors[0]["measured"] == "5 at every size" and colors[0]["verdict"] == "matches"
    title, columns, rows = results["tables"][0][:3]
    assert title.startswith("Claim 6") and columns[3] == "colors"
    assert [row[3] for row in rows] == [5] * len(rows) and len(rows) >= 6


# ---- intervals, verdicts, the README's table --------------------------------------------------
def _samples(per_call, rounds=30, noise=0.05, seed=1):
    """Fake interleaved timings: per-call seconds times lognormal noise that only adds."""
    rng = np.random.default_rng(seed)
    t = np.asarray(per_call, float)[None, :] * (1 + np.abs(rng.normal(0, noise, (rounds, len(per_call)))))
    return timing.Samples(t, [1] * len(per_call))


def test_slope_interval_brackets_the_known_exponent():
    n = np.array([1e3, 1e4, 1e5, 1e6])
    s = _samples(3e-9 * n ** 1.0)
    est = bench.slope_estimate(n, [(s, lambda q, j=j: q[j]) for j in range(4)])
    assert est.lo <= 1.0 <= est.hi and est.hi - est.lo < 0.05 and est.sizes == 4
    assert bench.slope_estimate(n, list(n ** 2)).value == pytest.approx(2.0)   # counted: exact
    ratio = _samples([2e-6, 6e-6]).ratio(1, 0)
    assert ratio.lo <= 3.0 <= ratio.hi


@pytest.mark.parametrize("est,band,verdict", [
    (dict(value=1.02, lo=0.98, hi=1.05, sizes=4), (0.8, 1.2), "matches"),
    (dict(value=1.6, lo=1.5, hi=1.7, sizes=4), (0.8, 1.2), "differs"),
    (dict(value=1.15, lo=1.05, hi=1.3, sizes=4), (0.8, 1.2), "inconclusive"),   # crosses 1.2
    (dict(value=1.0, lo=0.99, hi=1.01, sizes=2), (0.8, 1.2), "inconclusive"),   # 2 sizes
    (dict(value=1.16, lo=1.15, hi=1.17, sizes=4), (0.8, 1.2), "inconclusive"),  # allowance
    (dict(value=2.0, lo=1.9, hi=2.1), (-math.inf, 3), "matches"),                # ratio <= 3
    (dict(value=2.9, lo=2.8, hi=2.95), (-math.inf, 3), "inconclusive"),          # 10% allowance
    (dict(value=1.0, lo=1.0, hi=1.0, sizes=4), (1.0, 1.0), "matches"),           # counted
])
def test_verdicts_compare_the_interval_with_the_band(est, band, verdict):
    got, why = checks.judge(timing.Estimate(**est), *band)
    assert got == verdict
    assert (why == "") == (verdict == "matches")


def test_a_flip_is_matches_against_differs_only():
    row = lambda q, v: dict(claim="1", quantity=q, measured_text="x", verdict=v)
    quiet = dict(checks=[row("a", "matches"), row("b", "matches"), row("c", "differs")])
    busy = dict(checks=[row("a", "matches"), row("b", "inconclusive"), row("c", "matches")])
    rows, flips = compare.side_by_side(quiet, busy)
    assert [r[6] for r in rows] == ["same", "moved", "FLIP"] and flips == [rows[2]]


def test_readme_table_is_the_one_generated_from_the_committed_report():
    results = json.loads(readme.RESULTS.read_text())
    assert results["header"]["mode"] == "default", "commit a default run, not --quick"
    assert readme.region(readme.README.read_text()) == readme.table(results), (
        "README.md's results table differs from docs/results.json: run "
        "`python -m scalargraph.bench --readme` (never edit the table by hand)")
    # every verdict of the committed run is in the table, with its interval
    for c in results["checks"]:
        assert f"| {c['quantity']} | {c['measured_text']} |" in readme.table(results)


def test_readme_command_rewrites_only_the_marked_region(tmp_path):
    text = "# title\n\nbefore\n" + readme.BEGIN + "\nold table\n" + readme.END + "\nafter\n"
    (tmp_path / "README.md").write_text(text)
    assert readme.regenerate(readme.RESULTS, tmp_path / "README.md",
                             tmp_path / "fig.png") == 0
    new = (tmp_path / "README.md").read_text()
    table = readme.table(json.loads(readme.RESULTS.read_text()))
    assert new == text.replace("old table", table)
    assert readme.regenerate(tmp_path / "missing.json", tmp_path / "README.md") == 1
    (tmp_path / "README.md").write_text("no markers")
    with pytest.raises(ValueError, match="markers"):
        readme.regenerate(readme.RESULTS, tmp_path / "README.md", tmp_path / "fig.png")


# ---- the asv suite --------------------------------------------------------------------------
def _benchmark_modules():
    sys.path.insert(0, str(BENCH_DIR))
    try:
        package = importlib.import_module("benchmarks")
        assert Path(package.__file__).resolve().parent == BENCH_DIR / "benchmarks"
        names = sorted(p.stem for p in (BENCH_DIR / "benchmarks").glob("bench_*.py"))
        return [importlib.import_module(f"benchmarks.{name}") for name in names]
    finally:
        sys.path.remove(str(BENCH_DIR))


def _smallest_params(cls):
    """Parameter tuples to try, smallest size first: every category at its smallest size."""
    params = getattr(cls, "params", None)
    if not params:
        return [()]
    if not isinstance(params[0], list):
        params = [params]
    numeric = [all(isinstance(v, (int, float)) for v in p) for p in params]
    combos = [()]
    for values, is_size in zip(params, numeric):
        combos = [c + (v,) for c in combos for v in (sorted(values) if is_size else values)]
    return combos


def test_every_asv_benchmark_runs_once_at_its_smallest_size():
    ran, failures = [], []
    for module in _benchmark_modules():
        for cls_name, cls in inspect.getmembers(module, inspect.isclass):
            if cls.__module__ != module.__name__:
                continue
            methods = [m for m in dir(cls)
                       if m.startswith(("time_", "track_", "peakmem_", "timeraw_"))]
            if not methods:
                continue
            # asv hands setup_cache's result to setup and every method, before the params
            cached = (cls().setup_cache(),) if hasattr(cls, "setup_cache") else ()
            done_categories = set()
            for params in _smallest_params(cls):
                category = tuple(a for a in params if not isinstance(a, (int, float)))
                if category in done_categories:
                    continue
                args = cached + params
                obj = cls()
                try:
                    if hasattr(obj, "setup"):
                        obj.setup(*args)
                except NotImplementedError:
                    continue  # asv skips this combination (optional peer, invalid size)
                done_categories.add(category)
                for m in methods:
                    name = f"{module.__name__}.{cls_name}.{m}{params}"
                    try:
                        result = getattr(obj, m)(*args)
                    except SkipNotImplemented:
                        continue  # asv's own way to skip from inside a benchmark
                    except NotImplementedError:
                        failures.append(f"{name}: asv >= 0.5 skips only a NotImplementedError "
                                        "raised in setup; raise it there, or raise "
                                        "asv_runner.benchmarks.mark.SkipNotImplemented")
                        continue
                    if m.startswith("track_"):
                        assert isinstance(result, (int, float)) and math.isfinite(result), m
                        assert getattr(getattr(cls, m), "unit", None), f"{m} needs a unit"
                    elif m.startswith("timeraw_"):
                        subprocess.run([sys.executable, "-c", result], check=True, timeout=120)
                    ran.append(name)
    assert not failures, "\n".join(failures)
    assert len(ran) > 30, ran


@pytest.mark.skipif(shutil.which("asv") is None, reason="asv is not installed")
def test_asv_check_finds_no_problems(tmp_path):
    env = dict(os.environ, HOME=str(tmp_path))  # asv may write its machine file there
    result = subprocess.run(["asv", "check", "--python=same"], cwd=BENCH_DIR, env=env,
                            capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "No problems found" in result.stdout, result.stdout


def _asv_config(tmp_path):
    """The suite's asv.conf.json with results and html in ``tmp_path`` and HEAD as branch."""
    text = (BENCH_DIR / "asv.conf.json").read_text()
    conf = json.loads("\n".join(l for l in text.splitlines() if not l.strip().startswith("//")))
    conf.update(repo=str(REPO), benchmark_dir=str(BENCH_DIR / "benchmarks"),
                results_dir=str(tmp_path / "results"), html_dir=str(tmp_path / "html"),
                env_dir=str(tmp_path / "env"), branches=["HEAD"])
    path = tmp_path / "asv.conf.json"
    path.write_text(json.dumps(conf))
    return path


@pytest.mark.skipif(shutil.which("asv") is None or shutil.which("git") is None,
                    reason="asv or git is not installed")
def test_asv_run_as_the_readme_says_saves_results_that_publish_shows(tmp_path):
    # The README's command, `asv run --python=same --set-commit-hash $(git rev-parse HEAD)`,
    # on the tiniest benchmark run once; then `asv publish` must show its number.
    head = subprocess.run(["git", "rev-parse", "HEAD"], cwd=REPO, capture_output=True,
                          text=True)
    if head.returncode != 0:
        pytest.skip("not a git checkout")
    conf = _asv_config(tmp_path)
    env = dict(os.environ, HOME=str(tmp_path))
    asv = lambda *args: subprocess.run(["asv", *args, "--config", str(conf)], cwd=BENCH_DIR,
                                       env=env, capture_output=True, text=True, timeout=300)
    done = asv("machine", "--yes", "--machine", "ci-test")
    assert done.returncode == 0, done.stdout + done.stderr
    done = asv("run", "--python=same", "--set-commit-hash", head.stdout.strip(),
               "--bench", r"SmallCalls\.time_bound$", "-a", "repeat=1", "-a", "number=1",
               "-a", "rounds=1", "-a", "warmup_time=0", "--machine", "ci-test")
    assert done.returncode == 0, done.stdout + done.stderr
    saved = [p for p in (tmp_path / "results" / "ci-test").glob("*.json")
             if p.name != "machine.json"]
    assert len(saved) == 1, list((tmp_path / "results").rglob("*"))
    result = json.loads(saved[0].read_text())["results"]["bench_scale.SmallCalls.time_bound"]
    assert result[0][0] is not None and 0 < result[0][0] < 1, result   # seconds, measured
    done = asv("publish")
    assert done.returncode == 0, done.stdout + done.stderr
    graph = tmp_path / "html" / "graphs"
    points = [json.loads(p.read_text()) for p in graph.rglob("bench_scale.SmallCalls.time_bound.json")]
    assert points and any(v is not None for p in points for _, v in p), points
    assert (tmp_path / "html" / "index.json").is_file()
