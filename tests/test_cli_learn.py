"""``workbench suggest``, ``workbench signals`` and the report's new keys, run as processes.

The report's lift, capture, top shares and AUC are checked against the sample leads scored by
the plain-pandas model of ``tests/test_cli.py`` (independent of the scorer and the backtest).
"""

from __future__ import annotations

import io
import json
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from tests.conftest import ROOT
from tests.test_cli import SMALL_MODEL, TIERS, pandas_scores
from workbench.model_file import load_model_file, load_model_text

SAMPLE_LEADS = ROOT / "sample_data" / "leads.csv"
SAMPLE_MODEL = ROOT / "sample_data" / "model.yaml"


def run(*args: object) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "workbench", *map(str, args)],
        capture_output=True,
        text=True,
        encoding="utf-8",
        cwd=ROOT,
        timeout=180,
    )


def test_suggest_writes_a_valid_model(tmp_path: Path) -> None:
    out = tmp_path / "suggested.yaml"
    result = run("suggest", SAMPLE_LEADS, "--outcome", "Converted", "-o", out)
    assert result.returncode == 0, result.stderr
    assert result.stdout == ""
    model = load_model_file(out)
    columns = {c.column for c in model.criteria}
    assert "Demo Requested" in columns
    assert not columns & {"Lead ID", "Converted", "First Name"}  # id, outcome, chance
    assert [t.name for t in model.tiers] == ["cold", "warm", "hot"]
    assert model.description and "AUC" in model.description
    assert "Fitted on 3,000 leads" in result.stderr
    assert f"Wrote the suggested model to {out}" in result.stderr
    # Hot is about the top 10 % of scores.
    scored = run("score", out, SAMPLE_LEADS)
    frame = pd.read_csv(io.StringIO(scored.stdout))
    assert 0.04 <= (frame["tier"] == "hot").mean() <= 0.10


def test_suggest_to_stdout_from_a_model(tmp_path: Path) -> None:
    result = run(
        "suggest", SAMPLE_LEADS, "--outcome", "Converted", "--model", SAMPLE_MODEL, "--no-new"
    )
    assert result.returncode == 0, result.stderr
    model = load_model_text(result.stdout)
    sample = load_model_file(SAMPLE_MODEL)
    assert [c.id for c in model.criteria] == [c.id for c in sample.criteria]
    assert model.tiers == sample.tiers  # a given model keeps its tiers
    assert model.criterion("demo_request").points != 80  # type: ignore[union-attr]
    assert "Current model:" in result.stderr and "Suggested model:" in result.stderr


def test_suggest_with_a_time_split() -> None:
    result = run("suggest", SAMPLE_LEADS, "--outcome", "Converted", "--date", "Created Date")
    assert result.returncode == 0, result.stderr
    assert "which the fit did not see" in result.stderr
    assert "Created Date" not in {c.column for c in load_model_text(result.stdout).criteria}


def test_suggest_user_errors(tmp_path: Path) -> None:
    result = run("suggest", SAMPLE_LEADS, "--outcome", "Convertd")
    assert result.returncode == 1 and result.stdout == ""
    assert 'closest is "Converted"' in result.stderr.strip()
    result = run("suggest", SAMPLE_LEADS, "--outcome", "Converted", "--positive", "maybe")
    assert result.returncode == 1 and "No lead converted" in result.stderr
    copy = tmp_path / "leads.csv"
    copy.write_bytes(SAMPLE_LEADS.read_bytes())
    result = run("suggest", copy, "--outcome", "Converted", "-o", copy)
    assert result.returncode == 1 and "input file" in result.stderr
    assert run("suggest", SAMPLE_LEADS).returncode == 2  # --outcome is required


