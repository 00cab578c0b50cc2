"""Signal finder: level counts against pandas, IV by hand, leakage on planted and real data."""

from __future__ import annotations

import math
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd
import pytest

from workbench.loading import load_leads
from workbench.profile import profile_table
from workbench.signals import (
    bands_from_quantiles,
    find_signals,
    information_value,
    p_value,
    round_edge,
)


def load(con: duckdb.DuckDBPyConnection, frame: pd.DataFrame) -> None:
    con.register("frame", frame)
    con.execute("CREATE TABLE leads AS SELECT * FROM frame")
    con.unregister("frame")


def test_information_value_by_hand() -> None:
    # Level A: 30 converted, 70 not; level B: 10 converted, 190 not.
    # Shares of converted 0.75 / 0.25, of not converted 70/260 / 190/260.
    iv, woe = information_value([30, 10], [70, 190], smoothing=0)
    woe_a, woe_b = math.log(0.75 / (70 / 260)), math.log(0.25 / (190 / 260))
    assert woe == pytest.approx([woe_a, woe_b])
    assert iv == pytest.approx((0.75 - 70 / 260) * woe_a + (0.25 - 190 / 260) * woe_b)
    assert iv == pytest.approx(1.00824, abs=1e-4)
    # With smoothing an empty cell gives a large but finite WoE.
    iv, woe = information_value([0, 10], [50, 50])
    assert np.isfinite(woe).all() and iv > 0


def test_p_value() -> None:
    assert p_value([100, 100], [20, 20]) > 0.5
    assert p_value([1000, 1000], [100, 300]) < 1e-9
    assert p_value([100], [20]) == 1.0
    assert p_value([10, 10], [0, 0]) == 1.0


def test_bands_from_quantiles() -> None:
    # Mostly zeros (page views): edges at 1 and 2, the first band open.
    bands = bands_from_quantiles([0, 0, 0, 0, 0, 0, 1, 1, 2], 0)
    assert [(b.from_, b.to) for b in bands] == [(None, 1), (1, 2), (2, None)]
    # Many values: the quintiles, rounded to two significant digits.
    bands = bands_from_quantiles([11, 19, 33, 41, 52, 58, 66, 1859, 9000], 0)
    assert [(b.from_, b.to) for b in bands] == [
        (None, 19),
        (19, 41),
        (41, 58),
        (58, 1900),
        (1900, None),
    ]
    assert bands_from_quantiles([5] * 9, 5) == []
    assert (round_edge(1859), round_edge(145), round_edge(2.5), round_edge(0)) == (
        1900,
        140,
        2.5,
        0,
    )


@pytest.fixture
def mixed(con: duckdb.DuckDBPyConnection) -> tuple[duckdb.DuckDBPyConnection, pd.DataFrame]:
    rng = np.random.default_rng(2)
    n = 1200
    industry = rng.choice(["Software", " software ", "Retail", "Health  Care", "health care"], n)
    flag = rng.choice(["Yes", "no", "", None], n)
    views = rng.integers(0, 30, n).astype(float)
    views[rng.random(n) < 0.05] = np.nan
    email = [f"p{i}@{rng.choice(['gmail.com', 'acme.com', 'Yahoo.com'])}" for i in range(n)]
    logit = -1.5 + 1.2 * (flag == "Yes") + 0.05 * np.nan_to_num(views)
    won = np.where(rng.random(n) < 1 / (1 + np.exp(-logit)), "won", "lost")
    frame = pd.DataFrame(
        {"Industry": industry, "Asked": flag, "Views": views, "Email": email, "Outcome": won}
    )
    load(con, frame)
    return con, frame


def test_level_counts_match_pandas(mixed: tuple[duckdb.DuckDBPyConnection, pd.DataFrame]) -> None:
    con, frame = mixed
    report = find_signals(con, "leads", profile_table(con, "leads"), outcome="Outcome")
    y = frame["Outcome"] == "won"
    assert (report.leads, report.converted) == (len(frame), int(y.sum()))
    assert {s.column for s in report.signals} == {"Industry", "Asked", "Views", "Email"}

    # A category: compared trimmed, in any case, inner spaces folded.
    norm = frame["Industry"].str.strip().str.lower().str.split().str.join(" ")
    industry = {
        lv.label.lower(): (lv.leads, lv.converted) for lv in report.signal("Industry").levels
    }
    expected = {k: (int((norm == k).sum()), int(y[norm == k].sum())) for k in norm.unique()}
    assert industry == expected

    # A flag: yes-like against everything else (empty included).
    yes = frame["Asked"] == "Yes"
    asked = {lv.label: (lv.leads, lv.converted) for lv in report.signal("Asked").levels}
    assert asked == {
        "yes": (int(yes.sum()), int(y[yes].sum())),
        "no or empty": (int((~yes).sum()), int(y[~yes].sum())),
    }

    # A number: bands plus "empty"; every lead in exactly one.
    views = report.signal("Views")
    assert sum(lv.leads for lv in views.levels) == len(frame)
    empty = next(lv for lv in views.levels if lv.label == "empty or not a number")
    assert empty.leads == int(frame["Views"].isna().sum())
    first = views.criterion.bands[0]  # type: ignore[union-attr]
    in_first = frame["Views"] < first.to
    assert views.levels[0].leads == int(in_first.sum())
    assert views.levels[0].converted == int(y[in_first].sum())

    # E-mail: free domains against the rest.
    free = frame["Email"].str.lower().str.endswith(("@gmail.com", "@yahoo.com"))
    email = {lv.label: lv.leads for lv in report.signal("Email").levels}
    assert email == {
        "free e-mail domain": int(free.sum()),
        "any other domain or empty": int((~free).sum()),
    }

    # Rates, intervals and lifts of one level, from pandas.
    lv = next(lv for lv in report.signal("Asked").levels if lv.label == "yes")
    assert lv.rate == pytest.approx(y[yes].mean())
    assert lv.lift == pytest.approx(y[yes].mean() / y.mean())
    assert lv.low < lv.rate < lv.high
    # The strongest column comes first: the flag drives the outcome.
    assert report.signals[0].column == "Asked"
    assert not report.leaks


