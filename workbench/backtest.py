"""Backtest a model against history: does a higher score really mean a likelier conversion?

Every metric here comes from one small table, the number of leads and of converted leads at
each distinct score (:class:`ScoreCounts`), which DuckDB computes with one ``GROUP BY score``
over the compiled scoring query. A model with integer points has at most a few hundred
distinct scores, so everything after that query is numpy over a few hundred numbers, at any
lead count:

- per tier: leads, conversion rate (with a Wilson 95 % interval), the share of all
  conversions the tier captures, and the lift over the base rate;
- the top 10 / 20 / 30 % of leads by score: how many conversions they capture. Leads that
  tie at the cut-off score are shared out in proportion (as if the tie were broken at random);
- ROC AUC by the Mann–Whitney statistic with ties counted as one half;
- the cumulative gains curve (at most a few hundred points, ready for a chart);
- warnings in plain sentences when the counts are too small to trust.

With a date column the leads can also be split in time (:func:`time_split`): the older ones
and the most recent ones are checked apart, which shows whether the model still ranks the
leads that matter now.
"""

from __future__ import annotations

import dataclasses
import datetime
import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import duckdb
import numpy as np
import numpy.typing as npt

from workbench.compiler import Params, compile_scoring, input_aliases, points_column
from workbench.errors import UserError
from workbench.model import ScoringModel, format_number
from workbench.sql import quote_identifier as q
from workbench.sql import resolve_column
from workbench.summary import Summary, per_score_sql, summarize, summary_from_counts

__all__ = [
    "MIN_CLASS",
    "MIN_TIER",
    "TOP_PERCENTS",
    "Backtest",
    "FloatArray",
    "IntArray",
    "Period",
    "ScoreCounts",
    "TierResult",
    "TopResult",
    "add_to_report",
    "auc",
    "backtest",
    "backtest_sentences",
    "date_columns",
    "evaluate",
    "gains_curve",
    "score_counts",
    "summary_and_backtest",
    "time_split",
    "top_share",
    "wilson_interval",
]

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]

TOP_PERCENTS = (10, 20, 30)
# Below these counts a rate, a lift or an AUC is too uncertain to act on: warn.
MIN_CLASS = 40  # converted leads, and leads that did not convert
MIN_TIER = 30  # leads in one tier
MAX_GAINS_POINTS = 300
RECENT_SHARE = 0.25  # the most recent quarter of the leads is the "check" period
# A text column is a date column when this share of its filled cells reads as a date.
DATE_SHARE = 0.95
Z95 = 1.959963984540054


def wilson_interval(converted: float, leads: float, z: float = Z95) -> tuple[float, float]:
    """The Wilson score interval of a conversion rate (95 % by default).

    Unlike the textbook ±1.96·√(p(1−p)/n), it stays inside [0, 1] and is honest for small
    counts and rates near 0 or 1.

    Args:
        converted: converted leads.
        leads: all leads (0 gives the whole range).
        z: the normal quantile (1.96 for 95 %).

    Returns:
        (low, high).
    """
    if leads <= 0:
        return 0.0, 1.0
    p = converted / leads
    z2 = z * z
    denom = 1 + z2 / leads
    centre = (p + z2 / (2 * leads)) / denom
    half = z / denom * math.sqrt(max(p * (1 - p) / leads + z2 / (4 * leads * leads), 0.0))
    return max(0.0, centre - half), min(1.0, centre + half)


# --------------------------------------------------------------------------- periods


@dataclass(frozen=True)
class Period:
    """Leads whose date (in ``column``) is in ``[start, end)``; an open end is ``None``.

    Attributes:
        column: the date column, as the table spells it.
        start: first date included, or None.
        end: first date excluded, or None.
        label: words for people, e.g. "older leads (before 2026-01-10)".
    """

    column: str
    start: Any = None
    end: Any = None
    label: str = ""

    def condition(self, column_sql: str, params: Params) -> str:
        """A SQL condition on ``column_sql`` (the date column, already quoted)."""
        value = f"TRY_CAST({column_sql} AS TIMESTAMP)"
        tests = [f"{value} IS NOT NULL"]
        if self.start is not None:
            tests.append(f"{value} >= CAST({params.add(str(self.start))} AS TIMESTAMP)")
        if self.end is not None:
            tests.append(f"{value} < CAST({params.add(str(self.end))} AS TIMESTAMP)")
        return " AND ".join(tests)


