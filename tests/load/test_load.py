"""Opt-in load test: ten people tuning at once on one server, in a real browser.

Run with ``make test-load`` (or ``WORKBENCH_LOAD_TEST=1 pytest tests/load -s``). It starts the
app on a free loopback port with its own data folder, opens ten browser contexts (ten users,
each on a new workspace with the bundled sample) in one Chromium, and has each of them move
the "warm from score" slider on the Tune page, waiting for the page to redraw after every
step, for a bounded time and a bounded number of moves. It checks that

- no page ever shows an error or an exception, and every move was redrawn;
- the server's resident memory (VmRSS from /proc) stays below a bound while they work;
- most of the memory the sessions took is given back once they are gone. Streamlit keeps a
  closed session for two minutes (so a reconnecting tab finds its state), so the test waits
  that long, then opens one more short session, which makes Streamlit drop the expired ones.

Everything stays on 127.0.0.1. Settings (environment variables):

- ``WORKBENCH_LOAD_SESSIONS`` (10), ``WORKBENCH_LOAD_SECONDS`` (60): users and duration;
- ``WORKBENCH_LOAD_MAX_MOVES`` (300): slider moves per user at most;
- ``WORKBENCH_LOAD_MAX_MB_PER_SESSION`` (60): the bound on memory growth per user;
- ``WORKBENCH_LOAD_RELEASE_SECONDS`` (200): how long to wait for the memory to come back.
"""

from __future__ import annotations

import asyncio
import os
import re
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

ENV = "WORKBENCH_LOAD_TEST"
pytestmark = pytest.mark.skipif(os.environ.get(ENV) != "1", reason=f"set {ENV}=1 (make test-load)")

ROOT = Path(__file__).resolve().parents[2]
APP = ROOT / "streamlit_app.py"
CHROMIUM = Path(os.environ.get("WORKBENCH_CHROMIUM", "/usr/bin/chromium"))
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-dev-shm-usage",
]
SESSIONS = int(os.environ.get("WORKBENCH_LOAD_SESSIONS", "10"))
SECONDS = float(os.environ.get("WORKBENCH_LOAD_SECONDS", "60"))
MAX_MOVES = int(os.environ.get("WORKBENCH_LOAD_MAX_MOVES", "300"))
MAX_MB_PER_SESSION = float(os.environ.get("WORKBENCH_LOAD_MAX_MB_PER_SESSION", "60"))
RELEASE_SECONDS = float(os.environ.get("WORKBENCH_LOAD_RELEASE_SECONDS", "200"))
WARM_SLIDER = "warm from score"
STEP_TIMEOUT_MS = 30_000  # one redraw, with ten users on a small machine
OPEN_TIMEOUT_MS = 120_000  # ten first page loads at once each load the sample and score it
MIB = 2**20
SHOTS = ROOT / "artifacts" / "load"


def rss(pid: int) -> int:
    """Resident memory of a process in bytes (VmRSS in /proc/<pid>/status)."""
    with open(f"/proc/{pid}/status", encoding="ascii") as fh:
        for line in fh:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
    raise AssertionError(f"no VmRSS for process {pid}")


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


@dataclass
class Server:
    url: str
    pid: int
    log: Path


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """The app on a free loopback port with an empty data folder."""
    data_dir = tmp_path_factory.mktemp("workbench-data")
    log = tmp_path_factory.mktemp("server") / "streamlit.log"
    port = _free_port()
    env = {**os.environ, "WORKBENCH_DATA_DIR": str(data_dir), "PYTHONUNBUFFERED": "1"}
    env.pop("WORKBENCH_LIBRARY", None)
    cmd = [sys.executable, "-m", "streamlit", "run", str(APP)]
    cmd += ["--server.headless", "true", "--browser.gatherUsageStats", "false"]
    cmd += ["--server.address", "127.0.0.1", "--server.port", str(port)]
    cmd += ["--server.fileWatcherType", "none", "--server.runOnSave", "false"]
    url = f"http://127.0.0.1:{port}"
    with log.open("wb") as out:
        proc = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT)
        try:
            deadline = time.monotonic() + 60
            while not _healthy(f"{url}/_stcore/health"):
                if proc.poll() is not None or time.monotonic() > deadline:
                    pytest.fail(f"the server did not start:\n{log.read_text(errors='replace')}")
                time.sleep(0.2)
            yield Server(url, proc.pid, log)
        finally:
            proc.terminate()
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()


@dataclass
class Stats:
    moves: list[int] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    samples: list[tuple[float, int]] = field(default_factory=list)


