"""Summaries computed in DuckDB, checked against plain pandas and hand examples."""

from __future__ import annotations

import duckdb
import numpy as np
import pandas as pd
import pytest

from workbench.model import ScoringModel
from workbench.model_file import model_from_dict
from workbench.summary import DEFAULT_POSITIVE, default_bin_width, summarize

MODEL = {
    "format": "lead-scoring-model/1",
    "scale": {"min": 0, "max": 100},
    "tiers": [
        {"name": "cold", "min_score": 0},
        {"name": "warm", "min_score": 40},
        {"name": "hot", "min_score": 70},
    ],
    "criteria": [{"id": "s", "column": "points", "kind": "ranges", "bands": []}],
}


def _model_scoring_raw_points() -> ScoringModel:
    """A model whose score is simply the 'points' column (one band per value 0..100)."""
    raw = dict(MODEL)
    raw["criteria"] = [
        {
            "id": "s",
            "column": "points",
            "kind": "ranges",
            "bands": [{"from": v, "to": v + 1, "points": v} for v in range(0, 101)],
        }
    ]
    return model_from_dict(raw)


def test_hand_example(con: duckdb.DuckDBPyConnection):
    con.execute(
        "CREATE TABLE leads AS SELECT * FROM (VALUES (0,'no'),(10,'no'),(40,'yes'),(55,'No'),"
        "(70,'YES'),(99,'yes'),(100,'won')) t(points, outcome)"
    )
    summary = summarize(
        con,
        _model_scoring_raw_points(),
        "leads",
        ["points", "outcome"],
        outcome="outcome",
        bin_width=25,
    )
    assert summary.leads == 7
    assert [(t.name, t.count, t.converted) for t in summary.tiers] == [
        ("cold", 2, 0),
        ("warm", 2, 1),
        ("hot", 3, 3),
    ]
    assert [t.conversion_rate for t in summary.tiers] == [0.0, 0.5, 1.0]
    # bins [0,25) [25,50) [50,75) [75,100]; 100 lands in the last bin
    assert [(b.start, b.end, b.count) for b in summary.histogram] == [
        (0, 25, 2),
        (25, 50, 1),
        (50, 75, 2),
        (75, 100, 2),
    ]
    assert summary.histogram[2].by_tier == {"warm": 1, "hot": 1}
    assert summary.median == 55
    assert summary.converted == 4
    report = summary.to_json()
    assert report["tiers"][1] == {
        "name": "warm",
        "min_score": 40,
        "count": 2,
        "share": 0.2857,
        "converted": 1,
        "conversion_rate": 0.5,
    }


def test_empty_tiers_and_no_outcome(con: duckdb.DuckDBPyConnection):
    con.execute("CREATE TABLE leads AS SELECT 5 AS points")
    summary = summarize(con, _model_scoring_raw_points(), "leads", ["points"])
    assert [(t.name, t.count, t.share) for t in summary.tiers] == [
        ("cold", 1, 1.0),
        ("warm", 0, 0.0),
        ("hot", 0, 0.0),
    ]
    assert summary.tiers[0].converted is None
    assert "converted" not in summary.to_json()["tiers"][0]
    assert sum(b.count for b in summary.histogram) == 1


def test_empty_table(con: duckdb.DuckDBPyConnection):
    con.execute("CREATE TABLE leads (points INTEGER)")
    summary = summarize(con, _model_scoring_raw_points(), "leads", ["points"])
    assert summary.leads == 0 and summary.mean is None
    assert all(t.count == 0 and t.share == 0 for t in summary.tiers)


@pytest.mark.parametrize("values", [["won"], ["Closed Won", "won"], ["1"]])
def test_user_chosen_positive_values(con: duckdb.DuckDBPyConnection, values: list[str]):
    con.execute(
        "CREATE TABLE leads AS SELECT * FROM "
        "(VALUES (1,'won'),(2,'lost'),(3,'closed won'),(4,'1')) t(points, stage)"
    )
    summary = summarize(
        con,
        _model_scoring_raw_points(),
        "leads",
        ["points", "stage"],
        outcome="stage",
        positive_values=values,
    )
    expected = sum(v in [x.lower() for x in values] for v in ["won", "lost", "closed won", "1"])
    assert summary.converted == expected


@pytest.mark.parametrize(("scale_max", "width"), [(100, 5), (50, 2.5), (3, 0.2), (1000, 50)])
def test_default_bin_width(scale_max: float, width: float):
    raw = dict(
        MODEL,
        scale={"min": 0, "max": scale_max},
        tiers=[{"name": "all", "min_score": 0}],
        criteria=[],
    )
    assert default_bin_width(model_from_dict(raw)) == width


def test_matches_pandas_on_random_leads(con: duckdb.DuckDBPyConnection):
    rng = np.random.default_rng(3)
    n = 20_000
    frame = pd.DataFrame(
        {
            "opens": rng.integers(0, 30, n),
            "demo": rng.choice(["yes", "no"], n, p=[0.2, 0.8]),
            "outcome": rng.choice(["Yes", "no", "1", "0", None], n),
        }
    )
    con.register("raw", frame)
    con.execute("CREATE TABLE leads AS SELECT * FROM raw")
    model = model_from_dict(
        dict(
            MODEL,
            criteria=[
                {
                    "id": "opens",
                    "column": "opens",
                    "kind": "ranges",
                    "bands": [{"from": 20, "points": 45}, {"from": 8, "points": 20}],
                },
                {"id": "demo", "column": "demo", "kind": "flag", "points": 33.5},
            ],
        )
    )
    summary = summarize(con, model, "leads", list(frame.columns), outcome="outcome", bin_width=10)
    score = np.select([frame.opens >= 20, frame.opens >= 8], [45, 20], 0) + np.where(
        frame.demo == "yes", 33.5, 0
    )
    tier = np.select([score >= 70, score >= 40], ["hot", "warm"], "cold")
    won = frame.outcome.fillna("").str.lower().isin(DEFAULT_POSITIVE)
    for row in summary.tiers:
        mask = tier == row.name
        assert row.count == mask.sum()
        assert row.converted == won[mask].sum()
    bins = np.minimum(np.floor(score / 10), 9).astype(int)
    assert [b.count for b in summary.histogram] == list(np.bincount(bins, minlength=10))
    assert summary.mean == pytest.approx(score.mean())
    assert summary.median == pytest.approx(np.median(score))
    assert summary.p90 == pytest.approx(np.quantile(score, 0.9))
