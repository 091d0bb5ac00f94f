"""The search page in a real browser: headless Chromium driven by Selenium.

``newsindex serve`` runs on 127.0.0.1 over the sample articles and one
hostile article whose title and body carry script and event-handler markup.
A reader types a query, filters, sorts and pages; the hostile article's
markup must show as text, and none of it may run.

Needs Debian's ``chromium`` and ``chromium-driver`` (``.ci/run`` installs
them); the test is skipped when they are absent. Selenium is pointed at
both binaries, so its manager never looks for (or downloads) a browser.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.remote.webdriver import WebDriver
from selenium.webdriver.support import expected_conditions as ec
from selenium.webdriver.support.select import Select
from selenium.webdriver.support.ui import WebDriverWait

from newsindex import Analyzer, Article, NewsIndex

CHROMIUM = Path("/usr/bin/chromium")
CHROMEDRIVER = Path("/usr/bin/chromedriver")

pytestmark = pytest.mark.skipif(
    not (CHROMIUM.exists() and CHROMEDRIVER.exists()),
    reason="needs Debian's chromium and chromium-driver "
    "(apt-get install chromium chromium-driver; .ci/run installs them)",
)

TOKEN = "browser-test-token"

#: If any of this ran, it would set window.__pwned or add an element.
HOSTILE = Article(
    id="hostile-bandang",
    title=(
        "Banjir bandang <script>window.__pwned = 'title'</script>"
        "<img src=x onerror=\"window.__pwned = 'img'\">"
    ),
    body=(
        "Banjir bandang merendam desa. <svg onload=\"window.__pwned = 'svg'\"></svg> "
        "<script>document.body.insertAdjacentHTML('beforeend', "
        "'<p id=injected>x</p>')</script> <img src=x onerror=window.__pwned=1> "
        "Warga mengungsi."
    ),
    published="2024-05-01",
    source="Suara Pesisir",
    category="Daerah",
    url="javascript:window.__pwned='link'",
)


@pytest.fixture(scope="module")
def server(analyzer: Analyzer, sample_articles: list[Article]) -> Iterator[str]:
    """``newsindex serve`` over the sample and the hostile article; its address."""
    folder = Path(tempfile.mkdtemp(prefix="newsindex-browser-"))
    with NewsIndex.create(folder / "index", analyzer=analyzer) as index:
        index.add_many([*sample_articles, HOSTILE])
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    command = [sys.executable, "-m", "newsindex", "serve", "--index"]
    process = subprocess.Popen(
        [*command, str(folder / "index"), "--port", str(port)],
        env={**os.environ, "NEWSINDEX_WRITE_TOKEN": TOKEN},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}/"
    try:
        _wait_until_up(base, process)
        yield base
    finally:
        process.terminate()
        process.wait(timeout=20)
        shutil.rmtree(folder, ignore_errors=True)


def _wait_until_up(base: str, process: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 30
    while True:
        try:
            with urllib.request.urlopen(base + "api/stats", timeout=5):
                return
        except OSError:
            if process.poll() is not None or time.monotonic() > deadline:
                pytest.fail("newsindex serve did not start")
            time.sleep(0.1)


@pytest.fixture(scope="module")
def browser() -> Iterator[WebDriver]:
    """Headless Chromium, flags as this machine needs, a fresh profile."""
    profile = tempfile.mkdtemp(prefix="newsindex-chromium-")
    options = webdriver.ChromeOptions()
    options.binary_location = str(CHROMIUM)
    for flag in (
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--disable-dev-shm-usage",
        "--window-size=1100,900",
        f"--user-data-dir={profile}",
    ):
        options.add_argument(flag)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    with pytest.MonkeyPatch.context() as patch:
        # Given both paths, Selenium skips its manager; were it to run, it
        # must not download anything.
        patch.setenv("SE_OFFLINE", "true")
        service = Service(str(CHROMEDRIVER))
        driver = webdriver.Chrome(service=service, options=options)
    driver.set_page_load_timeout(20)
    try:
        yield driver
    finally:
        driver.quit()
        shutil.rmtree(profile, ignore_errors=True)


def _wait(driver: WebDriver) -> WebDriverWait[WebDriver]:
    return WebDriverWait(driver, 10)


def _search(driver: WebDriver, words: str) -> None:
    box = driver.find_element(By.CSS_SELECTOR, "input[name=q]")
    box.clear()
    box.send_keys(words, Keys.ENTER)
    _wait(driver).until(ec.url_contains("q=" + words.replace(" ", "+")))
    _wait(driver).until(
        ec.presence_of_element_located((By.CSS_SELECTOR, "article mark"))
    )


def _texts(driver: WebDriver, selector: str) -> list[str]:
    return [e.text for e in driver.find_elements(By.CSS_SELECTOR, selector)]


def test_a_reader_searches_filters_sorts_and_pages(
    server: str, browser: WebDriver
) -> None:
    browser.get(server)
    _search(browser, "harga naik")
    assert len(browser.find_elements(By.CSS_SELECTOR, "article")) == 10
    assert (
        "Results 1\N{EN DASH}10 of"
        in browser.find_element(By.CSS_SELECTOR, ".summary").text
    )

    # Page 2, by its link.
    browser.find_element(By.CSS_SELECTOR, "a[rel=next]").click()
    _wait(browser).until(ec.url_contains("page=2"))
    current = browser.find_element(By.CSS_SELECTOR, "[aria-current=page]")
    assert current.text == "2"
    assert (
        "Results 11\N{EN DASH}"
        in browser.find_element(By.CSS_SELECTOR, ".summary").text
    )

    # A source filter, then newest first: the page's script submits each
    # change; without it the Search button would.
    # (The list names sources as the articles write them.)
    Select(browser.find_element(By.NAME, "source")).select_by_value("Warta Harian")
    _wait(browser).until(ec.url_contains("source=Warta+Harian"))
    assert set(_texts(browser, "article .source")) == {"Warta Harian"}
    Select(browser.find_element(By.NAME, "sort")).select_by_value("newest")
    _wait(browser).until(ec.url_contains("sort=newest"))
    dates = [
        e.get_attribute("datetime") or ""
        for e in browser.find_elements(By.CSS_SELECTOR, "article time")
    ]
    assert dates
    assert dates == sorted(dates, reverse=True)
    assert set(_texts(browser, "article .source")) == {"Warta Harian"}
    _assert_no_policy_violations(browser)


def test_article_markup_shows_as_text_and_never_runs(
    server: str, browser: WebDriver
) -> None:
    browser.get(server)
    _search(browser, "banjir bandang")
    (hostile,) = [
        article
        for article in browser.find_elements(By.CSS_SELECTOR, "article")
        if "__pwned" in article.text
    ]
    assert "<script>window.__pwned = 'title'</script>" in hostile.text
    assert "<svg onload=" in hostile.text or "<script>document.body" in hostile.text
    assert browser.execute_script("return window.__pwned") is None
    assert browser.find_elements(By.ID, "injected") == []
    for tag in ("script", "img", "svg"):
        assert browser.find_elements(By.CSS_SELECTOR, f"main {tag}") == []
    # Its javascript: address is not linked.
    assert hostile.find_elements(By.CSS_SELECTOR, "h2 a") == []
    _assert_no_policy_violations(browser)


def _assert_no_policy_violations(driver: WebDriver) -> None:
    """The page itself needs nothing the Content-Security-Policy forbids."""
    log = driver.get_log("browser")  # type: ignore[attr-defined]  # Chromium's own
    messages = [entry["message"] for entry in log]
    assert not [m for m in messages if "Content Security Policy" in m], messages
