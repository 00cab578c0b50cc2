"""Compile a scoring model into one DuckDB query.

Identifiers go through :func:`workbench.sql.quote_identifier` after being checked against the
table's real columns; every value from the model (points, thresholds, category names, domains)
is a bound parameter. The only SQL text here comes from this module's own closed set.
"""

from __future__ import annotations

import datetime
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from workbench.errors import UserError
from workbench.model import (
    TRUTHY,
    ActivityCountCriterion,
    CategoriesCriterion,
    Criterion,
    Decay,
    EmailDomainCriterion,
    FlagCriterion,
    RangesCriterion,
    RecencyCriterion,
    ScoringModel,
    effective_decay,
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
        # The part after the last '@' of the trimmed cell; a bare domain passes through whole.
        # E-mails are distinct per lead, so this runs per row: trim() with a character list
        # is the slow part, and a cell that neither starts nor ends with white space is
        # already trimmed, so only those few cells take the long way (2x faster at 1M rows).
        raw = f"CAST({col} AS VARCHAR)"
        ws = params.add(WHITESPACE)
        padded = f"contains({ws}, left({raw}, 1)) OR contains({ws}, right({raw}, 1))"
        exact = f"string_split({text}, '@')[-1]"
        return "domain", (
            f"CASE WHEN {padded} THEN {exact} ELSE lower(split_part({raw}, '@', -1)) END"
        )
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
    *,
    events: str | None = None,
    as_of: datetime.date | None = None,
    group_scores: bool = False,
) -> Query:
    """Compile the model into a query that scores every row of ``table``.

    Args:
        model: the scoring model.
        table: the DuckDB table (or view) holding the leads.
        columns: the table's real column names, to check every criterion's column against.
        keep: input columns to carry into the result; ``None`` keeps them all.
        events: the activity log table (columns ``lead_id``, ``activity``, ``detail``, ``ts``,
            see :mod:`workbench.activity`); needed only by ``activity_count`` and ``recency``.
        as_of: the day scores are computed on (default today): activity after it is ignored
            and ages are whole days before it.
        group_scores: also output ``fit_score`` and ``engagement_score`` (group totals after
            their caps), for the fit × engagement matrix.

    Returns:
        A query whose rows are the input columns (renamed ``<name>_input`` where one collides
        with an output name), one ``points__<id>`` column per criterion (after its own cap),
        ``score`` (group caps and scale clamp applied, rounded to 6 decimals) and ``tier``
        (then ``fit_score`` and ``engagement_score`` with ``group_scores``).

    Raises:
        UserError: a criterion names a column the table lacks, or reads the activity log and
            no ``events`` table is given.
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
    # real column -> its text forms and the points of the criteria reading them, both worked
    # out once per distinct value
    text_inputs: dict[str, tuple[list[str], list[str]]] = {}
    log = _ActivityAggregates(model, events, as_of, cols, params)
    for i, c in enumerate(model.criteria):
        if isinstance(c, ActivityCountCriterion | RecencyCriterion):
            expr = log.points(c)
            if c.max_points is not None:
                cap = params.num(c.max_points)
                expr = _clamp(expr, f"-{cap}", cap)
            crit_cols.append(f"{INTERNAL}c{i}")
            crit_exprs.append(f"{expr} AS {q(crit_cols[-1])}")
            continue
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
                forms = text_inputs.setdefault(real, ([], []))[0]
                lookup_key = f"{INTERNAL}k{list(text_inputs).index(real)}"
                forms.append(f"{input_sql(c, lookup_key, params)[1]} AS {q(name)}")
        value = q(inputs[(real.casefold(), key)])
        if key in ("number", "domain"):
            expr = criterion_sql(c, real, params, value=value)
        else:
            # A text criterion's points depend on the value alone: decide them in the lookup
            # too, so each lead only picks up a number.
            decided = f"{INTERNAL}p{i}"
            points = criterion_sql(c, real, params, value=value)
            text_inputs[real][1].append(f"{points} AS {q(decided)}")
            expr = q(decided)
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
    if group_scores:
        outputs += ["fit_score", "engagement_score"]
    kept = cols if keep is None else [resolve_column(k, cols) for k in keep]
    select = [f"{q(name)} AS {q(alias)}" for name, alias in input_aliases(kept, outputs)]
    select += [
        f"{q(cc)} AS {q(points_column(c.id))}"
        for cc, c in zip(crit_cols, model.criteria, strict=True)
    ]
    select += [f'{q(INTERNAL + "score")} AS "score"', f'{tier} AS "tier"']
    if group_scores:
        select += [
            f'round({q(INTERNAL + "fit")}, 6) AS "fit_score"',
            f'round({q(INTERNAL + "engagement")}, 6) AS "engagement_score"',
        ]

    source = _source_with_inputs(table, row_inputs, text_inputs, log.joins())
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


def decay_weight_sql(decay: Decay | None, age: str, params: Params) -> str:
    """SQL for the share of its points an activity ``age`` whole days old keeps.

    Mirrors :meth:`workbench.model.Decay.weight`: ``0.5 ^ (age / half_life)``; ``1 - p% per
    whole 30 days`` (never below 0); or 1 up to and including ``expire_after_days``, then 0.
    """
    if decay is None:
        return "1.0"
    if decay.half_life_days is not None:
        return f"pow(0.5, {age} / {params.num(decay.half_life_days)})"
    if decay.linear_percent_per_month is not None:
        share = params.num(decay.linear_percent_per_month / 100)
        return f"GREATEST(0.0, 1.0 - {share} * floor({age} / 30))"
    if decay.expire_after_days is not None:
        return f"CASE WHEN {age} <= {params.add(decay.expire_after_days)} THEN 1.0 ELSE 0.0 END"
    return "1.0"


def glob_to_like(pattern: str) -> str:
    """A detail glob (``*`` any text, ``?`` one character) as a LIKE pattern escaped with ``\\``.

    ``%``, ``_`` and ``\\`` in the glob are matched literally.
    """
    out = []
    for ch in pattern:
        if ch in "%_\\":
            out.append("\\" + ch)
        elif ch == "*":
            out.append("%")
        elif ch == "?":
            out.append("_")
        else:
            out.append(ch)
    return "".join(out)


class _ActivityAggregates:
    """One per-lead aggregate over the activity log for all activity criteria, joined back.

    Each criterion gets one aggregate column (a FILTERed count, weighted sum, sorted list of
    ages or minimum age) computed in one GROUP BY over the log; the leads join it on their
    lead id (trimmed text), so the work stays in DuckDB and leads without activity get NULL.
    """

    def __init__(
        self,
        model: ScoringModel,
        events: str | None,
        as_of: datetime.date | None,
        columns: Sequence[str],
        params: Params,
    ) -> None:
        self.model = model
        self.events = events
        self.params = params
        self.aggs: list[str] = []
        self.lead_column: str | None = None
        self._as_of = as_of
        self._age = q(f"{INTERNAL}age")
        self._asof_param: str | None = None
        if model.activity is not None and any(
            isinstance(c, ActivityCountCriterion | RecencyCriterion) for c in model.criteria
        ):
            if events is None:
                raise UserError(
                    "The model has activity criteria: load an activity log (lead id, activity, "
                    "time) to score them."
                )
            self.lead_column = resolve_column(model.activity.lead_id_column, columns)

    def _filter(self, c: ActivityCountCriterion | RecencyCriterion) -> str:
        p = self.params
        tests = [f'list_contains({p.add(c.activities)}, lower(trim("activity")))']
        if c.detail is not None:
            tests.append(f"\"detail\" ILIKE {p.add(glob_to_like(c.detail))} ESCAPE '\\'")
        if isinstance(c, ActivityCountCriterion) and c.within_days is not None:
            tests.append(f"{self._age} <= {p.add(c.within_days)}")
        return " AND ".join(tests)

    def _agg(self, sql: str) -> str:
        name = q(f"{INTERNAL}a{len(self.aggs)}")
        self.aggs.append(f"{sql} AS {name}")
        return name

    def points(self, c: ActivityCountCriterion | RecencyCriterion) -> str:
        """The SQL of a criterion's points (never NULL), registering its aggregate."""
        p = self.params
        where = self._filter(c)
        if isinstance(c, RecencyCriterion):
            days = self._agg(f"min({self._age}) FILTER (WHERE {where})")
            arms = [f"WHEN {days} IS NULL THEN {p.num(c.missing)}"]
            for band in c.bands:
                tests = []
                if band.from_ is not None:
                    tests.append(f"{days} >= {p.num(band.from_)}")
                if band.to is not None:
                    tests.append(f"{days} < {p.num(band.to)}")
                arms.append(f"WHEN {' AND '.join(tests) or 'TRUE'} THEN {p.num(band.points)}")
            return f"CASE {' '.join(arms)} ELSE 0.0 END"
        decay = effective_decay(self.model, c)
        if c.points_each is not None:
            weight = decay_weight_sql(decay, self._age, p)
            total = self._agg(f"sum({weight}) FILTER (WHERE {where})")
            return f"coalesce({total}, 0.0) * {p.num(c.points_each)}"
        assert c.at_least is not None and c.points is not None
        n = p.add(c.at_least)
        if decay is None:
            count = self._agg(f"count(*) FILTER (WHERE {where})")
            return f"CASE WHEN coalesce({count}, 0) >= {n} THEN {p.num(c.points)} ELSE 0.0 END"
        # The condition was last met when the N-th most recent activity happened: decay from it.
        ages = self._agg(f"list({self._age} ORDER BY {self._age}) FILTER (WHERE {where})")
        weight = decay_weight_sql(decay, f"{ages}[{n}]", p)
        return (
            f"CASE WHEN coalesce(len({ages}), 0) >= {n} "
            f"THEN {p.num(c.points)} * {weight} ELSE 0.0 END"
        )

    def joins(self) -> str:
        """The LEFT JOIN of the per-lead aggregate onto the leads ('' without activity)."""
        if not self.aggs or self.lead_column is None or self.events is None:
            return ""
        day = self._as_of or datetime.date.today()
        as_of = f"CAST({self.params.add(day.isoformat())} AS DATE)"
        log, lid = q(INTERNAL + "log"), q(INTERNAL + "lid")
        aged = (
            f'SELECT "lead_id", "activity", "detail", '
            f"date_diff('day', CAST(\"ts\" AS DATE), {as_of}) AS {self._age} "
            f'FROM {q(self.events)} WHERE "ts" IS NOT NULL AND "lead_id" IS NOT NULL'
        )
        agg = (
            f'SELECT trim(CAST("lead_id" AS VARCHAR)) AS {lid}, {", ".join(self.aggs)} '
            f"FROM ({aged}) WHERE {self._age} >= 0 GROUP BY 1"
        )
        key = f"trim(CAST({q(INTERNAL + 't')}.{q(self.lead_column)} AS VARCHAR))"
        return f" LEFT JOIN ({agg}) AS {log} ON {key} = {log}.{lid}"


def _source_with_inputs(
    table: str,
    row_inputs: list[str],
    text_inputs: dict[str, tuple[list[str], list[str]]],
    extra_join: str = "",
) -> str:
    """The leads with each criterion's input value beside them.

    Text inputs (lower-cased, trimmed, folded) are worked out once per distinct value and joined
    back: a lead file has far fewer distinct industries or flags than rows, and string functions
    per row are most of the cost of scoring. The join does not keep row order; callers that need
    the file's order sort by a row position they carry along.
    """
    source = f"{q(table)} AS {q(INTERNAL + 't')}"
    for j, (column, (forms, points)) in enumerate(text_inputs.items()):
        key, alias = q(f"{INTERNAL}k{j}"), q(f"{INTERNAL}d{j}")
        distinct = f"SELECT DISTINCT {q(column)} AS {key} FROM {q(table)}"
        lookup = f"SELECT {key}, {', '.join(forms)} FROM ({distinct})"
        if points:
            lookup = f"SELECT *, {', '.join(points)} FROM ({lookup})"
        source += (
            f" LEFT JOIN ({lookup}) AS {alias}"
            f" ON {q(INTERNAL + 't')}.{q(column)} IS NOT DISTINCT FROM {alias}.{key}"
        )
    source += extra_join
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
