"""Compile a scoring model into one DuckDB query.

Identifiers go through :func:`workbench.sql.quote_identifier` after being checked against the
table's real columns; every value from the model (points, thresholds, category names, domains)
is a bound parameter. The only SQL text here comes from this module's own closed set.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from workbench.errors import UserError
from workbench.model import (
    TRUTHY,
    CategoriesCriterion,
    Criterion,
    EmailDomainCriterion,
    FlagCriterion,
    RangesCriterion,
    ScoringModel,
    normalize_category,
)
from workbench.sql import quote_identifier as q
from workbench.sql import resolve_column

INTERNAL = "__wb_"  # prefix of helper columns inside the query; refused in user data
WHITESPACE = " \t\n\r\x0b\x0c\u00a0"  # what trim() removes around a value


@dataclass(frozen=True)
class Query:
    """SQL text plus its named parameters ($p0, $p1, …)."""

    sql: str
    params: dict[str, Any] = field(default_factory=dict)


class Params:
    """Collects bound values and hands out their placeholders."""

    def __init__(self, prefix: str = "p") -> None:
        self.prefix = prefix
        self.values: dict[str, Any] = {}

    def add(self, value: Any) -> str:
        """Bind ``value`` and return its placeholder."""
        name = f"{self.prefix}{len(self.values)}"
        self.values[name] = value
        return f"${name}"

    def num(self, value: float) -> str:
        """Bind a number, typed as DOUBLE so DuckDB never guesses an integer type."""
        return f"CAST({self.add(float(value))} AS DOUBLE)"


def points_column(criterion_id: str) -> str:
    """The output column that holds a criterion's points."""
    return f"points__{criterion_id}"


def input_form(c: Criterion) -> str:
    """Which form of its column a criterion reads: number, category, domain or text."""
    if isinstance(c, RangesCriterion):
        return "number"
    if isinstance(c, CategoriesCriterion):
        return "category"
    if isinstance(c, EmailDomainCriterion):
        return "domain"
    return "text"


def input_sql(c: Criterion, column: str, params: Params) -> tuple[str, str]:
    """The one per-row value a criterion reads from its column, and a key naming that form.

    Criteria of the same form on the same column share the key, so the compiled query works the
    value out once per row (regular expressions on text are the costly part of scoring).

    Returns:
        ``(key, sql)``: e.g. ``("number", 'TRY_CAST("Opens" AS DOUBLE)')``.
    """
    col = q(column)
    if isinstance(c, RangesCriterion):
        return "number", f"TRY_CAST({col} AS DOUBLE)"
    # DuckDB's one-argument trim() strips only spaces; exports also leave tabs and line breaks.
    text = f"lower(trim(CAST({col} AS VARCHAR), {params.add(WHITESPACE)}))"
    if isinstance(c, CategoriesCriterion):
        # Same normalisation as model.normalize_category: trim, lower-case, fold inner spaces.
        return "category", f"regexp_replace({text}, '\\s+', ' ', 'g')"
    if isinstance(c, EmailDomainCriterion):
        # The part after the last '@'; a bare domain passes through whole.
        return "domain", f"string_split({text}, '@')[-1]"
    return "text", text


