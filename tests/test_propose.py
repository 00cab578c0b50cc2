"""Proposed criteria and models, on the header lines of real CRM exports."""

from __future__ import annotations

import csv
import re
from pathlib import Path

import duckdb
import pytest

from workbench.loading import load_leads
from workbench.model import (
    CategoriesCriterion,
    EmailDomainCriterion,
    FlagCriterion,
    RangesCriterion,
    ScoringModel,
)
from workbench.model_file import dump_model_yaml, load_model_text
from workbench.profile import ColumnProfile, profile_table
from workbench.propose import (
    FREE_EMAIL_DOMAINS,
    criterion_id,
    guess_group,
    looks_like_leakage,
    name_words,
    propose_bands,
    propose_criterion,
    propose_model,
)

CRM_HEADERS = Path(__file__).resolve().parent / "data" / "crm-headers"
HEADER_FILES = sorted(CRM_HEADERS.glob("*.csv"))


def profile(
    name: str,
    kind: str,
    *,
    top: list[tuple[str, int]] | None = None,
    distinct: int | None = None,
    minimum: float | None = None,
    maximum: float | None = None,
) -> ColumnProfile:
    top = top or []
    return ColumnProfile(
        name=name,
        dtype="VARCHAR",
        kind=kind,
        missing_share=0.0,
        distinct=distinct if distinct is not None else len(top),
        top_values=top,
        minimum=minimum,
        maximum=maximum,
    )


def guessed_profile(name: str) -> ColumnProfile:
    """A plausible profile for a real header, with the kind a person would expect."""
    low = name.lower()
    if re.search(r"\bid\b|id$|ids$", low) or name.endswith("Id"):
        return profile(name, "id")
    if "date" in low or "time" in low or low.endswith(" at"):
        return profile(name, "date")
    if low.startswith(("is", "has", "donot")) or "unsubscribed" in low or "opted out" in low:
        return profile(name, "flag", top=[("0", 90), ("1", 10)])
    if "email" in low and not low.startswith(("marketing", "first", "last", "recent")):
        return profile(name, "email")
    if low.startswith(("number", "average", "marketing emails")) or any(
        w in low for w in ("revenue", "score", "employees", "points", "latitude", "duration")
    ):
        return profile(name, "number", minimum=0, maximum=500)
    if any(w in low for w in ("industry", "country", "status", "stage", "source", "rating")):
        return profile(name, "category", top=[("Software", 5), ("Retail", 3), ("software ", 1)])
    return profile(name, "text")


def read_header(path: Path) -> list[str]:
    with path.open(encoding="utf-8-sig", newline="") as fh:
        return next(csv.reader(fh))


# ------------------------------------------------------------------------------ names


@pytest.mark.parametrize(
    ("name", "words"),
    [
        ("Marketing Emails Opened", ["marketing", "emails", "opened"]),
        ("NumberOfEmployees", ["number", "of", "employees"]),
        ("SICCode__c", ["sic", "code"]),
        ("IsConverted", ["is", "converted"]),
        ("Person - Email - Work", ["person", "email", "work"]),
        ("höbbela", ["hobbela"]),
        ("Straße", ["strasse"]),
        ("Время", []),
    ],
)
def test_name_words(name: str, words: list[str]) -> None:
    assert name_words(name) == words


@pytest.mark.parametrize(
    ("name", "existing", "expected"),
    [
        ("Marketing Emails Opened", set(), "marketing_emails_opened"),
        ("Marketing Emails Opened", {"marketing_emails_opened"}, "marketing_emails_opened_2"),
        ("a b", {"a_b", "a_b_2"}, "a_b_3"),
        ("höbbela", set(), "hobbela"),
        ("Country/Region", set(), "country_region"),
        ("1st touch", set(), "1st_touch"),
        ("Время", set(), "column"),
        ("Время", {"column"}, "column_2"),
    ],
)
def test_criterion_id(name: str, existing: set[str], expected: str) -> None:
    assert criterion_id(name, existing) == expected


