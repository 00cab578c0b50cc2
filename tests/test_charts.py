"""Chart builders: the data and titles inside each chart's Vega-Lite spec."""

from __future__ import annotations

from typing import Any

import altair as alt
import pytest

from workbench.charts import (
    conversion_by_tier,
    score_histogram,
    tier_colors,
    tier_palette,
    waterfall,
)
from workbench.explain import Breakdown, Contribution, ContributionKind
from workbench.model import ScoringModel
from workbench.summary import Bin, Summary, TierRow


def make_model(tiers: list[tuple[str, float]]) -> ScoringModel:
    return ScoringModel.model_validate(
        {"tiers": [{"name": n, "min_score": s} for n, s in tiers], "criteria": []}
    )


THREE = make_model([("cold", 0), ("warm", 50), ("hot", 80)])
ONE = make_model([("all", 0)])


def layer_rows(chart: alt.TopLevelMixin, index: int) -> list[dict[str, Any]]:
    """The data rows of one layer, wherever Altair put them (inline or in 'datasets')."""
    spec = chart.to_dict()
    layer = spec["layer"][index]
    data = layer.get("data", spec.get("data"))
    assert data is not None
    if "values" in data:
        return list(data["values"])
    return list(spec["datasets"][data["name"]])


def encodings(chart: alt.TopLevelMixin, index: int) -> dict[str, Any]:
    return dict(chart.to_dict()["layer"][index]["encoding"])


def summary_with(bins: list[Bin], tiers: list[TierRow] | None = None) -> Summary:
    return Summary(
        leads=sum(b.count for b in bins),
        tiers=tiers or [],
        histogram=bins,
        mean=None,
        median=None,
        p90=None,
        minimum=None,
        maximum=None,
    )


# --------------------------------------------------------------------------------- colours


def test_tier_colors_run_cool_to_warm() -> None:
    assert tier_colors(THREE) == {"cold": "#4575b4", "warm": "#fdae61", "hot": "#d73027"}
    assert tier_colors(ONE) == {"all": "#4575b4"}
    assert tier_palette(["a", "b"]) == {"a": "#4575b4", "b": "#d73027"}
    assert tier_palette([]) == {}
    five = tier_palette(list("abcde"))
    assert list(five.values()) == ["#4575b4", "#74add1", "#fdae61", "#f46d43", "#d73027"]


def test_tier_colors_are_distinct_for_many_tiers() -> None:
    names = [f"t{i}" for i in range(9)]
    colors = tier_palette(names)
    assert list(colors) == names
    assert len(set(colors.values())) == 9
    assert all(c.startswith("#") and len(c) == 7 for c in colors.values())


# ------------------------------------------------------------------------------- histogram


def test_histogram_three_tiers() -> None:
    bins = [
        Bin(start=0, end=25, count=10, by_tier={"cold": 10}),
        Bin(start=25, end=50, count=0, by_tier={}),  # an empty bin
        Bin(start=50, end=75, count=4, by_tier={"warm": 4}),
        Bin(start=75, end=100, count=6, by_tier={"hot": 5, "warm": 1}),
    ]
    chart = score_histogram(summary_with(bins), THREE)
    rows = layer_rows(chart, 0)
    assert [(r["start"], r["end"], r["tier"], r["count"]) for r in rows] == [
        (0, 25, "cold", 10),
        (25, 50, "cold", 0),
        (50, 75, "warm", 4),
        (75, 100, "warm", 1),
        (75, 100, "hot", 5),
    ]
    assert rows[4]["range"] == "75 to under 100"
    assert rows[4]["bar_total"] == 6
    enc = encodings(chart, 0)
    assert enc["x"]["title"] == "Score"
    assert enc["y"]["title"] == "Leads"
    assert enc["x"]["scale"]["domain"] == [0, 100]
    assert enc["color"]["scale"]["domain"] == ["cold", "warm", "hot"]
    assert enc["color"]["scale"]["range"] == ["#4575b4", "#fdae61", "#d73027"]
    assert {t["field"] for t in enc["tooltip"]} >= {"range", "count", "tier"}
    # A rule and a label at each threshold except the lowest tier's.
    rules = layer_rows(chart, 1)
    assert [(r["score"], r["tier"]) for r in rules] == [(50, "warm"), (80, "hot")]
    assert chart.to_dict()["layer"][1]["mark"]["type"] == "rule"
    labels = layer_rows(chart, 2)
    assert [r["label"] for r in labels] == ["warm from 50", "hot from 80"]
    assert chart.to_dict()["layer"][2]["encoding"]["text"]["field"] == "label"


def test_histogram_one_tier_has_no_threshold() -> None:
    bins = [Bin(start=0, end=50, count=3, by_tier={"all": 3}), Bin(start=50, end=100, count=0)]
    chart = score_histogram(summary_with(bins), ONE)
    spec = chart.to_dict()
    assert len(spec["layer"]) == 1
    rows = layer_rows(chart, 0)
    assert [(r["start"], r["tier"], r["count"]) for r in rows] == [(0, "all", 3), (50, "all", 0)]


