"""Write the presets' sample leads and activity logs (seeded, so the files never change).

Run from the repository root: ``python sample_data/presets/generate.py``. Every file is made
for scoring as of 2026-01-31 (``--as-of 2026-01-31``); each preset's personas make sure every
tier of its model has leads.
"""

from __future__ import annotations

import csv
import datetime as dt
import random
from pathlib import Path

AS_OF = dt.datetime(2026, 1, 31, 12, 0)
HERE = Path(__file__).parent


def _when(rng: random.Random, days_ago: float) -> str:
    t = AS_OF - dt.timedelta(days=days_ago, minutes=rng.randint(0, 600))
    return t.strftime("%Y-%m-%dT%H:%M:%SZ")


def _write(name: str, header: list[str], rows: list[list[object]]) -> None:
    with (HERE / name).open("w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(header)
        w.writerows(rows)


def b2b(rng: random.Random) -> None:
    leads, events = [], []
    industries = ["Software", "Financial Services", "Manufacturing", "Retail"]
    for i in range(120):
        lid = f"B{i:04d}"
        persona = i % 4  # 0 ideal + active, 1 good fit quiet, 2 poor fit active, 3 poor + stale
        size = [1500, 400, 30, 10][persona] + rng.randint(0, 40)
        industry = industries[persona] if persona < 3 else rng.choice(industries[2:])
        seniority = ["C-level", "VP", "Director", "Analyst"][persona]
        domain = "gmail.com" if persona == 3 else f"company{i}.com"
        leads.append([lid, f"person{i}@{domain}", size, industry, seniority])
        if persona in (0, 2):
            events.append([lid, "form submit", "/demo-request", _when(rng, rng.randint(1, 40))])
            for _ in range(3):
                events.append([lid, "page view", "/pricing", _when(rng, rng.randint(0, 25))])
            events.append([lid, "webinar attended", "Q4 roadmap", _when(rng, rng.randint(5, 90))])
        elif persona == 1:
            events.append([lid, "email open", "Newsletter", _when(rng, rng.randint(10, 60))])
        else:
            events.append([lid, "page view", "/blog", _when(rng, rng.randint(200, 360))])
    _write("b2b_leads.csv", ["Lead ID", "Email", "Employees", "Industry", "Seniority"], leads)
    _write("b2b_activity.csv", ["Lead ID", "Activity", "Detail", "Timestamp"], events)


def b2c(rng: random.Random) -> None:
    leads, events = [], []
    for i in range(150):
        cid = f"C{i:05d}"
        persona = i % 3  # 0 ready to buy, 1 interested, 2 browsing long ago
        leads.append([cid, rng.choice(["ES", "PT", "FR"]) if persona < 2 else "US", "yes"])
        if persona == 0:
            for _ in range(3):
                events.append([cid, "add to cart", f"sku-{rng.randint(1, 50)}", _when(rng, 1)])
            events.append([cid, "chatbot conversation", "sizes", _when(rng, 2)])
            for _ in range(4):
                events.append([cid, "product view", "/p", _when(rng, rng.randint(0, 5))])
        elif persona == 1:
            for _ in range(2):
                events.append([cid, "add to cart", "sku-7", _when(rng, 4)])
            for _ in range(3):
                events.append([cid, "product view", "/p", _when(rng, rng.randint(8, 12))])
        else:
            events.append([cid, "product view", "/p", _when(rng, rng.randint(90, 200))])
    _write("b2c_customers.csv", ["Customer ID", "Country", "Newsletter"], leads)
    _write("b2c_activity.csv", ["Customer ID", "Event", "Detail", "Time"], events)


def worked_example(rng: random.Random) -> None:
    leads, events = [], []
    for i in range(60):
        lid = f"W{i:03d}"
        persona = i % 3  # 0 consultation (SQL), 1 opens + newsletter + visits (MQL), 2 visits
        leads.append([lid, f"Lead {i}"])
        if persona == 0:
            events.append([lid, "form submit", "Free consultation", _when(rng, 3)])
        if persona in (0, 1):
            for _ in range(5 + rng.randint(0, 3)):
                events.append([lid, "email open", "Nurture", _when(rng, rng.randint(1, 100))])
            events.append([lid, "newsletter signup", "", _when(rng, rng.randint(1, 300))])
        for _ in range(2):
            events.append([lid, "page view", "/", _when(rng, rng.randint(0, 29))])
    _write("worked_example_leads.csv", ["Lead ID", "Name"], leads)
    _write("worked_example_activity.csv", ["Lead ID", "Activity", "Detail", "Timestamp"], events)


if __name__ == "__main__":
    b2b(random.Random(1))
    b2c(random.Random(2))
    worked_example(random.Random(3))
