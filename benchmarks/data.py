"""Seeded synthetic leads (20 columns) written as CSV, and the model the benchmark scores.

The values are deliberately a little messy, the way exported CRM files are: category values in
mixed case with stray spaces, empty cells, flags spelled three ways, a few non-numbers in a
numeric column. Both scorers must agree on all of it.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv

COLUMNS = [
    "lead_id",
    "email",
    "company_size",
    "industry",
    "country",
    "job_level",
    "lead_source",
    "page_views",
    "email_opens",
    "email_clicks",
    "form_fills",
    "days_since_last_visit",
    "annual_revenue",
    "webinar_attended",
    "demo_requested",
    "newsletter_opt_in",
    "trial_started",
    "created_at",
    "region",
    "converted",
]

INDUSTRIES = [
    "Software",
    "software ",
    "SOFTWARE",
    "Finance",
    "Financial Services",
    "Health  Care",
    "health care",
    "Retail",
    "Manufacturing",
    "Education",
    "Public Sector",
    "Other",
]
COUNTRIES = ["US", "UK", "DE", "FR", "ES", "IT", "NL", "SE", "PL", "BR", "MX", "IN", "JP", "AU"]
LEVELS = ["C-Level", "VP", "Director", "Manager", "Individual", "Student"]
SOURCES = ["Organic", "Paid Search", "Referral", "Event", "Partner", "Outbound", "Social"]
REGIONS = ["AMER", "EMEA", "APAC", "LATAM"]
DOMAINS = ["gmail.com", "yahoo.com", "hotmail.com", "acme.io", "example.com", "corp.de", "big.co"]

# The benchmark model: eleven criteria of all four kinds, both group caps, three tiers.
MODEL: dict[str, Any] = {
    "format": "lead-scoring-model/1",
    "name": "Benchmark model",
    "scale": {"min": 0, "max": 100},
    "tiers": [
        {"name": "cold", "min_score": 0},
        {"name": "warm", "min_score": 40},
        {"name": "hot", "min_score": 70},
    ],
    "groups": {"fit": {"max_points": 50}, "engagement": {"max_points": 70}},
    "criteria": [
        {"id": "demo", "column": "demo_requested", "kind": "flag", "points": 30},
        {"id": "trial", "column": "trial_started", "kind": "flag", "points": 20},
        {"id": "webinar", "column": "webinar_attended", "kind": "flag", "points": 10},
        {
            "id": "page_views",
            "column": "page_views",
            "kind": "ranges",
            "bands": [
                {"from": 20, "points": 15},
                {"from": 5, "to": 20, "points": 8},
                {"to": 5, "points": 0},
            ],
        },
        {
            "id": "clicks",
            "column": "email_clicks",
            "kind": "ranges",
            "bands": [{"from": 5, "points": 10}, {"from": 1, "to": 5, "points": 5}],
        },
        {
            "id": "recency",
            "column": "days_since_last_visit",
            "kind": "ranges",
            "bands": [
                {"to": 7, "points": 10},
                {"from": 7, "to": 30, "points": 5},
                {"from": 90, "points": -10},
            ],
            "missing": -5,
        },
        {
            "id": "industry",
            "column": "industry",
            "kind": "categories",
            "group": "fit",
            "points": {"software": 20, "financial services": 15, "health care": 10, "finance": 8},
            "other": 2,
        },
        {
            "id": "level",
            "column": "job_level",
            "kind": "categories",
            "group": "fit",
            "points": {"c-level": 20, "vp": 15, "director": 10, "manager": 5, "student": -10},
            "missing": -2,
        },
        {
            "id": "size",
            "column": "company_size",
            "kind": "ranges",
            "group": "fit",
            "bands": [
                {"from": 1000, "points": 15},
                {"from": 200, "to": 1000, "points": 10},
                {"from": 50, "to": 200, "points": 5},
            ],
            "max_points": 12,
        },
        {
            "id": "free_mail",
            "column": "email",
            "kind": "email_domain",
            "group": "fit",
            "domains": ["gmail.com", "yahoo.com", "hotmail.com"],
            "points": -15,
        },
    ],
}
OUTCOME = "converted"


def _choice(
    rng: np.random.Generator, values: list[str], n: int, p: list[float] | None = None
) -> pa.Array:
    return pa.array(np.asarray(values, dtype=object)[rng.choice(len(values), n, p=p)], pa.string())


def _with_nulls(rng: np.random.Generator, array: pa.Array, share: float) -> pa.Array:
    mask = pa.array(rng.random(len(array)) < share)
    return pc.if_else(mask, pa.scalar(None, array.type), array)


def _chunk(rng: np.random.Generator, start: int, n: int) -> pa.Table:
    ids = pa.array(np.arange(start, start + n, dtype=np.int64))
    domain = _choice(rng, DOMAINS, n, [0.25, 0.1, 0.05, 0.2, 0.2, 0.1, 0.1])
    email = pc.binary_join_element_wise("lead", pc.cast(ids, pa.string()), "@", domain, "")
    engaged = rng.random(n)
    views = rng.poisson(2 + 20 * engaged)
    clicks = rng.poisson(3 * engaged)
    days = pa.array(rng.integers(0, 365, n) // (1 + (engaged * 4).astype(np.int64)))
    days_text = pc.cast(days, pa.string())
    days_text = pc.if_else(pa.array(rng.random(n) < 0.01), pa.scalar("n/a"), days_text)
    revenue = pa.array(np.round(rng.lognormal(13, 1.5, n), 2))
    yes = rng.random((4, n))
    flag_demo = pa.array(np.where(yes[0] < 0.05 + 0.2 * engaged, "true", "false"))
    flag_trial = pa.array(np.where(yes[1] < 0.1 * engaged, "Y", "N"))
    flag_webinar = pa.array(np.where(yes[2] < 0.15, "yes", "no"))
    flag_news = pa.array(np.where(yes[3] < 0.4, 1, 0))
    created = pc.strftime(
        pa.array(np.datetime64("2024-01-01") + rng.integers(0, 700, n).astype("timedelta64[D]")),
        "%Y-%m-%d",
    )
    p_convert = 0.02 + 0.25 * engaged * (yes[0] < 0.05 + 0.2 * engaged)
    converted = pa.array(np.where(rng.random(n) < p_convert, "yes", "no"))
    return pa.table(
        {
            "lead_id": ids,
            "email": _with_nulls(rng, email, 0.01),
            "company_size": _with_nulls(
                rng, pa.array(rng.lognormal(4.5, 1.6, n).astype(np.int64) + 1), 0.05
            ),
            "industry": _with_nulls(rng, _choice(rng, INDUSTRIES, n), 0.03),
            "country": _choice(rng, COUNTRIES, n),
            "job_level": _with_nulls(rng, _choice(rng, LEVELS, n), 0.05),
            "lead_source": _choice(rng, SOURCES, n),
            "page_views": pa.array(views),
            "email_opens": pa.array(rng.poisson(1 + 8 * engaged)),
            "email_clicks": pa.array(clicks),
            "form_fills": pa.array(rng.poisson(0.5 * engaged)),
            "days_since_last_visit": _with_nulls(rng, days_text, 0.05),
            "annual_revenue": _with_nulls(rng, revenue, 0.1),
            "webinar_attended": flag_webinar,
            "demo_requested": flag_demo,
            "newsletter_opt_in": flag_news,
            "trial_started": flag_trial,
            "created_at": created,
            "region": _choice(rng, REGIONS, n),
            "converted": converted,
        }
    )


def ensure_csv(rows: int, folder: Path, seed: int = 20261124) -> Path:
    """Write ``leads_<rows>.csv`` into ``folder`` unless it is already there; return its path.

    Written in chunks of 500k rows so a 10M-row file never needs all rows in memory.
    """
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"leads_{rows}_s{seed}.csv"
    if path.exists():
        return path
    rng = np.random.default_rng(seed)
    tmp = path.with_suffix(".partial")
    chunk = 500_000
    with pacsv.CSVWriter(str(tmp), _chunk(rng, 0, 1).schema) as writer:
        for start in range(0, rows, chunk):
            writer.write_table(_chunk(rng, start, min(chunk, rows - start)))
    tmp.rename(path)
    return path