def criterion_sql(c: Criterion, column: str, params: Params, value: str | None = None) -> str:
    """The SQL expression for one criterion's points, before its cap.

    Args:
        c: the criterion.
        column: the real column name (already checked against the table).
        params: where values are bound.
        value: SQL for the criterion's per-row input (see :func:`input_sql`) when the caller has
            already computed it; by default it is computed inline.

    Returns:
        A DOUBLE-valued SQL expression; never NULL.
    """
    if value is None:
        value = input_sql(c, column, params)[1]
    if isinstance(c, FlagCriterion):
        truthy = params.add(list(TRUTHY))
        return (
            f"CASE WHEN list_contains({truthy}, {value}) THEN {params.num(c.points)} ELSE 0.0 END"
        )
    if isinstance(c, RangesCriterion):
        # 'nan' casts to NaN, which DuckDB sorts above every number: treat it as missing.
        arms = [f"WHEN {value} IS NULL OR isnan({value}) THEN {params.num(c.missing)}"]
        for band in c.bands:
            tests = []
            if band.from_ is not None:
                tests.append(f"{value} >= {params.num(band.from_)}")
            if band.to is not None:
                tests.append(f"{value} < {params.num(band.to)}")
            arms.append(f"WHEN {' AND '.join(tests) or 'TRUE'} THEN {params.num(band.points)}")
        return f"CASE {' '.join(arms)} ELSE 0.0 END"
    if isinstance(c, CategoriesCriterion):
        arms = [f"WHEN {value} IS NULL OR {value} = '' THEN {params.num(c.missing)}"]
        for key, pts in c.points.items():
            arms.append(
                f"WHEN {value} = {params.add(normalize_category(key))} THEN {params.num(pts)}"
            )
        return f"CASE {' '.join(arms)} ELSE {params.num(c.other)} END"
    if isinstance(c, EmailDomainCriterion):
        listed = f"list_contains({params.add(c.domains)}, {value})"
        return f"CASE WHEN {listed} THEN {params.num(c.points)} ELSE 0.0 END"
    raise TypeError(f"unknown criterion kind {type(c).__name__}")  # pragma: no cover


def _clamp(expr: str, low: str | None, high: str | None) -> str:
    if high is not None:
        expr = f"LEAST({expr}, {high})"
    if low is not None:
        expr = f"GREATEST({expr}, {low})"
    return expr


