"""The incremental slider path gives exactly what the full DuckDB summary gives."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import duckdb
import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from workbench.model import ScoringModel
from workbench.model_file import model_from_dict
from workbench.preview import IncompatibleModel, Preview, round6
from workbench.summary import Summary, summarize

ROWS = 3000
# Hostile column names on purpose: the preview must quote like the compiler does.
COLUMNS = ["demo requested", 'a"b', "select", "Ünïcode", "e-mail", "outcome", "ref"]

STRUCTURE: dict[str, Any] = {
    "format": "lead-scoring-model/1",
    "scale": {"min": 0, "max": 100},
    "tiers": [
        {"name": "cold", "min_score": 0},
        {"name": "warm", "min_score": 40},
        {"name": "hot", "min_score": 70},
    ],
    "criteria": [
        {"id": "demo", "column": "demo requested", "kind": "flag", "points": 30},
        {
            "id": "visits",
            "column": 'a"b',
            "kind": "ranges",
            "group": "engagement",
            "bands": [
                {"from": 10, "points": 20},
                {"from": 3, "to": 10, "points": 10},
                {"to": 0, "points": -5},
            ],
            "missing": -2,
        },
        {
            "id": "industry",
            "column": "select",
            "kind": "categories",
            "group": "fit",
            "points": {"Software": 25, "finance ": 15, "Public  Sector": -10},
            "other": 3,
            "missing": -1,
        },
        {
            "id": "size",
            "column": "Ünïcode",
            "kind": "ranges",
            "group": "fit",
            "bands": [{"from": 0, "to": 50, "points": 5}, {"from": 50, "points": 12}],
        },
        {
            "id": "free_mail",
            "column": "e-mail",
            "kind": "email_domain",
            "domains": ["gmail.com", "@Yahoo.com"],
            "points": -15,
        },
    ],
}


def _make_table(con: duckdb.DuckDBPyConnection, rows: int = ROWS) -> None:
    rng = np.random.default_rng(7)
    flags = np.array(["yes", "No", "TRUE", " y ", "0", "x", None, "", "sí"], dtype=object)
    visits = np.array(["0", "3", "9.5", "10", "42", "-1", "n/a", None, " 7 ", "2"], dtype=object)
    industry = np.array(
        [
            "Software",
            " software ",
            "FINANCE",
            "public sector",
            "Public   Sector",
            "retail",
            "",
            None,
        ],
        dtype=object,
    )
    size = np.array([1, 49, 50, 51, 500, None, 0, -3], dtype=object)
    email = np.array(
        ["a@gmail.com", "b@GMAIL.com ", "c@acme.io", "yahoo.com", "x@y@yahoo.com", None, "", "z"],
        dtype=object,
    )
    outcome = np.array(["yes", "no", "won", None, "0", "Converted"], dtype=object)
    table = {
        COLUMNS[0]: rng.choice(flags, rows),
        COLUMNS[1]: rng.choice(visits, rows),
        COLUMNS[2]: rng.choice(industry, rows),
        COLUMNS[3]: rng.choice(size, rows),
        COLUMNS[4]: rng.choice(email, rows),
        COLUMNS[5]: rng.choice(outcome, rows),
        COLUMNS[6]: np.arange(rows),
    }
    import pyarrow as pa

    arrow = pa.table(
        {
            k: pa.array(list(v), pa.int64() if k in ("Ünïcode", "ref") else pa.string())
            for k, v in table.items()
        }
    )
    con.register("arrow_leads", arrow)
    con.execute("CREATE TABLE leads AS SELECT * FROM arrow_leads")
    con.unregister("arrow_leads")


@pytest.fixture(scope="module")
def db() -> Iterator[duckdb.DuckDBPyConnection]:
    """One table for the whole module (hypothesis refuses function-scoped fixtures)."""
    connection = duckdb.connect()
    _make_table(connection)
    yield connection
    connection.close()


@pytest.fixture(scope="module")
def previews(db: duckdb.DuckDBPyConnection) -> Iterator[dict[str, Preview]]:
    """The in-memory preview and the per-lead fallback (forced by a tiny limit)."""
    base = model_from_dict(STRUCTURE)
    made = {
        "combinations": Preview(db, base, "leads", COLUMNS, outcome="outcome"),
        "rows": Preview(db, base, "leads", COLUMNS, outcome="outcome", max_combinations=3),
    }
    yield made
    for p in made.values():
        p.close()


def assert_same(got: Summary, want: Summary) -> None:
    assert got.leads == want.leads
    assert got.converted == want.converted
    assert [(t.name, t.min_score, t.count, t.converted) for t in got.tiers] == [
        (t.name, t.min_score, t.count, t.converted) for t in want.tiers
    ]
    for g, w in zip(got.tiers, want.tiers, strict=True):
        assert g.share == pytest.approx(w.share, abs=1e-12)
        if w.conversion_rate is None:
            assert g.conversion_rate is None
        else:
            assert g.conversion_rate == pytest.approx(w.conversion_rate, abs=1e-12)
    assert [(b.start, b.end, b.count, b.by_tier) for b in got.histogram] == [
        (b.start, b.end, b.count, b.by_tier) for b in want.histogram
    ]
    for name in ("mean", "median", "p90", "minimum", "maximum"):
        g, w = getattr(got, name), getattr(want, name)
        if w is None:
            assert g is None, name
        else:
            assert g == pytest.approx(w, abs=1e-9), name


def _full(db: duckdb.DuckDBPyConnection, model: ScoringModel, **kw: Any) -> Summary:
    return summarize(db, model, "leads", COLUMNS, outcome="outcome", **kw)


@pytest.mark.parametrize("mode", ["combinations", "rows"])
def test_base_model_matches(
    db: duckdb.DuckDBPyConnection, previews: dict[str, Preview], mode: str
) -> None:
    model = model_from_dict(STRUCTURE)
    preview = previews[mode]
    assert preview.mode == mode
    assert preview.leads == ROWS
    assert_same(preview.summarize(model), _full(db, model))


def test_combinations_are_few(previews: dict[str, Preview]) -> None:
    # 9 flag values -> 2 levels, 5 x 6 x 4 x 3 x 2 = at most 720 combinations.
    assert 1 < previews["combinations"].combinations <= 720


points = st.one_of(
    st.integers(-60, 60).map(float),
    st.floats(-60, 60, allow_nan=False, allow_infinity=False).map(lambda x: round(x, 3)),
    st.sampled_from([0.1, 0.2, 0.3, 0.7, 2.5e-6, 1e-7, 33.3333335]),
)
caps = st.one_of(st.none(), st.floats(0.5, 80).map(lambda x: round(x, 2)))


@st.composite
def numeric_variants(draw: st.DrawFn) -> dict[str, Any]:
    """The structure with every number (and the groups and order) drawn at random."""
    low = draw(st.sampled_from([0.0, -20.0, 0.5, 10.0]))
    high = low + draw(st.sampled_from([1.0, 7.0, 50.0, 100.0, 150.5]))
    n_tiers = draw(st.integers(1, 4))
    starts = sorted(
        draw(
            st.lists(
                st.floats(low - 5, high, allow_nan=False).map(lambda x: round(x, 3)),
                min_size=n_tiers,
                max_size=n_tiers,
                unique=True,
            )
        )
    )
    tiers = [{"name": f"t{k}", "min_score": s} for k, s in enumerate(starts)]
    criteria = []
    for c in STRUCTURE["criteria"]:
        c = dict(c)
        c["group"] = draw(st.sampled_from(["fit", "engagement"]))
        c["max_points"] = draw(caps)
        if c["kind"] in ("flag", "email_domain"):
            c["points"] = draw(points)
        elif c["kind"] == "ranges":
            c["bands"] = [{**b, "points": draw(points)} for b in c["bands"]]
            c["missing"] = draw(points)
        else:
            c["points"] = {k: draw(points) for k in c["points"]}
            c["other"], c["missing"] = draw(points), draw(points)
        criteria.append(c)
    criteria = draw(st.permutations(criteria))
    groups = {}
    for g in ("fit", "engagement"):
        cap = draw(caps)
        if cap is not None:
            groups[g] = {"max_points": cap}
    return {
        **STRUCTURE,
        "scale": {"min": low, "max": high},
        "tiers": tiers,
        "groups": groups,
        "criteria": criteria,
    }


@pytest.mark.parametrize("mode", ["combinations", "rows"])
@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(raw=numeric_variants(), bin_width=st.sampled_from([None, 0.5, 3.0, 7.25]))
def test_random_numeric_models_match(
    db: duckdb.DuckDBPyConnection,
    previews: dict[str, Preview],
    mode: str,
    raw: dict[str, Any],
    bin_width: float | None,
) -> None:
    model = model_from_dict(raw)
    preview = previews[mode]
    assert preview.compatible(model)
    assert_same(
        preview.summarize(model, bin_width=bin_width), _full(db, model, bin_width=bin_width)
    )


def test_without_outcome(db: duckdb.DuckDBPyConnection) -> None:
    model = model_from_dict(STRUCTURE)
    preview = Preview(db, model, "leads", COLUMNS)
    got = preview.summarize(model)
    assert got.converted is None and all(t.converted is None for t in got.tiers)
    assert_same(got, summarize(db, model, "leads", COLUMNS))


def test_custom_positive_values(db: duckdb.DuckDBPyConnection) -> None:
    model = model_from_dict(STRUCTURE)
    preview = Preview(db, model, "leads", COLUMNS, outcome="OUTCOME", positive_values=["No"])
    want = summarize(db, model, "leads", COLUMNS, outcome="OUTCOME", positive_values=["No"])
    assert_same(preview.summarize(model), want)


def test_model_without_criteria(db: duckdb.DuckDBPyConnection) -> None:
    model = model_from_dict({**STRUCTURE, "criteria": []})
    preview = Preview(db, model, "leads", COLUMNS, outcome="outcome")
    assert preview.combinations == 1
    assert_same(preview.summarize(model), _full(db, model))


def test_rounding_halves_away_from_zero_like_duckdb() -> None:
    values = np.array([2.5e-6, -2.5e-6, 0.1234565, 12.3456785, 0.1 + 0.2, 1.0000005, 0.0])
    con = duckdb.connect()
    sql = "SELECT round(CAST($x AS DOUBLE), 6)"
    want = [con.execute(sql, {"x": float(v)}).fetchall()[0][0] for v in values]
    con.close()
    assert round6(values).tolist() == want


def _changed(path: list[Any], value: Any) -> ScoringModel:
    raw: Any = {**STRUCTURE, "criteria": [dict(c) for c in STRUCTURE["criteria"]]}
    target = raw
    for key in path[:-1]:
        target = target[key]
    target[path[-1]] = value
    return model_from_dict(raw)


@pytest.mark.parametrize(
    ("path", "value"),
    [
        (["criteria", 0, "points"], 55),
        (["criteria", 1, "missing"], 4),
        (["criteria", 2, "points"], {"software": 1, "FINANCE": 2, "public sector": 3}),
        (["criteria", 2, "max_points"], 5),
        (["criteria", 3, "group"], "engagement"),
        (["criteria", 4, "domains"], ["yahoo.com", "GMAIL.com"]),
        (["criteria", 0, "column"], "DEMO REQUESTED"),
        (["criteria", 0, "label"], "Asked for a demo"),
        (["tiers"], [{"name": "only", "min_score": 0}]),
        (["scale"], {"min": -10, "max": 80}),
        (["groups"], {"fit": {"max_points": 10}}),
    ],
)
def test_numeric_changes_are_compatible(
    previews: dict[str, Preview], path: list[Any], value: Any
) -> None:
    assert previews["combinations"].compatible(_changed(path, value))


@pytest.mark.parametrize(
    ("path", "value"),
    [
        (["criteria", 0, "column"], "ref"),
        (["criteria", 0, "id"], "demo2"),
        (["criteria", 1, "bands"], [{"from": 11, "points": 20}]),
        (["criteria", 1, "bands"], [{"from": 3, "to": 10, "points": 1}, {"from": 10, "points": 2}]),
        (["criteria", 2, "points"], {"Software": 25, "finance": 15}),
        (["criteria", 2, "points"], {"Software": 1, "finance": 2, "Public Sector": 3, "gov": 4}),
        (["criteria", 4, "domains"], ["gmail.com"]),
        (["criteria"], STRUCTURE["criteria"][:2]),
    ],
)
def test_structural_changes_are_not(
    previews: dict[str, Preview], path: list[Any], value: Any
) -> None:
    model = _changed(path, value)
    preview = previews["combinations"]
    assert not preview.compatible(model)
    with pytest.raises(IncompatibleModel):
        preview.summarize(model)


def test_kind_change_is_not_compatible(previews: dict[str, Preview]) -> None:
    raw = {**STRUCTURE, "criteria": [dict(c) for c in STRUCTURE["criteria"]]}
    raw["criteria"][4] = {"id": "free_mail", "column": "e-mail", "kind": "flag", "points": 1}
    assert not previews["combinations"].compatible(model_from_dict(raw))


def test_fallback_table_is_narrow_and_dropped(db: duckdb.DuckDBPyConnection) -> None:
    model = model_from_dict(STRUCTURE)
    preview = Preview(db, model, "leads", COLUMNS, max_combinations=1)
    assert preview.mode == "rows"
    table = preview._table
    assert table is not None
    types = {r[0]: r[1] for r in db.execute(f'DESCRIBE "{table}"').fetchall()}
    assert {types[f"k{i}"] for i in range(5)} == {"UTINYINT"}
    preview.close()
    assert db.execute(
        "SELECT count(*) FROM duckdb_tables() WHERE table_name = $t", {"t": table}
    ).fetchone() == (0,)


def test_score_counts_equal_the_backtest_scan(con: duckdb.DuckDBPyConnection) -> None:
    """The live backtest from the preview equals the full backtest over the leads."""
    from workbench.backtest import evaluate, score_counts

    con.execute(
        "CREATE TABLE leads AS SELECT (['Yes','no','x'])[1 + range % 3] AS demo, "
        "range % 17 AS opens, CASE WHEN range % 5 = 0 THEN 'won' ELSE 'lost' END AS outcome "
        "FROM range(3000)"
    )
    raw = {
        "format": "lead-scoring-model/1",
        "tiers": [{"name": "cold", "min_score": 0}, {"name": "hot", "min_score": 40}],
        "criteria": [
            {"id": "demo", "column": "demo", "kind": "flag", "points": 30},
            {
                "id": "opens",
                "column": "opens",
                "kind": "ranges",
                "bands": [{"from": 10, "points": 25}, {"from": 3, "points": 7}],
            },
        ],
    }
    model = ScoringModel.model_validate(raw)
    columns = ["demo", "opens", "outcome"]
    preview = Preview(con, model, "leads", columns, outcome="outcome", positive_values=["won"])
    moved = ScoringModel.model_validate(
        {**raw, "tiers": [raw["tiers"][0], {"name": "hot", "min_score": 31}]}
    )
    fast = preview.score_counts(moved)
    full = score_counts(con, moved, "leads", columns, outcome="outcome", positive_values=["won"])
    assert fast is not None
    assert list(fast.score) == list(full.score)
    assert list(fast.leads) == list(full.leads) and list(fast.converted) == list(full.converted)
    assert evaluate(fast, moved).auc == evaluate(full, moved).auc