def date_columns(
    con: duckdb.DuckDBPyConnection, table: str, columns: Sequence[str] | None = None
) -> list[str]:
    """Columns that hold dates: DATE/TIMESTAMP columns, or text that nearly always reads as one.

    Args:
        con: the connection holding the table.
        table: the leads table.
        columns: the columns to look at (default: all).

    Returns:
        The date columns, in table order.
    """
    described = con.execute(f"DESCRIBE {q(table)}").fetchall()
    types = {str(r[0]): str(r[1]).upper() for r in described}
    wanted = list(types) if columns is None else [c for c in types if c in set(columns)]
    found: list[str] = []
    text: list[str] = []
    for name in wanted:
        base = types[name].split("(")[0].split(" ")[0]
        if base in ("DATE", "TIMESTAMP"):
            found.append(name)
        elif base in ("VARCHAR", "ENUM"):
            text.append(name)
    if text:
        parts = []
        for name in text:
            v = f"NULLIF(trim({q(name)}), '')"
            parts.append(f"count({v}), count(TRY_CAST({v} AS TIMESTAMP))")
        row = con.execute(f"SELECT {', '.join(parts)} FROM {q(table)}").fetchall()[0]
        for i, name in enumerate(text):
            filled, dated = int(row[2 * i]), int(row[2 * i + 1])
            if filled and dated >= DATE_SHARE * filled:
                found.append(name)
    order = {name: i for i, name in enumerate(types)}
    return sorted(found, key=order.__getitem__)


def time_split(
    con: duckdb.DuckDBPyConnection,
    table: str,
    column: str,
    recent_share: float = RECENT_SHARE,
) -> tuple[Period, Period]:
    """Split the leads by date into older ones and the most recent ``recent_share``.

    Args:
        con: the connection holding the table.
        table: the leads table.
        column: the date column.
        recent_share: the share of dated leads kept for the check (0 < share < 1).

    Returns:
        (older, recent) periods; the cut-off date is the (1 − share) quantile of the dates.
        Leads without a readable date belong to neither.

    Raises:
        UserError: the column holds fewer than two distinct dates.
    """
    if not 0 < recent_share < 1:
        raise ValueError("recent_share must be between 0 and 1")
    real = resolve_column(column, read_columns(con, table))
    value = f"TRY_CAST({q(real)} AS TIMESTAMP)"
    rows = con.execute(
        f"SELECT quantile_disc({value}, $share), min({value}), max({value}) FROM {q(table)}",
        {"share": 1 - recent_share},
    ).fetchall()
    cut, low, high = rows[0]
    if cut is None or low == high:
        raise UserError(
            f'The column "{real}" does not hold enough different dates to split the leads '
            "into older and recent ones."
        )
    if cut == low:  # most leads share the first date: cut just after it
        later = con.execute(
            f"SELECT min({value}) FROM {q(table)} WHERE {value} > $cut", {"cut": cut}
        ).fetchall()
        cut = later[0][0]
    day = _day(cut)
    older = Period(real, None, cut, f"older leads (before {day})")
    recent = Period(real, cut, None, f"recent leads ({day} and later)")
    return older, recent


def read_columns(con: duckdb.DuckDBPyConnection, table: str) -> list[str]:
    """The table's column names (a thin wrapper so this module needs no loading import)."""
    return [str(r[0]) for r in con.execute(f"DESCRIBE {q(table)}").fetchall()]


def _day(value: Any) -> str:
    text = str(value)
    return text[:10] if text.endswith("00:00:00") else text


# --------------------------------------------------------------------------- score counts


