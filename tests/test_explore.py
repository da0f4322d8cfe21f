"""The explorer page (sg.explore) in a real browser, and the labels and layout of pictures.

Browser tests open the page from a file in headless Chromium, press the page's buttons and
read the numbers it shows (each node's ``data-value`` / ``data-adjoint`` / ``data-tangent``,
the full-precision text of its boxes), and compare them with the tape's sweeps: bit for bit
at precomputed points, and for typed points (evaluated by the op table translated to
JavaScript) bit for bit on IEEE-exact arithmetic, 1e-15 relative where ``Math`` may differ
from libm. They skip, saying why, only where no browser can be driven.
"""

import math
import os
import re
import struct
import time

import numpy as np
import pytest

import scalargraph as sg
from scalargraph import _jsops, ops
from scalargraph.explore import GROUP_ABOVE

import browser

WHY_NOT = browser.why_not()
needs_browser = pytest.mark.skipif(WHY_NOT is not None, reason=f"no browser: {WHY_NOT}")


def bits(v):
    """The bits of a float; every NaN the same (JavaScript has one NaN, without a sign)."""
    v = float(v)
    return b"nan" if v != v else struct.pack("<d", v)


def staged():
    """The worksheet's f = (x + y) z; returns tape, {name: node}."""
    x, y, z = sg.var("x"), sg.var("y"), sg.var("z")
    g = x + y
    f = g * z
    return sg.compile([x, y, z], [f]), dict(x=x, y=y, z=z, g=g, f=f)


def domke():
    x = sg.var("x")
    f1 = sg.exp(x)
    f3 = f1 + f1 ** 2
    return sg.compile([x], [sg.exp(f3) + sg.sin(f3)])


def _translatable(rec):
    try:
        [_jsops.translate(r) for r in (rec.value, *rec.partials)]
        return True
    except _jsops.Untranslatable:
        return False


def every_op():
    """A graph that uses every op of the table that has a JavaScript rule (erf and erfc have
    none) at least once (tame at the points used)."""
    a, b = sg.var("a"), sg.var("b")
    nodes = [a, b]
    for rec in ops.OPS:
        if not _translatable(rec) or rec.name in ("select_true", "select_false", "link",
                                                  "azmul"):
            continue
        if rec.kind == ops.UNARY:
            fn = getattr(sg, rec.name, None) or (lambda v: -v)  # neg is the - operator
            nodes.append(fn(a if rec.domain == ops.REAL else b))
        elif rec.kind == ops.BINARY:
            fn = {"add": lambda p, q: p + q, "sub": lambda p, q: p - q, "mul": lambda p, q: p * q,
                  "div": lambda p, q: p / q, "pow": lambda p, q: p ** q}.get(rec.name) or getattr(sg, rec.name)
            nodes.append(fn(b, a))
    nodes += [a + 1e-05, 1.5 - a, a * 0.999, a / 3, 1 / b, b ** 1.5, 2 ** a, sg.leaky_relu(a, 0.1)]
    total = nodes[2]
    for n in nodes[3:]:
        total = total + n
    return sg.compile([a, b], [total, nodes[5]])


# ---- without a browser: labels, layout, the translator, arguments ---------------------------

def test_pictures_show_what_the_user_wrote():
    x = sg.var("x")
    tape = sg.compile([x], [sg.sqrt(1 / (x / 3 + 1e-05)) * -1.265])
    dot = sg.to_dot(tape)
    for internal in ("rdiv_const", "div_const", "add_const", "mul_const"):
        assert internal not in dot
    for shown in ("x / 3", "x + 1e-05", "1 / x", "x × -1.265", "sqrt"):
        assert shown in dot


def test_a_long_chain_wraps_into_rows(tmp_path):
    x = sg.var("x")
    h = x
    for _ in range(56):
        h = sg.tanh(h * 0.999 + 1e-05)
    tape = sg.compile([x], [h])
    assert tape.n_nodes == 169
    dot = sg.to_dot(tape)
    columns = re.findall(r"\{rank=same; ([^}]*)\}", dot)
    assert 8 <= len(columns) <= 20  # about sqrt(1.5 * 169) columns, not 169
    assert sum(len(c.split(";")) - 1 for c in columns) == 169
    if sg.export.dot_program():
        svg = sg.draw(tape, tmp_path / "chain.svg")
        with open(svg, encoding="utf-8") as fh:
            text = fh.read()
        w, h = map(float, re.search(r'<svg width="([\d.]+)pt" height="([\d.]+)pt"', text).groups())
        assert w / h < 4  # was 17,139 x 720 px


