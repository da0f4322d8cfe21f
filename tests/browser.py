"""Headless Chromium for the explorer tests, driven by Selenium with the system chromedriver.

``open_browser()`` starts Debian's ``chromium`` through ``/usr/bin/chromedriver`` (no
downloads: Selenium Manager is never asked), with a fresh profile and Chromium's own network
chatter switched off, and records console messages and network requests so the tests can
check that the page fetches nothing and logs no error. ``why_not()`` says why no browser is
available (the tests skip with that message).
"""

import json
import os
import shutil
import tempfile

CHROMIUM = ("chromium", "chromium-browser", "google-chrome")
DRIVER = ("/usr/bin/chromedriver", "/usr/lib/chromium/chromedriver")


def _find():
    binary = next((shutil.which(b) for b in CHROMIUM if shutil.which(b)), None)
    driver = next((d for d in DRIVER if os.path.exists(d)), shutil.which("chromedriver"))
    return binary, driver


def why_not():
    """None when a browser can be driven, else the reason (for pytest.skip)."""
    try:
        import selenium  # noqa: F401
    except ImportError:
        return "selenium is not installed (pip install '.[test]')"
    binary, driver = _find()
    if binary is None or driver is None:
        return ("no headless Chromium: install Debian's chromium and chromium-driver "
                "(apt-get install chromium chromium-driver; .ci/run does it on CI)")
    return None


def open_browser(width=1400, height=900):
    """A Selenium WebDriver on headless Chromium; ``.sg_profile`` is its temporary profile."""
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service
    binary, driver = _find()
    profile = tempfile.mkdtemp(prefix="sg-chromium-")
    opts = webdriver.ChromeOptions()
    opts.binary_location = binary
    for flag in ("--headless=new", "--no-sandbox", "--disable-gpu", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--disable-dev-shm-usage", f"--user-data-dir={profile}",
                 f"--window-size={width},{height}"):
        opts.add_argument(flag)
    opts.set_capability("goog:loggingPrefs", {"browser": "ALL", "performance": "ALL"})
    web = webdriver.Chrome(options=opts, service=Service(executable_path=driver))
    web.sg_profile = profile
    return web


def close_browser(web):
    try:
        web.quit()
    finally:
        shutil.rmtree(web.sg_profile, ignore_errors=True)


def requests(web):
    """URLs the page asked for since the last call (from Chromium's performance log)."""
    urls = []
    for entry in web.get_log("performance"):
        msg = json.loads(entry["message"])["message"]
        if msg.get("method") == "Network.requestWillBeSent":
            urls.append(msg["params"]["request"]["url"])
    return urls


def console_errors(web):
    """Console messages of level SEVERE since the last call."""
    return [e for e in web.get_log("browser") if e.get("level") == "SEVERE"]