def test_suggest_on_bank_marketing_leaves_duration_out(bank_full: Path, tmp_path: Path) -> None:
    out = tmp_path / "bank.yaml"
    result = run("suggest", bank_full, "--outcome", "y", "-o", out)
    assert result.returncode == 0, result.stderr
    model = load_model_file(out)
    assert "duration" not in {c.column for c in model.criteria}
    assert "Left out duration: suspected leakage" in result.stderr
    report = json.loads(run("report", out, bank_full, "--outcome", "y", "--json").stdout)
    assert report["auc"] > 0.74
    assert report["lift"]["hot"] > 3 * report["lift"]["cold"]


def test_signals_json_and_text(bank_full: Path) -> None:
    result = run("signals", SAMPLE_LEADS, "--outcome", "Converted", "--json")
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    assert (data["leads"], data["converted"]) == (3000, 351)
    ivs = [s["iv"] for s in data["signals"]]
    assert ivs == sorted(ivs, reverse=True)
    assert data["signals"][0]["column"] == "Demo Requested"
    assert "Lead ID" not in {s["column"] for s in data["signals"]}
    text = run("signals", bank_full, "--outcome", "y")
    assert text.returncode == 0, text.stderr
    line = next(ln for ln in text.stdout.splitlines() if ln.strip().startswith("duration"))
    assert "LEAKAGE?" in line
    assert "Suspected leakage in duration" in text.stdout


# --------------------------------------------------------------------------- report JSON


def independent_metrics(frame: pd.DataFrame) -> dict[str, object]:
    """Lift, capture, top 10/20/30 % and AUC from scored rows, in plain pandas."""
    y = frame["Converted"].str.strip().str.lower().eq("yes").astype(int)
    score = frame["score"]
    base = y.mean()
    lift, capture = {}, {}
    for name, _ in TIERS:
        rows = frame["tier"] == name
        lift[name] = round(y[rows].mean() / base, 3)
        capture[name] = round(y[rows].sum() / y.sum(), 4)
    top = {}
    groups = pd.DataFrame({"s": score, "y": y}).groupby("s")["y"].agg(["size", "sum"])
    groups = groups.sort_index(ascending=False)
    for pct in (10, 20, 30):
        want, taken, conv = len(frame) * pct / 100, 0.0, 0.0
        for s, (n, c) in groups.iterrows():
            part = min(n, want - taken)
            conv += c * part / n  # tied leads at the cut: their share of the group
            taken += part
            lowest = s
            if taken >= want:
                break
        top[str(pct)] = {"leads": round(want), "converted": round(conv, 2), "min_score": lowest}
    ranks = score.rank(method="average")
    p = y.sum()
    auc = (ranks[y == 1].sum() - p * (p + 1) / 2) / (p * (len(y) - p))
    return {"lift": lift, "capture": capture, "top": top, "auc": round(float(auc), 4)}


def test_report_json_gains_lift_capture_top_and_auc(tmp_path: Path) -> None:
    model = tmp_path / "small.yaml"
    model.write_text(SMALL_MODEL, encoding="utf-8")
    result = run("report", model, SAMPLE_LEADS, "--outcome", "Converted", "--json")
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    expected = independent_metrics(pandas_scores(pd.read_csv(SAMPLE_LEADS, dtype=str)))
    assert report["lift"] == pytest.approx(expected["lift"], abs=1e-3)
    assert report["capture"] == pytest.approx(expected["capture"], abs=1e-4)
    assert report["auc"] == pytest.approx(expected["auc"], abs=1e-4)
    for pct, want in expected["top"].items():  # type: ignore[attr-defined]
        got = report["top"][pct]
        assert got["leads"] == want["leads"]
        assert got["converted"] == pytest.approx(want["converted"], abs=0.01)
        assert got["min_score"] == want["min_score"]
        assert got["capture"] == pytest.approx(want["converted"] / 351, abs=1e-4)
    assert report["warnings"] == []
    # Without --outcome the report is unchanged.
    plain = json.loads(run("report", model, SAMPLE_LEADS, "--json").stdout)
    assert not {"lift", "capture", "top", "auc"} & set(plain)