def test_every_op_of_the_table_translates():
    source, missing = _jsops.op_table_js()
    assert missing == [r.name for r in ops.OPS if not _translatable(r)] == ["erf", "erfc"]
    for rec in ops.OPS:
        if rec.kind not in (ops.INPUT_KIND, ops.CONST_KIND) and _translatable(rec):
            assert f"case {rec.code}:" in source


def test_an_op_the_translator_cannot_read_is_listed_not_guessed():
    fake = ops.Op(99, "lgamma", ops.UNARY, "lgamma(x)", ("digamma(x)",))
    source, missing = _jsops.op_table_js(ops.OPS + (fake,))
    assert "lgamma" in missing and "case 99" not in source
    assert _jsops.translate("-x ** 2.0") == "(-_pow(x, 2.0))"  # -x ** 2 is a syntax error in JS
    with pytest.raises(_jsops.Untranslatable):
        _jsops.translate("x.real")


def test_explore_refuses_bad_input(tmp_path):
    tape, _ = staged()
    with pytest.raises(ValueError, match="3 input value"):
        sg.explore(tape, [1.0, 2.0], tmp_path / "p.html")
    with pytest.raises(ValueError, match="max_nodes"):
        sg.explore(tape, [1.0, 2.0, 3.0], tmp_path / "p.html", max_nodes=4)
    with pytest.raises(ValueError, match="labels has key"):
        sg.explore(tape, [1.0, 2.0, 3.0], tmp_path / "p.html", labels={99: "q"})


def test_notebooks_get_the_page_of_small_tapes_only():
    tape, _ = staged()
    html = tape._repr_html_()
    assert html.startswith("<iframe srcdoc=") and "lin(o, x, y)" in html
    x = sg.var("x")
    h = x
    for _ in range(200):
        h = sg.sin(h) + 1.0
    assert "<iframe" not in sg.compile([x], [h])._repr_html_()  # large: the op summary


# ---- in the browser ----------------------------------------------------------------------------

@pytest.fixture(scope="module")
def web():
    if WHY_NOT is not None:
        pytest.skip(f"no browser: {WHY_NOT}")
    driver = browser.open_browser()
    yield driver
    browser.close_browser(driver)


def open_page(web, path):
    web.get("about:blank")
    browser.requests(web)
    browser.console_errors(web)
    start = time.perf_counter()
    web.get("file://" + os.path.abspath(path))
    return time.perf_counter() - start


def shown(web):
    """{node: (value, adjoint, tangent)} as the page shows them ('' where not yet shown)."""
    rows = web.execute_script(
        "return [...document.querySelectorAll('g.node')].map(g => [+g.dataset.node, "
        "g.dataset.value, g.dataset.adjoint, g.dataset.tangent]);")
    return {r[0]: tuple(r[1:]) for r in rows}


def click(web, ident, times=1):
    for _ in range(times):
        web.find_element("id", ident).click()


def choose(web, ident, value):
    from selenium.webdriver.support.ui import Select
    Select(web.find_element("id", ident)).select_by_value(str(value))


def assert_clean(web, path):
    """Nothing fetched but the page itself, and nothing logged as an error."""
    url = "file://" + os.path.abspath(path)
    fetched = [u for u in browser.requests(web) if u != url]
    assert fetched == []
    assert browser.console_errors(web) == []


def check_steps(web, tape, x, which, column, reference, order):
    """Step through one pass; after each step exactly the visited nodes show their number,
    equal to the tape's bit for bit."""
    choose(web, "mode", which)
    click(web, "reset")
    for k in range(tape.n_nodes + 1):
        seen = shown(web)
        visited = set(order[:k])
        for i in range(tape.n_nodes):
            text = seen[i][column]
            if i in visited:
                assert text != "", (which, k, i)
                assert bits(float(text)) == bits(reference[i]), (which, k, i, text, reference[i])
            else:
                assert text == "" or column == 0 and which != "forward", (which, k, i, text)
        if k < tape.n_nodes:
            click(web, "step")


