"""The slider path: re-summarise a model after a numeric change without rescanning the leads.

A slider on the Tune page changes numbers only (points, caps, the scale, tier thresholds), never
which values a criterion tells apart. So :class:`Preview` asks DuckDB once, at build time, which
*level* each lead reaches on every criterion (a flag is yes or no; a ranges criterion gives the
band index, "no band" or "missing"; a categories criterion the listed value, "other" or
"missing"; an e-mail domain criterion listed or not) and counts the leads, and the converted
leads, per distinct combination of levels. A few criteria have a few levels each, so a million
leads typically collapse to hundreds or thousands of combinations, and every later summary is a
little numpy arithmetic over those weighted rows.

The level codes are computed by the compiler's own :func:`workbench.compiler.criterion_sql` on a
"probe" copy of each criterion whose points are the level numbers, so a level means exactly what
the full scorer would decide for that cell. Scores are then built from the level's points with
the same floating-point operations in the same order as the compiled query (criterion cap,
group sums in criterion order, group cap, scale clamp, rounding half away from zero to 6
decimals), so :meth:`Preview.summarize` returns the same :class:`~workbench.summary.Summary` as
:func:`workbench.summary.summarize`.

When the leads spread over too many combinations (``max_combinations``), the preview keeps one
narrow row of level codes per lead in a DuckDB temp table instead and scores it with a ``CASE``
over the codes: slower than numpy over a small table but still no pass over the raw text.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import duckdb
import numpy as np
import numpy.typing as npt

from workbench.backtest import ScoreCounts
from workbench.compiler import INTERNAL, Params, criterion_sql
from workbench.errors import UserError
from workbench.model import (
    CategoriesCriterion,
    Criterion,
    EmailDomainCriterion,
    FlagCriterion,
    GroupName,
    RangesCriterion,
    ScoringModel,
    normalize_category,
    uses_activity,
)
from workbench.sql import quote_identifier as q
from workbench.sql import resolve_column
from workbench.summary import Summary, default_bin_width, outcome_sql, summary_from_counts

__all__ = ["DEFAULT_MAX_COMBINATIONS", "IncompatibleModel", "Preview"]

# Above this many distinct level combinations the per-lead code table is used instead.
DEFAULT_MAX_COMBINATIONS = 200_000

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]
# Names inside the build query; the compiler refuses user columns with this prefix too.
_LOOKUP_VALUE = f"{INTERNAL}value"
_LOOKUP_CODE = f"{INTERNAL}code"
_LEADS = f"{INTERNAL}leads"
_GROUPS: tuple[GroupName, GroupName] = ("fit", "engagement")


class IncompatibleModel(ValueError):
    """The model differs from the preview's in more than numbers; build a new preview."""


@dataclass(frozen=True)
class _Level:
    """How one criterion's leads were split into level codes at build time.

    Code 0 is "falls through" (0 points, or ``other`` for categories), codes 1..n are the
    criterion's items (the flag's yes, bands, listed values, the listed domains) and, for
    ranges and categories, code n + 1 is "missing".
    """

    id: str
    kind: str
    column: str  # the table's own spelling
    shape: tuple[Any, ...]  # what must stay equal for the codes to keep their meaning
    keys: tuple[str, ...] = ()  # categories: normalised value of code j + 1

    @property
    def n_codes(self) -> int:
        return {"flag": 2, "email_domain": 2}.get(self.kind, len(self.shape) + 2)


def _shape(c: Criterion, column: str) -> _Level:
    """The structural fingerprint of a criterion; its numbers are left out on purpose."""
    if isinstance(c, RangesCriterion):
        edges = tuple((b.from_, b.to) for b in c.bands)
        return _Level(c.id, c.kind, column, edges)
    if isinstance(c, CategoriesCriterion):
        keys = tuple(normalize_category(k) for k in c.points)
        # The codes follow the build-time key order; a reordered mapping is still compatible.
        return _Level(c.id, c.kind, column, tuple(sorted(keys)), keys)
    if isinstance(c, EmailDomainCriterion):
        return _Level(c.id, c.kind, column, tuple(sorted(set(c.domains))))
    return _Level(c.id, c.kind, column, ())


def _probe(c: Criterion, level: _Level) -> Criterion:
    """A copy of ``c`` whose points are its level codes (no cap), for :func:`criterion_sql`."""
    if isinstance(c, FlagCriterion | EmailDomainCriterion):
        return c.model_copy(update={"points": 1.0, "max_points": None})
    if isinstance(c, RangesCriterion):
        bands = [b.model_copy(update={"points": float(j + 1)}) for j, b in enumerate(c.bands)]
        missing = float(len(bands) + 1)
        return c.model_copy(update={"bands": bands, "missing": missing, "max_points": None})
    assert isinstance(c, CategoriesCriterion)
    by_norm = {normalize_category(k): k for k in c.points}
    points = {by_norm[k]: float(j + 1) for j, k in enumerate(level.keys)}
    missing = float(len(points) + 1)
    update = {"points": points, "other": 0.0, "missing": missing, "max_points": None}
    return c.model_copy(update=update)