@dataclass(frozen=True)
class ScoreCounts:
    """Leads and converted leads at each distinct score, lowest score first.

    Attributes:
        score: the distinct scores, ascending.
        leads: leads with that score.
        converted: converted leads with that score.
    """

    score: FloatArray
    leads: IntArray
    converted: IntArray

    @property
    def total(self) -> int:
        """All leads."""
        return int(self.leads.sum())

    @property
    def total_converted(self) -> int:
        """All converted leads."""
        return int(self.converted.sum())

    @classmethod
    def from_arrays(
        cls, score: Sequence[float], leads: Sequence[int], converted: Sequence[int]
    ) -> ScoreCounts:
        """Build from unsorted, possibly repeated scores (repeats are added up)."""
        s = np.asarray(score, dtype=np.float64)
        n = np.asarray(leads, dtype=np.int64)
        c = np.asarray(converted, dtype=np.int64)
        if not (len(s) == len(n) == len(c)):
            raise ValueError("score, leads and converted must have the same length")
        uniq, inverse = np.unique(s, return_inverse=True)
        return cls(
            uniq,
            np.bincount(inverse, weights=n, minlength=len(uniq)).round().astype(np.int64),
            np.bincount(inverse, weights=c, minlength=len(uniq)).round().astype(np.int64),
        )


def score_counts(
    con: duckdb.DuckDBPyConnection,
    model: ScoringModel,
    table: str,
    columns: Sequence[str],
    *,
    outcome: str,
    positive_values: Sequence[str] | None = None,
    period: Period | None = None,
    events: str | None = None,
    as_of: datetime.date | None = None,
) -> ScoreCounts:
    """Score the leads in DuckDB and count leads and conversions per distinct score.

    Args:
        con: the connection holding the table.
        model: the model to check.
        table: the leads table.
        columns: the table's columns.
        outcome: the column that says whether a lead converted.
        positive_values: its values that mean converted (default: the usual yes/won/1...).
        period: only the leads of this period (see :func:`time_split`).
        events: the activity log table, for activity criteria.
        as_of: the day activity is scored on (default today).

    Returns:
        The counts, lowest score first.
    """
    keep = [resolve_column(outcome, columns)]
    if period is not None:
        keep.append(resolve_column(period.column, columns))
    keep = list(dict.fromkeys(keep))
    scoring = compile_scoring(model, table, columns, keep=keep, events=events, as_of=as_of)
    outputs = [points_column(c.id) for c in model.criteria] + ["score", "tier"]
    alias = dict(input_aliases(keep, outputs))
    params = Params(prefix="b")
    where = ""
    if period is not None:
        where = "WHERE " + period.condition(
            q(alias[resolve_column(period.column, columns)]), params
        )
    sql = per_score_sql(scoring.sql, alias[keep[0]], positive_values, params, where)
    cols = con.execute(sql, {**scoring.params, **params.values}).fetchnumpy()
    return ScoreCounts(
        np.asarray(cols["score"], dtype=np.float64),
        np.asarray(cols["n"], dtype=np.int64),
        np.asarray(np.ma.filled(cols["c"], 0), dtype=np.int64),
    )


# --------------------------------------------------------------------------- metrics


def auc(counts: ScoreCounts) -> float | None:
    """ROC AUC: the chance a converted lead outscores one that did not (ties count one half).

    Computed from the score-grouped counts by the Mann–Whitney statistic.

    Returns:
        The AUC, or None when there are no converted leads or none that did not convert.
    """
    pos = counts.converted.astype(np.float64)
    neg = (counts.leads - counts.converted).astype(np.float64)
    p, n = pos.sum(), neg.sum()
    if p == 0 or n == 0:
        return None
    below = np.cumsum(neg) - neg  # negatives strictly below each score
    return float(np.dot(pos, below + 0.5 * neg) / (p * n))


