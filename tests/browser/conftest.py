"""Real-browser fixtures: the app served on a free loopback port and Debian's Chromium.

The server runs once per test session with its own data folder, so the tests never touch a
developer's ``.workbench-data``. Each test gets a fresh browser context (a new user with no
cookies and no workspace). Screenshots go to ``artifacts/screenshots/`` (git-ignored).

Set ``WORKBENCH_SKIP_BROWSER=1`` to skip these tests on a machine without Chromium; without
it a missing Chromium is a failure, so CI cannot pass by silently skipping. Chromium is
``/usr/bin/chromium`` (Debian's package) unless ``WORKBENCH_CHROMIUM`` names another binary;
Playwright's own browser downloads are never used. The server's output is kept in
``artifacts/streamlit-server.log``.
"""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Generator, Iterator
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import Browser, BrowserContext, Page, Playwright, expect, sync_playwright

ROOT = Path(__file__).resolve().parents[2]
APP = ROOT / "streamlit_app.py"
SCREENSHOTS = ROOT / "artifacts" / "screenshots"
CHROMIUM = Path(os.environ.get("WORKBENCH_CHROMIUM", "/usr/bin/chromium"))
SKIP_ENV = "WORKBENCH_SKIP_BROWSER"
VIEWPORT = {"width": 1400, "height": 1000}
MAX_SHOT_HEIGHT = 6000  # px; Chromium refuses very tall captures
SERVER_START_TIMEOUT_S = 60.0
# The machine has no network: keep Chromium from trying to reach Google's services.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]

# Streamlit reruns asynchronously; these are generous because CI machines are slow.
expect.set_options(timeout=15_000)


def _skip_requested() -> bool:
    return os.environ.get(SKIP_ENV, "").strip() not in ("", "0")


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Skip (loudly, with the reason) only when the user asked for it."""
    if not _skip_requested():
        return
    skip = pytest.mark.skip(reason=f"{SKIP_ENV} is set: real-browser tests not run")
    for item in items:
        if item.get_closest_marker("browser"):
            item.add_marker(skip)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(
    item: pytest.Item, call: pytest.CallInfo[None]
) -> Generator[None, pytest.TestReport, pytest.TestReport]:
    """Remember each phase's outcome on the item so ``page`` can screenshot a failure."""
    report = yield
    setattr(item, f"rep_{report.when}", report)
    return report


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _healthy(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=2) as response:
            return response.status == 200
    except (urllib.error.URLError, OSError):
        return False


@pytest.fixture(scope="session", autouse=True)
def _fresh_screenshots() -> None:
    """Start each run with an empty screenshot folder, so every picture is from this run."""
    if SCREENSHOTS.is_dir():
        for old in SCREENSHOTS.glob("*.png"):
            old.unlink()


@pytest.fixture(scope="session")
def app_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """Start ``streamlit run streamlit_app.py`` on a free port; yield its base URL."""
    if not APP.is_file():
        pytest.fail(f"{APP} does not exist: the app entry point is missing")
    data_dir = tmp_path_factory.mktemp("workbench-data")
    log_path = tmp_path_factory.mktemp("server") / "streamlit.log"
    port = _free_port()
    env = {**os.environ, "WORKBENCH_DATA_DIR": str(data_dir), "PYTHONUNBUFFERED": "1"}
    env.pop("WORKBENCH_LIBRARY", None)  # the model library then lives in the temp data folder
    cmd = [
        sys.executable,
        "-m",
        "streamlit",
        "run",
        str(APP),
        "--server.headless",
        "true",
        "--browser.gatherUsageStats",
        "false",
        "--server.address",
        "127.0.0.1",
        "--server.port",
        str(port),
        "--server.fileWatcherType",
        "none",
        "--server.runOnSave",
        "false",
    ]
    base = f"http://127.0.0.1:{port}"
    with log_path.open("wb") as log:
        proc = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
        try:
            deadline = time.monotonic() + SERVER_START_TIMEOUT_S
            while not _healthy(f"{base}/_stcore/health"):
                if proc.poll() is not None or time.monotonic() > deadline:
                    why = (
                        f"exited with code {proc.returncode}"
                        if proc.poll() is not None
                        else f"not healthy after {SERVER_START_TIMEOUT_S:.0f} s"
                    )
                    output = log_path.read_text(encoding="utf-8", errors="replace")
                    pytest.fail(f"streamlit server {why}; its output:\n{output}")
                time.sleep(0.2)
            yield base
        finally:
            proc.terminate()
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
    # Errors the pages swallowed into the page still show up in the server log: keep it handy.
    (SCREENSHOTS.parent / "streamlit-server.log").parent.mkdir(parents=True, exist_ok=True)
    (SCREENSHOTS.parent / "streamlit-server.log").write_bytes(log_path.read_bytes())