async def _user(browser, url: str, deadline: float, stats: Stats, n: int) -> None:  # noqa: ANN001
    """One person: open the Tune page, then step the warm threshold up and down."""
    from playwright.async_api import expect

    context = await browser.new_context(viewport={"width": 1400, "height": 1000})
    context.set_default_timeout(STEP_TIMEOUT_MS)
    page = await context.new_page()
    page.on("pageerror", lambda exc: stats.errors.append(f"user {n}: page error {exc}"))
    moves = 0
    try:
        await page.goto(f"{url}/Tune")
        slider = page.get_by_role("slider", name=WARM_SLIDER)
        await expect(slider).to_be_visible(timeout=OPEN_TIMEOUT_MS)
        value = int(await slider.input_value())
        low, high = value - 5, value + 5
        direction = 1
        await slider.focus()
        while time.monotonic() < deadline and moves < MAX_MOVES:
            if not low < value + direction < high:
                direction = -direction
            await slider.press("ArrowRight" if direction > 0 else "ArrowLeft")
            value += direction
            moves += 1
            await expect(slider).to_have_value(str(value), timeout=STEP_TIMEOUT_MS)
            label = page.get_by_test_id("stMetricLabel").filter(has_text=f"warm (from {value})")
            await expect(label).to_be_visible(timeout=STEP_TIMEOUT_MS)
        for test_id in ("stException", "stAlertContentError"):
            shown = await page.get_by_test_id(test_id).count()
            if shown:
                text = await page.get_by_test_id(test_id).first.inner_text()
                stats.errors.append(f"user {n}: {test_id} shown: {text[:300]}")
    except Exception as exc:  # noqa: BLE001 - every failure is reported with the user's number
        stats.errors.append(f"user {n} after {moves} moves: {type(exc).__name__}: {exc}")
    finally:
        stats.moves.append(moves)
        await context.close()


async def _sample(pid: int, stats: Stats, stop: asyncio.Event) -> None:
    while not stop.is_set():
        stats.samples.append((time.monotonic(), rss(pid)))
        try:
            await asyncio.wait_for(stop.wait(), timeout=0.5)
        except TimeoutError:
            pass


async def _visit(browser, url: str, stats: Stats, why: str) -> None:  # noqa: ANN001
    """One short session (to warm the server up, or to make Streamlit drop the sessions
    whose time is up); a page that does not show its sliders is recorded as an error."""
    from playwright.async_api import expect

    context = await browser.new_context(viewport={"width": 1400, "height": 1000})
    page = await context.new_page()
    try:
        await page.goto(f"{url}/Tune")
        slider = page.get_by_role("slider", name=WARM_SLIDER)
        await expect(slider).to_be_visible(timeout=OPEN_TIMEOUT_MS)
    except Exception as exc:  # noqa: BLE001 - reported with what the page showed
        shown = await page.locator("body").inner_text()
        SHOTS.mkdir(parents=True, exist_ok=True)
        await page.screenshot(path=str(SHOTS / f"visit-{why}-{int(time.time())}.png"))
        stats.errors.append(f"{why} visit: {type(exc).__name__}; the page showed: {shown[:800]}")
    finally:
        await context.close()


async def _run(server: Server) -> dict[str, object]:
    from playwright.async_api import async_playwright

    async with async_playwright() as p:
        browser = await p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            stats = Stats()
            await _visit(browser, server.url, stats, "warm-up")  # imports and caches
            await asyncio.sleep(2)
            base = rss(server.pid)

            stop = asyncio.Event()
            sampler = asyncio.create_task(_sample(server.pid, stats, stop))
            started = time.monotonic()
            deadline = started + SECONDS
            await asyncio.gather(
                *(_user(browser, server.url, deadline, stats, n) for n in range(SESSIONS))
            )
            worked = time.monotonic() - started
            stop.set()
            await sampler
            peak = max(r for _, r in stats.samples)
            closed = rss(server.pid)

            # Streamlit keeps closed sessions for 2 minutes, then drops them on its next
            # session event: wait, visit, and watch the memory come back.
            released = closed
            end = time.monotonic() + RELEASE_SECONDS
            while time.monotonic() < end:
                await asyncio.sleep(15)
                await _visit(browser, server.url, stats, "after")
                released = rss(server.pid)
                if released - base <= 0.5 * (peak - base):
                    break
        finally:
            await browser.close()
    return {
        "base": base,
        "peak": peak,
        "closed": closed,
        "released": released,
        "worked": worked,
        "stats": stats,
    }


def test_ten_sessions_tuning_at_once(server: Server) -> None:
    if not CHROMIUM.is_file():
        pytest.fail(f"Chromium not found at {CHROMIUM}")
    got = asyncio.run(_run(server))
    stats = got["stats"]
    assert isinstance(stats, Stats)
    base, peak, closed, released = (int(got[k]) for k in ("base", "peak", "closed", "released"))  # type: ignore[call-overload]
    print(
        f"\n{SESSIONS} sessions, {sum(stats.moves)} slider moves in {got['worked']:.0f} s "
        f"(per session: {min(stats.moves)}–{max(stats.moves)}); server RSS: "
        f"{base / MIB:.0f} MiB before, {peak / MIB:.0f} MiB peak, {closed / MIB:.0f} MiB "
        f"right after the sessions closed, {released / MIB:.0f} MiB after they expired"
    )
    log = server.log.read_text(encoding="utf-8", errors="replace")
    assert not stats.errors, "\n".join(stats.errors)
    assert not re.search(r"Traceback|Exception in thread", log), log[-3000:]
    assert len(stats.moves) == SESSIONS and min(stats.moves) > 0
    assert peak - base < MAX_MB_PER_SESSION * MIB * SESSIONS
    # Python and DuckDB keep some freed memory for reuse: at least half must come back.
    assert released - base <= 0.5 * max(peak - base, 0) + 20 * MIB
