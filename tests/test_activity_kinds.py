"""Hand-computed reference cases for activity_count, recency and decay (docs/activity.md).

Ages are whole days before ``as_of`` (2026-01-31); the expected points are worked out by hand
in the comments, never by the code under test.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import duckdb
import pandas as pd
import pytest

from workbench.activity import events_from_frame
from workbench.compiler import compile_scoring, glob_to_like
from workbench.errors import UserError
from workbench.model import ScoringModel

AS_OF = dt.date(2026, 1, 31)
LEAD_COL = 'lead "id"'  # a hostile leads column name for the join


def ago(days: int, hour: int = 12) -> dt.datetime:
    """A time ``days`` whole days before AS_OF."""
    return dt.datetime.combine(AS_OF - dt.timedelta(days=days), dt.time(hour))


def score(
    criterion: dict[str, Any],
    events: list[tuple[str, str, str | None, dt.datetime]],
    leads: list[str],
    *,
    decay: dict[str, Any] | None = None,
) -> dict[str, float]:
    """Points of ``criterion`` per lead id."""
    activity: dict[str, Any] = {"lead_id_column": LEAD_COL}
    if decay is not None:
        activity["decay"] = decay
    model = ScoringModel.model_validate(
        {
            "tiers": [{"name": "cold", "min_score": 0}],
            "scale": {"min": -100, "max": 100},
            "activity": activity,
            "criteria": [{"id": "c", **criterion}],
        }
    )
    con = duckdb.connect()
    con.register("l", pd.DataFrame({LEAD_COL: leads}))
    con.execute("CREATE TABLE leads AS SELECT * FROM l")
    frame = pd.DataFrame(events, columns=["lead_id", "activity", "detail", "ts"])
    events_from_frame(con, frame)
    query = compile_scoring(model, "leads", [LEAD_COL], events="events", as_of=AS_OF)
    rows = con.execute(query.sql, query.params).fetchall()
    tables = {r[0] for r in con.execute("SHOW TABLES").fetchall()}
    assert {"leads", "events"} <= tables
    return {r[0]: r[1] for r in rows}


VISITS_3_IN_30 = {
    "kind": "activity_count",
    "activity": "Page View",
    "within_days": 30,
    "at_least": 3,
    "points": 10,
}


def test_at_least_n_within_d_days() -> None:
    ev = [
        ("exact", "page view", None, ago(0)),
        ("exact", "page view", None, ago(10)),
        ("exact", "PAGE VIEW ", None, ago(30)),  # exactly D days: counts
        ("late", "page view", None, ago(0)),
        ("late", "page view", None, ago(10)),
        ("late", "page view", None, ago(31)),  # D+1 days: outside the window
        ("two", "page view", None, ago(1)),
        ("two", "page view", None, ago(2)),  # N-1 events
        ("two", "email open", None, ago(2)),  # another activity does not count
        ("future", "page view", None, ago(1)),
        ("future", "page view", None, ago(2)),
        ("future", "page view", None, ago(-1)),  # after as_of: ignored
        ("three", "page view", None, ago(1)),
        ("three", "page view", None, ago(2)),
        ("three", "page view", None, ago(3)),
    ]
    got = score(VISITS_3_IN_30, ev, ["exact", "late", "two", "future", "three", "none"])
    assert got == {"exact": 10, "late": 0, "two": 0, "future": 0, "three": 10, "none": 0}


def test_end_of_as_of_day_counts_next_day_does_not() -> None:
    crit = {"kind": "activity_count", "activity": "x", "at_least": 1, "points": 7}
    ev = [
        ("a", "x", None, dt.datetime(2026, 1, 31, 23, 59, 59)),
        ("b", "x", None, dt.datetime(2026, 2, 1, 0, 0, 0)),
    ]
    assert score(crit, ev, ["a", "b"]) == {"a": 7, "b": 0}


def test_points_each_with_cap_and_several_activities() -> None:
    crit = {
        "kind": "activity_count",
        "activity": ["email open", "email click"],
        "points_each": 5,
        "max_points": 12,
    }
    ev = [
        ("one", "email open", None, ago(400)),  # no window: any age counts
        ("two", "email open", None, ago(1)),
        ("two", "email click", None, ago(2)),
        ("three", "email open", None, ago(1)),
        ("three", "email open", None, ago(1)),
        ("three", "email click", None, ago(1)),  # 15, capped at 12
    ]
    assert score(crit, ev, ["one", "two", "three", "none"]) == {
        "one": 5,
        "two": 10,
        "three": 12,
        "none": 0,
    }


def test_detail_glob_is_case_insensitive_and_literal_for_percent() -> None:
    crit = {
        "kind": "activity_count",
        "activity": "page view",
        "detail": "*/pricing*",
        "within_days": 14,
        "at_least": 1,
        "points": 20,
    }
    ev = [
        ("a", "page view", "https://x.com/Pricing?plan=pro", ago(14)),
        ("b", "page view", "https://x.com/price", ago(1)),
        ("c", "page view", "https://x.com/pricing", ago(15)),
        ("d", "page view", None, ago(1)),
    ]
    assert score(crit, ev, ["a", "b", "c", "d"]) == {"a": 20, "b": 0, "c": 0, "d": 0}
    literal = {**crit, "detail": "50%_off"}
    ev = [("a", "page view", "50%_off", ago(1)), ("b", "page view", "50xyoff", ago(1))]
    assert score(literal, ev, ["a", "b"]) == {"a": 20, "b": 0}


@pytest.mark.parametrize(
    ("glob", "like"),
    [("*pricing*", "%pricing%"), ("a?c", "a_c"), ("50%_x", "50\\%\\_x"), ("a\\b", "a\\\\b")],
)
def test_glob_to_like(glob: str, like: str) -> None:
    assert glob_to_like(glob) == like


RECENCY = {
    "kind": "recency",
    "activity": "page view",
    "bands": [{"to": 7, "points": 20}, {"from": 7, "to": 30, "points": 10}],
    "missing": -5,
}


def test_recency_bands_and_missing() -> None:
    ev = [
        ("d6", "page view", None, ago(6)),
        ("d6", "page view", None, ago(60)),  # the last one counts
        ("d7", "page view", None, ago(7)),  # band 'from' is inclusive
        ("d30", "page view", None, ago(30)),  # band 'to' is exclusive: no band
        ("d0", "page view", None, ago(0)),
        ("other", "email open", None, ago(1)),  # never viewed a page: missing
        ("fut", "page view", None, ago(-3)),  # only in the future: missing
    ]
    got = score(RECENCY, ev, ["d6", "d7", "d30", "d0", "other", "fut", "none"])
    assert got == {"d6": 20, "d7": 10, "d30": 0, "d0": 20, "other": -5, "fut": -5, "none": -5}


def test_half_life_each_event_at_0_1_2_half_lives() -> None:
    crit = {"kind": "activity_count", "activity": "visit", "points_each": 10}
    ev = [
        ("h0", "visit", None, ago(0)),  # 10
        ("h1", "visit", None, ago(30)),  # 10 * 0.5 = 5
        ("h2", "visit", None, ago(60)),  # 10 * 0.25 = 2.5
        ("sum", "visit", None, ago(0)),
        ("sum", "visit", None, ago(30)),  # 10 + 5
    ]
    got = score(crit, ev, ["h0", "h1", "h2", "sum"], decay={"half_life_days": 30})
    assert got == {"h0": 10, "h1": 5, "h2": 2.5, "sum": 15}


def test_half_life_at_least_decays_from_nth_latest_event() -> None:
    crit = {"kind": "activity_count", "activity": "visit", "at_least": 2, "points": 20}
    ev = [
        ("a", "visit", None, ago(0)),
        ("a", "visit", None, ago(30)),  # 2nd latest at 30 days: 20 * 0.5
        ("b", "visit", None, ago(0)),
        ("b", "visit", None, ago(0)),
        ("b", "visit", None, ago(60)),  # 2nd latest at 0 days: 20
        ("c", "visit", None, ago(60)),
        ("c", "visit", None, ago(60)),  # 20 * 0.25
        ("d", "visit", None, ago(0)),  # one only: 0
    ]
    got = score(crit, ev, ["a", "b", "c", "d"], decay={"half_life_days": 30})
    assert got == {"a": 10, "b": 20, "c": 5, "d": 0}


def test_linear_percent_per_month_steps_each_30_days() -> None:
    crit = {"kind": "activity_count", "activity": "visit", "points_each": 10}
    ev = [
        ("d29", "visit", None, ago(29)),  # 0 whole months: 10
        ("d30", "visit", None, ago(30)),  # 1 month: 10 * 0.8
        ("d95", "visit", None, ago(95)),  # 3 months: 10 * 0.4
        ("d150", "visit", None, ago(150)),  # 5 months: 0
        ("d400", "visit", None, ago(400)),  # never below 0
    ]
    got = score(crit, ev, list({e[0]: 0 for e in ev}), decay={"linear_percent_per_month": 20})
    assert got == pytest.approx({"d29": 10, "d30": 8, "d95": 4, "d150": 0, "d400": 0})


def test_expiry_keeps_exactly_d_days() -> None:
    crit = {"kind": "activity_count", "activity": "visit", "points_each": 10}
    ev = [("d90", "visit", None, ago(90)), ("d91", "visit", None, ago(91))]
    got = score(crit, ev, ["d90", "d91"], decay={"expire_after_days": 90})
    assert got == {"d90": 10, "d91": 0}


def test_criterion_decay_overrides_and_empty_decay_opts_out() -> None:
    ev = [("a", "visit", None, ago(30))]
    own = {
        "kind": "activity_count",
        "activity": "visit",
        "points_each": 10,
        "decay": {"half_life_days": 15},
    }  # 10 * 0.25
    assert score(own, ev, ["a"], decay={"half_life_days": 30}) == {"a": 2.5}
    off = {**own, "decay": {}}
    assert score(off, ev, ["a"], decay={"half_life_days": 30}) == {"a": 10}


def test_decay_weight_in_python_matches_doc_table() -> None:
    from workbench.model import Decay

    assert Decay(half_life_days=30).weight(0) == 1
    assert Decay(half_life_days=30).weight(30) == 0.5
    assert Decay(half_life_days=30).weight(60) == 0.25
    assert Decay(linear_percent_per_month=20).weight(59) == pytest.approx(0.8)
    assert Decay(expire_after_days=90).weight(91) == 0


def test_lead_ids_are_trimmed_and_case_sensitive() -> None:
    crit = {"kind": "activity_count", "activity": "x", "at_least": 1, "points": 1}
    ev = [(" A1 ", "x", None, ago(1)), ("b1", "x", None, ago(1))]
    assert score(crit, ev, ["A1", "B1"]) == {"A1": 1, "B1": 0}


def _model(**extra: Any) -> dict[str, Any]:
    return {"tiers": [{"name": "cold", "min_score": 0}], **extra}


def test_activity_criteria_without_events_table_is_a_user_error() -> None:
    model = ScoringModel.model_validate(
        _model(activity={"lead_id_column": "id"}, criteria=[{"id": "c", **VISITS_3_IN_30}])
    )
    with pytest.raises(UserError, match="load an activity log"):
        compile_scoring(model, "leads", ["id"])


@pytest.mark.parametrize(
    ("criterion", "message"),
    [
        ({**VISITS_3_IN_30, "points_each": 2}, "not both"),
        ({"kind": "activity_count", "activity": "x"}, "give 'at_least'"),
        ({"kind": "activity_count", "activity": "x", "at_least": 2}, "go together"),
        ({"kind": "activity_count", "activity": [], "points_each": 1}, "at least one"),
        ({**VISITS_3_IN_30, "decay": {"half_life_days": 3, "expire_after_days": 9}}, "one of"),
        ({**VISITS_3_IN_30, "colum": "x"}, "colum"),
        ({**RECENCY, "bands": []}, "bands"),
    ],
)
def test_invalid_activity_criteria(criterion: dict[str, Any], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        ScoringModel.model_validate(
            _model(activity={"lead_id_column": "id"}, criteria=[{"id": "c", **criterion}])
        )


def test_activity_criteria_need_the_activity_block() -> None:
    with pytest.raises(ValueError, match="lead_id_column"):
        ScoringModel.model_validate(_model(criteria=[{"id": "c", **VISITS_3_IN_30}]))


def test_activity_criterion_column_is_the_lead_id_column() -> None:
    model = ScoringModel.model_validate(
        _model(activity={"lead_id_column": "Lead ID"}, criteria=[{"id": "c", **RECENCY}])
    )
    assert model.criteria[0].column == "Lead ID"
    assert "column" not in model.model_dump(exclude_none=True)["criteria"][0]
