"""Backtest metrics checked against hand examples and plain pandas/numpy on the raw rows.

Expected values never come from workbench.backtest: tiers and captures are counted with
pandas, the AUC is the rank (Mann–Whitney) formula on the raw rows, and the top-k shares of
the hand example are worked out in the comments.
"""

from __future__ import annotations

import math

import duckdb
import numpy as np
import pandas as pd
import pytest

from workbench.backtest import (
    MIN_CLASS,
    ScoreCounts,
    add_to_report,
    auc,
    backtest,
    date_columns,
    evaluate,
    gains_curve,
    score_counts,
    summary_and_backtest,
    time_split,
    top_share,
    wilson_interval,
)
from workbench.charts import gains_chart
from workbench.model import ScoringModel
from workbench.model_file import model_from_dict
from workbench.summary import summarize

TIERS = [("cold", 0), ("warm", 40), ("hot", 70)]


def identity_model(values: range = range(0, 101)) -> ScoringModel:
    """A model whose score is the 'points' column itself (one band per whole value)."""
    return model_from_dict(
        {
            "format": "lead-scoring-model/1",
            "tiers": [{"name": n, "min_score": s} for n, s in TIERS],
            "criteria": [
                {
                    "id": "s",
                    "column": "points",
                    "kind": "ranges",
                    "bands": [{"from": v, "to": v + 1, "points": v} for v in values],
                }
            ],
        }
    )


def rank_auc(scores: pd.Series, converted: pd.Series) -> float:
    """AUC by the rank formula on raw rows: (R₊ − P(P+1)/2) / (P·N), average ranks for ties."""
    ranks = scores.rank(method="average")
    p = int(converted.sum())
    n = len(scores) - p
    return float((ranks[converted.astype(bool)].sum() - p * (p + 1) / 2) / (p * n))


def load(con: duckdb.DuckDBPyConnection, frame: pd.DataFrame) -> list[str]:
    con.register("frame", frame)
    con.execute("CREATE TABLE leads AS SELECT * FROM frame")
    con.unregister("frame")
    return list(frame.columns)


# The hand example: 20 leads, 6 converted (base rate 0.3).
HAND_SCORES = [90, 90, 80, 70, 70, 60, 50, 50, 40, 40, 30, 30, 30, 20, 20, 10, 10, 10, 0, 0]
HAND_OUTCOME = [1, 1, 0, 1, 0, 1, 0, 0, 1, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0]


@pytest.fixture
def hand(con: duckdb.DuckDBPyConnection) -> tuple[duckdb.DuckDBPyConnection, list[str]]:
    frame = pd.DataFrame(
        {"points": HAND_SCORES, "won": ["yes" if o else "no" for o in HAND_OUTCOME]}
    )
    return con, load(con, frame)


def test_hand_example_tiers(hand: tuple[duckdb.DuckDBPyConnection, list[str]]) -> None:
    con, columns = hand
    bt = backtest(con, identity_model(), "leads", columns, outcome="won")
    assert (bt.leads, bt.converted, bt.base_rate) == (20, 6, 0.3)
    # hot (>= 70): 90 90 80 70 70 -> 3 of 5; warm: 60 50 50 40 40 -> 2 of 5; cold: 1 of 10.
    assert [(t.name, t.leads, t.converted) for t in bt.tiers] == [
        ("cold", 10, 1),
        ("warm", 5, 2),
        ("hot", 5, 3),
    ]
    assert [t.rate for t in bt.tiers] == pytest.approx([0.1, 0.4, 0.6])
    assert [t.capture for t in bt.tiers] == pytest.approx([1 / 6, 2 / 6, 3 / 6])
    assert [t.lift for t in bt.tiers] == pytest.approx([1 / 3, 4 / 3, 2.0])


def test_hand_example_top_shares(hand: tuple[duckdb.DuckDBPyConnection, list[str]]) -> None:
    con, columns = hand
    bt = backtest(con, identity_model(), "leads", columns, outcome="won")
    top = {t.percent: t for t in bt.top}
    # Top 10 % = 2 leads: both 90s, both converted.
    assert (top[10].leads, top[10].converted, top[10].min_score) == (2, 2, 90)
    # Top 20 % = 4 leads: 90, 90, 80 and half of the tied 70s (one of which converted): 2.5.
    assert (top[20].leads, top[20].converted, top[20].min_score) == (4, 2.5, 70)
    assert top[20].capture == pytest.approx(2.5 / 6)
    assert top[20].lift == pytest.approx((2.5 / 4) / 0.3)
    # Top 30 % = 6 leads: 90 90 80 70 70 60 -> 4 converted.
    assert (top[30].leads, top[30].converted) == (6, 4)