@pytest.mark.parametrize(
    "name",
    [
        "HubSpot Score",
        "Lifecycle Stage",
        "IsConverted",
        "Status",
        "Lead Status",
        "Contact owner",
        "OwnerId",
        "Rating",
        "Recent Deal Amount",
        "Became a Customer Date",
        "Became a Marketing Qualified Lead Date",
        "ConvertedOpportunityId",
        "Days To Close",
        "Number of Associated Deals",
        "Likelihood to close",
        "duration",
        "y",
        "stage",
        "points",
        "Lead - Labels",
        "Total Revenue",
        "Time to move from lead to customer (HH:mm:ss)",
        "opportunity_stage",
        "closed_won",
    ],
)
def test_leakage_names(name: str) -> None:
    assert looks_like_leakage(name)


@pytest.mark.parametrize(
    "name",
    [
        "Industry",
        "Number of Pageviews",
        "Marketing emails opened",
        "Annual Revenue",
        "NumberOfEmployees",
        "Country",
        "Job Title",
        "Marital Status",
        "Opted out of email: Customer Service Communication",
        "age",
        "Email",
    ],
)
def test_not_leakage(name: str) -> None:
    assert not looks_like_leakage(name)


@pytest.mark.parametrize(
    ("name", "group"),
    [
        ("Number of Pageviews", "engagement"),
        ("Marketing emails opened", "engagement"),
        ("Marketing emails clicked", "engagement"),
        ("Number of Form Submissions", "engagement"),
        ("Demo requested", "engagement"),
        ("webinar_attended", "engagement"),
        ("Unsubscribed from all email", "engagement"),
        ("Number of Sessions", "engagement"),
        ("campaign", "engagement"),
        ("Industry", "fit"),
        ("Country/Region", "fit"),
        ("NumberOfEmployees", "fit"),
        ("Annual Revenue", "fit"),
        ("Job Title", "fit"),
        ("Seniority", "fit"),
        ("Demographic segment", "fit"),
        ("Information source", "fit"),
    ],
)
def test_guess_group(name: str, group: str) -> None:
    assert guess_group(name) == group


# ------------------------------------------------------------------------------ bands


@pytest.mark.parametrize(
    ("low", "high", "bands"),
    [
        # Long tail from 0: (501^(k/4) − 1) ≈ 3.7, 21.4, 105 → 4, 20, 100.
        (0, 500, [(4, 20, 5), (20, 100, 10), (100, None, 20)]),
        # Quarters 25/50/75 on a step of 10 (100/8 = 12.5 → 10), rounded half up: 30/50/80.
        (0, 100, [(30, 50, 5), (50, 80, 10), (80, None, 20)]),
        # 77/8 ≈ 9.6 → step 10; 37.25, 56.5, 75.75 → 40, 60, 80.
        (18, 95, [(40, 60, 5), (60, 80, 10), (80, None, 20)]),
        # Integers 0–3: step 1; 0.75, 1.5, 2.25 → 1, 2, 2 → two bands.
        (0, 3, [(1, 2, 10), (2, None, 20)]),
        # 0–30: 3.75 → step 5; 7.5, 15, 22.5 → 10, 15, 25.
        (0, 30, [(10, 15, 5), (15, 25, 10), (25, None, 20)]),
        (-50, 50, [(-20, 0, 5), (0, 30, 10), (30, None, 20)]),
    ],
)
def test_propose_bands(
    low: float, high: float, bands: list[tuple[float, float | None, float]]
) -> None:
    got = propose_bands(low, high)
    assert [(b.from_, b.to, b.points) for b in got] == [
        (pytest.approx(f), None if t is None else pytest.approx(t), p) for f, t, p in bands
    ]


def test_propose_bands_for_decimals() -> None:
    # A share 0.0–1.0 in a DOUBLE column: 1/8 → step 0.1; quarters 0.25, 0.5, 0.75 rounded
    # half up to 0.3, 0.5, 0.8. Guessed from the range alone, 0 and 1 would look whole.
    got = propose_bands(0.0, 1.0, integral=False)
    assert [(b.from_, b.to, b.points) for b in got] == [
        (pytest.approx(0.3), pytest.approx(0.5), 5),
        (pytest.approx(0.5), pytest.approx(0.8), 10),
        (pytest.approx(0.8), None, 20),
    ]
    assert [(b.from_, b.to, b.points) for b in propose_bands(0.0, 1.0)] == [(1, None, 20)]


