"""The sample leads: generated deterministically, and scored by the sample model with a spread."""

from __future__ import annotations

import csv
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import duckdb
import pytest

from tests.conftest import ROOT
from workbench.loading import load_leads
from workbench.model_file import load_model_file
from workbench.scoring import validate_against_data
from workbench.summary import summarize

SAMPLE = ROOT / "sample_data"
GENERATOR = SAMPLE / "generate_leads.py"
LEADS = SAMPLE / "leads.csv"
MODEL = SAMPLE / "model.yaml"


def generate(out: Path) -> bytes:
    """Run the generator as a user would and return what it wrote."""
    subprocess.run(
        [sys.executable, str(GENERATOR), "--out", str(out)], check=True, capture_output=True
    )
    return out.read_bytes()


def test_generator_is_deterministic_and_matches_the_committed_file(tmp_path: Path):
    first = generate(tmp_path / "a.csv")
    second = generate(tmp_path / "b.csv")
    assert first == second
    assert first == LEADS.read_bytes(), "run sample_data/generate_leads.py and commit the result"


def test_leads_look_like_a_crm_export():
    assert LEADS.stat().st_size < 600_000
    with LEADS.open(newline="", encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    assert len(rows) == 3000
    assert list(rows[0])[:3] == ["Lead ID", "First Name", "Company"]
    assert len({r["Lead ID"] for r in rows}) == 3000
    converted = sum(r["Converted"] == "Yes" for r in rows) / len(rows)
    assert 0.10 <= converted <= 0.15
    for column in ("Industry", "Number of Employees", "Marketing Emails Opened", "Job Title"):
        assert any(r[column] == "" for r in rows), f"{column} should have some missing values"
    for column in ("Form Submitted", "Demo Requested", "Newsletter Subscriber", "Converted"):
        assert {r[column] for r in rows} == {"Yes", "No"}

    def rate(selected: list[dict[str, str]]) -> float:
        return sum(r["Converted"] == "Yes" for r in selected) / len(selected)

    engaged = [
        r
        for r in rows
        if r["Demo Requested"] == "Yes" and int(r["Marketing Emails Opened"] or 0) >= 5
    ]
    assert rate(engaged) > 3 * rate(rows)


@pytest.fixture(scope="module")
def loaded() -> Iterator[tuple[duckdb.DuckDBPyConnection, list[str]]]:
    """The sample leads loaded once for this module."""
    con = duckdb.connect()
    result = load_leads(con, LEADS)
    yield con, result.columns
    con.close()


def test_sample_model_fits_the_sample_leads(loaded):
    con, columns = loaded
    assert validate_against_data(con, load_model_file(MODEL), "leads", columns) == []


def test_sample_model_spreads_leads_over_every_tier(loaded):
    con, columns = loaded
    model = load_model_file(MODEL)
    assert all(c.label and c.note for c in model.criteria)
    summary = summarize(con, model, "leads", columns, outcome="Converted")
    counts = {t.name: t.count for t in summary.tiers}
    assert sum(counts.values()) == 3000
    assert all(n > 0 for n in counts.values()), counts
    assert counts["cold"] < 0.9 * 3000
    rates = [t.conversion_rate or 0.0 for t in summary.tiers]
    assert rates == sorted(rates), "hotter tiers should convert more often"
