"""Model lint: what in a model no longer fits this quarter's leads, each as one sentence.

Checks, per criterion unless said otherwise:

- the column is missing from the leads;
- the criterion gives points to no lead (it never fires), or to nearly every lead (more than
  95 % by default), so it does not tell leads apart;
- its own cap (``max_points``) is reached by every lead that earns points, so the cap and not
  the rule decides the points;
- a group cap is reached by nearly every lead that has points in the group;
- a ``categories`` criterion lists values that no lead has any more.

All counting happens in DuckDB in a few scans, whatever the number of leads. Findings are
advice, not errors: a model with findings still scores. Criteria that read the activity log
rather than a lead column are not checked here.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal

import duckdb

from workbench.compiler import Params, criterion_sql, input_sql
from workbench.errors import UserError
from workbench.explain import signed
from workbench.model import (
    CategoriesCriterion,
    Criterion,
    EmailDomainCriterion,
    FlagCriterion,
    RangesCriterion,
    ScoringModel,
    format_number,
)
from workbench.model import normalize_category as norm
from workbench.sql import closest, resolve_column
from workbench.sql import quote_identifier as q

NEARLY_ALL = 0.95
# The kinds read from one lead column; others (e.g. activity-log criteria) are not linted.
_COLUMN_KINDS = (FlagCriterion, RangesCriterion, CategoriesCriterion, EmailDomainCriterion)
_HINT_VALUES = 1000  # distinct values fetched to suggest a spelling

FindingKind = Literal[
    "missing_column",
    "never_fires",
    "nearly_everyone",
    "cap_always_hit",
    "group_cap_always_hit",
    "absent_categories",
    "no_leads",
]


@dataclass(frozen=True)
class Finding:
    """One lint finding.

    Attributes:
        kind: what was found.
        target: the criterion id, or the group name for a group cap ("" for the whole model).
        text: one readable sentence with the numbers and what to do.
    """

    kind: FindingKind
    target: str
    text: str

    def to_json(self) -> dict[str, str]:
        """Plain data for ``--json`` output."""
        return {"kind": self.kind, "target": self.target, "text": self.text}


def lint_model(
    con: duckdb.DuckDBPyConnection,
    model: ScoringModel,
    table: str,
    columns: Sequence[str],
    *,
    nearly_all: float = NEARLY_ALL,
) -> list[Finding]:
    """Check the model against the leads in ``table``.

    Args:
        con: the connection holding the table.
        model: the model to check.
        table: the leads table.
        columns: the table's columns.
        nearly_all: the share of leads above which "nearly everyone" applies.

    Returns:
        The findings, in criterion order, then the group caps; empty when nothing was found.
    """
    cols = list(columns)
    findings: list[Finding] = []
    present: list[tuple[Criterion, str]] = []
    for c in model.criteria:
        if not isinstance(c, _COLUMN_KINDS):
            continue  # criteria that read more than one leads column (activity log) are skipped
        try:
            present.append((c, resolve_column(c.column, cols)))
        except UserError:
            hint = closest(c.column, cols)
            tip = f' (the closest is "{hint}")' if hint else ""
            findings.append(
                Finding(
                    "missing_column",
                    c.id,
                    f'{_who(c)} reads the column "{c.column}", which these leads do not have'
                    f"{tip}; every lead would get no points from it. Fix the column name or "
                    "remove the criterion.",
                )
            )
    total = _scalar(con, f"SELECT count(*) FROM {q(table)}")
    if total == 0:
        findings.append(
            Finding("no_leads", "", "The leads table is empty, so nothing else can be checked.")
        )
        return findings

    counts = _point_counts(con, table, present)
    for i, (c, real) in enumerate(present):
        values = counts.get(i, {})
        findings += _criterion_findings(c, values, total, nearly_all)
        if isinstance(c, CategoriesCriterion):
            finding = _absent_categories(con, table, c, real)
            if finding:
                findings.append(finding)
    findings += _group_findings(con, model, table, present, nearly_all)
    return findings


def _who(c: Criterion, start: bool = True) -> str:
    return f'{"Criterion" if start else "criterion"} "{c.title}" ({c.id})'


def _scalar(con: duckdb.DuckDBPyConnection, sql: str, params: Any = None) -> int:
    rows = con.execute(sql, params or {}).fetchall()
    return int(rows[0][0] or 0) if rows else 0


def _point_counts(
    con: duckdb.DuckDBPyConnection, table: str, present: list[tuple[Criterion, str]]
) -> dict[int, dict[float, int]]:
    """For each criterion, how many leads get each (uncapped) number of points: one scan."""
    if not present:
        return {}
    params = Params(prefix="l")
    raws = [criterion_sql(c, real, params) for c, real in present]
    sql = (
        f"SELECT i, v, count(*) FROM (SELECT unnest([{', '.join(raws)}]) AS v, "
        f"unnest(range({len(raws)})) AS i FROM {q(table)}) GROUP BY i, v"
    )
    out: dict[int, dict[float, int]] = {}
    for i, v, n in con.execute(sql, params.values).fetchall():
        out.setdefault(int(i), {})[float(v)] = int(n)
    return out


def _criterion_findings(
    c: Criterion, values: dict[float, int], total: int, nearly_all: float
) -> list[Finding]:
    firing = {v: n for v, n in values.items() if v != 0}
    fired = sum(firing.values())
    col = f'"{c.column}"'
    if fired == 0:
        return [
            Finding(
                "never_fires",
                c.id,
                f"{_who(c)} gives points to none of the {total:,} leads, so it changes no "
                f"score; check what {col} holds now, or remove the criterion.",
            )
        ]
    out = []
    share = fired / total
    if share > nearly_all:
        top_value, top_count = max(firing.items(), key=lambda kv: kv[1])
        if top_count / total > nearly_all:
            detail = f"the same {signed(top_value)} points to {top_count / total:.0%} of the leads"
        else:
            detail = f"points to {share:.0%} of the leads"
        out.append(
            Finding(
                "nearly_everyone",
                c.id,
                f"{_who(c)} gives {detail} ({fired:,} of {total:,}), so it hardly tells "
                "leads apart; make the rule stricter or remove it.",
            )
        )
    if c.max_points is not None:
        hit = sum(n for v, n in firing.items() if abs(v) >= c.max_points)
        if hit == fired:
            out.append(
                Finding(
                    "cap_always_hit",
                    c.id,
                    f"All {fired:,} leads that earn points from {_who(c, False)} reach its cap "
                    f"of {format_number(c.max_points)}, so the cap decides these points, not the "
                    "rule; lower the points to the cap or raise the cap.",
                )
            )
    return out


def _absent_categories(
    con: duckdb.DuckDBPyConnection, table: str, c: CategoriesCriterion, real: str
) -> Finding | None:
    params = Params(prefix="a")
    value = input_sql(c, real, params)[1]
    keys = {norm(k): k for k in c.points}
    params.values["wb_keys"] = list(keys)
    seen = {
        str(r[0])
        for r in con.execute(
            f"SELECT DISTINCT {value} FROM {q(table)} WHERE list_contains($wb_keys, {value})",
            params.values,
        ).fetchall()
    }
    absent = [key for n, key in keys.items() if n not in seen]
    if not absent:
        return None
    params.values.pop("wb_keys")
    params.values["wb_n"] = _HINT_VALUES
    common = [
        str(r[0])
        for r in con.execute(
            f"SELECT v FROM (SELECT {value} AS v FROM {q(table)}) WHERE v IS NOT NULL AND v <> '' "
            "GROUP BY v ORDER BY count(*) DESC, v LIMIT $wb_n",
            params.values,
        ).fetchall()
    ]
    parts = []
    for key in absent:
        hint = closest(norm(key), [v for v in common if v not in keys])
        parts.append(f'"{key}" (closest now: "{hint}")' if hint else f'"{key}"')
    if len(absent) == len(c.points):
        lead = f'no lead has any of the values {_who(c, False)} lists in "{c.column}" any more'
    elif len(absent) == 1:
        lead = f'{_who(c)} lists a value no lead has in "{c.column}" any more'
    else:
        lead = f'{_who(c)} lists {len(absent)} values no lead has in "{c.column}" any more'
    them = "it" if len(absent) == 1 else "them"
    text = f"{lead[0].upper()}{lead[1:]}: {', '.join(parts)}; fix the spelling or remove {them}."
    return Finding("absent_categories", c.id, text)


def _group_findings(
    con: duckdb.DuckDBPyConnection,
    model: ScoringModel,
    table: str,
    present: list[tuple[Criterion, str]],
    nearly_all: float,
) -> list[Finding]:
    found = {c.id for c, _ in present}
    params = Params(prefix="g")
    checks: list[tuple[str, float]] = []
    selects: list[str] = []
    for group, group_cap in model.groups.items():
        members = [(c, real) for c, real in present if c.group == group]
        if not members or any(c.id not in found for c in model.criteria if c.group == group):
            continue  # a missing column is reported already; a partial total would mislead
        parts = []
        for c, real in members:
            expr = criterion_sql(c, real, params)
            if c.max_points is not None:
                limit = params.num(c.max_points)
                expr = f"GREATEST(LEAST({expr}, {limit}), -{limit})"
            parts.append(expr)
        total = " + ".join(parts)
        limit = params.num(group_cap.max_points)
        selects.append(f"count_if(({total}) <> 0), count_if(abs({total}) >= {limit})")
        checks.append((group, group_cap.max_points))
    if not selects:
        return []
    row = con.execute(f"SELECT {', '.join(selects)} FROM {q(table)}", params.values).fetchall()[0]
    out = []
    for k, (name, cap) in enumerate(checks):
        with_points, hit = int(row[2 * k] or 0), int(row[2 * k + 1] or 0)
        if with_points and hit / with_points > nearly_all:
            out.append(
                Finding(
                    "group_cap_always_hit",
                    name,
                    f"The {name} cap of {format_number(cap)} is reached by {hit:,} of the "
                    f"{with_points:,} leads with {name} points ({hit / with_points:.0%}), so "
                    f"the {name} criteria beyond it do not count; lower their points or raise "
                    "the cap.",
                )
            )
    return out