def test_number_column_type_decides_whole_edges() -> None:
    share = ColumnProfile("Share", "DOUBLE", "number", 0.0, 50, [], 0.0, 1.0)
    c = propose_criterion(share)
    assert isinstance(c, RangesCriterion)
    assert len(c.bands) == 3
    count = ColumnProfile("Visits", "BIGINT", "number", 0.0, 4, [], 0.0, 3.0)
    c = propose_criterion(count)
    assert isinstance(c, RangesCriterion)
    assert [(b.from_, b.to) for b in c.bands] == [(1, 2), (2, None)]


@pytest.mark.parametrize(("low", "high"), [(5, 5), (None, 3), (3, None), ("a", 4), (9, 1)])
def test_propose_bands_without_a_range(low: object, high: object) -> None:
    assert propose_bands(low, high) == []


# ------------------------------------------------------------------------------ criteria


def test_flag() -> None:
    c = propose_criterion(profile("Demo requested", "flag"))
    assert isinstance(c, FlagCriterion)
    assert (c.id, c.label, c.column, c.group, c.points) == (
        "demo_requested",
        "Demo requested",
        "Demo requested",
        "engagement",
        10,
    )


@pytest.mark.parametrize(
    "name", ["Unsubscribed from all email", "HasOptedOutOfEmail", "DoNotCall", "Email bounced"]
)
def test_unsubscribe_like_flags_lose_points(name: str) -> None:
    c = propose_criterion(profile(name, "flag"))
    assert isinstance(c, FlagCriterion)
    assert c.points == -20


def test_number() -> None:
    c = propose_criterion(profile("Number of Pageviews", "number", minimum=0, maximum=500))
    assert isinstance(c, RangesCriterion)
    assert c.group == "engagement"
    assert [(b.from_, b.to, b.points) for b in c.bands] == [
        (4, 20, 5),
        (20, 100, 10),
        (100, None, 20),
    ]
    assert c.missing == 0
    assert c.note is not None and "0 to 500" in c.note


def test_constant_number_is_not_proposed() -> None:
    assert propose_criterion(profile("Visits", "number", minimum=3, maximum=3)) is None


def test_category() -> None:
    top = [("Software", 50), ("Retail", 20), ("software ", 3), ("", 2), ("Health  care", 1)]
    c = propose_criterion(profile("Industry", "category", top=top, distinct=5))
    assert isinstance(c, CategoriesCriterion)
    assert c.group == "fit"
    # Duplicates once case and spaces are ignored, and empty values, are dropped.
    assert c.points == {"Software": 0, "Retail": 0, "Health care": 0}
    assert (c.other, c.missing) == (0, 0)


def test_category_with_too_many_values() -> None:
    p = profile("City", "category", top=[("Paris", 3)], distinct=51)
    assert propose_criterion(p) is None


def test_email() -> None:
    c = propose_criterion(profile("Work email", "email"))
    assert isinstance(c, EmailDomainCriterion)
    assert c.group == "fit"
    assert c.points == -20
    assert c.column == "Work email"
    for domain in ("gmail.com", "yahoo.com", "hotmail.com", "outlook.com", "gmx.de", "mail.ru"):
        assert domain in c.domains
    assert c.domains == list(FREE_EMAIL_DOMAINS)


def test_private_email_is_not_penalised() -> None:
    assert propose_criterion(profile("Private e-mail address", "email")) is None
    assert propose_criterion(profile("Person - Email - Home", "email")) is None


@pytest.mark.parametrize("kind", ["id", "text", "date", "empty"])
def test_unusable_kinds(kind: str) -> None:
    assert propose_criterion(profile("Something", kind)) is None


@pytest.mark.parametrize(
    "name", ["Latitude", "Postal Code", "Phone Number", "Record ID", "IsDeleted"]
)
def test_unusable_names(name: str) -> None:
    kind = "flag" if name == "IsDeleted" else "number"
    assert propose_criterion(profile(name, kind, minimum=0, maximum=99999)) is None


def test_existing_ids_are_avoided() -> None:
    c = propose_criterion(profile("Industry", "flag"), {"industry"})
    assert c is not None and c.id == "industry_2"


# ------------------------------------------------------------------------------ models