def top_share(counts: ScoreCounts, share: float) -> tuple[float, float, float | None]:
    """The highest-scoring ``share`` of the leads, ties at the cut shared out in proportion.

    Args:
        counts: from :func:`score_counts`.
        share: 0..1, e.g. 0.1 for the top 10 %.

    Returns:
        (leads, converted, lowest score among them); leads and converted may be fractional
        when the cut falls inside a group of tied scores; the score is None with no leads.
    """
    total = counts.total
    wanted = share * total
    if total == 0 or wanted <= 0:
        return 0.0, 0.0, None
    n = counts.leads[::-1].astype(np.float64)
    c = counts.converted[::-1].astype(np.float64)
    s = counts.score[::-1]
    cum = np.cumsum(n)
    idx = min(int(np.searchsorted(cum, wanted - 1e-9, side="left")), len(n) - 1)
    before_n = cum[idx] - n[idx]
    before_c = float(c[:idx].sum())
    frac = (wanted - before_n) / n[idx] if n[idx] else 0.0
    frac = min(max(frac, 0.0), 1.0)
    return float(min(wanted, total)), float(before_c + frac * c[idx]), float(s[idx])


def gains_curve(
    counts: ScoreCounts, max_points: int = MAX_GAINS_POINTS
) -> list[tuple[float, float]]:
    """The cumulative gains curve: share of leads taken (best first) → share of conversions.

    Each point is the end of one group of tied scores (the curve between two points is a
    straight line, as ties are in random order). Long curves are thinned to ``max_points``,
    evenly along the x axis, keeping both ends.

    Returns:
        [(0, 0), …, (1, 1)]; an empty list with no leads or no conversions.
    """
    total, conv = counts.total, counts.total_converted
    if total == 0 or conv == 0:
        return []
    x = np.concatenate([[0.0], np.cumsum(counts.leads[::-1]) / total])
    y = np.concatenate([[0.0], np.cumsum(counts.converted[::-1]) / conv])
    if len(x) > max_points:
        grid = np.linspace(0.0, 1.0, max_points)
        keep = np.unique(np.clip(np.searchsorted(x, grid, side="left"), 0, len(x) - 1))
        keep = np.union1d(keep, [0, len(x) - 1])
        x, y = x[keep], y[keep]
    return [(float(a), float(b)) for a, b in zip(x, y, strict=True)]


@dataclass(frozen=True)
class TierResult:
    """How one tier did against history."""

    name: str
    min_score: float
    leads: int
    converted: int
    share: float  # of all leads
    rate: float | None  # conversion rate
    low: float | None  # Wilson 95 % interval of the rate
    high: float | None
    capture: float | None  # share of all conversions in this tier
    lift: float | None  # rate / base rate


@dataclass(frozen=True)
class TopResult:
    """The top ``percent`` % of leads by score."""

    percent: int
    leads: float
    converted: float
    rate: float | None
    capture: float | None
    lift: float | None
    min_score: float | None

    def to_json(self) -> dict[str, Any]:
        """The ``top`` entry of the report JSON."""
        return {
            "leads": round(self.leads),
            "converted": round(self.converted, 2),
            "conversion_rate": _r(self.rate),
            "capture": _r(self.capture),
            "lift": _r(self.lift, 3),
            "min_score": None if self.min_score is None else _plain(self.min_score),
        }


