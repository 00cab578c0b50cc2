"""The command line, run as a real process: python -m workbench score | report | validate.

Expected scores come from a plain pandas implementation of a small model written here, never
from the code under test.
"""

from __future__ import annotations

import csv
import io
import json
import math
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from tests.conftest import ROOT

SAMPLE_LEADS = ROOT / "sample_data" / "leads.csv"
SAMPLE_MODEL = ROOT / "sample_data" / "model.yaml"

SMALL_MODEL = """\
format: lead-scoring-model/1
name: CLI test model
scale: {min: 0, max: 100}
tiers:
- {name: low, min_score: 0}
- {name: mid, min_score: 40}
- {name: high, min_score: 70}
groups:
  fit: {max_points: 15}
criteria:
- id: demo
  column: Demo Requested
  kind: flag
  points: 50
- id: opens
  column: Marketing Emails Opened
  kind: ranges
  bands:
  - {from: 5, points: 20}
  - {from: 1, to: 5, points: 5}
  missing: -5
- id: industry
  group: fit
  column: Industry
  kind: categories
  points: {Software: 20, Retail: -10}
- id: free_email
  group: fit
  column: Email
  kind: email_domain
  domains: [gmail.com, yahoo.com]
  points: -15
"""
TIERS = [("low", 0), ("mid", 40), ("high", 70)]
YES = {"yes", "y", "true", "1", "x"}


def pandas_scores(leads: pd.DataFrame) -> pd.DataFrame:
    """SMALL_MODEL computed by hand in pandas: points per criterion, score and tier."""
    out = pd.DataFrame(index=leads.index)
    out["demo"] = np.where(leads["Demo Requested"].str.strip().str.lower().isin(YES), 50.0, 0.0)
    opens = pd.to_numeric(leads["Marketing Emails Opened"], errors="coerce")
    out["opens"] = np.select(
        [opens.isna(), opens >= 5, (opens >= 1) & (opens < 5)], [-5.0, 20.0, 5.0], 0.0
    )
    industry = leads["Industry"].fillna("").str.strip().str.lower()
    out["industry"] = np.select([industry == "software", industry == "retail"], [20.0, -10.0], 0.0)
    domain = leads["Email"].fillna("").str.lower().str.rsplit("@", n=1).str[-1]
    out["free_email"] = np.where(domain.isin(["gmail.com", "yahoo.com"]), -15.0, 0.0)
    fit = (out["industry"] + out["free_email"]).clip(-15, 15)
    out["score"] = (out["demo"] + out["opens"] + fit).clip(0, 100)
    out["tier"] = "low"
    for name, floor in TIERS[1:]:
        out.loc[out["score"] >= floor, "tier"] = name
    out["Lead ID"] = leads["Lead ID"]
    out["Converted"] = leads["Converted"]
    return out


@pytest.fixture(scope="module")
def expected() -> pd.DataFrame:
    """The sample leads scored by pandas_scores (read as plain text, empty cells as NaN)."""
    leads = pd.read_csv(SAMPLE_LEADS, dtype=str)
    return pandas_scores(leads)


@pytest.fixture
def small_model(tmp_path: Path) -> Path:
    """SMALL_MODEL as a file."""
    path = tmp_path / "small.yaml"
    path.write_text(SMALL_MODEL, encoding="utf-8")
    return path


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


def assert_user_error(result: subprocess.CompletedProcess[str], *fragments: str) -> None:
    """Exit status 1, nothing on stdout, one readable line on stderr holding ``fragments``."""
    assert result.returncode == 1, result
    assert result.stdout == ""
    message = result.stderr.strip()
    assert message and "\n" not in message, message
    for fragment in fragments:
        assert fragment in message, message


def check_scores(scored: pd.DataFrame, expected: pd.DataFrame) -> None:
    """Every lead is there once, in file order, with the pandas points, score and tier."""
    assert list(scored["Lead ID"]) == list(expected["Lead ID"])
    for cid in ("demo", "opens", "industry", "free_email"):
        np.testing.assert_allclose(scored[f"points__{cid}"].astype(float), expected[cid])
    np.testing.assert_allclose(scored["score"].astype(float), expected["score"])
    assert list(scored["tier"]) == list(expected["tier"])


# --------------------------------------------------------------------------- score


def test_score_to_csv(small_model: Path, tmp_path: Path, expected: pd.DataFrame):
    out = tmp_path / "scored.csv"
    result = run("score", small_model, SAMPLE_LEADS, "-o", out)
    assert result.returncode == 0, result.stderr
    assert "3,000 scored leads" in result.stderr
    scored = pd.read_csv(out, dtype={"Lead ID": str, "tier": str})
    check_scores(scored, expected)
    assert list(scored.columns[:21]) == list(pd.read_csv(SAMPLE_LEADS, nrows=0).columns)


def test_score_to_parquet(small_model: Path, tmp_path: Path, expected: pd.DataFrame):
    out = tmp_path / "scored.parquet"
    result = run("score", small_model, SAMPLE_LEADS, "-o", out)
    assert result.returncode == 0, result.stderr
    assert out.read_bytes()[:4] == b"PAR1"
    check_scores(pd.read_parquet(out), expected)


