"""The HTML report in a real headless Chromium: it loads without console errors and its figures render."""

from __future__ import annotations

import shutil

import pandas as pd
import pytest

from szagents.analysis.load import Runs
from szagents.analysis.report import write_report
from tests.analysis.test_report import REFERENCE

FLAGS = ("--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
         "--disable-component-update", "--disable-sync", "--no-first-run", "--window-size=1400,1000")


@pytest.fixture(scope="module")
def browser():
    """A selenium-driven headless Chromium (skips when chromium, chromedriver or selenium is missing)."""
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    driver_path = shutil.which("chromedriver")
    if not chromium or not driver_path:
        pytest.skip("headless Chromium not installed (Debian: apt-get install chromium chromium-driver)")
    webdriver = pytest.importorskip("selenium.webdriver", reason="selenium not installed (pip install selenium)")
    options = webdriver.ChromeOptions()
    options.binary_location = chromium
    for flag in FLAGS:
        options.add_argument(flag)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(service=webdriver.ChromeService(executable_path=driver_path), options=options)
    yield driver
    driver.quit()


def _open(browser, path):
    """Load a file and return its SEVERE console messages."""
    browser.get_log("browser")  # drop messages of earlier pages
    browser.get(path.as_uri())
    assert browser.execute_script("return document.readyState") == "complete"
    return [entry["message"] for entry in browser.get_log("browser") if entry["level"] == "SEVERE"]


def _rendered(browser, selector):
    """(natural width, displayed width, displayed height) of each element matching selector."""
    script = ("return Array.from(document.querySelectorAll(arguments[0])).map(e => "
              "[e.naturalWidth || 0, e.getBoundingClientRect().width, e.getBoundingClientRect().height]);")
    return browser.execute_script(script, selector)


@pytest.fixture(scope="module")
def page(golden_runs, real_runs, tmp_path_factory):
    """A report on the golden and the real runs together, with reference numbers."""
    both = Runs.concat([golden_runs, real_runs])
    return write_report(both, tmp_path_factory.mktemp("html"), reference=pd.DataFrame(REFERENCE))


def test_report_loads_without_console_errors_and_figures_render(browser, page):
    """No SEVERE console message; every inlined figure decodes and is displayed with a non-zero size."""
    assert _open(browser, page.html) == []
    images = _rendered(browser, "figure img")
    assert len(images) == len(page.figures) == 8
    assert all(natural > 0 and width > 0 and height > 0 for natural, width, height in images), images


def test_failure_link_opens_the_revision_in_the_drill_down(browser, page):
    """Following a failure-mode example link scrolls to that revision, inside its opened run section."""
    _open(browser, page.html)
    link = browser.find_element("css selector", 'table.t-failures a[href="#run-csl-gem-1-rev-1"]')
    link.click()
    target = browser.find_element("id", "run-csl-gem-1-rev-1")
    assert target.is_displayed() and browser.execute_script("return location.hash") == "#run-csl-gem-1-rev-1"


def test_checks_catch_a_broken_page(browser, tmp_path):
    """Negative control: a script error is a SEVERE message and a corrupt inlined image has zero natural width."""
    bad = tmp_path / "bad.html"
    bad.write_text('<!DOCTYPE html><html><head><link rel="icon" href="data:,"></head><body>'
                   '<figure><img src="data:image/svg+xml;base64,AAAA" width="100" height="50"></figure>'
                   "<script>throw new Error('boom');</script></body></html>")
    severe = _open(browser, bad)
    assert any("boom" in message for message in severe)
    assert _rendered(browser, "figure img")[0][0] == 0