def _level_points(c: Criterion, level: _Level) -> FloatArray:
    """Points of each level code under ``c`` (whose shape matches ``level``), after its cap."""
    if isinstance(c, FlagCriterion | EmailDomainCriterion):
        values = [0.0, c.points]
    elif isinstance(c, RangesCriterion):
        values = [0.0, *(b.points for b in c.bands), c.missing]
    else:
        assert isinstance(c, CategoriesCriterion)
        by_norm = {normalize_category(k): v for k, v in c.points.items()}
        values = [c.other, *(by_norm[k] for k in level.keys), c.missing]
    pts = np.asarray(values, dtype=np.float64)
    if c.max_points is not None:
        # Same order as the compiler: LEAST(x, cap) first, then GREATEST(…, -cap).
        cap = float(c.max_points)
        pts = np.maximum(np.minimum(pts, cap), -cap)
    return pts


def _code_type(n_codes: int) -> str:
    return "UTINYINT" if n_codes <= 256 else "USMALLINT" if n_codes <= 65536 else "UINTEGER"


def round6(x: FloatArray) -> FloatArray:
    """DuckDB's ``round(x, 6)`` on DOUBLE: ``std::round(x * 1e6) / 1e6``, halves away from 0.

    numpy's own ``round`` sends halves to even, which would disagree on scores like 2.5e-6.
    """
    y = x * 1e6
    t = np.trunc(y)
    # y - t is exact for doubles, so this is the same half-away decision as std::round.
    r = np.where(np.abs(y - t) >= 0.5, t + np.sign(y), t)
    return np.asarray(r / 1e6, dtype=np.float64)


