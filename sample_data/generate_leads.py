"""Generate ``sample_data/leads.csv``: synthetic B2B leads as a CRM export names them.

Run ``python sample_data/generate_leads.py`` to rewrite the committed file, or pass ``--out``
to write somewhere else. The output is byte-for-byte the same on every run and machine: only
the standard library is used, and every random draw goes through ``random.Random.random()``,
the one method whose sequence Python guarantees across versions (``choice``, ``gauss`` and
friends may change, and NumPy's generators make no such promise either).

Each lead has a hidden "interest" that drives its engagement (opens, visits, forms, demo
requests) and a hidden "fit" (industry, size, work e-mail, seniority). ``Converted`` depends on
both plus noise, so a sensible model separates converters from the rest, but not perfectly.
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import math
import random
import sys
from collections.abc import Sequence
from pathlib import Path

SEED = 20261124
ROWS = 3000
DEFAULT_OUT = Path(__file__).resolve().parent / "leads.csv"

COLUMNS = [
    "Lead ID",
    "First Name",
    "Company",
    "Email",
    "Country",
    "Industry",
    "Company Size",
    "Number of Employees",
    "Job Title",
    "Seniority",
    "Department",
    "Marketing Emails Opened",
    "Pricing Page Views",
    "Visits Last 30 Days",
    "Form Submitted",
    "Demo Requested",
    "Newsletter Subscriber",
    "Unsubscribed",
    "Lead Source",
    "Created Date",
    "Converted",
]

FIRST_NAMES = (
    "Anna James Maria David Sarah Michael Laura Daniel Emma Thomas Sofia Lucas Julia Ben "
    "Olivia Noah Chloe Liam Hannah Jonas Mia Leon Elena Marco Priya Arjun Fatima Omar Yuki "
    "Kenji Ana Pedro Ingrid Lars Claire Hugo Isabel Pablo Nina Felix Grace Ryan Aisha Samuel "
    "Zoe Ethan Leah Adam Nora Victor"
).split()
COMPANY_HEADS = (
    "North Blue Bright Silver Iron Clear Swift Red Green Summit Harbor Pine Stone Oak Nova "
    "Vertex Atlas Delta Orbit Cedar Maple River Falcon Granite Lumen Apex Crest Beacon Quill "
    "Echo"
).split()
COMPANY_TAILS = (
    "wind peak field gate line bridge works path point forge wave stack hill ridge ford"
).split()
COMPANY_KINDS = {
    "Software": ["Software", "Labs", "Cloud", "Systems", "Analytics"],
    "Financial Services": ["Capital", "Finance", "Partners", "Insurance"],
    "Manufacturing": ["Industries", "Manufacturing", "Components", "Tools"],
    "Healthcare": ["Health", "Medical", "Care", "Clinics"],
    "Retail": ["Retail", "Stores", "Goods", "Outfitters"],
    "Education": ["Academy", "Learning", "Institute"],
    "Logistics": ["Logistics", "Freight", "Shipping"],
    "Professional Services": ["Consulting", "Advisory", "Group"],
    "Media": ["Media", "Studios", "Publishing"],
    "Government": ["Agency", "Council", "Authority"],
}
# (industry, weight, how well it fits the product: 0..1)
INDUSTRIES = [
    ("Software", 24, 1.0),
    ("Financial Services", 13, 0.7),
    ("Manufacturing", 14, 0.6),
    ("Healthcare", 10, 0.4),
    ("Retail", 10, 0.3),
    ("Professional Services", 10, 0.5),
    ("Education", 6, 0.1),
    ("Logistics", 6, 0.4),
    ("Media", 5, 0.2),
    ("Government", 2, 0.0),
]
COUNTRIES = [
    ("United States", 30),
    ("United Kingdom", 12),
    ("Germany", 11),
    ("France", 7),
    ("Netherlands", 5),
    ("Spain", 5),
    ("Canada", 6),
    ("Australia", 5),
    ("Sweden", 3),
    ("India", 8),
    ("Brazil", 5),
    ("Mexico", 3),
]
FREE_DOMAINS = [("gmail.com", 55), ("yahoo.com", 15), ("hotmail.com", 12), ("outlook.com", 18)]
# (seniority, weight, buying power: 0..1)
SENIORITIES = [
    ("Entry", 18, 0.0),
    ("Individual Contributor", 30, 0.2),
    ("Manager", 25, 0.5),
    ("Director", 15, 0.8),
    ("VP", 7, 1.0),
    ("C-Level", 5, 1.0),
]
DEPARTMENTS = [
    ("Marketing", 30),
    ("Sales", 20),
    ("Operations", 14),
    ("IT", 12),
    ("Finance", 8),
    ("Engineering", 10),
    ("HR", 6),
]
TITLES = {
    "Entry": ["{d} Assistant", "Junior {d} Associate", "{d} Intern"],
    "Individual Contributor": ["{d} Specialist", "{d} Analyst", "Senior {d} Specialist"],
    "Manager": ["{d} Manager", "Head of {d}"],
    "Director": ["Director of {d}", "{d} Director"],
    "VP": ["VP {d}", "VP of {d}"],
    "C-Level": ["CEO", "COO", "CFO", "CMO", "CTO", "Founder"],
}
LEAD_SOURCES = [
    ("Organic Search", 24),
    ("Paid Search", 16),
    ("LinkedIn", 14),
    ("Webinar", 10),
    ("Referral", 8),
    ("Trade Show", 7),
    ("Content Download", 12),
    ("Cold Outbound", 9),
]
# Leads from these sources arrive already interested (a shift of the hidden interest).
SOURCE_INTEREST = {"Referral": 0.6, "Webinar": 0.4, "Trade Show": 0.3, "Cold Outbound": -0.6}
START = dt.date(2025, 1, 1)
DAYS = 669  # to 2026-10-31


class Draws:
    """Random draws built only on ``random.Random.random()`` so the stream never changes."""

    def __init__(self, seed: int) -> None:
        self._r = random.Random(seed)

    def uniform(self) -> float:
        """A number in [0, 1)."""
        return self._r.random()

    def chance(self, p: float) -> bool:
        """True with probability ``p``."""
        return self._r.random() < p

    def pick(self, items: Sequence[str]) -> str:
        """One item, all equally likely."""
        return items[min(int(self._r.random() * len(items)), len(items) - 1)]

    def weighted(self, items: Sequence[tuple[str, int]]) -> str:
        """One name from ``(name, weight)`` pairs."""
        u = self._r.random() * sum(w for _, w in items)
        for name, w in items:
            u -= w
            if u < 0:
                return name
        return items[-1][0]

    def normal(self) -> float:
        """A standard normal draw (Box-Muller)."""
        u1 = 1.0 - self._r.random()  # in (0, 1]: log stays finite
        u2 = self._r.random()
        return math.sqrt(-2.0 * math.log(u1)) * math.cos(2.0 * math.pi * u2)

    def poisson(self, mean: float) -> int:
        """A Poisson count (Knuth's method; the means here are small)."""
        limit, k, p = math.exp(-mean), 0, 1.0
        while True:
            p *= self._r.random()
            if p <= limit:
                return k
            k += 1


def sigmoid(x: float) -> float:
    """The logistic function."""
    return 1.0 / (1.0 + math.exp(-x))


def size_band(employees: int) -> str:
    """The CRM's company size band for a head count."""
    for top, band in ((10, "1-10"), (50, "11-50"), (200, "51-200"), (1000, "201-1000")):
        if employees <= top:
            return band
    return "1001+"


def yes_no(value: bool) -> str:
    """How the CRM writes a checkbox."""
    return "Yes" if value else "No"


def make_lead(i: int, d: Draws) -> list[str]:
    """One lead as the row of strings the CSV holds (empty string = missing)."""
    industry = d.weighted([(n, w) for n, w, _ in INDUSTRIES])
    industry_fit = next(f for n, _, f in INDUSTRIES if n == industry)
    # Head counts are log-normal: many small firms, a long tail of large ones.
    employees = max(1, int(math.exp(3.6 + 1.7 * d.normal())))
    employees = min(employees, 250_000)
    seniority = d.weighted([(n, w) for n, w, _ in SENIORITIES])
    power = next(p for n, _, p in SENIORITIES if n == seniority)
    department = d.weighted(DEPARTMENTS)
    title = d.pick(TITLES[seniority]).format(d=department)
    if seniority == "C-Level":
        department = "Executive"
    source = d.weighted(LEAD_SOURCES)
    first = d.pick(FIRST_NAMES)
    company = d.pick(COMPANY_HEADS) + d.pick(COMPANY_TAILS) + " " + d.pick(COMPANY_KINDS[industry])
    free_mail = d.chance(0.30 if employees < 20 else 0.12)
    if free_mail:
        domain = d.weighted(FREE_DOMAINS)
        local = f"{first.lower()}{int(d.uniform() * 90) + 10}"
    else:
        domain = company.split()[0].lower() + d.pick([".com", ".com", ".io", ".co", ".net"])
        local = f"{first.lower()}.{d.pick('abcdefghjklmnoprstw')}"
    email = f"{local}@{domain}"

    # Hidden interest drives engagement; fit nudges it a little (good-fit firms look closer).
    interest = d.normal() + SOURCE_INTEREST.get(source, 0.0) + 0.3 * industry_fit
    opens = min(d.poisson(math.exp(0.9 + 0.55 * interest)), 40)
    pricing = min(d.poisson(math.exp(-1.2 + 0.8 * interest)), 15)
    visits = min(d.poisson(math.exp(0.1 + 0.6 * interest)), 30)
    form = d.chance(sigmoid(-1.6 + 0.9 * interest))
    demo = d.chance(sigmoid(-3.0 + 1.1 * interest + 0.8 * form + 0.5 * power))
    newsletter = d.chance(sigmoid(-0.9 + 0.5 * interest))
    unsubscribed = d.chance(sigmoid(-2.6 - 0.7 * interest))
    if unsubscribed:
        newsletter = False

    big_enough = 1.0 if 50 <= employees <= 5000 else (0.4 if employees > 5000 else 0.0)
    logit = (
        -4.3
        + 1.9 * demo
        + 0.12 * min(opens, 15)
        + 0.18 * min(pricing, 6)
        + 0.35 * form
        + 0.8 * industry_fit
        + 0.6 * big_enough
        + 0.5 * power
        - 0.7 * free_mail
        - 1.2 * unsubscribed
        + 0.6 * d.normal()  # what no CRM field captures
    )
    converted = d.chance(sigmoid(logit))

    created = START + dt.timedelta(days=int(d.uniform() * DAYS))
    country = d.weighted(COUNTRIES)

    # Missing values, at the rates a real export shows.
    employees_text = str(employees)
    band = size_band(employees)
    if d.chance(0.07):
        employees_text = ""
        if d.chance(0.5):
            band = ""
    opens_text = "" if d.chance(0.03) else str(opens)
    return [
        f"L{i:05d}",
        first,
        company,
        email,
        "" if d.chance(0.03) else country,
        "" if d.chance(0.05) else industry,
        band,
        employees_text,
        "" if d.chance(0.06) else title,
        seniority,
        "" if d.chance(0.04) else department,
        opens_text,
        str(pricing),
        str(visits),
        yes_no(form),
        yes_no(demo),
        yes_no(newsletter),
        yes_no(unsubscribed),
        source,
        created.isoformat(),
        yes_no(converted),
    ]


def generate(rows: int = ROWS, seed: int = SEED) -> list[list[str]]:
    """All leads, ordered by Lead ID.

    Args:
        rows: how many leads to make.
        seed: the random seed.

    Returns:
        One list of strings per lead, in ``COLUMNS`` order.
    """
    d = Draws(seed)
    return [make_lead(i, d) for i in range(1, rows + 1)]


def write_csv(path: Path, rows: list[list[str]]) -> None:
    """Write the leads with a header, UTF-8, ``\\n`` line ends (the same bytes everywhere)."""
    with path.open("w", encoding="utf-8", newline="") as f:
        writer = csv.writer(f, lineterminator="\n")
        writer.writerow(COLUMNS)
        writer.writerows(rows)


def main(argv: list[str] | None = None) -> int:
    """Command line: ``generate_leads.py [--out PATH] [--rows N] [--seed S]``."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help="where to write the CSV")
    parser.add_argument("--rows", type=int, default=ROWS, help="how many leads")
    parser.add_argument("--seed", type=int, default=SEED, help="random seed")
    args = parser.parse_args(argv)
    write_csv(args.out, generate(args.rows, args.seed))
    print(f"wrote {args.rows} leads to {args.out}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
