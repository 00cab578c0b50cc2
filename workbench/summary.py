"""Summaries of a scored lead table, computed in DuckDB: tiers, histogram, statistics, conversion.

Only aggregates leave the database, so charts and reports stay small at any lead count.
"""

from __future__ import annotations

import datetime
import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import duckdb

from workbench.compiler import Params, compile_scoring, input_aliases, points_column
from workbench.model import ScoringModel
from workbench.sql import quote_identifier as q
from workbench.sql import resolve_column

# Outcome values that mean "converted" unless the user says otherwise (compared lower-cased).
DEFAULT_POSITIVE = (
    "1",
    "1.0",
    "true",
    "t",
    "yes",
    "y",
    "si",
    "sí",
    "won",
    "closed won",
    "converted",
)


@dataclass(frozen=True)
class TierRow:
    """One tier's count and share, and its conversion when an outcome is known."""

    name: str
    min_score: float
    count: int
    share: float
    converted: int | None = None
    conversion_rate: float | None = None


@dataclass(frozen=True)
class Bin:
    """One histogram bar, split by tier so a chart can colour it."""

    start: float
    end: float
    count: int
    by_tier: dict[str, int] = field(default_factory=dict)


@dataclass(frozen=True)
class Summary:
    """Everything a report or the Tune page shows about one model on one table."""

    leads: int
    tiers: list[TierRow]
    histogram: list[Bin]
    mean: float | None
    median: float | None
    p90: float | None
    minimum: float | None
    maximum: float | None
    converted: int | None = None

    def to_json(self) -> dict[str, Any]:
        """The shape of ``workbench report --json``."""
        tiers = []
        for t in self.tiers:
            row: dict[str, Any] = {
                "name": t.name,
                "min_score": _plain(t.min_score),
                "count": t.count,
                "share": round(t.share, 4),
            }
            if t.converted is not None:
                row["converted"] = t.converted
                row["conversion_rate"] = (
                    None if t.conversion_rate is None else round(t.conversion_rate, 4)
                )
            tiers.append(row)
        out: dict[str, Any] = {
            "leads": self.leads,
            "tiers": tiers,
            "histogram": [
                {"from": _plain(b.start), "to": _plain(b.end), "count": b.count}
                for b in self.histogram
            ],
            "score": {
                "mean": _round(self.mean),
                "median": _round(self.median),
                "p90": _round(self.p90),
                "min": _round(self.minimum),
                "max": _round(self.maximum),
            },
        }
        if self.converted is not None:
            out["converted"] = self.converted
            out["conversion_rate"] = round(self.converted / self.leads, 4) if self.leads else None
        return out


def outcome_sql(column: str, positive_values: Sequence[str] | None, params: Params) -> str:
    """A boolean SQL expression: does this row's outcome mean 'converted'?"""
    values = [v.strip().lower() for v in (positive_values or DEFAULT_POSITIVE)]
    text = f"lower(trim(CAST({q(column)} AS VARCHAR)))"
    return f"coalesce(list_contains({params.add(values)}, {text}), false)"


def default_bin_width(model: ScoringModel) -> float:
    """Twenty bars across the scale, rounded to a readable width."""
    span = model.scale.max - model.scale.min
    raw = span / 20
    for nice in (0.1, 0.2, 0.25, 0.5, 1, 2, 2.5, 5, 10, 20, 25, 50, 100, 200, 250, 500, 1000):
        if raw <= nice:
            return float(nice)
    return float(10 ** math.ceil(math.log10(raw)))


