"""The HTML report in a real headless Chromium: it loads without console errors, its figures render at print
resolution for the size they are shown at, and wide tables fit the page instead of scrolling."""

from __future__ import annotations

import shutil

import pytest
from PIL import Image

# A headless Chromium on the shared report (both_report): 50 s. One worker runs them all (make test's --dist
# loadgroup), so the browser starts once per test run, not once per worker.
pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("browser")]

FLAGS = ("--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
         "--disable-component-update", "--disable-sync", "--no-first-run", "--window-size=1400,1000")
FLAGS_SIZE = (1400, 1000)


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
    from selenium.webdriver.support.wait import WebDriverWait  # selenium is there: browser() skips without it

    browser.get_log("browser")  # drop messages of earlier pages
    browser.get(path.as_uri())
    # get() usually returns after the load event, but not always (a busy machine, 2026-12-06: 'loading' once in
    # about 20 suites): wait for it, as long as a slow machine needs
    WebDriverWait(browser, 60).until(lambda b: b.execute_script("return document.readyState") == "complete")
    return [entry["message"] for entry in browser.get_log("browser") if entry["level"] == "SEVERE"]


def _rendered(browser, selector):
    """(natural width, displayed width, displayed height) of each element matching selector."""
    script = ("return Array.from(document.querySelectorAll(arguments[0])).map(e => "
              "[e.naturalWidth || 0, e.getBoundingClientRect().width, e.getBoundingClientRect().height]);")
    return browser.execute_script(script, selector)


def test_report_loads_without_console_errors_and_figures_render(browser, both_report):
    """No SEVERE console message; every inlined figure decodes and is displayed with a non-zero size."""
    assert _open(browser, both_report.html) == []
    images = _rendered(browser, "figure img")
    assert len(images) == len(both_report.figures) == 8
    assert all(natural > 0 and width > 0 and height > 0 for natural, width, height in images), images


CSS_PX_PER_INCH = 96
PRINT_DPI = 150
WIDTHS = (1400, 1024)
"""Window widths (CSS px) at which every table and figure must fit: a desktop and a small laptop."""
_OVERFLOW = ("return [document.documentElement.scrollWidth, document.documentElement.clientWidth, "
             "Array.from(document.querySelectorAll('table')).filter(t => t.parentElement.scrollWidth > "
             "t.parentElement.clientWidth + 1 || t.getBoundingClientRect().right > "
             "document.documentElement.clientWidth).map(t => t.className)];")


def test_figures_are_shown_at_print_resolution(browser, both_report):
    """Each figure's PNG has >= 150 pixels per inch of the size the page shows the figure at, and no figure is
    shown larger than drawn (an SVG blown up past its size) or wider than the window."""
    browser.set_window_size(WIDTHS[0], 1000)
    _open(browser, both_report.html)
    shown = _rendered(browser, "figure img")
    for figure, (natural, width, _) in zip(both_report.figures, shown):
        with Image.open(figure.png) as png:
            assert png.width >= width / CSS_PX_PER_INCH * PRINT_DPI, (figure.name, png.width, width)
        assert width <= natural + 2.5 and width <= WIDTHS[0], (figure.name, natural, width)  # + 1 px border


@pytest.mark.parametrize("width", WIDTHS)
def test_wide_tables_fit_without_a_scrollbar(browser, both_report, width):
    """At a desktop and a laptop width the page never scrolls sideways and no table overflows its box."""
    browser.set_window_size(width, 1000)
    _open(browser, both_report.html)
    try:
        scroll_width, client_width, overflowing = browser.execute_script(_OVERFLOW)
    finally:
        browser.set_window_size(*FLAGS_SIZE)
    assert overflowing == [] and scroll_width <= client_width, (width, overflowing, scroll_width, client_width)


def test_overflow_check_catches_unwrapped_tables(browser, both_report):
    """Negative control: with cells forbidden to wrap, the same check finds overflowing tables at laptop width."""
    browser.set_window_size(WIDTHS[1], 1000)
    _open(browser, both_report.html)
    browser.execute_script("const s = document.createElement('style'); "
                           "s.textContent = 'th, td { white-space: nowrap !important; }'; document.head.append(s);")
    try:
        _, _, overflowing = browser.execute_script(_OVERFLOW)
    finally:
        browser.set_window_size(*FLAGS_SIZE)
    assert overflowing


def test_failure_link_opens_the_revision_in_the_drill_down(browser, both_report):
    """Following a failure-mode example link scrolls to that revision, inside its opened run section."""
    _open(browser, both_report.html)
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
