"""`run.py --browser`: key-press on a Tune slider → updated tier counts, in a real browser.

For each size it

1. loads the benchmark CSV with ``load_leads`` and writes a workspace the way the app does
   (``workbench.workspace.Workspace``: ``leads.parquet``, ``settings.json``, ``model.json``,
   ``saved-model.json``) into a temporary ``WORKBENCH_DATA_DIR`` — no 130 MB browser upload;
2. starts ``streamlit run streamlit_app.py`` on a free loopback port with that data folder and
   polls ``/_stcore/health``;
3. opens ``/Tune?ws=<id>`` in Debian's Chromium (``/usr/bin/chromium`` through Playwright's
   Python package; never a Playwright-downloaded browser) and waits until the app is idle;
4. focuses the "warm from score" slider and, for each press of ``ArrowRight``, measures in the
   page (``performance.now()``, a ``MutationObserver``) the time from the ``keydown`` event to
   the moment the tier metrics show the new threshold, and to the end of the fragment rerun
   (``data-test-script-state`` back to ``notRunning``). The Python-side wall time from
   ``keyboard.press`` to ``wait_for_function`` returning is kept too (it adds Playwright's
   round trips). Each press waits for the previous rerun to finish, as a person watching the
   page would; the first presses are a warm-up.

The counts the page shows are checked against ``Preview.summarize`` for the same threshold.
"""

from __future__ import annotations

import json
import os
import re
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

import duckdb
import numpy as np

from benchmarks.data import MODEL, OUTCOME, ensure_csv
from workbench.loading import load_leads
from workbench.model_file import model_from_dict, model_to_dict
from workbench.preview import Preview
from workbench.workspace import Workspace

ROOT = Path(__file__).resolve().parent.parent
APP = ROOT / "streamlit_app.py"
CHROMIUM = Path(os.environ.get("WORKBENCH_CHROMIUM", "/usr/bin/chromium"))
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
SLIDER = "warm from score"  # pages/3_Tune.py: f"{tier.name} from score"
TIER = 1  # MODEL["tiers"][1] is "warm"
TIMEOUT_MS = 180_000  # a first load of 5M leads on a busy 2-core machine is slow

# Armed before each press: records (performance.now()) the keydown, the first moment the warm
# tier's metric label shows the new threshold (its count is in the same element, redrawn in the
# same render), and the first moment after that the app is idle again.
ARM_JS = """
(want) => {
  const b = (window.__bench = {pressed: null, shown: null, idle: null, counts: null});
  const app = document.querySelector('[data-testid="stApp"]');
  document.addEventListener(
    'keydown', () => { if (b.pressed === null) b.pressed = performance.now(); },
    {capture: true, once: true});
  const check = () => {
    const now = performance.now();
    if (b.pressed === null) return;
    if (b.shown === null) {
      const metrics = [...document.querySelectorAll('[data-testid="stMetric"]')];
      const hit = metrics.some((m) => {
        const label = m.querySelector('[data-testid="stMetricLabel"]');
        return label !== null && label.innerText.includes(want);
      });
      if (hit) {
        b.shown = now;
        b.counts = metrics.map((m) => {
          const v = m.querySelector('[data-testid="stMetricValue"]');
          const l = m.querySelector('[data-testid="stMetricLabel"]');
          return [l ? l.innerText : '', v ? v.innerText : ''];
        });
      }
    }
    if (b.shown !== null && b.idle === null
        && app.getAttribute('data-test-script-state') === 'notRunning') {
      b.idle = now;
      obs.disconnect();
    }
  };
  const obs = new MutationObserver(check);
  obs.observe(document.body, {subtree: true, childList: true, characterData: true,
                              attributes: true, attributeFilter: ['data-test-script-state']});
}
"""


def available() -> str | None:
    """None when the browser benchmark can run here, else the reason it cannot."""
    if not CHROMIUM.is_file():
        return f"Chromium not found at {CHROMIUM} (apt-get install -y chromium)"
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return "the playwright Python package is not installed"
    return None


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _healthy(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=2) as response:  # noqa: S310 (loopback)
            return bool(response.status == 200)
    except (urllib.error.URLError, OSError):
        return False


