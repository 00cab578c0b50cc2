"""Altair chart builders: aggregates in, ``alt.Chart`` out.

Every builder is pure and takes only aggregates (a :class:`~workbench.summary.Summary`, a
:class:`~workbench.explain.Breakdown`), never lead rows, so a chart stays far below Altair's
5,000-row limit at any lead count. Tier colours come from :func:`tier_colors` everywhere, so
"hot" is the same red on every page: the lowest tier cool (blue), the highest warm (red).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import altair as alt
import pandas as pd

from workbench.backtest import Backtest
from workbench.diff import Comparison
from workbench.explain import Breakdown, signed
from workbench.model import ScoringModel, format_number
from workbench.summary import Summary

# A diverging blue → orange → red ramp (ColorBrewer RdYlBu without its pale middle, which
# vanishes on a white background). Tiers take evenly spaced points along it.
_RAMP = ("#4575b4", "#74add1", "#fdae61", "#f46d43", "#d73027")

UP = "#2e7d32"  # a criterion that added points
DOWN = "#c62828"  # a criterion that took points away
ADJUST = "#9e9e9e"  # a group cap or the scale clamp
TOTAL = "#37474f"  # the final score bar


def tier_palette(names: Sequence[str]) -> dict[str, str]:
    """Colours for tiers listed from lowest to highest.

    Args:
        names: tier names, lowest first.

    Returns:
        ``{name: "#rrggbb"}``; one tier is blue, two are blue and red, three blue, orange, red.
    """
    n = len(names)
    if n == 0:
        return {}
    if n == 1:
        return {names[0]: _RAMP[0]}
    return {name: _ramp_at(i / (n - 1)) for i, name in enumerate(names)}


def tier_colors(model: ScoringModel) -> dict[str, str]:
    """The colour of each of the model's tiers, lowest cool to highest warm.

    Args:
        model: the scoring model.

    Returns:
        ``{tier name: "#rrggbb"}`` in the model's tier order.
    """
    return tier_palette([t.name for t in model.tiers])


def score_histogram(summary: Summary, model: ScoringModel) -> alt.LayerChart:
    """Leads per score bar, each bar split and coloured by tier, with the tier thresholds.

    Args:
        summary: from :func:`workbench.summary.summarize` with the same model.
        model: the model (for tier order, colours, thresholds and the scale).

    Returns:
        A layered chart: stacked bars (x "Score", y "Leads"), a dashed rule and a label at each
        tier's ``min_score`` except the lowest tier's (it catches everything below the
        others). Tooltips give the score range, the count and the tier. Empty bins are kept
        (as a zero-height row) so the axis always spans the whole scale.
    """
    colors = tier_colors(model)
    order = {name: i for i, name in enumerate(colors)}
    rows: list[dict[str, Any]] = []
    for b in summary.histogram:
        span = f"{format_number(b.start)} to under {format_number(b.end)}"
        counts = [(t, n) for t, n in b.by_tier.items() if n > 0]
        if not counts:
            counts = [(model.tier_for(b.start), 0)]
        for tier, n in sorted(counts, key=lambda tn: order.get(tn[0], len(order))):
            rows.append(
                {
                    "start": b.start,
                    "end": b.end,
                    "range": span,
                    "tier": tier,
                    "tier_order": order.get(tier, len(order)),
                    "count": n,
                    "bar_total": b.count,
                }
            )
    bars_data = pd.DataFrame(
        rows, columns=["start", "end", "range", "tier", "tier_order", "count", "bar_total"]
    )
    x_scale = alt.Scale(domain=[model.scale.min, model.scale.max], nice=False, zero=False)
    color = alt.Color(
        "tier:N",
        title="Tier",
        scale=alt.Scale(domain=list(colors), range=list(colors.values())),
        sort=list(colors),
    )
    bars = (
        alt.Chart(bars_data)
        .mark_bar(orient="vertical", stroke="white", strokeWidth=0.5)
        .encode(
            x=alt.X("start:Q", title="Score", scale=x_scale),
            x2="end:Q",
            y=alt.Y("count:Q", title="Leads", stack="zero"),
            color=color,
            order=alt.Order("tier_order:Q"),
            tooltip=[
                alt.Tooltip("range:N", title="Score"),
                alt.Tooltip("tier:N", title="Tier"),
                alt.Tooltip("count:Q", title="Leads in this tier", format=","),
                alt.Tooltip("bar_total:Q", title="Leads in the bar", format=","),
            ],
        )
    )
    thresholds = pd.DataFrame(
        [
            {
                "score": t.min_score,
                "tier": t.name,
                "label": f"{t.name} from {format_number(t.min_score)}",
            }
            for t in model.tiers[1:]
            if model.scale.min <= t.min_score <= model.scale.max
        ],
        columns=["score", "tier", "label"],
    )
    if thresholds.empty:
        return alt.LayerChart(layer=[bars])
    rule_color = alt.Color(
        "tier:N", scale=alt.Scale(domain=list(colors), range=list(colors.values())), legend=None
    )
    rules = (
        alt.Chart(thresholds)
        .mark_rule(strokeDash=[4, 3], strokeWidth=1.5)
        .encode(
            x=alt.X("score:Q", scale=x_scale),
            color=rule_color,
            tooltip=[alt.Tooltip("label:N", title="Threshold")],
        )
    )
    labels = (
        alt.Chart(thresholds)
        .mark_text(align="left", baseline="top", dx=3, dy=2, fontWeight="bold")
        .encode(x=alt.X("score:Q", scale=x_scale), y=alt.value(0), text="label:N", color=rule_color)
    )
    return alt.LayerChart(layer=[bars, rules, labels])


def conversion_by_tier(summary: Summary) -> alt.LayerChart:
    """Conversion rate per tier, as bars labelled with the counts behind them.

    Args:
        summary: from :func:`workbench.summary.summarize` called with an ``outcome`` column.

    Returns:
        Bars per tier (lowest first, tier colours), y "Conversion rate" as a percentage, and a
        label on each bar such as "12% (60 of 500)"; a tier without leads shows "no leads".

    Raises:
        ValueError: the summary was made without an outcome column.
    """
    if all(t.converted is None for t in summary.tiers):
        raise ValueError("this summary has no outcome column; summarize with outcome=...")
    colors = tier_palette([t.name for t in summary.tiers])
    rows = []
    for t in summary.tiers:
        rate = t.conversion_rate
        converted = t.converted or 0
        if t.count == 0 or rate is None:
            label = "no leads"
        else:
            label = f"{rate:.0%} ({converted:,} of {t.count:,})"
        rows.append(
            {
                "tier": t.name,
                "rate": rate if rate is not None else 0.0,
                "converted": converted,
                "leads": t.count,
                "label": label,
            }
        )
    data = pd.DataFrame(rows, columns=["tier", "rate", "converted", "leads", "label"])
    tiers = list(colors)
    base = alt.Chart(data).encode(
        x=alt.X("tier:N", title="Tier", sort=tiers, axis=alt.Axis(labelAngle=0)),
        y=alt.Y("rate:Q", title="Conversion rate", axis=alt.Axis(format="%")),
        tooltip=[
            alt.Tooltip("tier:N", title="Tier"),
            alt.Tooltip("rate:Q", title="Conversion rate", format=".1%"),
            alt.Tooltip("converted:Q", title="Converted", format=","),
            alt.Tooltip("leads:Q", title="Leads", format=","),
        ],
    )
    bars = base.mark_bar().encode(
        color=alt.Color(
            "tier:N", scale=alt.Scale(domain=tiers, range=list(colors.values())), legend=None
        )
    )
    text = base.mark_text(baseline="bottom", dy=-3).encode(text="label:N")
    return alt.LayerChart(layer=[bars, text])


def waterfall(breakdown: Breakdown, *, include_zero: bool = False) -> alt.LayerChart:
    """One lead's score as steps from 0: a bar per part, then the total.

    Args:
        breakdown: from :func:`workbench.explain.explain_row`.
        include_zero: also draw the criteria that gave 0 points (as empty steps).

    Returns:
        A horizontal waterfall, top to bottom in the breakdown's order: green bars for points
        added, red for points taken away, grey for group caps and the scale clamp, and a dark
        "Total" bar from 0 to the score. The x axis is "Points"; each bar is labelled with its
        signed points, and its tooltip gives the reason in words.
    """
    rows: list[dict[str, Any]] = []
    running = 0.0
    seen: dict[str, int] = {}
    for part in breakdown.parts:
        if part.points == 0 and not include_zero:
            continue
        start, running = running, running + part.points
        if part.kind != "criterion":
            kind, color = "adjustment", ADJUST
        elif part.points >= 0:
            kind, color = "added", UP
        else:
            kind, color = "taken away", DOWN
        rows.append(
            {
                "step": _unique(part.label, seen),
                "start": start,
                "end": running,
                "points": part.points,
                "text": signed(part.points),
                "reason": part.reason,
                "kind": kind,
                "color": color,
            }
        )
    rows.append(
        {
            "step": _unique("Total", seen),
            "start": 0.0,
            "end": breakdown.score,
            "points": breakdown.score,
            "text": f"{format_number(round(breakdown.score, 4))} ({breakdown.tier})",
            "reason": f"Score {format_number(round(breakdown.score, 4))}, tier {breakdown.tier}",
            "kind": "total",
            "color": TOTAL,
        }
    )
    data = pd.DataFrame(rows)
    data["label_at"] = data[["start", "end"]].max(axis=1)
    steps = data["step"].tolist()
    base = alt.Chart(data).encode(
        y=alt.Y("step:N", title=None, sort=steps, axis=alt.Axis(labelLimit=260)),
        tooltip=[
            alt.Tooltip("reason:N", title="Why"),
            alt.Tooltip("text:N", title="Points"),
        ],
    )
    bars = base.mark_bar().encode(
        x=alt.X("start:Q", title="Points"),
        x2="end:Q",
        color=alt.Color("color:N", scale=None, legend=None),
    )
    text = base.mark_text(align="left", dx=4).encode(x="label_at:Q", text="text:N")
    zero = (
        alt.Chart(pd.DataFrame({"x": [0.0]}))
        .mark_rule(color="#616161")
        .encode(x=alt.X("x:Q", title="Points"))
    )
    return alt.LayerChart(layer=[zero, bars, text])


def _unique(label: str, seen: dict[str, int]) -> str:
    """Two parts with the same words would share one axis slot; number the repeats."""
    n = seen.get(label, 0) + 1
    seen[label] = n
    return label if n == 1 else f"{label} ({n})"


def _ramp_at(position: float) -> str:
    """The colour at ``position`` (0..1) along the ramp, interpolated in RGB."""
    scaled = position * (len(_RAMP) - 1)
    i = min(int(scaled), len(_RAMP) - 2)
    frac = scaled - i
    a, b = _rgb(_RAMP[i]), _rgb(_RAMP[i + 1])
    mixed = (round(x + (y - x) * frac) for x, y in zip(a, b, strict=True))
    return "#" + "".join(f"{v:02x}" for v in mixed)


def _rgb(hex_color: str) -> tuple[int, int, int]:
    h = hex_color.lstrip("#")
    return int(h[0:2], 16), int(h[2:4], 16), int(h[4:6], 16)


def gains_chart(result: Backtest) -> alt.LayerChart:
    """The cumulative gains curve beside chance and a perfect ranking.

    Args:
        result: a backtest with conversions.

    Returns:
        Lines: x "Share of leads, highest scores first", y "Share of all conversions",
        one line each for the model, a random order and a perfect order, and points at the
        top 10/20/30 %.
    """
    rows: list[dict[str, Any]] = [{"x": x, "y": y, "line": "This model"} for x, y in result.gains]
    rows += [
        {"x": 0.0, "y": 0.0, "line": "Random order"},
        {"x": 1.0, "y": 1.0, "line": "Random order"},
    ]
    if result.base_rate:
        best = result.base_rate
        rows += [
            {"x": 0.0, "y": 0.0, "line": "Perfect order"},
            {"x": best, "y": 1.0, "line": "Perfect order"},
            {"x": 1.0, "y": 1.0, "line": "Perfect order"},
        ]
    data = pd.DataFrame(rows, columns=["x", "y", "line"])
    lines = ["This model", "Random order", "Perfect order"]
    color = alt.Color(
        "line:N",
        title=None,
        scale=alt.Scale(domain=lines, range=["#d73027", "#9e9e9e", "#4575b4"]),
        sort=lines,
    )
    x = alt.X("x:Q", title="Share of leads, highest scores first", axis=alt.Axis(format="%"))
    y = alt.Y("y:Q", title="Share of all conversions", axis=alt.Axis(format="%"))
    curve = (
        alt.Chart(data)
        .mark_line()
        .encode(
            x=x,
            y=y,
            color=color,
            strokeDash=alt.condition(
                alt.datum.line == "This model", alt.value([1, 0]), alt.value([4, 3])
            ),
            tooltip=[
                alt.Tooltip("line:N", title="Line"),
                alt.Tooltip("x:Q", title="Leads taken", format=".1%"),
                alt.Tooltip("y:Q", title="Conversions captured", format=".1%"),
            ],
        )
    )
    marks = pd.DataFrame(
        [
            {
                "x": t.percent / 100,
                "y": t.capture,
                "label": f"top {t.percent}%: {t.capture:.0%}",
            }
            for t in result.top
            if t.capture is not None
        ],
        columns=["x", "y", "label"],
    )
    points = (
        alt.Chart(marks)
        .mark_point(filled=True, color="#d73027", size=50)
        .encode(x=x, y=y, tooltip=[alt.Tooltip("label:N", title="Top share")])
    )
    labels = (
        alt.Chart(marks)
        .mark_text(align="left", dx=6, dy=8, fontSize=11)
        .encode(x=x, y=y, text="label:N")
    )
    return alt.LayerChart(layer=[curve, points, labels])


def migration_chart(
    cmp: Comparison, old_label: str = "old", new_label: str = "new"
) -> alt.LayerChart:
    """The migration matrix as a heatmap with the count in each cell.

    Rows are the old model's tiers, columns the new model's, highest tier first; cells on
    the diagonal of equally named tiers are leads that stay. Built from the cells only
    (tiers², never lead rows).

    Args:
        cmp: from :func:`compare_models`.
        old_label: the old model's name for the axis title.
        new_label: the new model's name for the axis title.

    Returns:
        An Altair layer chart (rectangles and text).
    """
    frame = pd.DataFrame(
        [
            {
                "old": c.old_tier,
                "new": c.new_tier,
                "leads": c.count,
                "share": c.count / cmp.leads if cmp.leads else 0.0,
                "stays": c.old_tier == c.new_tier,
            }
            for c in cmp.cells
        ]
    )
    rows = [t.name for t in reversed(cmp.old_tiers)]
    cols = [t.name for t in reversed(cmp.new_tiers)]
    base = alt.Chart(frame).encode(
        x=alt.X("new:N", sort=cols, title=f"{new_label} (new tier)", axis=alt.Axis(orient="top")),
        y=alt.Y("old:N", sort=rows, title=f"{old_label} (old tier)"),
    )
    peak = max((c.count for c in cmp.cells), default=0) or 1
    rect = base.mark_rect(stroke="white", strokeWidth=2).encode(
        color=alt.Color("leads:Q", scale=alt.Scale(scheme="blues", domain=[0, peak]), legend=None),
        tooltip=[
            alt.Tooltip("old:N", title="old tier"),
            alt.Tooltip("new:N", title="new tier"),
            alt.Tooltip("leads:Q", format=","),
            alt.Tooltip("share:Q", format=".1%"),
        ],
    )
    text = base.mark_text(fontSize=14, fontWeight="bold").encode(
        text=alt.Text("leads:Q", format=","),
        color=alt.condition(alt.datum.leads > peak / 2, alt.value("white"), alt.value("#1b1f24")),
    )
    return (rect + text).properties(height=60 * len(rows) + 20)


# =========================================================================== text report
