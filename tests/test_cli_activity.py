"""The command line with activity criteria: ``--events`` / ``--as-of`` wherever it scores.

Each test runs ``python -m workbench`` in a subprocess on a preset (docs/activity.md); expected
numbers come from the library (``score_frame``, ``backtest``) on a fresh connection.
"""

from __future__ import annotations

import csv
import datetime
import io
import json
import subprocess
import sys
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd
import pytest

from workbench import activity
from workbench.backtest import backtest
from workbench.loading import load_leads
from workbench.model_file import load_model_file
from workbench.scoring import score_frame

ROOT = Path(__file__).resolve().parent.parent
PRESETS = ROOT / "sample_data" / "presets"
AS_OF = datetime.date(2026, 1, 31)


def run(*args: object) -> subprocess.CompletedProcess[str]:
    """Run ``python -m workbench ARGS`` from the repository root and capture its output."""
    result = subprocess.run(
        [sys.executable, "-m", "workbench", *map(str, args)],
        capture_output=True,
        text=True,
        encoding="utf-8",
        cwd=ROOT,
        timeout=120,
    )
    assert "Traceback" not in result.stderr, result.stderr
    return result


@pytest.fixture
def leads(tmp_path: Path) -> Path:
    """The B2B preset's leads plus a made-up "Won" outcome column."""
    with (PRESETS / "b2b_leads.csv").open(newline="", encoding="utf-8") as f:
        rows = list(csv.reader(f))
    path = tmp_path / "b2b_won.csv"
    with path.open("w", newline="", encoding="utf-8") as f:
        writer = csv.writer(f)
        writer.writerow([*rows[0], "Won"])
        for i, row in enumerate(rows[1:]):
            writer.writerow([*row, "yes" if i % 3 == 0 or row[3] == "Software" else "no"])
    return path


def library_con(leads: Path) -> tuple[duckdb.DuckDBPyConnection, list[str], str]:
    con = duckdb.connect()
    loaded = load_leads(con, leads, "leads")
    activity.load_event_file(con, PRESETS / "b2b_activity.csv")
    events = activity.map_events(
        con, activity.EventMapping("Lead ID", "Activity", "Timestamp", "Detail")
    )
    return con, loaded.columns, events.table


EVENTS = ("--events", PRESETS / "b2b_activity.csv", "--as-of", AS_OF.isoformat())
MODEL = PRESETS / "b2b.yaml"


def test_score_with_events_matches_score_frame(leads: Path) -> None:
    result = run("score", MODEL, leads, *EVENTS)
    assert result.returncode == 0, result.stderr
    scored = pd.read_csv(io.StringIO(result.stdout))
    con, columns, events = library_con(leads)
    want = score_frame(
        con,
        load_model_file(MODEL),
        "leads",
        columns,
        events=events,
        as_of=AS_OF,
        order_by_score=False,
    )
    assert list(scored["Lead ID"]) == list(want["Lead ID"])
    points = [c for c in want.columns if c.startswith("points__")]
    for column in [*points, "score"]:
        np.testing.assert_allclose(scored[column].astype(float), want[column].astype(float))
    assert list(scored["tier"]) == list(want["tier"])


def test_report_outcome_json_with_events_has_the_backtest(leads: Path) -> None:
    result = run("report", MODEL, leads, "--outcome", "Won", "--json", *EVENTS)
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    con, columns, events = library_con(leads)
    want = backtest(
        con,
        load_model_file(MODEL),
        "leads",
        columns,
        outcome="Won",
        events=events,
        as_of=AS_OF,
    )
    assert report["leads"] == 120
    assert want.auc is not None
    assert report["auc"] == pytest.approx(want.auc, abs=1e-4)
    assert report["capture"] and report["top"]


@pytest.mark.parametrize(
    "command",
    [
        ("score", MODEL, PRESETS / "b2b_leads.csv"),
        ("report", MODEL, PRESETS / "b2b_leads.csv"),
        ("diff", MODEL, MODEL, PRESETS / "b2b_leads.csv"),
    ],
)
def test_without_events_one_sentence_names_the_option(command: tuple[object, ...]) -> None:
    result = run(*command)
    assert result.returncode == 1
    assert result.stdout == ""
    last = result.stderr.strip().splitlines()[-1]
    assert "activity criteria" in last and "--events" in last, result.stderr


def test_diff_with_events_scores_both_models(leads: Path, tmp_path: Path) -> None:
    stricter = tmp_path / "stricter.yaml"
    text = MODEL.read_text(encoding="utf-8").replace(
        "{name: hot, min_score: 70}", "{name: hot, min_score: 90}"
    )
    assert text != MODEL.read_text(encoding="utf-8")
    stricter.write_text(text, encoding="utf-8")
    result = run("diff", MODEL, stricter, leads, "--outcome", "Won", "--json", *EVENTS)
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    con, columns, events = library_con(leads)
    want = score_frame(con, load_model_file(MODEL), "leads", columns, events=events, as_of=AS_OF)
    hot = int((want["tier"] == "hot").sum())
    between = int(((want["score"] >= 70) & (want["score"] < 90)).sum())
    old_hot = next(t for t in data["old"]["tiers"] if t["name"] == "hot")
    assert old_hot["count"] == hot
    assert data["moved"] == between


def test_lint_and_suggest_with_activity_criteria(leads: Path, tmp_path: Path) -> None:
    linted = run("lint", MODEL, leads)
    assert linted.returncode == 0
    assert "activity criteria" in linted.stderr and "not checked" in linted.stderr

    out = tmp_path / "suggested.yaml"
    result = run("suggest", leads, "--outcome", "Won", "--model", MODEL, "-o", out, *EVENTS)
    assert result.returncode == 0, result.stderr
    suggested = load_model_file(out)
    assert {c.id for c in load_model_file(MODEL).criteria} <= {c.id for c in suggested.criteria}

    missing = run("suggest", leads, "--outcome", "Won", "--model", MODEL)
    assert missing.returncode == 1
    assert "--events" in missing.stderr.strip().splitlines()[-1]