def make_workspace(csv: Path, base: Path) -> tuple[str, int]:
    """A workspace under ``base`` holding the benchmark leads and model; (its id, row count)."""
    ws = Workspace.open(None, base=base)
    con = duckdb.connect()
    try:
        loaded = load_leads(con, csv, "leads", filename=csv.name)
        ws.save_leads(con, "leads")
    finally:
        con.close()
    model = model_to_dict(model_from_dict(MODEL))
    ws.save_settings(
        {
            "source": csv.name,
            "is_sample": False,
            "notes": list(loaded.notes),
            "id_column": "lead_id",
            "outcome": OUTCOME,
            "positive_values": [],
            "leakage": [],
        }
    )
    ws.save_model(model)
    ws.save_saved_model(model)
    return ws.id, loaded.rows


def expected_counts(csv: Path, thresholds: list[int]) -> dict[int, list[int]]:
    """Tier counts for each warm threshold, from ``Preview`` (what the page must show)."""
    con = duckdb.connect()
    try:
        loaded = load_leads(con, csv, "leads", filename=csv.name)
        preview = Preview(con, model_from_dict(MODEL), "leads", loaded.columns, outcome=OUTCOME)
        out = {}
        for t in thresholds:
            raw = json.loads(json.dumps(MODEL))
            raw["tiers"][TIER]["min_score"] = t
            out[t] = [tier.count for tier in preview.summarize(model_from_dict(raw)).tiers]
        return out
    finally:
        con.close()