@needs_browser
def test_the_worksheet_steps_through_its_numbers(web, tmp_path):
    tape, node = staged()
    x = [-2.0, 5.0, -4.0]
    path = sg.explore(tape, x, tmp_path / "staged.html", labels={node["g"]: "g", node["f"]: "f"})
    open_page(web, path)
    n = tape.n_nodes
    check_steps(web, tape, x, "forward", 0, tape.values(x), list(range(n)))
    check_steps(web, tape, x, "reverse", 1, tape.adjoints(x), list(range(n - 1, -1, -1)))
    for k in range(3):
        choose(web, "mode", "tangent")
        choose(web, "direction", k)
        check_steps(web, tape, x, "tangent", 2, tape.tangents(x, np.eye(3)[k]), list(range(n)))
    # The worksheet's numbers (part d), independent of the tape.
    choose(web, "mode", "reverse")
    click(web, "end")
    seen = shown(web)
    at = {k: tape.index(v) for k, v in node.items()}
    assert float(seen[at["f"]][0]) == -12.0 and float(seen[at["g"]][0]) == 3.0
    assert [float(seen[at[k]][1]) for k in "xyz"] == [-4.0, -4.0, 3.0]
    assert float(seen[at["g"]][1]) == -4.0
    # The edge into f from g carries local partial z = -4 times the adjoint 1.
    label = web.find_element("css selector", f'[data-edge="{at["g"]}-{at["f"]}"]').text
    assert label == "-4 × 1 = -4"
    # Clicking a node shows its expression in the user's terms.
    web.find_element("css selector", f'g.node[data-node="{at["g"]}"]').click()
    assert web.find_element("id", "info-expr").text == "g = x + y"
    assert web.find_element("id", "info-adjoint").text == "-4"
    assert_clean(web, path)


@needs_browser
def test_where_paths_meet_the_page_shows_the_sum(web, tmp_path):
    x = sg.var("x")
    f1 = sg.exp(x)
    y = f1 + f1 * f1  # f1 reaches y directly and through the product
    tape = sg.compile([x], [y])
    path = sg.explore(tape, [0.5], tmp_path / "meet.html")
    open_page(web, path)
    choose(web, "mode", "reverse")
    click(web, "end")
    g = web.find_element("css selector", f'g.node[data-node="{tape.index(f1)}"]')
    adj = tape.adjoints([0.5])[tape.index(f1)]
    assert bits(float(g.get_attribute("data-adjoint"))) == bits(adj)
    assert g.find_element("css selector", "text.sum").text.startswith("Σ ")
    assert math.isclose(adj, 1 + 2 * math.exp(0.5), rel_tol=1e-15)
    assert_clean(web, path)


@needs_browser
def test_transcendental_graph_at_precomputed_points_is_bit_for_bit(web, tmp_path):
    tape = every_op()
    points = [[0.7, 1.3], [-0.4, 2.5]]
    path = sg.explore(tape, points[0], tmp_path / "ops.html", points=points[1:])
    open_page(web, path)
    for p, x in enumerate(points):
        choose(web, "point", p)
        for out in range(tape.n_outputs):
            choose(web, "mode", "reverse")
            choose(web, "output", out)
            click(web, "end")
            want = tape.adjoints(x, output=out)
            assert [bits(float(v[1])) for _, v in sorted(shown(web).items())] == [bits(w) for w in want]
        vals = tape.values(x)
        assert [bits(float(v[0])) for _, v in sorted(shown(web).items())] == [bits(w) for w in vals]
        for k in range(2):
            choose(web, "mode", "tangent")
            choose(web, "direction", k)
            click(web, "end")
            want = tape.tangents(x, np.eye(2)[k])
            assert [bits(float(v[2])) for _, v in sorted(shown(web).items())] == [bits(w) for w in want]
    assert_clean(web, path)


def type_point(web, x):
    for k, v in enumerate(x):
        field = web.find_element("id", f"x{k}")
        field.clear()
        field.send_keys(v if isinstance(v, str) else repr(float(v)))
    click(web, "evaluate")