def planted(n: int = 3000, seed: int = 4) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    y = rng.random(n) < 0.2
    leak = np.where(rng.random(n) < 0.01, ~y, y)  # the outcome with 1 % of it flipped
    return pd.DataFrame(
        {
            "Signal Strength": np.where(leak, "A", "B"),
            "Noise": rng.choice(["x", "y", "z"], n),
            "Lead Status": rng.choice(["New", "Open"], n),
            "Region": rng.choice(["North", "South"], n),
            "Converted": np.where(y, "Yes", "No"),
        }
    )


def test_planted_leak_is_flagged(con: duckdb.DuckDBPyConnection) -> None:
    load(con, planted())
    report = find_signals(
        con, "leads", profile_table(con, "leads"), outcome="Converted", leakage_columns=["Region"]
    )
    leak = report.signal("Signal Strength")
    assert leak.suspected_leak and leak.iv > 1
    assert any("almost perfectly" in r for r in leak.leakage)
    assert any("converted" in r and "holds" in r for r in leak.leakage)
    assert not any("name" in r for r in leak.leakage)  # found from the data alone
    assert "may leak the outcome" in leak.leak_sentence()
    noise = report.signal("Noise")
    assert not noise.suspected_leak and noise.could_be_chance and noise.strength == "none"
    assert noise.leak_sentence() == ""
    status = report.signal("Lead Status")  # no signal, but its name says "after contact"
    assert status.leakage == ["its name looks like something known only after sales contact"]
    assert report.signal("Region").leakage == ["you marked it as filled in after sales contact"]
    assert {s.column for s in report.leaks} == {"Signal Strength", "Lead Status", "Region"}


def test_small_data_warns(con: duckdb.DuckDBPyConnection) -> None:
    frame = planted(60, seed=1)
    load(con, frame)
    report = find_signals(con, "leads", profile_table(con, "leads"), outcome="Converted")
    assert report.warnings and "rough" in report.warnings[0]


def test_bank_duration_is_flagged(bank_full: Path) -> None:
    con = duckdb.connect()
    load_leads(con, bank_full, "leads")
    report = find_signals(con, "leads", profile_table(con, "leads"), outcome="y")
    raw = pd.read_csv(bank_full, sep=";")
    y = raw["y"] == "yes"
    assert (report.leads, report.converted) == (len(raw), int(y.sum()))
    duration = report.signal("duration")
    assert duration.suspected_leak
    assert any("almost perfectly" in r for r in duration.leakage)  # by the data, not just the name
    assert report.signals[0].column == "duration"  # the strongest, and a leak
    assert [s.column for s in report.leaks] == ["duration"]
    # poutcome = success converts about 65 % of the time (978 of 1,511 in the raw file).
    success = next(lv for lv in report.signal("poutcome").levels if lv.label == "success")
    expected = raw[raw["poutcome"] == "success"]
    assert (success.leads, success.converted) == (
        len(expected),
        int((expected["y"] == "yes").sum()),
    )
    con.close()


HOSTILE = ["lead score", 'a"b', "select", "Ünïcode", "1st_touch", "x'); DROP TABLE leads; --"]


def test_hostile_column_names(con: duckdb.DuckDBPyConnection) -> None:
    rng = np.random.default_rng(6)
    n = 400
    frame = pd.DataFrame({name: rng.choice(["yes", "no"], n) for name in HOSTILE[:3]})
    frame[HOSTILE[3]] = rng.choice(["Alpha", "Beta", "Gamma"], n)
    frame[HOSTILE[4]] = rng.integers(0, 50, n)
    frame[HOSTILE[5]] = rng.choice(["p", "q"], n)
    frame["won"] = np.where(rng.random(n) < 0.3, "yes", "no")
    load(con, frame)
    report = find_signals(con, "leads", profile_table(con, "leads"), outcome="won")
    assert {s.column for s in report.signals} == set(HOSTILE)
    for s in report.signals:
        assert sum(lv.leads for lv in s.levels) == n
    tables = con.execute("SELECT table_name FROM information_schema.tables").fetchall()
    assert ("leads",) in tables
