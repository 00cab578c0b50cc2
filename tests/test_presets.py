"""Each preset loads, scores its own sample (leads + activity log) and reaches every tier."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import duckdb
import pytest

from workbench.activity import EventMapping, load_events
from workbench.loading import load_leads
from workbench.matrix import matrix_counts
from workbench.model_file import load_model_file
from workbench.summary import summarize

PRESETS = Path(__file__).parent.parent / "sample_data" / "presets"
AS_OF = dt.date(2026, 1, 31)

CASES = [
    ("b2b.yaml", "b2b_leads.csv", "b2b_activity.csv", "Lead ID,Activity,Timestamp,Detail"),
    ("b2c.yaml", "b2c_customers.csv", "b2c_activity.csv", "Customer ID,Event,Time,Detail"),
    (
        "worked_example.yaml",
        "worked_example_leads.csv",
        "worked_example_activity.csv",
        "Lead ID,Activity,Timestamp,Detail",
    ),
]


@pytest.mark.parametrize(("model_file", "leads", "activity", "roles"), CASES)
def test_preset_scores_its_sample_with_every_tier(
    model_file: str, leads: str, activity: str, roles: str
) -> None:
    model = load_model_file(PRESETS / model_file)
    con = duckdb.connect()
    loaded = load_leads(con, PRESETS / leads, "leads")
    mapping = EventMapping(*roles.split(","))
    result = load_events(con, PRESETS / activity, mapping)
    assert result.failed_times == 0 and result.rows > 0
    summary = summarize(con, model, "leads", loaded.columns, events="events", as_of=AS_OF)
    counts = {t.name: t.count for t in summary.tiers}
    assert all(n > 0 for n in counts.values()), counts
    if model.matrix is not None:
        grid = matrix_counts(con, model, "leads", loaded.columns, events="events", as_of=AS_OF)
        assert grid.leads == summary.leads and grid.mql > 0 and grid.sql > 0


def test_worked_example_by_hand() -> None:
    """The seed's numbers: consultation 80 + 5 opens 25 + newsletter 15 + visits 10 = 130."""
    model = load_model_file(PRESETS / "worked_example.yaml")
    points = {c.id: getattr(c, "points", None) for c in model.criteria}
    assert points == {"consultation": 80, "email_opens": 25, "newsletter": 15, "visits": 10}
    assert [(t.name, t.min_score) for t in model.tiers] == [("lead", 0), ("MQL", 50), ("SQL", 80)]


def test_old_model_files_load_unchanged() -> None:
    root = Path(__file__).parent.parent
    for path in (root / "docs" / "reference-model.yaml", root / "sample_data" / "model.yaml"):
        model = load_model_file(path)
        assert model.activity is None and model.matrix is None
        assert all(
            c.kind in ("flag", "ranges", "categories", "email_domain") for c in model.criteria
        )