@needs_browser
def test_typed_points_match_the_sweeps_exactly_on_ieee_arithmetic(web, tmp_path):
    a, b = sg.var("a"), sg.var("b")
    c = (a * b - a / 3.0) / (b + 0.1)
    d = sg.sqrt(sg.abs(c)) + sg.maximum(a, -b) - sg.relu(a - b) + sg.square(-b) + 1 / a
    tape = sg.compile([a, b], [d, c])
    path = sg.explore(tape, [1.0, 2.0], tmp_path / "arith.html")
    open_page(web, path)
    rng = np.random.default_rng(7)
    for x in rng.uniform(-3.0, 3.0, size=(6, 2)):
        type_point(web, x)
        choose(web, "mode", "reverse")
        click(web, "end")
        seen = sorted(shown(web).items())
        assert [bits(float(v[0])) for _, v in seen] == [bits(w) for w in tape.values(x)]
        assert [bits(float(v[1])) for _, v in seen] == [bits(w) for w in tape.adjoints(x, output=0)]
        choose(web, "mode", "tangent")
        click(web, "end")
        want = tape.tangents(x, [1.0, 0.0])
        assert [bits(float(v[2])) for _, v in sorted(shown(web).items())] == [bits(w) for w in want]
    assert "evaluated in this page" in web.find_element("id", "note").text
    before = shown(web)
    type_point(web, ["abc", 1.0])
    assert "expected 2 number(s)" in web.find_element("id", "note").text
    assert shown(web) == before
    type_point(web, ["-inf", "nan"])  # Python's spelling; the sweeps' IEEE results follow
    choose(web, "mode", "forward")
    click(web, "end")
    want = tape.values([-np.inf, np.nan])
    key = lambda v: "nan" if math.isnan(v) else bits(v)  # NaN's sign is not shown  # noqa: E731
    assert [key(float(v[0])) for _, v in sorted(shown(web).items())] == [key(w) for w in want]
    assert_clean(web, path)


@needs_browser
def test_typed_points_match_the_sweeps_to_1e15_with_math_functions(web, tmp_path):
    tape = every_op()
    path = sg.explore(tape, [0.7, 1.3], tmp_path / "ops.html")
    open_page(web, path)
    rng = np.random.default_rng(3)
    exact = total = 0
    for x in np.c_[rng.uniform(-1.0, 1.0, 5), rng.uniform(0.5, 2.0, 5)]:
        type_point(web, x)
        choose(web, "mode", "reverse")
        click(web, "end")
        seen = sorted(shown(web).items())
        for col, want in ((0, tape.values(x)), (1, tape.adjoints(x, output=0))):
            got = np.array([float(v[col]) for _, v in seen])
            np.testing.assert_allclose(got, want, rtol=1e-15, atol=0)
            exact += int(np.sum(got == want))
            total += got.size
    print(f"typed points: {exact} of {total} numbers bit for bit")
    assert_clean(web, path)


@needs_browser
def test_an_untranslatable_op_leaves_the_precomputed_points_with_a_note(web, tmp_path, monkeypatch):
    monkeypatch.delitem(_jsops._FUNCTIONS, "sin")
    path = sg.explore(domke(), [1.0], tmp_path / "domke.html", points=[[0.5]])
    open_page(web, path)
    assert "sin" in web.find_element("id", "note").text
    assert not web.find_element("id", "evaluate").is_enabled()
    choose(web, "point", 1)
    click(web, "end")
    want = domke().values([0.5])
    assert [bits(float(v[0])) for _, v in sorted(shown(web).items())] == [bits(w) for w in want]
    assert_clean(web, path)