def test_histogram_all_bins_empty() -> None:
    bins = [Bin(start=i * 20, end=(i + 1) * 20, count=0) for i in range(5)]
    chart = score_histogram(summary_with(bins), THREE)
    rows = layer_rows(chart, 0)
    assert [r["count"] for r in rows] == [0] * 5
    # An empty bar is attributed to the tier its start falls in.
    assert [r["tier"] for r in rows] == ["cold", "cold", "cold", "warm", "hot"]


def test_histogram_threshold_outside_the_scale_is_not_drawn() -> None:
    model = ScoringModel.model_validate(
        {
            "scale": {"min": 0, "max": 10},
            "tiers": [{"name": "low", "min_score": -5}, {"name": "mid", "min_score": -1}],
        }
    )
    chart = score_histogram(
        summary_with([Bin(start=0, end=10, count=1, by_tier={"mid": 1})]), model
    )
    assert len(chart.to_dict()["layer"]) == 1


# ------------------------------------------------------------------------------ conversion


def test_conversion_by_tier() -> None:
    tiers = [
        TierRow("cold", 0, count=500, share=0.5, converted=60, conversion_rate=0.12),
        TierRow("warm", 50, count=0, share=0.0, converted=0, conversion_rate=None),
        TierRow("hot", 80, count=500, share=0.5, converted=200, conversion_rate=0.4),
    ]
    chart = conversion_by_tier(summary_with([], tiers))
    rows = layer_rows(chart, 0)
    assert [(r["tier"], r["rate"], r["converted"], r["leads"]) for r in rows] == [
        ("cold", 0.12, 60, 500),
        ("warm", 0.0, 0, 0),
        ("hot", 0.4, 200, 500),
    ]
    assert [r["label"] for r in rows] == ["12% (60 of 500)", "no leads", "40% (200 of 500)"]
    enc = encodings(chart, 0)
    assert enc["y"]["title"] == "Conversion rate"
    assert enc["y"]["axis"]["format"] == "%"
    assert enc["x"]["sort"] == ["cold", "warm", "hot"]
    assert enc["color"]["scale"]["range"] == ["#4575b4", "#fdae61", "#d73027"]
    assert encodings(chart, 1)["text"]["field"] == "label"


def test_conversion_by_tier_needs_an_outcome() -> None:
    tiers = [TierRow("all", 0, count=3, share=1.0)]
    with pytest.raises(ValueError, match="outcome"):
        conversion_by_tier(summary_with([], tiers))


# ------------------------------------------------------------------------------- waterfall


def part(label: str, points: float, kind: ContributionKind = "criterion") -> Contribution:
    return Contribution(label, points, f"why {label}", label if kind == "criterion" else None, kind)


def test_waterfall_steps() -> None:
    b = Breakdown(
        score=85,
        tier="hot",
        parts=[
            part("demo request", 80),
            part("gmail.com", -30),
            part("7 email opens", 25),
            part("Software", 15),
            part("no newsletter", 0),
            part("engagement cap", -5, "cap"),
        ],
    )
    chart = waterfall(b)
    rows = layer_rows(chart, 1)
    # Running totals by hand: 0→80→50→75→90→85, then the total bar 0→85.
    assert [(r["step"], r["start"], r["end"], r["color"]) for r in rows] == [
        ("demo request", 0, 80, "#2e7d32"),
        ("gmail.com", 80, 50, "#c62828"),
        ("7 email opens", 50, 75, "#2e7d32"),
        ("Software", 75, 90, "#2e7d32"),
        ("engagement cap", 90, 85, "#9e9e9e"),
        ("Total", 0, 85, "#37474f"),
    ]
    assert [r["text"] for r in rows] == ["+80", "−30", "+25", "+15", "−5", "85 (hot)"]
    assert rows[1]["reason"] == "why gmail.com"
    enc = encodings(chart, 1)
    assert enc["x"]["title"] == "Points"
    assert enc["y"]["sort"] == [r["step"] for r in rows]
    assert {t["field"] for t in enc["tooltip"]} == {"reason", "text"}


def test_waterfall_with_zero_parts_and_clamp() -> None:
    b = Breakdown(
        score=0,
        tier="cold",
        parts=[
            part("gmail.com", -30),
            part("x", 0),
            part("x", 0),
            part("scale limit", 30, "clamp"),
        ],
    )
    rows = layer_rows(waterfall(b, include_zero=True), 1)
    assert [(r["step"], r["start"], r["end"]) for r in rows] == [
        ("gmail.com", 0, -30),
        ("x", -30, -30),
        ("x (2)", -30, -30),
        ("scale limit", -30, 0),
        ("Total", 0, 0),
    ]
    assert rows[3]["color"] == "#9e9e9e"


def test_waterfall_empty_breakdown() -> None:
    rows = layer_rows(waterfall(Breakdown(score=0, tier="cold", parts=[])), 1)
    assert [(r["step"], r["end"]) for r in rows] == [("Total", 0)]