def summarize(
    con: duckdb.DuckDBPyConnection,
    model: ScoringModel,
    table: str,
    columns: Sequence[str],
    *,
    outcome: str | None = None,
    positive_values: Sequence[str] | None = None,
    bin_width: float | None = None,
    events: str | None = None,
    as_of: datetime.date | None = None,
) -> Summary:
    """Score ``table`` with ``model`` and summarise it, all inside DuckDB.

    Args:
        con: the connection holding the table.
        model: the scoring model.
        table: the leads table.
        columns: the table's columns (checked against the model).
        outcome: optional column that says whether a lead converted.
        positive_values: values of ``outcome`` that mean converted (default: DEFAULT_POSITIVE).
        bin_width: histogram bar width on the score scale (default: twenty bars).
        events: the activity log table, for activity criteria.
        as_of: the day activity is scored on (default today).

    Returns:
        Tier counts and shares (every tier, empty ones too), a histogram over the whole scale,
        mean / median / p90, and conversion per tier when ``outcome`` is given.
    """
    width = bin_width or default_bin_width(model)
    if width <= 0:
        raise ValueError("bin_width must be positive")
    keep: list[str] = []
    if outcome is not None:
        keep = [resolve_column(outcome, columns)]
    scoring = compile_scoring(model, table, columns, keep=keep, events=events, as_of=as_of)
    params = Params(prefix="s")
    lo, hi = model.scale.min, model.scale.max
    n_bins = max(1, math.ceil((hi - lo) / width - 1e-9))
    conv = "NULL::BOOLEAN"
    if keep:
        alias = input_aliases(
            keep, [points_column(c.id) for c in model.criteria] + ["score", "tier"]
        )
        conv = outcome_sql(alias[0][1], positive_values, params)
    bin_expr = f"CAST(floor((score - {params.num(lo)}) / {params.num(width)}) AS BIGINT)"
    bin_expr = f"LEAST(GREATEST({bin_expr}, 0), {params.add(n_bins - 1)})"
    all_params = {**scoring.params, **params.values}
    # One scan: the () grouping set carries the whole-table statistics, the rest the bins.
    rows = con.execute(
        f"WITH scored AS ({scoring.sql}), binned AS (SELECT score, tier, {bin_expr} AS b, "
        f"CAST({conv} AS INTEGER) AS conv FROM scored) "
        "SELECT b, tier, count(*), sum(conv), avg(score), quantile_cont(score, 0.5), "
        "quantile_cont(score, 0.9), min(score), max(score), grouping(b) AS whole "
        "FROM binned GROUP BY GROUPING SETS ((b, tier), ())",
        all_params,
    ).fetchall()
    grouped = [r[:4] for r in rows if not r[9]]
    stats = next(r[4:9] for r in rows if r[9])

    total = sum(int(r[2]) for r in grouped)
    per_tier: dict[str, list[int]] = {t.name: [0, 0] for t in model.tiers}
    bins = [[0, {}] for _ in range(n_bins)]  # type: list[list[Any]]
    for b, tier, n, c in grouped:
        per_tier[tier][0] += int(n)
        per_tier[tier][1] += int(c or 0)
        bins[int(b)][0] += int(n)
        bins[int(b)][1][tier] = bins[int(b)][1].get(tier, 0) + int(n)
    tiers = []
    for t in model.tiers:
        n, c = per_tier[t.name]
        tiers.append(
            TierRow(
                name=t.name,
                min_score=t.min_score,
                count=n,
                share=n / total if total else 0.0,
                converted=c if keep else None,
                conversion_rate=(c / n if n else None) if keep else None,
            )
        )
    histogram = [
        Bin(start=lo + i * width, end=min(lo + (i + 1) * width, hi), count=n, by_tier=by)
        for i, (n, by) in enumerate(bins)
    ]
    converted = sum(v[1] for v in per_tier.values()) if keep else None
    return Summary(
        leads=total,
        tiers=tiers,
        histogram=histogram,
        mean=_maybe(stats[0]),
        median=_maybe(stats[1]),
        p90=_maybe(stats[2]),
        minimum=_maybe(stats[3]),
        maximum=_maybe(stats[4]),
        converted=converted,
    )


def _maybe(x: Any) -> float | None:
    return None if x is None else float(x)


def _round(x: float | None) -> float | None:
    return None if x is None else round(x, 4)


def _plain(x: float) -> float | int:
    return int(x) if float(x).is_integer() else round(x, 6)
