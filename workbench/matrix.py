"""The fit × engagement matrix: lead counts (and conversion) per cell, computed in DuckDB.

The model's ``matrix`` gives thresholds on the two group totals (after group caps, before the
scale clamp); each lead falls in the first label whose threshold it reaches, else the last.
"""

from __future__ import annotations

import datetime
from collections.abc import Sequence
from dataclasses import dataclass

import altair as alt
import duckdb
import pandas as pd

from workbench.compiler import Params, compile_scoring, input_aliases, points_column
from workbench.errors import UserError
from workbench.model import ScoringModel
from workbench.sql import resolve_column
from workbench.summary import outcome_sql


@dataclass(frozen=True)
class Cell:
    """One cell of the grid."""

    fit: str
    engagement: str
    name: str
    count: int
    stage: str | None  # "SQL", "MQL" or None
    converted: int | None = None
    conversion_rate: float | None = None


@dataclass(frozen=True)
class MatrixResult:
    """Every cell (fit-major, best first), and the MQL / SQL totals."""

    cells: list[Cell]
    fit_labels: list[str]
    engagement_labels: list[str]
    leads: int
    mql: int
    sql: int

    def frame(self) -> pd.DataFrame:
        """The cells as a small DataFrame (one row per cell)."""
        return pd.DataFrame([c.__dict__ for c in self.cells])


def _label_sql(column: str, thresholds: Sequence[float], params: Params) -> str:
    """The 0-based label index of a group total: first threshold reached, else the last."""
    arms = " ".join(f"WHEN {column} >= {params.num(t)} THEN {i}" for i, t in enumerate(thresholds))
    return f"CASE {arms} ELSE {len(thresholds)} END"


def matrix_counts(
    con: duckdb.DuckDBPyConnection,
    model: ScoringModel,
    table: str,
    columns: Sequence[str],
    *,
    outcome: str | None = None,
    positive_values: Sequence[str] | None = None,
    events: str | None = None,
    as_of: datetime.date | None = None,
) -> MatrixResult:
    """Count the leads in each fit × engagement cell (and their conversion with ``outcome``).

    Args:
        con: the connection holding the tables.
        model: a model with a ``matrix``.
        table: the leads table.
        columns: its columns.
        outcome: optional column saying whether a lead converted.
        positive_values: values of ``outcome`` that mean converted.
        events: the activity log table, for activity criteria.
        as_of: the day activity is scored on (default today).

    Returns:
        Every cell, empty ones too, with its stage (SQL wins over MQL) and the totals.

    Raises:
        UserError: the model has no matrix, or a column is missing.
    """
    grid = model.matrix
    if grid is None:
        raise UserError("The model has no fit × engagement matrix; add 'matrix' to the model.")
    keep = [resolve_column(outcome, columns)] if outcome else []
    query = compile_scoring(
        model, table, columns, keep=keep, events=events, as_of=as_of, group_scores=True
    )
    params = Params(prefix="m")
    conv = "NULL::BOOLEAN"
    if keep:
        outputs = [points_column(c.id) for c in model.criteria]
        outputs += ["score", "tier", "fit_score", "engagement_score"]
        conv = outcome_sql(input_aliases(keep, outputs)[0][1], positive_values, params)
    fit = _label_sql('"fit_score"', grid.fit_thresholds, params)
    eng = _label_sql('"engagement_score"', grid.engagement_thresholds, params)
    rows = con.execute(
        f"SELECT {fit} AS f, {eng} AS e, count(*), sum(CAST({conv} AS INTEGER)) "
        f"FROM ({query.sql}) GROUP BY 1, 2",
        {**query.params, **params.values},
    ).fetchall()
    found = {(int(f), int(e)): (int(n), None if c is None else int(c)) for f, e, n, c in rows}
    cells = []
    for i, f_name in enumerate(grid.fit_names):
        for j, e_name in enumerate(grid.engagement_names):
            n, c = found.get((i, j), (0, 0 if keep else None))
            name = f_name + e_name
            stage = "SQL" if name in grid.sql else "MQL" if name in grid.mql else None
            cells.append(
                Cell(
                    f_name,
                    e_name,
                    name,
                    n,
                    stage,
                    (c or 0) if keep else None,
                    ((c or 0) / n if n else None) if keep else None,
                )
            )
    total = sum(c.count for c in cells)
    return MatrixResult(
        cells,
        grid.fit_names,
        grid.engagement_names,
        total,
        mql=sum(c.count for c in cells if c.stage == "MQL"),
        sql=sum(c.count for c in cells if c.stage == "SQL"),
    )


def matrix_chart(result: MatrixResult) -> alt.LayerChart:
    """A heatmap of lead counts per cell, labelled with count, stage and conversion."""
    df = result.frame()
    df["text"] = [
        f"{c.count:,}"
        + (f" · {c.stage}" if c.stage else "")
        + (f" · {c.conversion_rate:.0%}" if c.conversion_rate is not None else "")
        for c in result.cells
    ]
    base = alt.Chart(df).encode(
        x=alt.X("engagement:N", sort=result.engagement_labels, title="Engagement"),
        y=alt.Y("fit:N", sort=result.fit_labels, title="Fit"),
    )
    heat = base.mark_rect().encode(
        color=alt.Color("count:Q", title="Leads", scale=alt.Scale(scheme="blues")),
        tooltip=["name", "count", "stage", "converted", "conversion_rate"],
    )
    text = base.mark_text(fontSize=13).encode(text="text:N")
    return alt.LayerChart(layer=[heat, text], height=60 * len(result.fit_labels))