@pytest.mark.parametrize("path", HEADER_FILES, ids=lambda p: p.name)
def test_propose_model_on_real_headers(path: Path) -> None:
    header = read_header(path)
    profiles = [guessed_profile(h) for h in header]
    model = propose_model(profiles, exclude=set())
    ids = [c.id for c in model.criteria]
    assert len(ids) == len(set(ids))
    assert all(re.fullmatch(r"[a-z0-9_]+", i) for i in ids)
    columns = {c.column for c in model.criteria}
    assert columns <= set(header)
    assert not any(looks_like_leakage(c) for c in columns)
    for leak in ("HubSpot Score", "Lifecycle Stage", "IsConverted", "Status", "Lead Status"):
        assert leak not in columns
    assert [(t.name, t.min_score) for t in model.tiers] == [("cold", 0), ("warm", 50), ("hot", 80)]
    assert (model.scale.min, model.scale.max) == (0, 100)
    assert load_model_text(dump_model_yaml(model)) == model


def test_propose_model_hubspot_details() -> None:
    header = read_header(CRM_HEADERS / "hubspot-contacts-all-properties.csv")
    model = propose_model([guessed_profile(h) for h in header], exclude={"industry"})
    by_column = {c.column: c for c in model.criteria}
    assert by_column["Number of Pageviews"].group == "engagement"
    assert by_column["Marketing emails opened"].group == "engagement"
    assert by_column["Annual Revenue"].group == "fit"
    assert "Industry" not in by_column  # excluded, compared case-insensitively
    assert "HubSpot Score" not in by_column
    assert "Predictive Lead Score" not in by_column
    assert "Recent Deal Amount" not in by_column
    assert isinstance(by_column["Unsubscribed from all email"], FlagCriterion)
    assert by_column["Unsubscribed from all email"].points == -20
    assert isinstance(by_column["Email"], EmailDomainCriterion)
    assert "Private e-mail address" not in by_column


def test_propose_model_salesforce_industry_is_fit() -> None:
    header = read_header(CRM_HEADERS / "salesforce-lead-export-2018.csv")
    model = propose_model([guessed_profile(h) for h in header], exclude=set())
    by_column = {c.column: c for c in model.criteria}
    assert by_column["Industry"].group == "fit"
    assert by_column["NumberOfEmployees"].id == "number_of_employees"
    for leak in ("Status", "Rating", "IsConverted", "OwnerId", "IsUnreadByOwner"):
        assert leak not in by_column


def test_propose_model_ids_unique_when_names_fold_together() -> None:
    profiles = [profile("Visits", "flag"), profile("visits", "flag"), profile("VISITS!", "flag")]
    model = propose_model(profiles)
    assert [c.id for c in model.criteria] == ["visits", "visits_2", "visits_3"]


def test_propose_model_from_a_loaded_file(tmp_path: Path) -> None:
    """End to end on a small HubSpot-shaped export: load, profile, propose, score."""
    lines = [
        '"Record ID","Email","Industry","Number of Pageviews","Marketing emails opened",'
        '"Unsubscribed from all email","Lifecycle Stage","HubSpot Score","Create Date"',
    ]
    rows = [
        ("1", "ann@gmail.com", "Software", "120", "7", "false", "lead", "40", "2026-01-03"),
        ("2", "bob@acme.com", "Retail", "3", "0", "true", "customer", "85", "2026-01-04"),
        ("3", "cy@initech.io", "Software", "0", "2", "false", "lead", "10", "2026-02-01"),
        ("4", "di@yahoo.com", "Manufacturing", "45", "12", "false", "opportunity", "60", ""),
        ("5", "ed@globex.de", "", "260", "30", "false", "lead", "5", "2026-03-09"),
    ]
    lines += [",".join(f'"{v}"' for v in r) for r in rows]
    path = tmp_path / "hubspot.csv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    con = duckdb.connect()
    try:
        loaded = load_leads(con, path)
        profiles = profile_table(con, loaded.table)
        model = propose_model(profiles, exclude=set())
        ids = {c.id: c for c in model.criteria}
        assert set(ids) == {
            "email",
            "industry",
            "number_of_pageviews",
            "marketing_emails_opened",
            "unsubscribed_from_all_email",
        }
        assert ids["number_of_pageviews"].group == "engagement"
        assert ids["industry"].group == "fit"
        assert ids["unsubscribed_from_all_email"].points == -20  # type: ignore[union-attr]
        assert isinstance(load_model_text(dump_model_yaml(model)), ScoringModel)
        from workbench.summary import summarize

        summary = summarize(con, model, loaded.table, loaded.columns)
        assert summary.leads == 5
    finally:
        con.close()