def test_score_to_stdout(small_model: Path, expected: pd.DataFrame):
    result = run("score", small_model, SAMPLE_LEADS)
    assert result.returncode == 0, result.stderr
    scored = pd.read_csv(io.StringIO(result.stdout), dtype={"Lead ID": str})
    check_scores(scored, expected)


def test_score_keeps_hostile_column_names(tmp_path: Path):
    leads = tmp_path / "leads.csv"
    with leads.open("w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(["x'); DROP TABLE leads; --", 'a"b', "score", "Ünïcode"])
        w.writerow(["yes", "1", "old", "ä"])
        w.writerow(["no", "2", "old", "ö"])
    model = tmp_path / "m.yaml"
    model.write_text(
        "format: lead-scoring-model/1\ntiers: [{name: all, min_score: 0}]\ncriteria:\n"
        '- {id: flag, column: "x\'); DROP TABLE leads; --", kind: flag, points: 10}\n',
        encoding="utf-8",
    )
    result = run("score", model, leads)
    assert result.returncode == 0, result.stderr
    rows = list(csv.reader(io.StringIO(result.stdout)))
    assert rows[0] == [
        "x'); DROP TABLE leads; --",
        'a"b',
        "score_input",
        "Ünïcode",
        "points__flag",
        "score",
        "tier",
    ]
    assert [r[-2] for r in rows[1:]] == ["10.0", "0.0"]


def test_score_refuses_to_overwrite_the_leads(small_model: Path, tmp_path: Path):
    leads = tmp_path / "leads.csv"
    leads.write_bytes(SAMPLE_LEADS.read_bytes())
    assert_user_error(run("score", small_model, leads, "-o", leads), "is the lead file")
    assert leads.read_bytes() == SAMPLE_LEADS.read_bytes()


# --------------------------------------------------------------------------- report


def _expected_tiers(expected: pd.DataFrame, with_outcome: bool) -> list[dict]:
    tiers = []
    for name, floor in TIERS:
        rows = expected[expected["tier"] == name]
        tier = {
            "name": name,
            "min_score": floor,
            "count": len(rows),
            "share": round(len(rows) / len(expected), 4),
        }
        if with_outcome:
            converted = int((rows["Converted"] == "Yes").sum())
            tier["converted"] = converted
            tier["conversion_rate"] = round(converted / len(rows), 4) if len(rows) else None
        tiers.append(tier)
    return tiers


def test_report_json_counts(small_model: Path, expected: pd.DataFrame):
    result = run("report", small_model, SAMPLE_LEADS, "--json")
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    assert report["leads"] == len(expected) == 3000
    assert report["tiers"] == _expected_tiers(expected, with_outcome=False)
    assert all(t["count"] > 0 for t in report["tiers"])
    # Twenty bars of 5 points; a score of exactly 100 goes in the last one.
    bins = np.minimum(np.floor(expected["score"] / 5), 19).astype(int)
    assert [b["count"] for b in report["histogram"]] == [int((bins == i).sum()) for i in range(20)]
    assert [(b["from"], b["to"]) for b in report["histogram"]][:2] == [(0, 5), (5, 10)]
    stats = report["score"]
    assert math.isclose(stats["mean"], round(expected["score"].mean(), 4))
    assert math.isclose(stats["median"], expected["score"].median())
    assert math.isclose(stats["p90"], expected["score"].quantile(0.9))


def test_report_json_with_outcome(small_model: Path, expected: pd.DataFrame):
    result = run("report", small_model, SAMPLE_LEADS, "--outcome", "Converted", "--json")
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    assert report["tiers"] == _expected_tiers(expected, with_outcome=True)
    assert report["converted"] == int((expected["Converted"] == "Yes").sum())


def test_report_positive_values_and_bin_width(small_model: Path, expected: pd.DataFrame):
    result = run(
        "report",
        small_model,
        SAMPLE_LEADS,
        "--outcome",
        "Converted",
        "--positive",
        "No",
        "--bin-width",
        "25",
        "--json",
    )
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    assert report["converted"] == int((expected["Converted"] == "No").sum())
    assert [(b["from"], b["to"]) for b in report["histogram"]] == [
        (0, 25),
        (25, 50),
        (50, 75),
        (75, 100),
    ]


def test_report_text(small_model: Path, expected: pd.DataFrame):
    result = run("report", small_model, SAMPLE_LEADS, "--outcome", "Converted")
    assert result.returncode == 0, result.stderr
    text = result.stdout
    assert "3,000 leads" in text
    counts = expected["tier"].value_counts()
    for name, _ in TIERS:
        line = next(ln for ln in text.splitlines() if ln.startswith(name + " "))
        assert f"{counts[name]:,}" in line.split()
    assert "Converted" in text and "median" in text and "p90" in text
    assert text.count("#") > 20  # the histogram


def test_report_outcome_without_positives_notes_it(small_model: Path):
    result = run("report", small_model, SAMPLE_LEADS, "--outcome", "Country", "--json")
    assert result.returncode == 0
    assert json.loads(result.stdout)["converted"] == 0
    assert "--positive" in result.stderr


def test_report_unknown_outcome_column(small_model: Path):
    assert_user_error(
        run("report", small_model, SAMPLE_LEADS, "--outcome", "Convertd"),
        'no column "Convertd"',
        'closest is "Converted"',
    )


def test_report_absurd_bin_width(small_model: Path):
    assert_user_error(run("report", small_model, SAMPLE_LEADS, "--bin-width", "0.0001"), "bars")


# --------------------------------------------------------------------------- validate


def test_validate_model_only():
    result = run("validate", SAMPLE_MODEL)
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("OK:")


def test_validate_sample_model_fits_sample_leads():
    result = run("validate", SAMPLE_MODEL, SAMPLE_LEADS)
    assert result.returncode == 0, result.stderr
    assert "OK:" in result.stdout and "3,000 leads" in result.stdout


def test_validate_lists_every_problem(tmp_path: Path):
    model = tmp_path / "m.yaml"
    model.write_text(
        SMALL_MODEL.replace("column: Demo Requested", "column: Demo Requestd").replace(
            "{Software: 20, Retail: -10}", "{Sofware: 20, Retail: -10}"
        ),
        encoding="utf-8",
    )
    result = run("validate", model, SAMPLE_LEADS)
    assert result.returncode == 1
    assert result.stdout == ""
    assert "2 problems" in result.stderr
    assert 'no column "Demo Requestd". The closest is "Demo Requested"' in result.stderr
    assert '"Sofware" (closest: "Software")' in result.stderr


# --------------------------------------------------------------------------- user errors


def test_missing_model_file(tmp_path: Path):
    assert_user_error(run("score", tmp_path / "nope.yaml", SAMPLE_LEADS), "no model file")


def test_missing_leads_file(small_model: Path, tmp_path: Path):
    assert_user_error(run("report", small_model, tmp_path / "nope.csv"), "does not exist")


def test_bad_yaml(tmp_path: Path):
    model = tmp_path / "bad.yaml"
    model.write_text("format: lead-scoring-model/1\ntiers: [{name: cold\n", encoding="utf-8")
    assert_user_error(run("validate", model), "could not be read as YAML", "line")


def test_unknown_model_format(tmp_path: Path):
    model = tmp_path / "future.yaml"
    model.write_text(SMALL_MODEL.replace("lead-scoring-model/1", "lead-scoring-model/9"))
    assert_user_error(run("validate", model), "lead-scoring-model/9")


def test_invalid_model(tmp_path: Path):
    model = tmp_path / "typo.yaml"
    model.write_text(SMALL_MODEL.replace("kind: flag", "kind: flagg"), encoding="utf-8")
    assert_user_error(run("score", model, SAMPLE_LEADS), "flagg")


def test_unknown_leads_format(small_model: Path, tmp_path: Path):
    leads = tmp_path / "leads.csv.gz"
    leads.write_bytes(b"\x1f\x8b\x08\x00" + bytes(64))
    assert_user_error(run("score", small_model, leads), "gzip")


def test_model_naming_a_missing_column(tmp_path: Path):
    model = tmp_path / "m.yaml"
    model.write_text(SMALL_MODEL.replace("column: Industry", "column: Industri"), "utf-8")
    for command in ("score", "report"):
        assert_user_error(
            run(command, model, SAMPLE_LEADS), 'no column "Industri"', 'closest is "Industry"'
        )


def test_output_in_a_missing_folder(small_model: Path, tmp_path: Path):
    assert_user_error(
        run("score", small_model, SAMPLE_LEADS, "-o", tmp_path / "no" / "x.csv"), "does not exist"
    )


def test_output_as_excel(small_model: Path, tmp_path: Path):
    assert_user_error(run("score", small_model, SAMPLE_LEADS, "-o", tmp_path / "x.xlsx"), "Excel")


# --------------------------------------------------------------------------- usage


@pytest.mark.parametrize(
    "args",
    [
        [],
        ["frobnicate"],
        ["score", "model.yaml"],
        ["report", "m.yaml", "l.csv", "--bin-width", "wide"],
        ["report", "m.yaml", "l.csv", "--bin-width", "0"],
        ["report", "m.yaml", "l.csv", "--positive", "yes"],
        ["validate"],
    ],
)
def test_wrong_usage_exits_2(args: list[str]):
    result = run(*args)
    assert result.returncode == 2
    assert "usage:" in result.stderr


def test_version_and_help():
    version = run("--version")
    assert version.returncode == 0 and version.stdout.startswith("workbench ")
    helped = run("score", "--help")
    assert helped.returncode == 0 and "-o OUT" in helped.stdout


def test_main_in_process(small_model: Path, capsys: pytest.CaptureFixture[str]):
    from workbench.cli import main

    assert main(["validate", str(small_model)]) == 0
    assert main(["validate"]) == 2
    assert main(["validate", "/nonexistent/model.yaml"]) == 1
    assert "no model file" in capsys.readouterr().err
