"""The hand-scored reference leads of docs/reference-leads.md, mirrored one-to-one."""

from __future__ import annotations

import re

import duckdb
import pandas as pd
import pytest

from tests.conftest import DOCS
from workbench.compiler import compile_scoring
from workbench.model import ScoringModel

COLUMNS = [
    "Demo Requested",
    "Email Opens",
    "Newsletter",
    "Visits 30d",
    "Unsubscribed",
    "Industry",
    "Email",
    "Employees",
]
# lead: input values (None = empty cell), in COLUMNS order
LEADS: dict[str, list[str | None]] = {
    "L1": ["Yes", "7", "yes", "3", "No", "Software", "a@acme.com", "500"],
    "L2": ["no", "3", "no", "1", "no", " manufacturing ", "b@gmail.com", "50"],
    "L3": ["x", None, "Sí", "2", None, "Retail", "yahoo.com", None],
    "L4": [None] * 8,
    "L5": ["no", "12", "yes", "0", "yes", "Software", "c@corp.io", "9"],
    "L6": ["no", "5", "TRUE", "1", "0", "SOFTWARE", "d@Gmail.COM", "200"],
    "L7": ["no", "4", "no", "2", "no", "Manufacturing", "e@acme.de", "10"],
    "L8": ["1", "0", "no", "0", "yes", "software", "f@x.com", "1000"],
    "L9": ["no", "n/a", "no", "2", "no", "Software  Tools", "g@yahoo.com", "10"],
}
IDS = ["demo", "opens", "newsletter", "visits", "unsubscribed", "industry", "free_email", "size"]
# lead: (points per criterion in IDS order, score, tier), worked out by hand
EXPECTED: dict[str, tuple[list[float], float, str]] = {
    "L1": ([80, 25, 15, 10, 0, 15, 0, 25], 100, "hot"),
    "L2": ([0, 5, 0, 0, 0, 10, -30, 20], 5, "cold"),
    "L3": ([80, 0, 15, 10, 0, 0, -30, 0], 70, "warm"),
    "L4": ([0, 0, 0, 0, 0, -5, 0, 0], 0, "cold"),
    "L5": ([0, 25, 15, 0, -30, 15, 0, 0], 25, "cold"),
    "L6": ([0, 25, 15, 0, 0, 15, -30, 25], 50, "warm"),
    "L7": ([0, 5, 0, 10, 0, 10, 0, 20], 45, "cold"),
    "L8": ([80, 0, 0, 0, -30, 15, 0, 25], 90, "hot"),
    "L9": ([0, 0, 0, 10, 0, 0, -30, 20], 0, "cold"),
}


def _score_all(con: duckdb.DuckDBPyConnection, model: ScoringModel) -> pd.DataFrame:
    frame = pd.DataFrame(
        [[lead, *vals] for lead, vals in LEADS.items()], columns=["lead", *COLUMNS]
    )
    con.register("raw", frame)
    con.execute("CREATE TABLE leads AS SELECT * FROM raw")
    columns = ["lead", *COLUMNS]
    query = compile_scoring(model, "leads", columns)
    return con.sql(query.sql, params=query.params).to_arrow_table().to_pandas().set_index("lead")


@pytest.mark.parametrize("lead", list(EXPECTED))
def test_reference_lead(con: duckdb.DuckDBPyConnection, reference_model: ScoringModel, lead: str):
    scored = _score_all(con, reference_model)
    points, score, tier = EXPECTED[lead]
    row = scored.loc[lead]
    assert [row[f"points__{i}"] for i in IDS] == points
    assert row["score"] == score
    assert row["tier"] == tier


def test_docs_table_matches_this_test():
    """The markdown table in docs/reference-leads.md says the same as EXPECTED and LEADS."""
    text = (DOCS / "reference-leads.md").read_text(encoding="utf-8")
    rows = [line for line in text.splitlines() if re.match(r"\| L\d \|", line)]
    inputs, worked = rows[: len(LEADS)], rows[len(LEADS) :]
    for line in inputs:
        cells = [c.strip() for c in line.strip("|").split("|")]
        lead = cells[0]
        values = [None if c == "*(empty)*" else c.strip("`") for c in cells[1:]]
        expected_inputs = [None if v is None else v.strip() for v in LEADS[lead]]
        assert [None if v is None else v.strip() for v in values] == expected_inputs, lead
    for line in worked:
        cells = [c.strip() for c in line.strip("|").split("|")]
        lead = cells[0]
        points, score, tier = EXPECTED[lead]
        assert [float(c) for c in cells[1:9]] == points, lead
        assert float(cells[9]) == score and cells[10] == tier, lead