@pytest.fixture(scope="session")
def playwright_instance() -> Iterator[Playwright]:
    """Playwright's driver, started once."""
    with sync_playwright() as p:
        yield p


@pytest.fixture(scope="session")
def browser(playwright_instance: Playwright) -> Iterator[Browser]:
    """Debian's Chromium (never a Playwright-downloaded one); a missing binary fails the test."""
    if not CHROMIUM.is_file():
        pytest.fail(
            f"Chromium not found at {CHROMIUM}: install it (apt-get install -y chromium) or set "
            f"{SKIP_ENV}=1 to skip the real-browser tests"
        )
    b = playwright_instance.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
    yield b
    b.close()


@pytest.fixture
def new_context(browser: Browser) -> Iterator[Callable[[], BrowserContext]]:
    """A factory for fresh browser contexts (each one is a separate user); all closed after."""
    contexts: list[BrowserContext] = []

    def make() -> BrowserContext:
        ctx = browser.new_context(viewport=VIEWPORT, accept_downloads=True)
        ctx.set_default_timeout(15_000)
        contexts.append(ctx)
        return ctx

    yield make
    for ctx in contexts:
        ctx.close()


class App:
    """The running app as a person sees it: open a page, wait for Streamlit, take a picture."""

    def __init__(self, base_url: str) -> None:
        self.base_url = base_url

    def open(self, page: Page, path: str = "") -> None:
        """Go to ``path`` (e.g. ``"Tune"``) in a new session and wait until the script is done."""
        page.goto(f"{self.base_url}/{path.lstrip('/')}")
        self.wait_idle(page)

    def wait_idle(self, page: Page) -> None:
        """Wait until the server is connected and no script run (or fragment run) is going on.

        Right after a click the new run may not have started yet, so tests also wait for the
        text they expect; this only guarantees the page is not half drawn.
        """
        root = page.get_by_test_id("stApp")
        expect(root).to_have_attribute("data-test-connection-state", "CONNECTED")
        expect(root).to_have_attribute("data-test-script-state", "notRunning")

    def go(self, page: Page, label: str | re.Pattern[str]) -> None:
        """Switch page in the same session through the sidebar navigation, as a person would."""
        link = page.get_by_test_id("stSidebarNav").get_by_role("link", name=label)
        target = urlsplit(link.get_attribute("href") or "").path
        link.click()
        # Until the address changes, "not running" could still describe the old page.
        expect(page).to_have_url(re.compile(re.escape(target) + r"(\?|$)"))
        self.wait_idle(page)

    def check_no_error(self, page: Page) -> None:
        """No Streamlit exception box and no traceback text anywhere on the page."""
        self.wait_idle(page)
        boxes = page.get_by_test_id("stException")
        if boxes.count():
            pytest.fail(f"the page shows an exception:\n{boxes.first.inner_text()}")
        expect(page.get_by_test_id("stApp")).not_to_contain_text("Traceback")

    def shot(self, page: Page, name: str) -> Path:
        """Save a screenshot as ``artifacts/screenshots/<name>.png``."""
        return screenshot(page, name)


@pytest.fixture
def app(app_url: str) -> App:
    """Helpers bound to the running server."""
    return App(app_url)


@pytest.fixture
def page(
    new_context: Callable[[], BrowserContext], request: pytest.FixtureRequest
) -> Iterator[Page]:
    """A page in a fresh context; screenshotted to ``failed-<test>.png`` if the test fails."""
    p = new_context().new_page()
    yield p
    report = getattr(request.node, "rep_call", None)
    if report is not None and report.failed and not p.is_closed():
        screenshot(p, f"failed-{request.node.name}")


def screenshot(page: Page, name: str) -> Path:
    """Save the whole page as ``artifacts/screenshots/<name>.png``.

    Streamlit scrolls inside its own container, so ``full_page=True`` alone captures only the
    viewport: the viewport is made as tall as the content for the picture, then restored.
    """
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / (re.sub(r"[^A-Za-z0-9_.-]+", "-", name) + ".png")
    size = page.viewport_size or VIEWPORT
    height = page.evaluate(
        """() => Math.max(window.innerHeight, ...Array.from(
            document.querySelectorAll('[data-testid="stMain"], [data-testid="stAppViewContainer"]'),
            (e) => e.scrollHeight))"""
    )
    page.set_viewport_size({"width": size["width"], "height": min(int(height), MAX_SHOT_HEIGHT)})
    try:
        page.evaluate("() => new Promise((r) => requestAnimationFrame(() => setTimeout(r, 300)))")
        page.screenshot(path=str(path), full_page=True)
    finally:
        page.set_viewport_size(size)
    return path
