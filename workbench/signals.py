"""Signal finder: which columns (and which of their values) go with conversion?

For each usable column (flag, number, category, e-mail; never IDs, free text or dates) the
values are grouped the way a criterion of the model would group them:

- a flag: yes-like values against everything else (the criterion's own rule);
- a number: up to five bands with round edges at the data's quantiles, plus "empty";
- a category: each value held by enough leads (compared as the model compares them: trimmed,
  any case, inner spaces folded), "any other value" and "empty";
- an e-mail address: a free mail domain (gmail.com, …) against any other domain.

The grouping is a real criterion (:func:`candidate_criteria`) and the level of each lead is
computed by the compiler's own SQL for it, so a signal's numbers are exactly what a criterion on
that column would see. DuckDB counts leads and conversions per level for every column in one
scan (``GROUPING SETS``); the rest is arithmetic on those counts:

- the conversion rate of each level with a Wilson 95 % interval, and its lift over the base rate;
- the column's information value (IV): Σ (share of converted − share of not converted) × WoE,
  with WoE = ln(share of converted / share of not converted) and ½ lead added to every cell so
  that an empty cell gives a large but finite value;
- a G-test p-value: how likely a spread this large is from chance alone;
- a leakage flag: the column's name looks like something filled in after sales contact, or its
  values separate converted from not converted almost perfectly (see :data:`LEAK_IV`).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

import duckdb
import numpy as np
import numpy.typing as npt

from workbench.backtest import FloatArray, IntArray, Period, wilson_interval
from workbench.compiler import WHITESPACE, Params, criterion_sql
from workbench.model import (
    Band,
    CategoriesCriterion,
    Criterion,
    EmailDomainCriterion,
    FlagCriterion,
    RangesCriterion,
    format_number,
    normalize_category,
)
from workbench.propose import (
    FREE_EMAIL_DOMAINS,
    MAX_LISTED_VALUES,
    ProfileLike,
    criterion_id,
    guess_group,
    looks_like_leakage,
)
from workbench.sql import quote_identifier as q
from workbench.sql import resolve_column
from workbench.summary import outcome_sql

__all__ = [
    "LEVEL_KINDS",
    "USABLE_KINDS",
    "Level",
    "Signal",
    "SignalReport",
    "candidate_criteria",
    "find_signals",
    "information_value",
    "level_code_sql",
    "level_counts",
    "level_labels",
    "level_paths",
    "level_points",
    "p_value",
]

USABLE_KINDS = ("flag", "number", "category", "email")
# Criterion kinds whose levels are read from the lead table (not the activity log).
LEVEL_KINDS = ("flag", "ranges", "categories", "email_domain")
SMOOTHING = 0.5  # leads added to each cell of the WoE table
# Leakage: an information value above this is "too good to be true" for data known before
# sales contact (credit scorecards call anything above 0.5 suspicious).
LEAK_IV = 1.0
# ...or one value or band that is (almost) only converted leads, or (almost) only leads that
# did not convert, while holding a large share of its class.
LEAK_PURE_HIGH = 0.98
LEAK_PURE_LOW = 0.02
LEAK_CLASS_SHARE = 0.2
MIN_CATEGORY_LEADS = 30  # a category value with fewer leads goes to "any other value"
MIN_CATEGORY_SHARE = 0.01
CHANCE_P = 0.01  # a p-value above this: the spread could be chance
_CHUNK = 16
_DECILES = "[0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9]"
_STRENGTH = ((0.02, "none"), (0.1, "weak"), (0.3, "medium"), (0.5, "strong"))


# --------------------------------------------------------------------------- levels


def level_labels(c: Criterion) -> list[str]:
    """Words for each level code of a criterion (see :func:`level_code_sql`).

    Returns:
        One label per code: flag ``["no or empty", "yes"]``; ranges ``["in no band",
        <band>…, "empty or not a number"]``; categories ``["any other value", <value>…,
        "empty"]``; e-mail ``["any other domain", "free e-mail domain" | "listed domain"]``.
    """
    if isinstance(c, FlagCriterion):
        return ["no or empty", "yes"]
    if isinstance(c, EmailDomainCriterion):
        listed = (
            "free e-mail domain"
            if set(c.domains) <= set(FREE_EMAIL_DOMAINS)
            else "domain in the list"
        )
        return ["any other domain or empty", listed]
    if isinstance(c, RangesCriterion):
        return ["in no band", *(b.describe() for b in c.bands), "empty or not a number"]
    return ["any other value", *_categories(c).points, "empty"]


def level_paths(c: Criterion) -> list[list[Any] | None]:
    """Where each level's points live inside the criterion's dict; None for a fixed 0.

    Returns:
        e.g. flag ``[None, ["points"]]``; ranges ``[None, ["bands", 0, "points"], …,
        ["missing"]]``; categories ``[["other"], ["points", value], …, ["missing"]]``.
    """
    if isinstance(c, FlagCriterion | EmailDomainCriterion):
        return [None, ["points"]]
    if isinstance(c, RangesCriterion):
        return [None, *(["bands", j, "points"] for j in range(len(c.bands))), ["missing"]]
    return [["other"], *(["points", k] for k in _categories(c).points), ["missing"]]


def level_points(c: Criterion) -> list[float]:
    """The points each level code gives now (before the criterion's cap)."""
    if isinstance(c, FlagCriterion | EmailDomainCriterion):
        return [0.0, float(c.points)]
    if isinstance(c, RangesCriterion):
        return [0.0, *(float(b.points) for b in c.bands), float(c.missing)]
    cat = _categories(c)
    return [float(cat.other), *(float(v) for v in cat.points.values()), float(cat.missing)]


def _categories(c: Criterion) -> CategoriesCriterion:
    """``c`` as a categories criterion; other kinds (activity-log ones) have no levels here."""
    if not isinstance(c, CategoriesCriterion):
        raise TypeError(f"a {c.kind} criterion has no levels in the lead table")
    return c


def _probe(c: Criterion) -> Criterion:
    """A copy of ``c`` whose points are its level codes, without a cap."""
    if isinstance(c, FlagCriterion | EmailDomainCriterion):
        return c.model_copy(update={"points": 1.0, "max_points": None})
    if isinstance(c, RangesCriterion):
        bands = [b.model_copy(update={"points": float(j + 1)}) for j, b in enumerate(c.bands)]
        update = {"bands": bands, "missing": float(len(bands) + 1), "max_points": None}
        return c.model_copy(update=update)
    c = _categories(c)
    points = {k: float(j + 1) for j, k in enumerate(c.points)}
    update = {"points": points, "other": 0.0, "missing": float(len(points) + 1)}
    return c.model_copy(update={**update, "max_points": None})


def level_code_sql(c: Criterion, column: str, params: Params) -> str:
    """An INTEGER SQL expression: the level code of each lead under criterion ``c``.

    The compiler's own expression is used with the level numbers as points, so a level means
    exactly what the scorer decides for that cell.

    Args:
        c: the criterion.
        column: the table's own spelling of its column.
        params: where values are bound.
    """
    return f"CAST({criterion_sql(_probe(c), column, params)} AS INTEGER)"


def n_levels(c: Criterion) -> int:
    """How many level codes the criterion has."""
    return len(level_labels(c))


def level_counts(
    con: duckdb.DuckDBPyConnection,
    table: str,
    columns: Sequence[str],
    criteria: Sequence[Criterion],
    *,
    outcome: str,
    positive_values: Sequence[str] | None = None,
    period: Period | None = None,
) -> list[tuple[IntArray, IntArray]]:
    """Leads and converted leads per level code of each criterion, in one scan per 16 criteria.

    Args:
        con: the connection holding the table.
        table: the leads table.
        columns: the table's columns.
        criteria: the criteria whose levels to count.
        outcome: the column that says whether a lead converted.
        positive_values: its values that mean converted.
        period: only the leads of this period.

    Returns:
        Per criterion, (leads per code, converted per code).
    """
    out: list[tuple[IntArray, IntArray]] = []
    real_outcome = resolve_column(outcome, columns)
    for start in range(0, len(criteria), _CHUNK):
        chunk = list(criteria[start : start + _CHUNK])
        params = Params(prefix="g")
        exprs = [
            f"{level_code_sql(c, resolve_column(c.column, columns), params)} AS {q(f'k{i}')}"
            for i, c in enumerate(chunk)
        ]
        conv = outcome_sql(real_outcome, positive_values, params)
        where = ""
        if period is not None:
            real = resolve_column(period.column, columns)
            where = f" WHERE {period.condition(q(real), params)}"
        keys = [q(f"k{i}") for i in range(len(chunk))]
        sets = ", ".join(f"({k})" for k in keys)
        flags = ", ".join(f"grouping({k})" for k in keys)
        rows = con.execute(
            f"WITH codes AS (SELECT {', '.join(exprs)}, CAST({conv} AS INTEGER) AS y "
            f"FROM {q(table)}{where}) "
            f"SELECT {', '.join(keys)}, {flags}, count(*), sum(y) FROM codes "
            f"GROUP BY GROUPING SETS ({sets})",
            params.values,
        ).fetchall()
        m = len(chunk)
        tables = [(np.zeros(n_levels(c), np.int64), np.zeros(n_levels(c), np.int64)) for c in chunk]
        for row in rows:
            j = next(i for i in range(m) if row[m + i] == 0)
            code = row[j]
            if code is None:  # pragma: no cover - criterion_sql never returns NULL
                continue
            tables[j][0][int(code)] += int(row[2 * m])
            tables[j][1][int(code)] += int(row[2 * m + 1] or 0)
        out += tables
    return out


# --------------------------------------------------------------------------- statistics


def information_value(
    converted: npt.ArrayLike,
    not_converted: npt.ArrayLike,
    smoothing: float = SMOOTHING,
) -> tuple[float, FloatArray]:
    """Information value and weight of evidence of a grouping, with smoothing.

    Args:
        converted: converted leads per level (levels without leads should be left out).
        not_converted: leads that did not convert, per level.
        smoothing: added to every cell, so an empty cell gives a large but finite WoE.

    Returns:
        (IV, WoE per level); WoE > 0 means the level converts better than average.
    """
    c = np.asarray(converted, dtype=np.float64) + smoothing
    n = np.asarray(not_converted, dtype=np.float64) + smoothing
    pc, pn = c / c.sum(), n / n.sum()
    woe = np.log(pc / pn)
    return float(np.sum((pc - pn) * woe)), woe


def p_value(leads: npt.ArrayLike, converted: npt.ArrayLike) -> float:
    """How likely conversion rates this spread out are by chance (G-test, Wilson–Hilferty).

    Args:
        leads: leads per level.
        converted: converted leads per level.

    Returns:
        The p-value (1.0 with a single level, or when every lead or none converted).
    """
    n = np.asarray(leads, dtype=np.float64)
    c = np.asarray(converted, dtype=np.float64)
    keep = n > 0
    n, c = n[keep], c[keep]
    total, conv = n.sum(), c.sum()
    df = len(n) - 1
    if df < 1 or conv == 0 or conv == total:
        return 1.0
    base = conv / total
    g = 0.0
    for observed, expected in ((c, n * base), (n - c, n * (1 - base))):
        mask = observed > 0
        g += float(np.sum(observed[mask] * np.log(observed[mask] / expected[mask])))
    g *= 2
    # Wilson–Hilferty: (G/df)^(1/3) is close to normal; good enough to say "could be chance".
    z = ((g / df) ** (1 / 3) - (1 - 2 / (9 * df))) / math.sqrt(2 / (9 * df))
    return 0.5 * math.erfc(z / math.sqrt(2))


# --------------------------------------------------------------------------- candidates


def candidate_criteria(
    con: duckdb.DuckDBPyConnection,
    table: str,
    profiles: Iterable[ProfileLike],
    *,
    skip: Iterable[str] = (),
    existing_ids: Iterable[str] = (),
) -> list[Criterion]:
    """A criterion for each usable column, grouping its values as the signal finder does.

    Args:
        con: the connection holding the table.
        table: the leads table.
        profiles: the table's column profiles (``workbench.profile.profile_table``).
        skip: column names to leave out (compared case-insensitively), e.g. the outcome.
        existing_ids: criterion ids already taken (the new ids avoid them).

    Returns:
        Criteria with all points at 0, in column order; columns of another kind (id, text,
        date, empty), or with a single value, are left out.
    """
    skipped = {s.casefold() for s in skip}
    usable = [p for p in profiles if p.kind in USABLE_KINDS and p.name.casefold() not in skipped]
    ids = set(existing_ids)
    numbers = _number_bands(con, table, [p for p in usable if p.kind == "number"])
    out: list[Criterion] = []
    for p in usable:
        base: dict[str, Any] = {
            "id": criterion_id(p.name, ids),
            "label": p.name,
            "group": guess_group(p.name),
            "column": p.name,
        }
        c: Criterion | None = None
        if p.kind == "flag":
            c = FlagCriterion(kind="flag", points=0, **base)
        elif p.kind == "email":
            base["group"] = "fit"
            domains = list(FREE_EMAIL_DOMAINS)
            c = EmailDomainCriterion(kind="email_domain", domains=domains, points=0, **base)
        elif p.kind == "number" and numbers.get(p.name):
            c = RangesCriterion(kind="ranges", bands=numbers[p.name], missing=0, **base)
        elif p.kind == "category":
            values = _category_values(con, table, p.name)
            if values:
                c = CategoriesCriterion(
                    kind="categories", points=dict.fromkeys(values, 0.0), **base
                )
        if c is not None:
            ids.add(c.id)
            out.append(c)
    return out


def round_edge(x: float) -> float:
    """A band edge rounded to two significant digits (1859 → 1900, 145 → 140, 2.5 → 2.5)."""
    if x == 0 or not math.isfinite(x):
        return 0.0
    return float(f"{x:.2g}")


def bands_from_quantiles(
    deciles: Sequence[float | None],
    minimum: float | None,
    extra_edges: Iterable[float] = (),
) -> list[Band]:
    """Up to five bands with round edges at the data's quantiles, the ends open.

    Args:
        deciles: the 10 %, 20 %, …, 90 % quantiles (actual data values).
        minimum: the smallest value (a band below it would be empty).
        extra_edges: edges kept as they are, e.g. around a value many leads share (``-1`` for
            "never contacted"), so that value gets a band of its own.

    Returns:
        Bands with points 0, lowest first; an empty list when the column holds one value.
    """
    values = [float(v) for v in deciles if v is not None and math.isfinite(float(v))]
    if not values or minimum is None:
        return []
    edges = sorted({round_edge(v) for v in values})
    if len(edges) > 4 and len(values) == 9:  # many values: quintiles instead of deciles
        edges = sorted({round_edge(values[i]) for i in (1, 3, 5, 7)})
    edges = sorted({*edges, *(float(e) for e in extra_edges)})
    edges = [e for e in edges if e > minimum]
    bands = []
    for i, edge in enumerate(edges):
        start = None if i == 0 else edges[i - 1]
        bands.append(Band.model_validate({"from": start, "to": edge, "points": 0}))
    if edges:
        bands.append(Band.model_validate({"from": edges[-1], "points": 0}))
    return bands


def _mass_points(deciles: Sequence[float | None]) -> list[float]:
    """Values that at least two deciles share: a fifth of the leads or more hold them."""
    seen = [float(v) for v in deciles if v is not None]
    return sorted({v for v in seen if seen.count(v) >= 2})


def _number_bands(
    con: duckdb.DuckDBPyConnection, table: str, profiles: Sequence[ProfileLike]
) -> dict[str, list[Band]]:
    if not profiles:
        return {}
    parts = []
    values = {}
    for p in profiles:
        x = f"TRY_CAST({q(p.name)} AS DOUBLE)"
        values[p.name] = x
        ok = f"{x} IS NOT NULL AND NOT isnan({x})"
        parts.append(f"quantile_disc({x}, {_DECILES}) FILTER (WHERE {ok})")
        parts.append(f"min({x}) FILTER (WHERE {ok})")
    row = con.execute(f"SELECT {', '.join(parts)} FROM {q(table)}").fetchall()[0]
    found = {p.name: (list(row[2 * i] or []), row[2 * i + 1]) for i, p in enumerate(profiles)}
    # A value many leads share (0 page views, -1 for "never contacted") gets a band of its
    # own: an edge at the next value up.
    params = Params(prefix="m")
    asks: list[tuple[str, float]] = []
    nexts = []
    for name, (deciles, _) in found.items():
        for v in _mass_points(deciles):
            asks.append((name, v))
            nexts.append(f"min({values[name]}) FILTER (WHERE {values[name]} > {params.num(v)})")
    extra: dict[str, list[float]] = {name: [] for name in found}
    if nexts:
        got = con.execute(f"SELECT {', '.join(nexts)} FROM {q(table)}", params.values).fetchall()
        for (name, v), after in zip(asks, got[0], strict=True):
            extra[name].append(v)
            if after is not None:
                extra[name].append(float(after))
    return {
        name: bands_from_quantiles(deciles, minimum, extra[name])
        for name, (deciles, minimum) in found.items()
    }


def _category_values(con: duckdb.DuckDBPyConnection, table: str, column: str) -> list[str]:
    """The values held by enough leads, most common first, as the file spells them."""
    params = Params(prefix="c")
    text = f"trim(CAST({q(column)} AS VARCHAR), {params.add(WHITESPACE)})"
    norm = f"regexp_replace(lower({text}), '\\s+', ' ', 'g')"
    total = f"(SELECT count(*) FROM {q(table)})"
    rows = con.execute(
        f"SELECT mode({text}), count(*) AS n, {total} FROM {q(table)} "
        f"WHERE {text} <> '' GROUP BY {norm} ORDER BY n DESC, {norm}",
        params.values,
    ).fetchall()
    if not rows:
        return []
    least = min(MIN_CATEGORY_LEADS, max(5.0, MIN_CATEGORY_SHARE * int(rows[0][2])))
    values: list[str] = []
    seen: set[str] = set()
    for value, n, _ in rows:
        key = " ".join(str(value).split())
        if int(n) < least or normalize_category(key) in seen:
            continue
        seen.add(normalize_category(key))
        values.append(key)
        if len(values) == MAX_LISTED_VALUES:
            break
    return values


# --------------------------------------------------------------------------- signals


@dataclass(frozen=True)
class Level:
    """One value or band of a column, against the outcome."""

    code: int
    label: str
    leads: int
    converted: int
    rate: float
    low: float  # Wilson 95 % interval of the rate
    high: float
    lift: float | None  # rate / base rate
    woe: float  # weight of evidence (> 0: converts better than average)


@dataclass(frozen=True)
class Signal:
    """What one column says about conversion.

    Attributes:
        column: the column's name.
        kind: its profile kind (flag, number, category, email).
        criterion: the grouping of its values, as a criterion with all points at 0.
        levels: the groups that hold leads, in the criterion's order.
        iv: information value (see the module docstring).
        p_value: chance of a spread this large by luck alone.
        leakage: sentences giving each reason to suspect leakage; empty when none.
    """

    column: str
    kind: str
    criterion: Criterion
    levels: list[Level]
    iv: float
    p_value: float
    leakage: list[str] = field(default_factory=list)

    @property
    def strength(self) -> str:
        """none (IV < 0.02), weak (< 0.1), medium (< 0.3), strong (< 0.5) or very strong."""
        for limit, name in _STRENGTH:
            if self.iv < limit:
                return name
        return "very strong"

    @property
    def suspected_leak(self) -> bool:
        """Whether any reason to suspect leakage was found."""
        return bool(self.leakage)

    @property
    def could_be_chance(self) -> bool:
        """Whether the spread of rates could well be luck (p-value above 1 %)."""
        return self.p_value > CHANCE_P

    @property
    def best(self) -> Level | None:
        """The level converting best (among those whose interval excludes nothing useful)."""
        return max(self.levels, key=lambda lv: lv.rate, default=None)

    @property
    def worst(self) -> Level | None:
        """The level converting worst."""
        return min(self.levels, key=lambda lv: lv.rate, default=None)

    def leak_sentence(self) -> str:
        """The warning to show for a suspected leak ("" when there is no reason to suspect one)."""
        if not self.leakage:
            return ""
        return (
            f"“{self.column}” may leak the outcome: {'; '.join(self.leakage)}. Scoring on it "
            "makes a model look better on history than it can be on new leads."
        )

    def level_rows(self) -> list[dict[str, Any]]:
        """The levels as plain rows (for a data frame)."""
        return [
            {
                "Value or band": lv.label,
                "Leads": lv.leads,
                "Converted": lv.converted,
                "Conversion": lv.rate,
                "95% interval": f"{lv.low:.1%} – {lv.high:.1%}",
                "Lift": None if lv.lift is None else round(lv.lift, 2),
            }
            for lv in self.levels
        ]

    def summary(self) -> str:
        """One line: the best and worst level and their conversion rates."""
        best, worst = self.best, self.worst
        if best is None or worst is None or best is worst:
            return "one group only"
        return (
            f"best: {best.label} ({best.rate:.0%} of {best.leads:,}); "
            f"worst: {worst.label} ({worst.rate:.0%} of {worst.leads:,})"
        )


@dataclass(frozen=True)
class SignalReport:
    """Every usable column's signal, strongest first."""

    leads: int
    converted: int
    signals: list[Signal]
    warnings: list[str] = field(default_factory=list)

    @property
    def base_rate(self) -> float | None:
        """Converted / leads."""
        return self.converted / self.leads if self.leads else None

    def signal(self, column: str) -> Signal:
        """The signal of ``column`` (KeyError when absent)."""
        for s in self.signals:
            if s.column == column:
                return s
        raise KeyError(column)

    @property
    def leaks(self) -> list[Signal]:
        """The signals suspected of leakage."""
        return [s for s in self.signals if s.suspected_leak]

    def rows(self) -> list[dict[str, Any]]:
        """The ranked table as plain rows (for a data frame)."""
        return [
            {
                "Column": s.column,
                "Information value": round(s.iv, 3),
                "Strength": s.strength,
                "Best and worst": s.summary(),
                "Could be chance": s.could_be_chance,
                "Suspected leakage": "; ".join(s.leakage),
            }
            for s in self.signals
        ]


def make_signal(
    column: str,
    kind: str,
    criterion: Criterion,
    leads: IntArray,
    converted: IntArray,
    *,
    marked_leakage: bool = False,
) -> Signal:
    """A :class:`Signal` from the level counts of one column.

    Args:
        column: the column's name.
        kind: its profile kind.
        criterion: the grouping of its values.
        leads: leads per level code.
        converted: converted leads per level code.
        marked_leakage: the user listed the column as filled in after sales contact.
    """
    n = np.asarray(leads, dtype=np.int64)
    c = np.asarray(converted, dtype=np.int64)
    total, conv = int(n.sum()), int(c.sum())
    base = conv / total if total else None
    present = np.flatnonzero(n)
    iv, woe = information_value(c[present], (n - c)[present])
    labels = level_labels(criterion)
    levels = []
    for w, code in zip(woe, present, strict=True):
        ni, ci = int(n[code]), int(c[code])
        low, high = wilson_interval(ci, ni)
        rate = ci / ni
        levels.append(
            Level(
                code=int(code),
                label=labels[code],
                leads=ni,
                converted=ci,
                rate=rate,
                low=low,
                high=high,
                lift=rate / base if base else None,
                woe=float(w),
            )
        )
    reasons = leakage_reasons(column, levels, iv, total, conv, marked=marked_leakage)
    return Signal(column, kind, criterion, levels, iv, p_value(n, c), reasons)


def leakage_reasons(
    column: str,
    levels: Sequence[Level],
    iv: float,
    total: int,
    converted: int,
    *,
    marked: bool = False,
) -> list[str]:
    """Why a column may leak the outcome (empty when there is no reason to think so).

    A column leaks when it is only known after the outcome, or is the outcome in disguise:
    scoring on it makes a model look far better on history than it can be on new leads.

    Args:
        column: the column's name.
        levels: its levels with counts.
        iv: its information value.
        total: all leads.
        converted: all converted leads.
        marked: the user listed it as filled in after sales contact.

    Returns:
        One sentence per reason.
    """
    reasons = []
    if marked:
        reasons.append("you marked it as filled in after sales contact")
    if looks_like_leakage(column):
        reasons.append("its name looks like something known only after sales contact")
    if iv > LEAK_IV:
        reasons.append(
            f"it separates converted from not converted almost perfectly (information value "
            f"{iv:.2f}, above {format_number(LEAK_IV)})"
        )
    not_converted = total - converted
    for lv in levels:
        if converted and lv.rate >= LEAK_PURE_HIGH and lv.converted >= LEAK_CLASS_SHARE * converted:
            reasons.append(
                f"“{lv.label}” converted {lv.rate:.0%} of the time and holds "
                f"{lv.converted / converted:.0%} of all conversions"
            )
        elif (
            not_converted
            and converted
            and lv.rate <= LEAK_PURE_LOW
            and lv.rate <= (converted / total) / 4
            and lv.leads - lv.converted >= LEAK_CLASS_SHARE * not_converted
        ):
            reasons.append(
                f"“{lv.label}” converted only {lv.rate:.1%} of the time and holds "
                f"{(lv.leads - lv.converted) / not_converted:.0%} of the leads that did not "
                "convert"
            )
    return reasons


def find_signals(
    con: duckdb.DuckDBPyConnection,
    table: str,
    profiles: Iterable[ProfileLike],
    *,
    outcome: str,
    positive_values: Sequence[str] | None = None,
    skip: Iterable[str] = (),
    leakage_columns: Iterable[str] = (),
    period: Period | None = None,
) -> SignalReport:
    """Every usable column's relation to the outcome, strongest (highest IV) first.

    Args:
        con: the connection holding the table.
        table: the leads table.
        profiles: the table's column profiles.
        outcome: the column that says whether a lead converted (never a signal itself).
        positive_values: its values that mean converted.
        skip: more columns to leave out (e.g. the lead ID).
        leakage_columns: columns the user marked as filled in after sales contact; they are
            still analysed, and flagged.
        period: only the leads of this period.

    Returns:
        The :class:`SignalReport`.
    """
    profiles = list(profiles)
    columns = [p.name for p in profiles]
    real_outcome = resolve_column(outcome, columns)
    criteria = candidate_criteria(con, table, profiles, skip=[real_outcome, *skip])
    kinds = {p.name: p.kind for p in profiles}
    marked = {c.casefold() for c in leakage_columns}
    counts = level_counts(
        con,
        table,
        columns,
        criteria,
        outcome=real_outcome,
        positive_values=positive_values,
        period=period,
    )
    total = converted = 0
    if counts:
        total, converted = int(counts[0][0].sum()), int(counts[0][1].sum())
    else:
        params = Params(prefix="o")
        conv = outcome_sql(real_outcome, positive_values, params)
        where = f" WHERE {period.condition(q(period.column), params)}" if period else ""
        row = con.execute(
            f"SELECT count(*), sum(CAST({conv} AS INTEGER)) FROM {q(table)}{where}",
            params.values,
        ).fetchall()[0]
        total, converted = int(row[0]), int(row[1] or 0)
    signals = [
        make_signal(
            c.column,
            kinds[c.column],
            c,
            n,
            conv,
            marked_leakage=c.column.casefold() in marked,
        )
        for c, (n, conv) in zip(criteria, counts, strict=True)
    ]
    signals.sort(key=lambda s: (-s.iv, s.column))
    warnings = []
    if converted < 40 or total - converted < 40:
        warnings.append(
            f"Only {min(converted, total - converted):,} leads "
            f"{'converted' if converted <= total - converted else 'did not convert'}: the "
            "rates below are rough, and a column can look strong by chance."
        )
    return SignalReport(total, converted, signals, warnings)