@dataclass(frozen=True)
class Backtest:
    """A model checked against history (see the module docstring).

    Attributes:
        leads: all leads checked.
        converted: converted leads among them.
        base_rate: converted / leads (None without leads).
        tiers: per tier, lowest first.
        top: per percentage in :data:`TOP_PERCENTS`.
        auc: ROC AUC (None without both classes).
        gains: the cumulative gains curve.
        warnings: sentences saying why some numbers should not be trusted.
        counts: the score-grouped counts everything was computed from.
        older: the same check on the older leads, with a time split.
        recent: the same check on the most recent leads, with a time split.
        period: what this check covers ("all leads", or a period's label).
    """

    leads: int
    converted: int
    base_rate: float | None
    tiers: list[TierResult]
    top: list[TopResult]
    auc: float | None
    gains: list[tuple[float, float]]
    warnings: list[str]
    counts: ScoreCounts
    older: Backtest | None = None
    recent: Backtest | None = None
    period: str = "all leads"
    notes: list[str] = field(default_factory=list)

    def tier(self, name: str) -> TierResult:
        """The result of the tier called ``name`` (KeyError when absent)."""
        for t in self.tiers:
            if t.name == name:
                return t
        raise KeyError(name)

    def headline(self) -> str:
        """One sentence: the top tier against the bottom tier, and the AUC."""
        if self.base_rate is None or not self.converted:
            return "No conversions to check the model against."
        top, bottom = self.tiers[-1], self.tiers[0]
        parts = []
        if len(self.tiers) > 1 and top.rate is not None and bottom.rate is not None:
            ratio = f" ({top.rate / bottom.rate:.1f}× as often)" if bottom.rate else ""
            parts.append(
                f"{top.name.capitalize()} leads converted at {top.rate:.1%} and "
                f"{bottom.name} leads at {bottom.rate:.1%}{ratio}"
            )
        parts.append(f"base rate {self.base_rate:.1%}")
        if self.auc is not None:
            parts.append(f"AUC {self.auc:.2f}")
        return "; ".join(parts) + "."

    def split_sentence(self) -> str:
        """The older and the recent leads side by side ("" without a time split)."""
        if self.older is None or self.recent is None:
            return ""
        return (
            f"{self.older.period.capitalize()}: {self.older.headline()} "
            f"{self.recent.period.capitalize()}: {self.recent.headline()}"
        )

    def to_report(self) -> dict[str, Any]:
        """The keys ``workbench report --outcome --json`` gains (see :func:`add_to_report`)."""
        return {
            "lift": {t.name: _r(t.lift, 3) for t in self.tiers},
            "capture": {t.name: _r(t.capture) for t in self.tiers},
            "top": {str(t.percent): t.to_json() for t in self.top},
            "auc": _r(self.auc),
            "warnings": list(self.warnings),
        }


def evaluate(
    counts: ScoreCounts,
    model: ScoringModel,
    *,
    top_percents: Sequence[int] = TOP_PERCENTS,
    period: str = "all leads",
) -> Backtest:
    """All backtest metrics of ``model`` from its score-grouped counts (numpy only).

    Args:
        counts: from :func:`score_counts` with the same model.
        model: the model (for its tiers).
        top_percents: the top shares to report, in percent.
        period: what the counts cover, for messages.

    Returns:
        The :class:`Backtest`.
    """
    total, conv = counts.total, counts.total_converted
    base = conv / total if total else None
    thresholds = np.asarray([t.min_score for t in model.tiers[1:]], dtype=np.float64)
    tier_of = np.searchsorted(thresholds, counts.score, side="right")
    k = len(model.tiers)
    per_n = np.bincount(tier_of, weights=counts.leads, minlength=k).round().astype(int)
    per_c = np.bincount(tier_of, weights=counts.converted, minlength=k).round().astype(int)
    tiers = []
    for i, t in enumerate(model.tiers):
        n, c = int(per_n[i]), int(per_c[i])
        rate = c / n if n else None
        low, high = wilson_interval(c, n) if n else (None, None)
        tiers.append(
            TierResult(
                name=t.name,
                min_score=t.min_score,
                leads=n,
                converted=c,
                share=n / total if total else 0.0,
                rate=rate,
                low=low,
                high=high,
                capture=c / conv if conv else None,
                lift=rate / base if rate is not None and base else None,
            )
        )
    tops = []
    for pct in top_percents:
        n_top, c_top, min_score = top_share(counts, pct / 100)
        rate = c_top / n_top if n_top else None
        tops.append(
            TopResult(
                percent=int(pct),
                leads=n_top,
                converted=c_top,
                rate=rate,
                capture=c_top / conv if conv else None,
                lift=rate / base if rate is not None and base else None,
                min_score=min_score,
            )
        )
    result_auc = auc(counts)
    return Backtest(
        leads=total,
        converted=conv,
        base_rate=base,
        tiers=tiers,
        top=tops,
        auc=result_auc,
        gains=gains_curve(counts),
        warnings=_warnings(counts, tiers, period),
        counts=counts,
        period=period,
    )