class Preview:
    """Pre-aggregated level codes of one lead table, for instant summaries of numeric changes.

    Build it once per (table, model structure, outcome); call :meth:`compatible` with each new
    model and :meth:`summarize` when it is, or build a new preview when it is not.

    Attributes:
        leads: number of leads in the table.
        combinations: distinct level combinations found (the pre-aggregated table's rows).
        mode: ``"combinations"`` (numpy over the small table) or ``"rows"`` (the per-lead code
            table in DuckDB, used above ``max_combinations``).
    """

    def __init__(
        self,
        con: duckdb.DuckDBPyConnection,
        model: ScoringModel,
        table: str,
        columns: Sequence[str],
        *,
        outcome: str | None = None,
        positive_values: Sequence[str] | None = None,
        max_combinations: int = DEFAULT_MAX_COMBINATIONS,
    ) -> None:
        """Scan ``table`` once and keep the level combinations (or per-lead codes).

        Args:
            con: the connection holding the table; kept for the per-lead fallback only.
            model: the model whose structure (criteria, columns, bands, values, domains) the
                preview is built for; its numbers do not matter.
            table: the leads table.
            columns: the table's columns (each criterion's column is checked against them).
            outcome: optional column that says whether a lead converted.
            positive_values: values of ``outcome`` that mean converted.
            max_combinations: above this many distinct combinations, fall back to a per-lead
                table of level codes in DuckDB.

        Raises:
            UserError: a criterion or the outcome names a column the table lacks.
        """
        if uses_activity(model):
            raise IncompatibleModel(
                "activity criteria are scored over the event log; use workbench.summary.summarize"
            )
        self._con = con
        for name in columns:
            if name.lower().startswith(INTERNAL):
                raise UserError(
                    f'The column name "{name}" starts with {INTERNAL!r}, which the app keeps '
                    "for itself; rename it in the file."
                )
        self.has_outcome = outcome is not None
        self._levels: list[_Level] = []
        params = Params(prefix="v")
        exprs: list[str] = []
        lookups: list[tuple[str, str]] = []  # (column, SQL of code per distinct value)
        for i, c in enumerate(model.criteria):
            real = resolve_column(c.column, columns)
            level = _shape(c, real)
            self._levels.append(level)
            cast = _code_type(level.n_codes)
            if isinstance(c, FlagCriterion | CategoriesCriterion):
                # Few distinct values, costly text work (a categories CASE repeats its regex
                # in every arm): decide the level once per distinct value, then join.
                code = criterion_sql(_probe(c, level), _LOOKUP_VALUE, params)
                lookups.append((real, f"CAST({code} AS {cast})"))
                exprs.append(f"{q(f'{INTERNAL}l{len(lookups) - 1}')}.{q(_LOOKUP_CODE)}")
            else:
                # Numbers are cheap inline; e-mail addresses are nearly all distinct.
                code = criterion_sql(_probe(c, level), real, params)
                exprs.append(f"CAST({code} AS {cast})")
            exprs[-1] += f" AS {q(f'k{i}')}"
        conv = "false"
        if outcome is not None:
            real = resolve_column(outcome, columns)
            lookups.append((real, outcome_sql(_LOOKUP_VALUE, positive_values, params)))
            conv = f"{q(f'{INTERNAL}l{len(lookups) - 1}')}.{q(_LOOKUP_CODE)}"
        exprs.append(f'{conv} AS "conv"')
        ctes, joins = [], []
        for j, (column, code) in enumerate(lookups):
            name = q(f"{INTERNAL}l{j}")
            ctes.append(
                f"{name} AS (SELECT {q(_LOOKUP_VALUE)}, {code} AS {q(_LOOKUP_CODE)} "
                f"FROM (SELECT DISTINCT {q(column)} AS {q(_LOOKUP_VALUE)} FROM {q(table)}))"
            )
            joins.append(
                f"LEFT JOIN {name} ON {q(_LEADS)}.{q(column)} "
                f"IS NOT DISTINCT FROM {name}.{q(_LOOKUP_VALUE)}"
            )
        with_ = f"WITH {', '.join(ctes)} " if ctes else ""
        codes_sql = (
            f"{with_}SELECT {', '.join(exprs)} FROM {q(table)} AS {q(_LEADS)} {' '.join(joins)}"
        )
        keys = ", ".join(q(f"k{i}") for i in range(len(self._levels)))
        group = f"GROUP BY {keys}" if keys else ""
        select_keys = f"{keys}, " if keys else ""
        agg = (
            f"SELECT {select_keys}count(*) AS n, sum(CAST(conv AS INTEGER)) AS c "
            f"FROM ({codes_sql}) {group} LIMIT {int(max_combinations) + 1}"
        )
        cols = con.execute(agg, params.values).fetchnumpy()
        self._table: str | None = None
        if len(cols["n"]) <= max_combinations:
            self.mode = "combinations"
            self._codes = [np.asarray(cols[f"k{i}"], dtype=np.intp) for i in range(len(cols) - 2)]
            self._count = np.asarray(cols["n"], dtype=np.int64)
            self._converted = np.asarray(np.ma.filled(cols["c"], 0), dtype=np.int64)
            if len(self._count) and not self._count.all():  # count(*) of an empty table
                keep = self._count > 0
                self._codes = [k[keep] for k in self._codes]
                self._count, self._converted = self._count[keep], self._converted[keep]
            self.combinations = len(self._count)
            self.leads = int(self._count.sum())
        else:
            self.mode = "rows"
            self._table = f"__wb_preview_{uuid.uuid4().hex}"
            con.execute(
                f"CREATE TEMP TABLE {q(self._table)} AS {codes_sql}",  # noqa: S608
                params.values,
            ).fetchall()  # DuckDB 2.0 keeps the connection busy until a result is fetched
            rows = con.execute(f"SELECT count(*) FROM {q(self._table)}").fetchall()  # noqa: S608
            self.leads = int(rows[0][0])
            self.combinations = len(cols["n"])  # a lower bound: the query stopped counting
            self._codes = []
            self._count = self._converted = np.zeros(0, np.int64)

    # ------------------------------------------------------------------ public API

    def compatible(self, model: ScoringModel) -> bool:
        """Whether ``model`` differs from the preview's only in numbers (and names, groups).

        Points, caps, group caps, the scale, tier thresholds and names, criterion order and
        groups may change; criteria ids, kinds, columns, band edges, category values and
        domains may not.
        """
        if uses_activity(model) or len(model.criteria) != len(self._levels):
            return False
        built = {lv.id: lv for lv in self._levels}
        for c in model.criteria:
            lv = built.get(c.id)
            if lv is None or lv.kind != c.kind:
                return False
            now = _shape(c, lv.column)
            if now.shape != lv.shape:
                return False
            if c.column != lv.column and c.column.casefold() != lv.column.casefold():
                return False
        return True

    def summarize(self, model: ScoringModel, *, bin_width: float | None = None) -> Summary:
        """The same summary as :func:`workbench.summary.summarize`, from the pre-aggregated levels.

        Args:
            model: a model for which :meth:`compatible` is true.
            bin_width: histogram bar width (default: :func:`default_bin_width`).

        Returns:
            Tier counts, histogram, mean / median / p90 / min / max and conversion.

        Raises:
            IncompatibleModel: the model changed structurally; build a new preview.
        """
        if not self.compatible(model):
            raise IncompatibleModel(
                "the criteria changed beyond their numbers; build a new Preview"
            )
        width = bin_width or default_bin_width(model)
        points = self._points(model)
        if self.mode == "combinations":
            return self._summarize_numpy(model, points, width)
        return self._summarize_sql(model, points, width)

    def close(self) -> None:
        """Drop the per-lead code table, if the fallback made one."""
        if self._table is not None:
            self._con.execute(f"DROP TABLE IF EXISTS {q(self._table)}").fetchall()
            self._table = None

    # ------------------------------------------------------------------ numpy path

    def score_counts(self, model: ScoringModel) -> ScoreCounts | None:
        """Leads and conversions per distinct score, for :func:`workbench.backtest.evaluate`.

        The live backtest beside the sliders then costs a sort of the level combinations, not a
        scan of the leads. Returns None when there is no outcome or the preview keeps per-lead
        codes (too many combinations): the caller then runs the full backtest.

        Raises:
            IncompatibleModel: the model changed structurally; build a new preview.
        """
        if not self.compatible(model):
            raise IncompatibleModel(
                "the criteria changed beyond their numbers; build a new Preview"
            )
        if not self.has_outcome or self.mode != "combinations":
            return None
        score = self._combo_scores(model, self._points(model))
        distinct, where = np.unique(score, return_inverse=True)
        leads = np.bincount(where, weights=self._count, minlength=len(distinct))
        converted = np.bincount(where, weights=self._converted, minlength=len(distinct))
        return ScoreCounts(distinct, leads.astype(np.int64), converted.astype(np.int64))

    def _points(self, model: ScoringModel) -> list[tuple[int, str, FloatArray]]:
        index = {lv.id: i for i, lv in enumerate(self._levels)}
        return [
            (index[c.id], c.group, _level_points(c, self._levels[index[c.id]]))
            for c in model.criteria
        ]

    def _combo_scores(
        self, model: ScoringModel, points: Sequence[tuple[int, str, FloatArray]]
    ) -> FloatArray:
        """The score of every level combination, exactly as the compiled SQL computes it."""
        size = len(self._count)
        totals: list[FloatArray] = []
        for group in _GROUPS:
            total: FloatArray | None = None
            for i, g, pts in points:
                if g == group:
                    part = pts[self._codes[i]]
                    # Left to right, as SQL evaluates "c0 + c1 + c2".
                    total = part if total is None else total + part
            if total is None:
                total = np.zeros(size)
            cap_model = model.groups.get(group)
            if cap_model is not None:
                cap = float(cap_model.max_points)
                total = np.maximum(np.minimum(total, cap), -cap)
            totals.append(total)
        score = np.maximum(
            np.minimum(totals[0] + totals[1], float(model.scale.max)), float(model.scale.min)
        )
        return round6(score)

    def _summarize_numpy(
        self,
        model: ScoringModel,
        points: Sequence[tuple[int, str, FloatArray]],
        width: float,
    ) -> Summary:
        score = self._combo_scores(model, points)
        converted = self._converted if self.has_outcome else None
        return summary_from_counts(model, score, self._count, converted, bin_width=width)

    # ------------------------------------------------------------------ per-lead fallback

    def _summarize_sql(
        self,
        model: ScoringModel,
        points: Sequence[tuple[int, str, FloatArray]],
        width: float,
    ) -> Summary:
        assert self._table is not None
        params = Params(prefix="w")
        parts: dict[str, list[str]] = {"fit": [], "engagement": []}
        for i, g, pts in points:
            arms = " ".join(f"WHEN {code} THEN {params.num(v)}" for code, v in enumerate(pts))
            parts[g].append(f"(CASE {q(f'k{i}')} {arms} ELSE 0.0 END)")
        groups = []
        for group in _GROUPS:
            total = " + ".join(parts[group]) or "0.0"
            cap_model = model.groups.get(group)
            if cap_model is not None:
                cap = params.num(cap_model.max_points)
                total = f"GREATEST(LEAST(({total}), {cap}), -{cap})"
            groups.append(total)
        score = (
            f"GREATEST(LEAST(({groups[0]}) + ({groups[1]}), {params.num(model.scale.max)}), "
            f"{params.num(model.scale.min)})"
        )
        scored = f"SELECT round({score}, 6) AS score, conv FROM {q(self._table)}"  # noqa: S608
        cols = self._con.execute(
            f"SELECT score, count(*) AS n, sum(CAST(conv AS INTEGER)) AS c FROM ({scored}) "
            "GROUP BY score",
            params.values,
        ).fetchnumpy()
        converted = None
        if self.has_outcome:
            converted = np.asarray(np.ma.filled(cols["c"], 0), dtype=np.float64)
        return summary_from_counts(
            model,
            np.asarray(cols["score"], dtype=np.float64),
            np.asarray(cols["n"], dtype=np.float64),
            converted,
            bin_width=width,
        )
