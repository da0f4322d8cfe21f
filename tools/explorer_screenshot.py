"""Screenshot of the explorer page for the README: the Domke graph, reverse pass half done.

Run: python tools/explorer_screenshot.py [docs/explorer.png]  (needs chromium, chromium-driver
and selenium; see tests/browser.py)
"""

import os
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path[:0] = [ROOT, os.path.join(ROOT, "tests"), os.path.join(ROOT, "examples")]
import browser  # noqa: E402
import domke  # noqa: E402
import scalargraph as sg  # noqa: E402
from selenium.webdriver.support.ui import Select  # noqa: E402


def main(path=os.path.join(ROOT, "docs", "explorer.png")):
    tape, x, nodes = domke.build()
    names = ["f1", "f2", "f3", "f4", "f5", "y"]
    with tempfile.TemporaryDirectory() as tmp:
        page = sg.explore(tape, [1.0], os.path.join(tmp, "domke.html"), labels=dict(zip(nodes, names)),
                          title="Domke graph (Prince 7.12): the reverse pass, step by step")
        web = browser.open_browser(1800, 560)
        try:
            web.get("file://" + page)
            Select(web.find_element("id", "mode")).select_by_value("reverse")
            for _ in range(tape.n_nodes - 1):  # every node but x: f1 has just summed its two paths
                web.find_element("id", "step").click()
            web.save_screenshot(path)
        finally:
            browser.close_browser(web)
    print(f"screenshot written: {path}")


if __name__ == "__main__":
    main(*sys.argv[1:])