def _warnings(counts: ScoreCounts, tiers: Sequence[TierResult], period: str) -> list[str]:
    total, conv = counts.total, counts.total_converted
    where = "" if period == "all leads" else f" among the {period}"
    if total == 0:
        return [f"There are no leads{where} to check the model against."]
    out = []
    if conv == 0:
        out.append(
            f"No lead{where} converted, so conversion cannot be measured: check the outcome "
            "column and the values that mean converted."
        )
    elif conv < MIN_CLASS:
        out.append(
            f"Only {conv:,} leads{where} converted: rates, lift and AUC can move a lot with a "
            f"few leads more or less (at least {MIN_CLASS} are needed to trust them)."
        )
    if total - conv == 0:
        out.append(f"Every lead{where} converted, so the model cannot be told apart from luck.")
    elif total - conv < MIN_CLASS:
        out.append(
            f"Only {total - conv:,} leads{where} did not convert: rates, lift and AUC can move "
            f"a lot with a few leads more or less (at least {MIN_CLASS} are needed)."
        )
    for t in tiers:
        if t.leads == 0:
            out.append(f"No lead{where} falls in the {t.name} tier, so its conversion is unknown.")
        elif t.leads < MIN_TIER and t.rate is not None and t.low is not None:
            out.append(
                f"The {t.name} tier holds only {t.leads} leads{where}: its conversion rate "
                f"({t.rate:.0%}) could really be anywhere from {t.low:.0%} to {t.high:.0%}."
            )
    if len(counts.score) == 1:
        out.append(f"Every lead{where} has the same score, so the model does not rank them.")
    return out


def backtest(
    con: duckdb.DuckDBPyConnection,
    model: ScoringModel,
    table: str,
    columns: Sequence[str],
    *,
    outcome: str,
    positive_values: Sequence[str] | None = None,
    date_column: str | None = None,
    recent_share: float = RECENT_SHARE,
    events: str | None = None,
    as_of: datetime.date | None = None,
) -> Backtest:
    """Check ``model`` against the outcomes in ``table``.

    Args:
        con: the connection holding the table.
        model: the model to check.
        table: the leads table.
        columns: the table's columns.
        outcome: the column that says whether a lead converted.
        positive_values: its values that mean converted (default: the usual ones).
        date_column: optional date column; the older leads and the most recent
            ``recent_share`` of them are then also checked apart (``older``, ``recent``).
        recent_share: see ``date_column``.
        events: the activity log table, for activity criteria.
        as_of: the day activity is scored on (default today).

    Returns:
        The :class:`Backtest` on all leads, with ``older`` and ``recent`` when split.
    """

    def counts(period: Period | None = None) -> ScoreCounts:
        return score_counts(
            con,
            model,
            table,
            columns,
            outcome=outcome,
            positive_values=positive_values,
            period=period,
            events=events,
            as_of=as_of,
        )

    result = evaluate(counts(), model)
    if date_column is None:
        return result
    older_p, recent_p = time_split(con, table, date_column, recent_share)
    older, recent = (evaluate(counts(p), model, period=p.label) for p in (older_p, recent_p))
    notes = []
    if older.auc is not None and recent.auc is not None and recent.auc < older.auc - 0.05:
        notes.append(
            f"The model ranks recent leads less well than older ones (AUC {recent.auc:.2f} "
            f"against {older.auc:.2f}): what predicted conversion may have changed."
        )
    return dataclasses.replace(result, older=older, recent=recent, notes=notes)