@needs_browser
@pytest.mark.parametrize("n", [100, 1000, 10000])
def test_large_tapes_open_grouped_and_step(web, tmp_path, n):
    """A wide-and-deep tape of about n nodes opens (load time printed, not asserted), shows
    groups above GROUP_ABOVE nodes, and a group opens to its nodes with the tape's values."""
    m = n // 4
    xs = [sg.var(f"x{i}") for i in range(m)]
    total = sg.sin(xs[0] * xs[1])
    for i in range(1, m - 1):
        total = total + sg.sin(xs[i] * xs[i + 1])
    tape = sg.compile(xs, [total])
    x = np.linspace(-1.0, 1.0, m)
    path = sg.explore(tape, x, tmp_path / f"large{n}.html")
    seconds = open_page(web, path)
    print(f"{tape.n_nodes} nodes: page {os.path.getsize(path) / 1e3:.0f} kB, opened in {seconds:.2f} s")
    click(web, "end")
    assert web.find_element("id", "status").text.startswith(f"{tape.n_nodes} / {tape.n_nodes}")
    groups = web.find_elements("css selector", "g.group")
    if tape.n_nodes <= GROUP_ABOVE:
        assert groups == [] and len(shown(web)) == tape.n_nodes
    else:
        assert 10 <= len(groups) <= 400
        groups[-1].click()
        seen = shown(web)
        own = web.find_elements("css selector", "g.node:not(.ghost)")
        assert 0 < len(own) <= 300 and len(seen) <= 600  # + parents from other groups, faded
        values = tape.values(x)
        for i, (v, _, _) in seen.items():
            assert bits(float(v)) == bits(values[i])
        click(web, "overview")
    assert_clean(web, path)


@needs_browser
def test_the_staged_example_writes_a_page_with_the_worksheets_numbers(web, tmp_path):
    import importlib.util
    import sys
    examples = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "examples")
    sys.path.insert(0, examples)
    try:
        spec = importlib.util.spec_from_file_location("example_staged_page", os.path.join(examples, "staged.py"))
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        out = module.main(["--quick", "--plot", "--out", str(tmp_path)])
    finally:
        sys.path.remove(examples)
    open_page(web, out["page"])
    choose(web, "mode", "reverse")
    click(web, "end")
    seen = shown(web)
    by_name = {web.find_element("css selector", f'g.node[data-node="{i}"] text.head').text: v
               for i, v in seen.items()}
    assert float(by_name["f = ×"][0]) == -12.0
    assert [float(by_name[k][1]) for k in ("x", "y", "z")] == [-4.0, -4.0, 3.0]
    assert_clean(web, out["page"])


@needs_browser
def test_typed_points_follow_c_pow_where_javascript_differs(web, tmp_path):
    a, b = sg.var("a"), sg.var("b")
    tape = sg.compile([a, b], [a ** b + 2.0 ** a + b ** 3.0])
    path = sg.explore(tape, [2.0, 3.0], tmp_path / "pow.html")
    open_page(web, path)
    key = lambda v: "nan" if math.isnan(v) else bits(v)  # noqa: E731
    for x in ([1.0, np.nan], [np.nan, 0.0], [-1.0, np.inf], [1.0, -np.inf], [-8.0, 1 / 3], [0.0, -1.0]):
        type_point(web, [repr(v) for v in x])
        click(web, "end")
        got = [key(float(v[0])) for _, v in sorted(shown(web).items())]
        assert got == [key(w) for w in tape.values(x)], x
    assert_clean(web, path)


@needs_browser
def test_names_labels_and_titles_cannot_break_the_page(web, tmp_path):
    # "<!--<script>" in a label put HTML's parser in the script-data escape states, where the
    # page's own </script> did not end the script: nothing ran and the page stayed empty. A
    # title holding "/*DATA*/" received the script as HTML (in <h1>), a syntax error.
    x, y = sg.var("x"), sg.var("y")
    f = sg.sin(x) * y
    tape = sg.compile([x, y], [f])
    hostile = ["<!--<script>", "</script><script>document.title='PWNED'</script>",
               "<img src=x onerror=\"document.title='PWNED'\">", "\u2028'\"\\`${1}"]
    for k, text in enumerate(hostile):
        for kw in ({"labels": {f: text}}, {"title": "/*DATA*/" + text}):
            path = sg.explore(tape, [0.5, 2.0], tmp_path / f"hostile{k}.html", **kw)
            open_page(web, path)
            assert web.execute_script("return typeof DATA === 'object' && DATA.n === 4"), (text, kw)
            assert web.title != "PWNED"  # no injected script ran
            click(web, "end")
            seen = sorted(shown(web).items())
            assert [bits(float(v[0])) for _, v in seen] == [bits(w) for w in tape.values([0.5, 2.0])]
            assert_clean(web, path)