class Server:
    """``streamlit run streamlit_app.py`` on a free loopback port with its own data folder."""

    def __init__(self, data_dir: Path, log: Path) -> None:
        self.port = _free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        env = {**os.environ, "WORKBENCH_DATA_DIR": str(data_dir), "PYTHONUNBUFFERED": "1"}
        env.pop("WORKBENCH_LIBRARY", None)
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
            str(self.port),
            "--server.fileWatcherType",
            "none",
            "--server.runOnSave",
            "false",
        ]
        self.log = log
        self._log = log.open("wb")
        self.proc = subprocess.Popen(
            cmd, cwd=ROOT, env=env, stdout=self._log, stderr=subprocess.STDOUT
        )
        deadline = time.monotonic() + 60
        while not _healthy(f"{self.base}/_stcore/health"):
            if self.proc.poll() is not None or time.monotonic() > deadline:
                self.close()
                tail = log.read_text(errors="replace")[-3000:]
                raise RuntimeError(f"the streamlit server did not come up; its output:\n{tail}")
            time.sleep(0.2)

    def close(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self._log.close()


def _number(text: str) -> int:
    return int(re.sub(r"[^0-9]", "", text) or -1)


def measure(
    rows: int, data: Path, presses: int = 12, warmup: int = 3, quick: int = 8
) -> dict[str, Any]:
    """Open the Tune page on ``rows`` benchmark leads and time slider key-presses.

    ``presses`` timed presses (after ``warmup``) each wait until the previous rerun is over;
    then ``quick`` presses each come 200 ms after the previous one's counts appeared, while
    the rest of that fragment rerun (charts, backtest) may still be going.
    """
    from playwright.sync_api import sync_playwright

    csv = ensure_csv(rows, data)
    start_value = int(MODEL["tiers"][TIER]["min_score"])
    wanted = [start_value + k for k in range(1, warmup + presses + 1)]
    print("   browser: preparing the workspace…", flush=True)
    top = int(MODEL["tiers"][TIER + 1]["min_score"]) - 1
    if wanted[-1] + quick > top:
        raise ValueError(f"{warmup + presses + quick} presses would pass the slider's end")
    expected = expected_counts(csv, list(range(start_value + 1, top + 1)))
    with tempfile.TemporaryDirectory(prefix="bench-browser-") as tmp:
        folder = Path(tmp)
        ws_id, _ = make_workspace(csv, folder / "data")
        server = Server(folder / "data", folder / "streamlit.log")
        try:
            with sync_playwright() as p:
                browser = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
                try:
                    page = browser.new_page(viewport={"width": 1400, "height": 1000})
                    page.set_default_timeout(TIMEOUT_MS)
                    print("   browser: opening the Tune page…", flush=True)
                    t0 = time.perf_counter()
                    page.goto(f"{server.base}/Tune?ws={ws_id}")
                    slider = page.get_by_role("slider", name=SLIDER)
                    slider.wait_for()
                    page.wait_for_selector(
                        '[data-testid="stApp"][data-test-script-state="notRunning"]'
                    )
                    page_load = time.perf_counter() - t0
                    if f"{start_value}" != slider.input_value():
                        raise RuntimeError(
                            f"the warm slider shows {slider.input_value()}, not {start_value}: "
                            "the workspace was not restored"
                        )
                    samples: list[dict[str, float]] = []
                    mismatches = 0
                    print(f"   browser: {warmup} warm-up + {presses} timed presses…", flush=True)
                    for k, value in enumerate(wanted):
                        slider.focus()
                        page.evaluate(ARM_JS, f"warm (from {value})")
                        t_press = time.perf_counter()
                        page.keyboard.press("ArrowRight")
                        page.wait_for_function("window.__bench.shown !== null", polling="raf")
                        wall = time.perf_counter() - t_press
                        page.wait_for_function("window.__bench.idle !== null", polling=50)
                        b = page.evaluate("window.__bench")
                        counts = _tier_counts(b["counts"])
                        if counts != expected[value]:
                            mismatches += 1
                        if k >= warmup:
                            samples.append(
                                {
                                    "shown_ms": b["shown"] - b["pressed"],
                                    "idle_ms": b["idle"] - b["pressed"],
                                    "wall_ms": wall * 1e3,
                                }
                            )
                        page.wait_for_timeout(150)  # a pause between presses, like a person
                    if slider.input_value() != str(wanted[-1]):
                        raise RuntimeError(
                            f"the slider ended at {slider.input_value()}, not {wanted[-1]}"
                        )
                    print(f"   browser: {quick} quick presses (200 ms apart)…", flush=True)
                    quick_ms: list[float] = []
                    for value in range(wanted[-1] + 1, wanted[-1] + quick + 1):
                        slider.focus()
                        page.evaluate(ARM_JS, f"warm (from {value})")
                        page.keyboard.press("ArrowRight")
                        page.wait_for_function("window.__bench.shown !== null", polling="raf")
                        b = page.evaluate("window.__bench")
                        if _tier_counts(b["counts"]) != expected[value]:
                            mismatches += 1
                        quick_ms.append(b["shown"] - b["pressed"])
                        page.wait_for_timeout(200)
                finally:
                    browser.close()
        finally:
            server.close()

    def stat(key: str) -> dict[str, float]:
        values = quick_ms if key == "quick" else [s[key] for s in samples]
        return {
            "median": statistics.median(values),
            "p90": float(np.percentile(values, 90)),
            "min": min(values),
            "max": max(values),
        }

    return {
        "rows": rows,
        "presses": presses,
        "warmup": warmup,
        "page_load_s": page_load,
        "keypress_to_counts_ms": stat("shown_ms"),
        "keypress_to_rerun_done_ms": stat("idle_ms"),
        "wall_ms": stat("wall_ms"),
        "quick_presses": quick,
        "quick_keypress_to_counts_ms": stat("quick"),
        "counts_match_preview": mismatches == 0,
        "count_mismatches": mismatches,
        "samples": samples,
        "quick_samples_ms": quick_ms,
    }


def _tier_counts(metrics: list[list[str]]) -> list[int]:
    """cold, warm, hot counts from the metrics' (label, value) texts."""
    out = []
    for tier in MODEL["tiers"]:
        value = next((v for label, v in metrics if label.startswith(f"{tier['name']} (from")), "")
        out.append(_number(value))
    return out