def test_hand_example_auc_and_warnings(hand: tuple[duckdb.DuckDBPyConnection, list[str]]) -> None:
    con, columns = hand
    bt = backtest(con, identity_model(), "leads", columns, outcome="won")
    expected = rank_auc(pd.Series(HAND_SCORES), pd.Series(HAND_OUTCOME))
    assert bt.auc == pytest.approx(expected)
    text = " ".join(bt.warnings)
    assert "Only 6 leads converted" in text
    assert "Only 14 leads did not convert" in text
    assert "The hot tier holds only 5 leads" in text
    assert "The cold tier holds only 10 leads" in text


def test_auc_by_hand_with_ties() -> None:
    # Converted at 2 and 1, not converted at 1 and 0: pairs (2>1, 2>0, 1=1 half, 1>0) = 3.5/4.
    counts = ScoreCounts.from_arrays([0, 1, 2], [1, 2, 1], [0, 1, 1])
    assert auc(counts) == pytest.approx(3.5 / 4)
    assert auc(ScoreCounts.from_arrays([5], [3], [3])) is None


def random_leads(n: int = 5000, seed: int = 1) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    points = rng.integers(0, 101, n)
    p = 1 / (1 + np.exp(-(points - 70) / 12))
    return pd.DataFrame({"points": points, "won": np.where(rng.random(n) < p, "Yes", "No")})


def test_metrics_match_pandas_on_random_leads(con: duckdb.DuckDBPyConnection) -> None:
    frame = random_leads()
    columns = load(con, frame)
    bt = backtest(con, identity_model(), "leads", columns, outcome="won")
    y = (frame["won"] == "Yes").astype(int)
    assert bt.auc == pytest.approx(rank_auc(frame["points"], y), abs=1e-12)
    base = y.mean()
    tier = pd.cut(frame["points"], [-1, 39, 69, 100], labels=["cold", "warm", "hot"])
    for t in bt.tiers:
        rows = tier == t.name
        assert t.leads == rows.sum()
        assert t.converted == y[rows].sum()
        assert t.capture == pytest.approx(y[rows].sum() / y.sum())
        assert t.lift == pytest.approx(y[rows].mean() / base)
        assert t.low is not None and t.high is not None and t.low <= t.rate <= t.high  # type: ignore[operator]
    assert not bt.warnings
    # Gains: from (0, 0) to (1, 1), never falling, and at the end of each score group the
    # share of conversions among the leads scoring at least that much.
    assert bt.gains[0] == (0.0, 0.0) and bt.gains[-1] == pytest.approx((1.0, 1.0))
    ys = [g[1] for g in bt.gains]
    assert ys == sorted(ys)
    at_least_80 = frame["points"] >= 80
    point = (at_least_80.mean(), y[at_least_80].sum() / y.sum())
    assert any(math.isclose(g[0], point[0]) and math.isclose(g[1], point[1]) for g in bt.gains)


def test_top_share_matches_a_random_tie_break_on_average() -> None:
    rng = np.random.default_rng(3)
    scores = rng.integers(0, 5, 400)
    won = rng.random(400) < scores / 6
    counts = ScoreCounts.from_arrays(scores, np.ones(400, int), won.astype(int))
    leads, converted, _ = top_share(counts, 0.25)
    # Average over many random orders of the tied leads of the converted among the top 100.
    trials = []
    for _ in range(2000):
        order = np.lexsort((rng.random(400), -scores))
        trials.append(won[order[:100]].sum())
    assert leads == 100
    assert converted == pytest.approx(np.mean(trials), abs=0.25)


def test_gains_curve_is_thinned_but_keeps_its_ends() -> None:
    rng = np.random.default_rng(5)
    scores = rng.random(5000) * 100
    won = (rng.random(5000) < scores / 100).astype(int)
    counts = ScoreCounts.from_arrays(scores, np.ones(5000, int), won)
    curve = gains_curve(counts, max_points=300)
    assert len(curve) <= 301
    assert curve[0] == (0.0, 0.0) and curve[-1] == pytest.approx((1.0, 1.0))


def test_no_conversions_and_no_leads(con: duckdb.DuckDBPyConnection) -> None:
    columns = load(con, pd.DataFrame({"points": [10, 20, 80], "won": ["no", "no", "no"]}))
    bt = backtest(con, identity_model(), "leads", columns, outcome="won")
    assert bt.auc is None and bt.tiers[0].capture is None and bt.tiers[0].lift is None
    assert any("No lead converted" in w for w in bt.warnings)
    assert bt.headline().startswith("No conversions")
    empty = evaluate(ScoreCounts.from_arrays([], [], []), identity_model())
    assert empty.leads == 0 and empty.base_rate is None
    assert empty.warnings == ["There are no leads to check the model against."]


