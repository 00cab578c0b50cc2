"""The scoring query for a warehouse: one standalone SQL statement per dialect, built by sqlglot.

The app's own compiler (:mod:`workbench.compiler`) writes DuckDB SQL with bound parameters. A
query handed to a data team has no parameters, so here the model's values become SQL literals,
built as sqlglot expressions (``exp.Literal``) and never pasted into text; identifiers are
quoted by sqlglot for the target dialect. The query is built as a sqlglot AST from the model,
not transpiled from the DuckDB text, because several DuckDB functions the compiler uses have
no faithful translation (sqlglot turns ``TRY_CAST`` into a plain ``CAST`` for PostgreSQL, which
fails on the first "n/a"; ``list_contains`` and ``isnan`` are missing in some dialects):

==========================  ===================================================================
DuckDB (compiler)           portable form used here
==========================  ===================================================================
``list_contains(l, x)``     ``x IN ('a', 'b', …)``
``TRY_CAST(c AS DOUBLE)``   the text checked against a number pattern, then a plain ``CAST``
``isnan(v)``                "nan" never matches the number pattern, so it is missing already
``trim(x, chars)``          ``TRIM(BOTH chars FROM x)`` or ``TRIM(x, chars)`` (sqlglot, per dialect)
``'\\s+'``                   an explicit character class (``\\s`` differs between engines)
``string_split(x, '@')``    ``regexp_replace(x, '^([^@]*@)+', '')``: the part after the last '@'
``round(x, 6)``             the same, through ``NUMERIC`` on PostgreSQL (no ``round(double, int)``)
==========================  ===================================================================

The ``duckdb`` dialect keeps DuckDB's own ``TRY_CAST``, ``isnan`` and ``\\s``; the tests run both
forms on DuckDB against the compiler. Known differences of the portable form, all on values no
lead file holds: a number with an exponent above 99 (or with ``_`` in the exponent), longer
than 200 characters, or written with both signs (``+-1``) counts as missing (DuckDB reads
it); the text of a ``DOUBLE`` column is engine-specific (``1.0`` in DuckDB and Spark, ``1`` in
PostgreSQL), which matters only for a ``categories`` criterion on a decimal column; ``lower()``
follows the warehouse's collation (PostgreSQL needs a UTF-8 locale to lower-case "SÍ").

The query adds ``points__<id>`` per criterion, ``score`` and ``tier`` to the table's columns
(``SELECT *``), or to the columns named by ``keep``; it needs no helper columns.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

from sqlglot import exp

from workbench.compiler import WHITESPACE, input_aliases, points_column
from workbench.errors import UserError
from workbench.model import (
    TRUTHY,
    CategoriesCriterion,
    Criterion,
    EmailDomainCriterion,
    FlagCriterion,
    RangesCriterion,
    ScoringModel,
    format_number,
    normalize_category,
)

DIALECTS = ("duckdb", "postgres", "spark", "bigquery", "snowflake")
DEFAULT_TABLE = "leads"

# What DuckDB's TRY_CAST skips around a number: ASCII white space, not the no-break space.
NUMBER_SPACE = " \t\n\r\x0b\x0c"
# A number as DuckDB's TRY_CAST(… AS DOUBLE) reads it (after trimming and lower-casing),
# digits grouped by single underscores included. The exponent is capped at two digits and the
# text at MAX_NUMBER_CHARS so that no accepted value overflows a DOUBLE: PostgreSQL raises an
# error on an out-of-range cast, which would stop the whole query.
_DIGITS = "[0-9]+(_[0-9]+)*"
NUMBER_PATTERN = rf"^[+-]?({_DIGITS}(\.({_DIGITS})?)?|\.{_DIGITS})(e[+-]?0*[0-9]{{1,2}})?$"
MAX_NUMBER_CHARS = 200
POSITIVE_INFINITY = ("inf", "+inf", "infinity", "+infinity")
NEGATIVE_INFINITY = ("-inf", "-infinity")
# RE2's \s (DuckDB, BigQuery) is exactly these five; Java and POSIX classes differ.
SPACE_RUN_PATTERN = "[ \t\n\x0c\r]+"
# Everything up to and including the last '@' (the compiler keeps the part after it).
UP_TO_LAST_AT_PATTERN = "^([^@]*@)+"

_LEVEL1, _LEVEL2 = "wb_points", "wb_score"
# Dialects whose generator writes control characters raw inside string literals.
_RAW_STRING_DIALECTS = ("duckdb", "postgres")


def scoring_sql(
    model: ScoringModel,
    dialect: str = "duckdb",
    *,
    table: str = DEFAULT_TABLE,
    keep: Sequence[str] | None = None,
    pretty: bool = True,
) -> str:
    """A standalone query that scores every row of ``table`` in a warehouse.

    Args:
        model: the scoring model.
        dialect: one of :data:`DIALECTS`.
        table: the table to score; dots separate schema and table (``crm.leads``), and each
            part is quoted as written.
        keep: input columns to carry into the result (renamed ``<name>_input`` where one
            collides with an output); ``None`` carries every column with ``*``.
        pretty: indent the SQL over several lines.

    Returns:
        The SQL text, ending without a semicolon.

    Raises:
        UserError: the dialect is unknown, the table name is empty, or the model holds a
            number a warehouse cannot take (infinite or NaN).
    """
    tree = scoring_expression(model, dialect, table=table, keep=keep)
    return tree.sql(dialect=dialect, pretty=pretty)


def scoring_expression(
    model: ScoringModel,
    dialect: str = "duckdb",
    *,
    table: str = DEFAULT_TABLE,
    keep: Sequence[str] | None = None,
    portable: bool | None = None,
) -> exp.Select:
    """The scoring query as a sqlglot expression tree.

    Args:
        model: the scoring model.
        dialect: one of :data:`DIALECTS`; decides the function forms used.
        table: the table to score (see :func:`scoring_sql`).
        keep: input columns to carry; ``None`` for all.
        portable: use the portable forms even for DuckDB (the tests check them there);
            ``None`` means "for every dialect but DuckDB".

    Returns:
        A ``SELECT`` over two nested subqueries: criterion points, then score, then tier.
    """
    if dialect not in DIALECTS:
        raise UserError(f"Unknown SQL dialect {dialect!r}; use one of {', '.join(DIALECTS)}.")
    if portable is None:
        portable = dialect != "duckdb"
    build = _Builder(dialect, portable)

    outputs = [points_column(c.id) for c in model.criteria] + ["score", "tier"]
    if keep is None:
        carried: list[exp.Expr] = [exp.Star()]
    else:
        carried = [
            exp.alias_(_col(name), _ident(alias)) for name, alias in input_aliases(keep, outputs)
        ]
    points = [exp.alias_(build.criterion(c), _ident(points_column(c.id))) for c in model.criteria]
    level1 = exp.select(*carried, *points).from_(_table(table))

    groups: list[exp.Expression] = []
    for group in ("fit", "engagement"):
        members = [_col(points_column(c.id)) for c in model.criteria if c.group == group]
        total: exp.Expression = members[0] if members else build.num(0.0)
        for member in members[1:]:
            total = exp.Add(this=total, expression=member)
        cap = model.groups.get(group)
        if cap is not None:
            total = build.clamp(exp.paren(total), -cap.max_points, cap.max_points)
        groups.append(total)
    score = build.clamp(
        exp.Add(this=groups[0], expression=groups[1]), model.scale.min, model.scale.max
    )
    level2 = exp.select(exp.Star(), exp.alias_(build.round6(score), _ident("score"))).from_(
        level1.subquery(_ident(_LEVEL1))
    )

    tier: exp.Expression = build.string(model.tiers[0].name)
    if len(model.tiers) > 1:
        case = exp.Case()
        for t in reversed(model.tiers[1:]):
            case = case.when(
                exp.GTE(this=_col("score"), expression=build.num(t.min_score)),
                build.string(t.name),
            )
        tier = case.else_(build.string(model.tiers[0].name))
    return exp.select(exp.Star(), exp.alias_(tier, _ident("tier"))).from_(
        level2.subquery(_ident(_LEVEL2))
    )


class _Builder:
    """Expression builders for one dialect; every value becomes a literal here."""

    def __init__(self, dialect: str, portable: bool) -> None:
        self.dialect = dialect
        self.portable = portable

    # -- values -------------------------------------------------------------------------------

    def num(self, value: float) -> exp.Expression:
        """A number typed DOUBLE, so no engine guesses an integer or decimal type."""
        x = float(value)
        if not math.isfinite(x):
            raise UserError(
                f"The model holds the number {value}, which a warehouse query cannot write; "
                "use a finite number."
            )
        text = format_number(x) if x.is_integer() and abs(x) < 1e15 else repr(x)
        return exp.cast(exp.Literal.number(text), exp.DataType.build("DOUBLE"))

    def string(self, value: str) -> exp.Expression:
        """A text literal. Where the dialect would write tabs, line breaks or no-break spaces
        raw inside the quotes (PostgreSQL, DuckDB), they are spelled ``CHR(n)`` instead, so the
        SQL file shows them and no editor can silently change them."""
        if (
            self.dialect not in _RAW_STRING_DIALECTS
            or value.isprintable()
            and "\u00a0" not in value
        ):
            return exp.Literal.string(value)
        pieces: list[exp.Expression] = []
        run = ""
        for ch in value:
            if ch.isprintable() and ch != "\u00a0":
                run += ch
                continue
            if run:
                pieces.append(exp.Literal.string(run))
                run = ""
            pieces.append(exp.Anonymous(this="CHR", expressions=[exp.Literal.number(ord(ch))]))
        if run:
            pieces.append(exp.Literal.string(run))
        joined = pieces[0]
        for piece in pieces[1:]:
            joined = exp.DPipe(this=joined, expression=piece)
        return exp.paren(joined) if len(pieces) > 1 else joined

    def strings(self, values: Sequence[str]) -> list[exp.Expression]:
        return [self.string(v) for v in values]

    # -- column forms -------------------------------------------------------------------------

    @staticmethod
    def as_text(column: str) -> exp.Expression:
        return exp.cast(_col(column), exp.DataType.build("VARCHAR"))

    def text(self, column: str) -> exp.Expression:
        """The compared form of a cell: trimmed of white space (tabs, breaks too), lower-case."""
        trimmed = exp.Trim(
            this=self.as_text(column),
            expression=self.string(WHITESPACE),
            position="BOTH",
        )
        return exp.Lower(this=trimmed)

    def ranges(self, c: RangesCriterion) -> exp.Expression:
        """Points by band: the first band holding the number wins; no number gives 'missing'."""
        if not self.portable:
            # The compiler's own form: TRY_CAST, with NaN counted as missing.
            value: exp.Expression = exp.TryCast(
                this=_col(c.column), to=exp.DataType.build("DOUBLE")
            )
            missing = exp.or_(
                exp.Is(this=value.copy(), expression=exp.Null()),
                exp.Anonymous(this="isnan", expressions=[value.copy()]),
            )
            return self._bands(c, value, exp.Case().when(missing, self.num(c.missing)))
        text = exp.Lower(
            this=exp.Trim(
                this=self.as_text(c.column),
                expression=self.string(NUMBER_SPACE),
                position="BOTH",
            )
        )
        is_number = exp.and_(
            exp.LTE(
                this=exp.Length(this=text.copy()),
                expression=exp.Literal.number(MAX_NUMBER_CHARS),
            ),
            exp.RegexpLike(this=text.copy(), expression=exp.Literal.string(NUMBER_PATTERN)),
        )
        digits = exp.Replace(
            this=text.copy(),
            expression=exp.Literal.string("_"),
            replacement=self.string(""),
        )
        number = exp.cast(digits, exp.DataType.build("DOUBLE"))
        case = exp.Case().when(is_number, self._bands(c, number, exp.Case()))
        # Infinity is rare enough to settle here, which spares each dialect's spelling of it.
        for words, value_ in ((POSITIVE_INFINITY, math.inf), (NEGATIVE_INFINITY, -math.inf)):
            points = _band_points(c, value_)
            if points != c.missing:
                written = exp.In(this=text.copy(), expressions=self.strings(words))
                case = case.when(written, self.num(points))
        return case.else_(self.num(c.missing))

    def _bands(self, c: RangesCriterion, value: exp.Expression, case: exp.Case) -> exp.Case:
        for band in c.bands:
            tests: list[exp.Expression] = []
            if band.from_ is not None:
                tests.append(exp.GTE(this=value.copy(), expression=self.num(band.from_)))
            if band.to is not None:
                tests.append(exp.LT(this=value.copy(), expression=self.num(band.to)))
            condition = exp.and_(*tests) if tests else exp.true()
            case = case.when(condition, self.num(band.points))
        return case.else_(self.num(0.0))

    def collapse_spaces(self, text: exp.Expression) -> exp.Expression:
        pattern = SPACE_RUN_PATTERN if self.portable else r"\s+"
        return exp.RegexpReplace(
            this=text,
            expression=self.string(pattern),
            replacement=exp.Literal.string(" "),
        )

    def domain(self, text: exp.Expression) -> exp.Expression:
        return exp.RegexpReplace(
            this=text,
            expression=self.string(UP_TO_LAST_AT_PATTERN),
            replacement=self.string(""),
        )

    # -- arithmetic ---------------------------------------------------------------------------

    def clamp(self, value: exp.Expression, low: float, high: float) -> exp.Expression:
        """GREATEST(LEAST(value, high), low), in the compiler's order."""
        upper = exp.Least(this=value, expressions=[self.num(high)], ignore_nulls=True)
        return exp.Greatest(this=upper, expressions=[self.num(low)], ignore_nulls=True)

    def round6(self, value: exp.Expression) -> exp.Expression:
        if self.dialect == "postgres":
            # PostgreSQL has round(numeric, int) only.
            exact = exp.cast(value, exp.DataType.build("DECIMAL"))
            rounded = exp.Round(this=exact, decimals=exp.Literal.number(6))
            return exp.cast(rounded, exp.DataType.build("DOUBLE"))
        return exp.Round(this=value, decimals=exp.Literal.number(6))

    # -- criteria -----------------------------------------------------------------------------

    def criterion(self, c: Criterion) -> exp.Expression:
        """One criterion's points after its own cap; never NULL."""
        expr = self._raw(c)
        if c.max_points is not None:
            expr = self.clamp(expr, -c.max_points, c.max_points)
        return expr

    def _raw(self, c: Criterion) -> exp.Expression:
        zero = self.num(0.0)
        if isinstance(c, FlagCriterion):
            yes = exp.In(this=self.text(c.column), expressions=self.strings(TRUTHY))
            return exp.Case().when(yes, self.num(c.points)).else_(zero)
        if isinstance(c, RangesCriterion):
            return self.ranges(c)
        if isinstance(c, CategoriesCriterion):
            text = self.text(c.column)
            empty = exp.or_(
                exp.Is(this=_col(c.column), expression=exp.Null()),
                exp.EQ(this=text.copy(), expression=self.string("")),
            )
            case = exp.Case().when(empty, self.num(c.missing))
            folded = self.collapse_spaces(text)
            for key, pts in c.points.items():
                match = exp.EQ(this=folded.copy(), expression=self.string(normalize_category(key)))
                case = case.when(match, self.num(pts))
            return case.else_(self.num(c.other))
        if isinstance(c, EmailDomainCriterion):
            listed = exp.In(
                this=self.domain(self.text(c.column)), expressions=self.strings(c.domains)
            )
            return exp.Case().when(listed, self.num(c.points)).else_(zero)
        raise UserError(
            f'Criterion "{c.title}" ({c.id}) is of kind {c.kind}, which the warehouse query '
            "cannot compute (it needs more than the leads table); score it in the app, or "
            "leave it out of the model for the warehouse."
        )


def _ident(name: str) -> exp.Identifier:
    if "\x00" in name:
        raise UserError(f"The name {name!r} contains a NUL character; rename it.")
    return exp.to_identifier(name, quoted=True)


def _col(name: str) -> exp.Column:
    return exp.Column(this=_ident(name))


def _table(name: str) -> exp.Table:
    """``crm.leads`` → catalog/db/table parts, each quoted as written."""
    parts = name.split(".")
    if not name.strip() or any(not p for p in parts) or len(parts) > 3:
        raise UserError(
            f"{name!r} is not a table name; give NAME, SCHEMA.NAME or CATALOG.SCHEMA.NAME."
        )
    idents = [_ident(p) for p in parts]
    table = exp.Table(this=idents[-1])
    if len(idents) >= 2:
        table.set("db", idents[-2])
    if len(idents) == 3:
        table.set("catalog", idents[0])
    return table


def _band_points(c: RangesCriterion, value: float) -> float:
    """The points a number earns under ``c`` (the first band that holds it, else 0)."""
    for band in c.bands:
        if (band.from_ is None or value >= band.from_) and (band.to is None or value < band.to):
            return band.points
    return 0.0