def compile_scoring(
    model: ScoringModel,
    table: str,
    columns: Sequence[str],
    keep: Sequence[str] | None = None,
) -> Query:
    """Compile the model into a query that scores every row of ``table``.

    Args:
        model: the scoring model.
        table: the DuckDB table (or view) holding the leads.
        columns: the table's real column names, to check every criterion's column against.
        keep: input columns to carry into the result; ``None`` keeps them all.

    Returns:
        A query whose rows are the input columns (renamed ``<name>_input`` where one collides
        with an output name), one ``points__<id>`` column per criterion (after its own cap),
        ``score`` (group caps and scale clamp applied, rounded to 6 decimals) and ``tier``.

    Raises:
        UserError: a criterion names a column the table lacks.
    """
    cols = list(columns)
    for name in cols:
        if name.lower().startswith(INTERNAL):
            raise UserError(
                f'The column name "{name}" starts with {INTERNAL!r}, which the app keeps for '
                "itself; rename it in the file."
            )
    params = Params()
    crit_cols: list[str] = []
    crit_exprs: list[str] = []
    inputs: dict[tuple[str, str], str] = {}  # (column, form) -> helper column holding the value
    row_inputs: list[str] = []  # numbers: a cast per row is cheap
    text_inputs: dict[str, list[str]] = {}  # real column -> its text forms, from distinct values
    for i, c in enumerate(model.criteria):
        real = resolve_column(c.column, cols)
        key = input_form(c)
        if (real.casefold(), key) not in inputs:
            name = f"{INTERNAL}v{len(inputs)}"
            inputs[(real.casefold(), key)] = name
            # Numbers cast cheaply per row; e-mail addresses are nearly all distinct, so a
            # lookup by distinct value would not save work.
            if key in ("number", "domain"):
                row_inputs.append(f"{input_sql(c, real, params)[1]} AS {q(name)}")
            else:
                forms = text_inputs.setdefault(real, [])
                lookup_key = f"{INTERNAL}k{list(text_inputs).index(real)}"
                forms.append(f"{input_sql(c, lookup_key, params)[1]} AS {q(name)}")
        expr = criterion_sql(c, real, params, value=q(inputs[(real.casefold(), key)]))
        if c.max_points is not None:
            cap = params.num(c.max_points)
            expr = _clamp(expr, f"-{cap}", cap)
        crit_cols.append(f"{INTERNAL}c{i}")
        crit_exprs.append(f"{expr} AS {q(crit_cols[-1])}")

    group_exprs = []
    for group in ("fit", "engagement"):
        members = [crit_cols[i] for i, c in enumerate(model.criteria) if c.group == group]
        total = " + ".join(q(m) for m in members) or "0.0"
        cap_model = model.groups.get(group)
        if cap_model is not None:
            cap = params.num(cap_model.max_points)
            total = _clamp(f"({total})", f"-{cap}", cap)
        group_exprs.append(f"{total} AS {q(INTERNAL + group)}")

    score = _clamp(
        f"{q(INTERNAL + 'fit')} + {q(INTERNAL + 'engagement')}",
        params.num(model.scale.min),
        params.num(model.scale.max),
    )
    tier_arms = " ".join(
        f"WHEN {q(INTERNAL + 'score')} >= {params.num(t.min_score)} THEN {params.add(t.name)}"
        for t in reversed(model.tiers[1:])
    )
    lowest = params.add(model.tiers[0].name)
    tier = f"CASE {tier_arms} ELSE {lowest} END" if tier_arms else lowest

    outputs = [points_column(c.id) for c in model.criteria] + ["score", "tier"]
    kept = cols if keep is None else [resolve_column(k, cols) for k in keep]
    select = [f"{q(name)} AS {q(alias)}" for name, alias in input_aliases(kept, outputs)]
    select += [
        f"{q(cc)} AS {q(points_column(c.id))}"
        for cc, c in zip(crit_cols, model.criteria, strict=True)
    ]
    select += [f'{q(INTERNAL + "score")} AS "score"', f'{tier} AS "tier"']

    source = _source_with_inputs(table, row_inputs, text_inputs)
    inner = (
        f"SELECT *, {', '.join(crit_exprs)} FROM {source}"
        if crit_exprs
        else f"SELECT * FROM {source}"
    )
    sql = (
        f"SELECT {', '.join(select)} FROM ("
        f"SELECT *, round({score}, 6) AS {q(INTERNAL + 'score')} FROM ("
        f"SELECT *, {', '.join(group_exprs)} FROM ({inner})))"
    )
    return Query(sql, params.values)


def _source_with_inputs(
    table: str, row_inputs: list[str], text_inputs: dict[str, list[str]]
) -> str:
    """The leads with each criterion's input value beside them.

    Text inputs (lower-cased, trimmed, folded) are worked out once per distinct value and joined
    back: a lead file has far fewer distinct industries or flags than rows, and string functions
    per row are most of the cost of scoring. The join does not keep row order; callers that need
    the file's order sort by a row position they carry along.
    """
    source = f"{q(table)} AS {q(INTERNAL + 't')}"
    for j, (column, exprs) in enumerate(text_inputs.items()):
        key, alias = q(f"{INTERNAL}k{j}"), q(f"{INTERNAL}d{j}")
        distinct = f"SELECT DISTINCT {q(column)} AS {key} FROM {q(table)}"
        source += (
            f" LEFT JOIN (SELECT {key}, {', '.join(exprs)} FROM ({distinct})) AS {alias}"
            f" ON {q(INTERNAL + 't')}.{q(column)} IS NOT DISTINCT FROM {alias}.{key}"
        )
    extra = "".join(f", {e}" for e in row_inputs)
    return f"(SELECT *{extra} FROM {source})"


def input_aliases(kept: Sequence[str], outputs: Sequence[str]) -> list[tuple[str, str]]:
    """Pair each kept input column with its output name, renaming collisions with outputs."""
    taken = {o.casefold() for o in outputs}
    pairs = []
    for name in kept:
        alias = name
        while alias.casefold() in taken:
            alias = f"{alias}_input"
        taken.add(alias.casefold())
        pairs.append((name, alias))
    return pairs
