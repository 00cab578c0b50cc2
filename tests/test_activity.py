"""The activity log: loading and mapping, time formats, and SQL equal to pandas at ~100k events."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd
import pytest

from workbench.activity import (
    EventMapping,
    compare_decay,
    detect_time_format,
    events_from_frame,
    guess_mapping,
    load_events,
    overview,
    parse_as_of,
    parse_mapping,
    split_time_zone,
)
from workbench.compiler import compile_scoring
from workbench.errors import UserError
from workbench.model import Decay, ScoringModel

AS_OF = dt.date(2026, 1, 31)


# --------------------------------------------------------------------------- time formats


@pytest.mark.parametrize(
    ("value", "base", "offset"),
    [
        ("2025-03-01T10:00:00+02:00", "2025-03-01T10:00:00", 120),
        ("2025-03-01T10:00:00.000Z", "2025-03-01T10:00:00.000", 0),
        ("03/01/2025 10:00 -0500", "03/01/2025 10:00", -300),
        ("01.03.2025 10:00:05 UTC", "01.03.2025 10:00:05", 0),
        ("2025-03-01", "2025-03-01", None),  # a date's own dashes are no zone
        ("2025-03-01 10:00", "2025-03-01 10:00", None),
    ],
)
def test_split_time_zone(value: str, base: str, offset: int | None) -> None:
    assert split_time_zone(value) == (base, offset)


def _write(tmp_path: Path, name: str, times: list[str]) -> Path:
    path = tmp_path / name
    lines = ["Contact ID,Event Type,Page URL,Occurred At"]
    lines += [f"L{i},Page View,/p{i},{t}" for i, t in enumerate(times)]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


MAPPING = EventMapping("Contact ID", "Event Type", "Occurred At", "Page URL")

# Real-looking exports: (file, times as written, expected UTC times, failures)
EXPORTS = [
    (
        "hubspot.csv",
        ["2025-11-03 14:22:05", "2025-11-30 08:00:00", ""],
        ["2025-11-03 14:22:05", "2025-11-30 08:00:00"],
        0,
    ),
    (
        "salesforce.csv",
        ["2025-11-03T14:22:05.000Z", "2025-11-30T23:30:00.000Z"],
        ["2025-11-03 14:22:05", "2025-11-30 23:30:00"],
        0,
    ),
    (
        "marketo_us.csv",
        ["11/03/2025 14:22", "12/25/2025 09:05", "1/2/2026 00:00"],
        ["2025-11-03 14:22:00", "2025-12-25 09:05:00", "2026-01-02 00:00:00"],
        0,
    ),
    (
        "crm_eu.csv",
        ["03/11/2025", "25/12/2025", "31/01/2026"],
        ["2025-11-03 00:00:00", "2025-12-25 00:00:00", "2026-01-31 00:00:00"],
        0,
    ),
    (
        "dotted.csv",
        ["03.11.2025 14:22", "25.12.2025 09:05"],
        ["2025-11-03 14:22:00", "2025-12-25 09:05:00"],
        0,
    ),
    (
        "zoned.csv",
        ["2025-11-03T14:22:05+01:00", "2025-11-03T14:22:05-05:00", "2025-11-03T01:00:00Z"],
        ["2025-11-03 13:22:05", "2025-11-03 19:22:05", "2025-11-03 01:00:00"],
        0,
    ),
    (
        "some_bad.csv",
        ["2025-11-03", "2025-11-04", "not a date", "2025-13-45"],
        ["2025-11-03 00:00:00", "2025-11-04 00:00:00"],
        2,
    ),
]


@pytest.mark.parametrize(("name", "times", "expected", "failed"), EXPORTS)
def test_time_formats_of_real_exports(
    tmp_path: Path, name: str, times: list[str], expected: list[str], failed: int
) -> None:
    con = duckdb.connect()
    result = load_events(con, _write(tmp_path, name, times), MAPPING)
    got = [
        str(r[0])
        for r in con.execute(
            "SELECT ts FROM events ORDER BY CAST(substr(lead_id, 2) AS INT)"
        ).fetchall()
    ]
    assert sorted(got) == sorted(expected)
    assert result.failed_times == failed
    assert result.rows == len(expected)
    if failed:
        assert any("could not be read" in n for n in result.notes)
    cols = con.execute("DESCRIBE events").fetchall()
    assert [(c[0], c[1]) for c in cols] == [
        ("lead_id", "VARCHAR"),
        ("activity", "VARCHAR"),
        ("detail", "VARCHAR"),
        ("ts", "TIMESTAMP"),
    ]


def test_detect_time_format_reports_failures_and_zones() -> None:
    fmt = detect_time_format(["2025-01-02T10:00:00+02:00", "2025-01-03T10:00:00Z", "soon", None])
    assert fmt.format is not None and fmt.format.startswith("%Y-%m-%d")
    assert fmt.failed == 1 and fmt.time_zones


def test_time_column_without_dates_is_a_user_error(tmp_path: Path) -> None:
    con = duckdb.connect()
    with pytest.raises(UserError, match="no dates"):
        load_events(con, _write(tmp_path, "x.csv", ["soon", "later"]), MAPPING)


def test_missing_lead_ids_are_left_out_and_counted(tmp_path: Path) -> None:
    path = tmp_path / "e.csv"
    path.write_text("id,what,when\n,visit,2025-01-01\nA,visit,2025-01-02\n", encoding="utf-8")
    con = duckdb.connect()
    result = load_events(con, path, EventMapping("id", "what", "when"))
    assert (result.rows, result.missing_leads) == (1, 1)
    assert con.execute("SELECT detail FROM events").fetchall() == [(None,)]


def test_native_timestamps_from_parquet(tmp_path: Path) -> None:
    frame = pd.DataFrame(
        {
            "lead": ["a", "b"],
            "act": ["x", "y"],
            "when": pd.to_datetime(["2025-01-01 10:00+02:00", "2025-01-02 00:00Z"], utc=True),
        }
    )
    path = tmp_path / "e.parquet"
    frame.to_parquet(path)
    con = duckdb.connect()
    load_events(con, path, EventMapping("lead", "act", "when"))
    got = [str(r[0]) for r in con.execute("SELECT ts FROM events ORDER BY 1").fetchall()]
    assert got == ["2025-01-01 08:00:00", "2025-01-02 00:00:00"]


def test_parse_mapping() -> None:
    assert parse_mapping("lead=Lead ID, activity=Type,time=When,detail=URL") == EventMapping(
        "Lead ID", "Type", "When", "URL"
    )
    with pytest.raises(UserError, match="needs time"):
        parse_mapping("lead=a,activity=b")
    with pytest.raises(UserError, match="not one"):
        parse_mapping("lead=a,activity=b,time=c,url=d")


def test_guess_mapping() -> None:
    got = guess_mapping(["Contact ID", "Email", "Event Type", "Page URL", "Timestamp"])
    assert got == {
        "lead": "Contact ID",
        "activity": "Event Type",
        "time": "Timestamp",
        "detail": "Page URL",
    }


def test_parse_as_of() -> None:
    assert parse_as_of("2026-01-31") == AS_OF
    assert parse_as_of(None) is None
    with pytest.raises(UserError, match="YYYY-MM-DD"):
        parse_as_of("31/01/2026")


# --------------------------------------------------------------------------- SQL vs pandas

ACTIVITIES = ["page view", "email open", "form submit", "pricing view"]


@pytest.fixture(scope="module")
def big_log() -> tuple[pd.DataFrame, pd.DataFrame]:
    rng = np.random.default_rng(7)
    n_leads, n_events = 3000, 100_000
    leads = pd.DataFrame({"Lead ID": [f"L{i}" for i in range(n_leads)]})
    ages = rng.integers(-5, 400, n_events)  # some in the future
    events = pd.DataFrame(
        {
            "lead_id": [f"L{i}" for i in rng.integers(0, n_leads + 200, n_events)],
            "activity": rng.choice(ACTIVITIES, n_events),
            "detail": rng.choice(["/pricing", "/blog/a", "/Pricing/team", None], n_events),
            "ts": [
                dt.datetime.combine(AS_OF, dt.time(0))
                - dt.timedelta(days=int(a))
                + dt.timedelta(seconds=int(s))
                for a, s in zip(ages, rng.integers(0, 86400, n_events), strict=True)
            ],
        }
    )
    return leads, events


MODEL = {
    "tiers": [{"name": "cold", "min_score": 0}, {"name": "hot", "min_score": 40}],
    "scale": {"min": -1000, "max": 1000},
    "activity": {"lead_id_column": "Lead ID", "decay": {"half_life_days": 45}},
    "criteria": [
        {
            "id": "visits",
            "kind": "activity_count",
            "activity": "page view",
            "within_days": 30,
            "at_least": 3,
            "points": 10,
            "decay": {},
        },
        {
            "id": "pricing",
            "kind": "activity_count",
            "activity": ["page view", "pricing view"],
            "detail": "*pricing*",
            "within_days": 14,
            "at_least": 1,
            "points": 20,
        },
        {
            "id": "opens",
            "kind": "activity_count",
            "activity": "email open",
            "points_each": 3,
            "max_points": 25,
            "decay": {"linear_percent_per_month": 25},
        },
        {
            "id": "forms",
            "kind": "activity_count",
            "activity": "form submit",
            "points_each": 15,
            "decay": {"expire_after_days": 90},
        },
        {
            "id": "recent",
            "kind": "recency",
            "activity": ["page view", "email open"],
            "bands": [{"to": 7, "points": 15}, {"from": 7, "to": 60, "points": 5}],
            "missing": -10,
        },
    ],
}


def pandas_points(leads: pd.DataFrame, events: pd.DataFrame) -> pd.DataFrame:
    """The MODEL's points computed with plain pandas, independently of the compiler."""
    ev = events.copy()
    ev["age"] = (pd.Timestamp(AS_OF) - ev["ts"].dt.normalize()).dt.days
    ev = ev[ev["age"] >= 0]
    det = ev["detail"].fillna("").str.lower().str.contains("pricing", regex=False)
    out = pd.DataFrame(index=leads["Lead ID"])

    v = ev[(ev["activity"] == "page view") & (ev["age"] <= 30)].groupby("lead_id").size()
    out["visits"] = np.where(pd.Series(out.index.map(v)).fillna(0).to_numpy() >= 3, 10.0, 0.0)

    p = ev[ev["activity"].isin(["page view", "pricing view"]) & det & (ev["age"] <= 14)]
    latest = p.groupby("lead_id")["age"].min()
    out["pricing"] = pd.Series(20 * 0.5 ** (out.index.map(latest) / 45), index=out.index).fillna(
        0.0
    )

    o = ev[ev["activity"] == "email open"].copy()
    o["w"] = (1 - 0.25 * (o["age"] // 30)).clip(lower=0)
    opens = o.groupby("lead_id")["w"].sum() * 3
    out["opens"] = pd.Series(out.index.map(opens), index=out.index).fillna(0.0).clip(upper=25)

    f = ev[(ev["activity"] == "form submit") & (ev["age"] <= 90)].groupby("lead_id").size()
    out["forms"] = pd.Series(out.index.map(f), index=out.index).fillna(0).astype(float) * 15

    r = ev[ev["activity"].isin(["page view", "email open"])].groupby("lead_id")["age"].min()
    days = out.index.map(r)
    out["recent"] = np.select(
        [days.isna(), days < 7, (days >= 7) & (days < 60)], [-10.0, 15.0, 5.0], 0.0
    )
    return out


def test_sql_equals_pandas_on_100k_events(big_log: tuple[pd.DataFrame, pd.DataFrame]) -> None:
    leads, events = big_log
    con = duckdb.connect()
    con.register("l", leads)
    con.execute("CREATE TABLE leads AS SELECT * FROM l")
    events_from_frame(con, events)
    model = ScoringModel.model_validate(MODEL)
    query = compile_scoring(model, "leads", ["Lead ID"], events="events", as_of=AS_OF)
    got = (
        con.sql(query.sql, params=query.params)
        .to_arrow_table()
        .to_pandas()
        .set_index("Lead ID")
        .sort_index()
    )
    want = pandas_points(leads, events).sort_index()
    for cid in want.columns:
        np.testing.assert_allclose(got[f"points__{cid}"], want[cid], atol=1e-9, err_msg=cid)
    total = want.sum(axis=1).clip(-1000, 1000).round(6)
    np.testing.assert_allclose(got["score"], total, atol=1e-6)
    assert (got["tier"] == np.where(total >= 40, "hot", "cold")).all()


def test_compare_decay_and_overview(big_log: tuple[pd.DataFrame, pd.DataFrame]) -> None:
    leads, events = big_log
    con = duckdb.connect()
    con.register("l", leads)
    con.execute("CREATE TABLE leads AS SELECT * FROM l")
    events_from_frame(con, events)
    model = ScoringModel.model_validate(MODEL)
    cmp = compare_decay(
        con, model, "leads", ["Lead ID"], "events", None, Decay(half_life_days=7), as_of=AS_OF
    )
    assert sum(cmp.tiers_a.values()) == sum(cmp.tiers_b.values()) == len(leads)
    # Faster decay only takes points away: nobody is hot under it only.
    assert cmp.top_only_b == 0 and cmp.top_only_a > 0
    assert cmp.tiers_a["hot"] - cmp.top_only_a == cmp.tiers_b["hot"]
    info = overview(con)
    assert info.events == len(events) and info.leads == events["lead_id"].nunique()
    assert {a for a, _ in info.activities} == set(ACTIVITIES)
    assert {r[0] for r in con.execute("SHOW TABLES").fetchall()} >= {"leads", "events"}