def summary_and_backtest(
    con: duckdb.DuckDBPyConnection,
    model: ScoringModel,
    table: str,
    columns: Sequence[str],
    *,
    outcome: str | None = None,
    positive_values: Sequence[str] | None = None,
    events: str | None = None,
    as_of: datetime.date | None = None,
) -> tuple[Summary, Backtest | None]:
    """A model's tier counts (and conversion) and, when there is an outcome, its backtest.

    Args:
        con: the connection holding the leads.
        model: the model.
        table: the leads table.
        columns: its columns.
        outcome: optional column that says whether a lead converted.
        positive_values: values of ``outcome`` that mean converted.
        events: the activity log table, for activity criteria.
        as_of: the day activity is scored on (default today).

    Returns:
        The summary, and the backtest on all leads when there is an outcome (else None).
    """
    if outcome is None:
        return summarize(con, model, table, columns, events=events, as_of=as_of), None
    result = backtest(
        con,
        model,
        table,
        columns,
        outcome=outcome,
        positive_values=positive_values,
        events=events,
        as_of=as_of,
    )
    # One scan serves both: the summary comes from the backtest's own counts.
    counts = result.counts
    return summary_from_counts(model, counts.score, counts.leads, counts.converted), result


def backtest_sentences(
    con: duckdb.DuckDBPyConnection,
    model: ScoringModel,
    table: str,
    columns: Sequence[str],
    *,
    outcome: str,
    positive_values: Sequence[str] | None = None,
    events: str | None = None,
    as_of: datetime.date | None = None,
) -> tuple[str, list[str]]:
    """The backtest in words, for a live panel beside the sliders.

    Args:
        con: the connection holding the table.
        model: the model as the sliders have it now.
        table: the leads table.
        columns: the table's columns.
        outcome: the column that says whether a lead converted.
        positive_values: its values that mean converted.
        events: the activity log table, for activity criteria.
        as_of: the day activity is scored on (default today).

    Returns:
        (one paragraph: top tier against bottom tier, base rate, AUC and the top 10 %'s share
        of conversions; the warnings, one sentence each).
    """
    result = backtest(
        con,
        model,
        table,
        columns,
        outcome=outcome,
        positive_values=positive_values,
        events=events,
        as_of=as_of,
    )
    return describe(result)


def describe(result: Backtest) -> tuple[str, list[str]]:
    """A backtest in words: (the headline and top-10 % capture, the warnings)."""
    text = result.headline()
    top = result.top[0] if result.top else None
    if top is not None and top.capture is not None:
        text += f" The top {top.percent}% of scores hold {top.capture:.0%} of all conversions."
    return text, result.warnings


def add_to_report(report: dict[str, Any], result: Backtest | None) -> dict[str, Any]:
    """The report JSON with ``lift`` and ``capture`` per tier, ``top``, ``auc`` and ``warnings``.

    Args:
        report: :meth:`workbench.summary.Summary.to_json` of the same model and leads.
        result: the backtest; None returns ``report`` unchanged (no outcome column).

    Returns:
        A new dict: the report plus ``lift`` ({tier: rate / base rate}), ``capture``
        ({tier: share of all conversions}), ``top`` ({"10": {leads, converted,
        conversion_rate, capture, lift, min_score}, …}), ``auc`` and ``warnings``.
    """
    return report if result is None else {**report, **result.to_report()}


# --------------------------------------------------------------------------- helpers


def _r(x: float | None, digits: int = 4) -> float | None:
    return None if x is None else round(x, digits)


def _plain(x: float) -> float | int:
    return int(x) if float(x).is_integer() else round(x, 6)


def describe_tier(t: TierResult) -> str:
    """'hot: 390 leads, 42% converted (37–47%), 4.1× the base rate, 45% of conversions'."""
    if not t.leads or t.rate is None:
        return f"{t.name}: no leads"
    text = f"{t.name}: {t.leads:,} leads, {t.rate:.0%} converted"
    if t.low is not None and t.high is not None:
        text += f" ({t.low:.0%}–{t.high:.0%})"
    if t.lift is not None:
        text += f", {t.lift:.1f}× the base rate"
    if t.capture is not None:
        text += f", {t.capture:.0%} of conversions"
    return text + f" (from score {format_number(t.min_score)})"
