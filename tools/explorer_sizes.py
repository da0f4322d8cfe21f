"""Page size and opening time of the explorer for 10^2, 10^3, 10^4 (and 10^5) node tapes.

Two shapes: "wide" (f = sum_i sin(x_i x_(i+1)): many inputs, a long sum) and "chain" (one
input through tanh(h * 0.999 + 1e-05) repeated). For each, the page is written once and
opened ``REPEAT`` times in headless Chromium; reported: file size, time to write, median
time of ``driver.get`` (until the load event) and of the page's own ``sg-ready`` mark (from
navigation start to a drawn page), and the median time of pressing "end" (the full sweep
and redraw). Run: python tools/explorer_sizes.py [--big]
"""

import os
import statistics
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path[:0] = [ROOT, os.path.join(ROOT, "tests")]
import numpy as np  # noqa: E402
import browser  # noqa: E402
import scalargraph as sg  # noqa: E402

REPEAT = 5


def wide(n):
    m = max(n // 4, 3)
    with sg.Graph():
        xs = [sg.var(f"x{i}") for i in range(m)]
        total = sg.sin(xs[0] * xs[1])
        for i in range(1, m - 1):
            total = total + sg.sin(xs[i] * xs[i + 1])
        return sg.compile(xs, [total])


def chain(n):
    with sg.Graph():
        x = sg.var("x")
        h = x
        for _ in range(n // 3):
            h = sg.tanh(h * 0.999 + 1e-05)
        return sg.compile([x], [h])


def main(argv):
    sizes = (100, 1000, 10000) + ((100000,) if "--big" in argv else ())
    web = browser.open_browser()
    print(f"{'shape':6} {'nodes':>7} {'page':>9} {'write':>7} {'get':>7} {'ready':>7} {'end':>7}")
    try:
        with tempfile.TemporaryDirectory() as tmp:
            for make in (wide, chain):
                for n in sizes:
                    tape = make(n)
                    path = os.path.join(tmp, f"{make.__name__}{n}.html")
                    t = time.perf_counter()
                    sg.explore(tape, np.full(tape.n_inputs, 0.3), path, max_nodes=10 ** 6)
                    write = time.perf_counter() - t
                    gets, readies, ends = [], [], []
                    for _ in range(REPEAT):
                        web.get("about:blank")
                        t = time.perf_counter()
                        web.get("file://" + path)
                        gets.append(time.perf_counter() - t)
                        readies.append(web.execute_script(
                            "return performance.getEntriesByName('sg-ready')[0].startTime") / 1e3)
                        t = time.perf_counter()
                        web.find_element("id", "end").click()
                        web.find_element("id", "status").text
                        ends.append(time.perf_counter() - t)
                    assert browser.console_errors(web) == []
                    print(f"{make.__name__:6} {tape.n_nodes:7d} {os.path.getsize(path) / 1e3:7.0f}kB "
                          f"{write:6.2f}s {statistics.median(gets):6.2f}s "
                          f"{statistics.median(readies):6.2f}s {statistics.median(ends):6.3f}s")
    finally:
        browser.close_browser(web)


if __name__ == "__main__":
    main(sys.argv[1:])
