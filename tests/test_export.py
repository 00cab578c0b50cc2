"""CSV and Excel downloads: formula-looking text is neutralized, numbers and accents survive."""

from __future__ import annotations

import csv
import io
import math
from typing import Any

import openpyxl
import pandas as pd
import pytest

from workbench.errors import UserError
from workbench.export import (
    EXCEL_MAX_ROWS,
    SHEET_NAME,
    neutralize,
    neutralize_frame,
    scored_csv_bytes,
    scored_excel_bytes,
)

HOSTILE = [
    "=1+1",
    '=HYPERLINK("http://evil.example","Click")',
    "+cmd|' /C calc'!A0",
    "-30",
    "@SUM(A1:A2)",
    "\t=1+1",
    "\r=1+1",
]


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("=1+1", "'=1+1"),
        ("+1", "'+1"),
        ("-30", "'-30"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\tx", "'\tx"),
        ("\rx", "'\rx"),
        ("plain", "plain"),
        ("a=b", "a=b"),
        ("", ""),
        ("'=already", "'=already"),
        (-30, -30),
        (2.5, 2.5),
        (True, True),
        (None, None),
    ],
)
def test_neutralize(value: Any, expected: Any) -> None:
    assert neutralize(value) == expected


def test_neutralize_leaves_nan() -> None:
    assert math.isnan(neutralize(float("nan")))


def frame() -> pd.DataFrame:
    n = len(HOSTILE)
    return pd.DataFrame(
        {
            "name": HOSTILE,
            "city": ["Zoë Müller, São Paulo"] + ["Ærøskøbing"] * (n - 1),
            "points__free_email": [-30.0] * n,
            "visits": list(range(-3, n - 3)),
            "=score": [12.5] * n,
        }
    )


def test_neutralize_frame_keeps_numbers_and_the_input() -> None:
    df = frame()
    out = neutralize_frame(df)
    assert list(out.columns) == ["name", "city", "points__free_email", "visits", "'=score"]
    assert out["name"].tolist() == ["'" + v for v in HOSTILE]
    assert out["points__free_email"].tolist() == [-30.0] * len(HOSTILE)
    assert out["visits"].tolist() == list(range(-3, len(HOSTILE) - 3))
    assert df["name"].tolist() == HOSTILE  # the input is not changed


def test_neutralize_frame_handles_categories_and_missing() -> None:
    df = pd.DataFrame(
        {"c": pd.Categorical(["=a", "b", None]), "s": pd.Series(["-1", None, "x"], dtype="str")}
    )
    out = neutralize_frame(df)
    assert out["c"].tolist()[:2] == ["'=a", "b"]
    assert pd.isna(out["c"].tolist()[2])
    assert out["s"].tolist()[0] == "'-1"
    assert pd.isna(out["s"].tolist()[1])


def test_csv_bytes() -> None:
    data = scored_csv_bytes(frame())
    assert data.startswith(b"\xef\xbb\xbf")
    text = data.decode("utf-8")
    assert "\r\n" in text
    rows = list(csv.reader(io.StringIO(text.removeprefix("\ufeff"), newline="")))
    assert rows[0] == ["name", "city", "points__free_email", "visits", "'=score"]
    body = rows[1:]
    assert [r[0] for r in body] == ["'" + v for v in HOSTILE]
    assert body[0][1] == "Zoë Müller, São Paulo"
    assert body[1][1] == "Ærøskøbing"
    # Numbers stay numbers, negative ones included.
    assert {r[2] for r in body} == {"-30.0"}
    assert [r[3] for r in body] == [str(i) for i in range(-3, len(HOSTILE) - 3)]
    # No cell (header included) starts with a formula character.
    for row in rows:
        for cell in row[:2]:
            assert not cell.startswith(("=", "+", "-", "@", "\t", "\r"))


def test_csv_round_trips_with_pandas() -> None:
    back = pd.read_csv(io.BytesIO(scored_csv_bytes(frame())), encoding="utf-8-sig")
    assert back["city"].tolist()[0] == "Zoë Müller, São Paulo"
    assert back["points__free_email"].tolist() == [-30.0] * len(HOSTILE)
    assert back["visits"].dtype.kind == "i"


def load_sheet(data: bytes) -> Any:
    wb = openpyxl.load_workbook(io.BytesIO(data))
    assert wb.sheetnames == [SHEET_NAME]
    return wb[SHEET_NAME]


def test_excel_bytes() -> None:
    ws = load_sheet(scored_excel_bytes(frame()))
    header = [c.value for c in ws[1]]
    assert header == ["name", "city", "points__free_email", "visits", "'=score"]
    assert ws.cell(row=1, column=1).font.b
    for i, value in enumerate(HOSTILE, start=2):
        cell = ws.cell(row=i, column=1)
        # XML reading turns a bare CR into LF; the apostrophe in front is what matters.
        assert cell.value == "'" + value.replace("\r", "\n")
        assert cell.data_type == "s"
    for row in ws.iter_rows():
        for cell in row:
            assert cell.data_type != "f"
    assert ws.cell(row=2, column=2).value == "Zoë Müller, São Paulo"
    number = ws.cell(row=2, column=3)
    assert number.value == -30
    assert number.data_type == "n"
    assert ws.cell(row=2, column=4).value == -3
    assert ws.freeze_panes == "A2"


def test_excel_drops_control_characters_before_neutralizing() -> None:
    df = pd.DataFrame({"a": ["\x01=1+1", "ok\x0bok"]})
    ws = load_sheet(scored_excel_bytes(df))
    assert ws["A2"].value == "'=1+1"
    assert ws["A2"].data_type == "s"
    assert ws["A3"].value == "okok"


def test_excel_timezone_dates_are_written_in_utc() -> None:
    df = pd.DataFrame({"created": pd.to_datetime(["2026-11-20 10:00"]).tz_localize("Europe/Paris")})
    ws = load_sheet(scored_excel_bytes(df))
    assert str(ws["A2"].value) == "2026-11-20 09:00:00"


def test_excel_refuses_more_rows_than_a_sheet_holds(monkeypatch: pytest.MonkeyPatch) -> None:
    import workbench.export as export

    monkeypatch.setattr(export, "EXCEL_MAX_ROWS", 3)
    with pytest.raises(UserError, match="CSV"):
        export.scored_excel_bytes(pd.DataFrame({"a": [1, 2, 3]}))
    assert EXCEL_MAX_ROWS == 1_048_576
