"""Summaries of a scored lead table: tiers, histogram, statistics, conversion.

DuckDB scores the leads and counts them per distinct score (a few hundred rows for integer
points); everything else is numpy over those counts. Only aggregates leave the database, so
charts and reports stay small at any lead count.
"""

from __future__ import annotations

import datetime
import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import duckdb
import numpy as np
import numpy.typing as npt

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
    keep: list[str] = []
    if outcome is not None:
        keep = [resolve_column(outcome, columns)]
    scoring = compile_scoring(model, table, columns, keep=keep, events=events, as_of=as_of)
    params = Params(prefix="s")
    judged = None
    if keep:
        outputs = [points_column(c.id) for c in model.criteria] + ["score", "tier"]
        judged = input_aliases(keep, outputs)[0][1]
    sql = per_score_sql(scoring.sql, judged, positive_values, params)
    # Everything else comes from this small table (one row per distinct score, a few hundred
    # for integer points): no sort of every lead for the median, at any lead count.
    cols = con.execute(sql, {**scoring.params, **params.values}).fetchnumpy()
    return summary_from_counts(
        model,
        np.asarray(cols["score"], dtype=np.float64),
        np.asarray(cols["n"], dtype=np.float64),
        np.asarray(np.ma.filled(cols["c"], 0), dtype=np.float64) if judged else None,
        bin_width=bin_width,
    )


def per_score_sql(
    scored: str,
    outcome: str | None,
    positive_values: Sequence[str] | None,
    params: Params,
    where: str = "",
) -> str:
    """SQL for leads (``n``) and converted leads (``c``) per distinct ``score``, ascending.

    Args:
        scored: a scoring query (see :func:`workbench.compiler.compile_scoring`).
        outcome: its column that says whether a lead converted, or None (``c`` is then 0).
        positive_values: the outcome's values that mean converted (default DEFAULT_POSITIVE).
        params: where values are bound.
        where: an optional ``WHERE …`` clause on the scored rows.
    """
    source = f"(SELECT * FROM ({scored}) {where})" if where else f"({scored})"
    if outcome is None:
        return f"SELECT score, count(*) AS n, 0 AS c FROM {source} GROUP BY score ORDER BY score"
    # The outcome is judged once per distinct (score, value) pair, not once per lead.
    conv = outcome_sql("o", positive_values, params)
    return (
        f"WITH pairs AS (SELECT score, {q(outcome)} AS o, count(*) AS n FROM {source} "  # noqa: S608
        f"GROUP BY ALL) SELECT score, sum(n) AS n, sum(CASE WHEN {conv} THEN n ELSE 0 END) "
        "AS c FROM pairs GROUP BY score ORDER BY score"
    )


def summary_from_counts(
    model: ScoringModel,
    score: npt.ArrayLike,
    leads: npt.ArrayLike,
    converted: npt.ArrayLike | None,
    *,
    bin_width: float | None = None,
) -> Summary:
    """The summary of leads given as weighted scores (numpy only).

    Args:
        model: the model that produced the scores (tiers, scale).
        score: scores, in any order, repeats allowed.
        leads: how many leads have each score.
        converted: how many of them converted, or None without an outcome.
        bin_width: histogram bar width (default: :func:`default_bin_width`).

    Returns:
        What :func:`summarize` returns; statistics follow DuckDB's ``quantile_cont``.
    """
    width = bin_width or default_bin_width(model)
    if width <= 0:
        raise ValueError("bin_width must be positive")
    lo, hi = model.scale.min, model.scale.max
    n_bins = max(1, math.ceil((hi - lo) / width - 1e-9))
    n_tiers = len(model.tiers)
    score = np.asarray(score, dtype=np.float64)
    leads = np.asarray(leads, dtype=np.float64)
    conv = np.zeros_like(leads) if converted is None else np.asarray(converted, np.float64)

    thresholds = np.asarray([t.min_score for t in model.tiers[1:]], dtype=np.float64)
    # Highest tier whose min_score the score reaches: count of thresholds <= score.
    tier = np.searchsorted(thresholds, score, side="right")
    b = np.clip(np.floor((score - float(lo)) / float(width)), 0, n_bins - 1).astype(np.intp)
    cell = b * n_tiers + tier
    grid = np.rint(np.bincount(cell, weights=leads, minlength=n_bins * n_tiers))
    grid = grid.astype(np.int64).reshape(n_bins, n_tiers)
    conv_grid = np.rint(np.bincount(cell, weights=conv, minlength=n_bins * n_tiers))
    conv_grid = conv_grid.astype(np.int64).reshape(n_bins, n_tiers)

    stats: tuple[float | None, ...] = (None,) * 5
    present = leads > 0
    if present.any():
        s_all, w_all = score[present], leads[present]
        order = np.argsort(s_all, kind="stable")
        s, w = s_all[order], w_all[order]
        cum = np.cumsum(w)
        n = int(round(cum[-1]))
        average = float(np.dot(s, w) / n)  # in score order, so row order cannot change it

        def quantile(p: float) -> float:
            # DuckDB's quantile_cont: RN = (n - 1) p, interpolate between floor and ceil.
            rn = (n - 1) * p
            f, c = math.floor(rn), math.ceil(rn)
            low = float(s[np.searchsorted(cum, f, side="right")])
            if f == c:
                return low
            high = float(s[np.searchsorted(cum, c, side="right")])
            return low + (high - low) * (rn - f)

        stats = (average, quantile(0.5), quantile(0.9), float(s[0]), float(s[-1]))

    total = int(grid.sum())
    per_tier, conv_tier = grid.sum(axis=0), conv_grid.sum(axis=0)
    has_outcome = converted is not None
    tiers = []
    for k, t in enumerate(model.tiers):
        n_k, c_k = int(per_tier[k]), int(conv_tier[k])
        tiers.append(
            TierRow(
                name=t.name,
                min_score=t.min_score,
                count=n_k,
                share=n_k / total if total else 0.0,
                converted=c_k if has_outcome else None,
                conversion_rate=(c_k / n_k if n_k else None) if has_outcome else None,
            )
        )
    names = [t.name for t in model.tiers]
    histogram = [
        Bin(
            start=lo + i * width,
            end=min(lo + (i + 1) * width, hi),
            count=int(row.sum()),
            by_tier={names[k]: int(v) for k, v in enumerate(row) if v},
        )
        for i, row in enumerate(grid)
    ]
    mean, median, p90, minimum, maximum = stats
    return Summary(
        leads=total,
        tiers=tiers,
        histogram=histogram,
        mean=mean,
        median=median,
        p90=p90,
        minimum=minimum,
        maximum=maximum,
        converted=int(conv_tier.sum()) if has_outcome else None,
    )


def _round(x: float | None) -> float | None:
    return None if x is None else round(x, 4)


def _plain(x: float) -> float | int:
    return int(x) if float(x).is_integer() else round(x, 6)
