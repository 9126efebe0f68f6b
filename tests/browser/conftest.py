"""A real headless Chromium (Debian's chromium and chromium-driver, selenium from PyPI) against a
`perk serve --demo` of its own. Every test fails when the page logged a script error, and keeps
a screenshot of the page it failed on (in tests/browser/screenshots/, not committed)."""

import os
import sys

import pytest
from selenium import webdriver
from selenium.webdriver.chrome.options import Options
from selenium.webdriver.chrome.service import Service

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(__file__)), "python"))
import perkserver  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
SHOTS = os.path.join(HERE, "screenshots")
DOWNLOADS = os.path.join(HERE, "downloads")


def driver_path():
    for candidate in [os.environ.get("CHROMEDRIVER"), "/usr/bin/chromedriver", "/usr/lib/chromium/chromedriver"]:
        if candidate and os.path.exists(candidate):
            return candidate
    pytest.fail("chromium-driver is missing: apt-get install chromium chromium-driver")


@pytest.fixture(scope="session")
def perk():
    proc, base, key = perkserver.start()
    yield base, key
    proc.terminate()
    proc.wait(timeout=10)


@pytest.fixture(scope="session")
def browser():
    options = Options()
    options.add_argument("--headless=new")
    options.add_argument("--no-sandbox")
    options.add_argument("--disable-dev-shm-usage")
    options.add_argument("--window-size=1400,1000")
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    os.makedirs(DOWNLOADS, exist_ok=True)
    options.add_experimental_option("prefs", {"download.default_directory": DOWNLOADS, "download.prompt_for_download": False})
    driver = webdriver.Chrome(service=Service(driver_path()), options=options)
    driver.execute_cdp_cmd("Page.setDownloadBehavior", {"behavior": "allow", "downloadPath": DOWNLOADS})
    driver.implicitly_wait(0)
    yield driver
    driver.quit()


def script_errors(driver):
    """What the page logged as errors: uncaught script errors, console errors, refusals of the
    Content-Security-Policy. (Answers of 4xx the console expects, and shows, are logged by the
    browser as network errors: those are not script errors.)"""
    return [e for e in driver.get_log("browser") if e["level"] == "SEVERE" and e.get("source") != "network"]


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    report = outcome.get_result()
    if report.when == "call" and report.failed and "browser" in item.funcargs:
        os.makedirs(SHOTS, exist_ok=True)
        path = os.path.join(SHOTS, item.name + ".png")
        item.funcargs["browser"].save_screenshot(path)
        report.sections.append(("screenshot", path))


@pytest.fixture(autouse=True)
def no_script_errors(request):
    yield
    if "browser" in request.fixturenames:
        errors = script_errors(request.getfixturevalue("browser"))
        assert not errors, "the page logged errors: %s" % errors