def test_enough_data_gives_no_warnings() -> None:
    counts = ScoreCounts.from_arrays([10, 50, 90], [100, 100, 100], [5, 20, 60])
    assert MIN_CLASS <= 85
    assert evaluate(counts, identity_model()).warnings == []


def test_score_counts_match_pandas(con: duckdb.DuckDBPyConnection) -> None:
    frame = random_leads(800, seed=9)
    columns = load(con, frame)
    counts = score_counts(con, identity_model(), "leads", columns, outcome="won")
    grouped = frame.assign(y=frame["won"] == "Yes").groupby("points")["y"].agg(["size", "sum"])
    assert list(counts.score) == list(grouped.index.astype(float))
    assert list(counts.leads) == list(grouped["size"])
    assert list(counts.converted) == list(grouped["sum"])


def test_report_keys_are_added() -> None:
    counts = ScoreCounts.from_arrays([10, 50, 90], [100, 100, 100], [5, 20, 60])
    bt = evaluate(counts, identity_model())
    report = add_to_report({"leads": 300}, bt)
    assert report["leads"] == 300
    assert report["lift"] == {
        "cold": round(5 / 100 / (85 / 300), 3),
        "warm": round(0.2 / (85 / 300), 3),
        "hot": round(0.6 / (85 / 300), 3),
    }
    assert report["capture"]["hot"] == round(60 / 85, 4)
    assert report["top"]["10"]["leads"] == 30 and report["top"]["10"]["converted"] == 18
    assert set(report["top"]) == {"10", "20", "30"}
    assert 0.5 < report["auc"] < 1
    assert add_to_report({"leads": 1}, None) == {"leads": 1}


def test_wilson_interval_by_hand() -> None:
    # Values from the closed form (Wilson 1927) with z = 1.96: 0/10 and 5/10.
    low, high = wilson_interval(0, 10)
    assert low == 0 and high == pytest.approx(0.2775, abs=1e-4)
    low, high = wilson_interval(5, 10)
    assert (low, high) == pytest.approx((0.2366, 0.7634), abs=1e-4)
    assert wilson_interval(0, 0) == (0.0, 1.0)


def test_time_split_older_and_recent(con: duckdb.DuckDBPyConnection) -> None:
    frame = random_leads(1000, seed=11)
    days = pd.date_range("2025-01-01", periods=200, freq="D")
    frame["created"] = [str(days[i % 200].date()) for i in range(1000)]  # text dates
    columns = load(con, frame)
    assert date_columns(con, "leads") == ["created"]
    older, recent = time_split(con, "leads", "created", 0.25)
    assert older.end == recent.start
    bt = backtest(con, identity_model(), "leads", columns, outcome="won", date_column="created")
    assert bt.older is not None and bt.recent is not None
    cut = pd.Timestamp(str(recent.start))
    dates = pd.to_datetime(frame["created"])
    assert bt.recent.leads == (dates >= cut).sum()
    assert bt.older.leads == (dates < cut).sum()
    assert 0.2 <= bt.recent.leads / 1000 <= 0.3
    y = (frame["won"] == "Yes").astype(int)
    recent_rows = dates >= cut
    assert bt.recent.auc == pytest.approx(rank_auc(frame["points"][recent_rows], y[recent_rows]))
    assert "Recent leads" in bt.split_sentence()


def test_gains_chart_is_small_and_labelled() -> None:
    counts = ScoreCounts.from_arrays([10, 50, 90], [100, 100, 100], [5, 20, 60])
    spec = gains_chart(evaluate(counts, identity_model())).to_dict()
    titles = {
        layer["encoding"]["x"]["title"]
        for layer in spec["layer"]
        if "title" in layer["encoding"]["x"]
    }
    assert "Share of leads, highest scores first" in titles
    assert len(spec["datasets"]) >= 1


def test_one_scan_summary_and_backtest_equal_the_separate_ones(
    hand: tuple[duckdb.DuckDBPyConnection, list[str]],
) -> None:
    """summary_and_backtest reads the leads once; it must give what the two calls give."""
    con, columns = hand
    model = identity_model()
    summary, bt = summary_and_backtest(con, model, "leads", columns, outcome="won")
    assert summary == summarize(con, model, "leads", columns, outcome="won")
    alone = backtest(con, model, "leads", columns, outcome="won")
    assert bt is not None
    assert (bt.tiers, bt.top, bt.auc, bt.gains) == (alone.tiers, alone.top, alone.auc, alone.gains)
    # The hand example again: 20 leads, 6 converted, median of the 20 scores is 35.
    assert (summary.leads, summary.converted, summary.median) == (20, 6, 35.0)
    assert summary.mean == pytest.approx(sum(HAND_SCORES) / 20)
