"""Scored leads as files people open in Excel or LibreOffice, safely.

Lead data comes from web forms, so a cell can hold ``=HYPERLINK("http://evil", "Click")`` or
``@SUM(...)``. A spreadsheet that opens the CSV (or a user who presses F2 + Enter in the
workbook) would run it. :func:`neutralize` puts a leading apostrophe on every text cell that
starts with a character a spreadsheet reads as the start of a formula (the OWASP "CSV
injection" list: ``= + - @``, tab, carriage return).

Choice: a *text* cell such as "-30" is neutralized too ("'-30"). Telling a harmless negative
number apart from "-1+cmd|..." would need a formula parser; numbers that matter are kept as
numbers (int/float columns are never touched), so only text that merely looks numeric gets the
apostrophe, and spreadsheets show it as text, which it is.
"""

from __future__ import annotations

import io
from typing import Any

import pandas as pd
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Font

from workbench.errors import UserError

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
SHEET_NAME = "Scored leads"
EXCEL_MAX_ROWS = 1_048_576  # including the header row
EXCEL_MAX_COLUMNS = 16_384


def neutralize(value: Any) -> Any:
    """Make one cell safe to open in a spreadsheet.

    Args:
        value: any cell value.

    Returns:
        Text starting with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return, with a
        leading ``'``; anything else (numbers, booleans, dates, empty cells, other text)
        unchanged.
    """
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def neutralize_frame(df: pd.DataFrame) -> pd.DataFrame:
    """A copy of ``df`` with every text cell and every header neutralized.

    Args:
        df: any DataFrame (e.g. from ``scoring.score_frame``).

    Returns:
        A new DataFrame; numeric, boolean and date columns are unchanged.
    """
    out = df.copy()
    for i in range(out.shape[1]):
        col = out.iloc[:, i]
        if _may_hold_text(col):
            out.isetitem(i, col.astype(object).map(neutralize).array)
    out.columns = pd.Index([neutralize(str(c)) for c in out.columns], dtype=object)
    return out


def scored_csv_bytes(df: pd.DataFrame) -> bytes:
    """The leads as a CSV Excel opens correctly.

    Args:
        df: the scored leads.

    Returns:
        UTF-8 with a byte-order mark (so Excel reads accents right), comma-separated, CRLF line
        ends, a header row, no index; every text cell and header neutralized.
    """
    text = neutralize_frame(df).to_csv(index=False, lineterminator="\r\n")
    return ("\ufeff" + text).encode("utf-8")


def scored_excel_bytes(df: pd.DataFrame) -> bytes:
    """The leads as an Excel workbook with one sheet, "Scored leads".

    Text cells and headers are neutralized as in the CSV, so no cell is ever stored as a
    formula. Control characters that the xlsx format cannot hold are removed, and
    time-zone-aware dates are written in UTC (Excel has no time zones).

    Args:
        df: the scored leads.

    Returns:
        The .xlsx file's bytes (bold header row, frozen below the header).

    Raises:
        UserError: the table is larger than an Excel sheet can hold.
    """
    if len(df) + 1 > EXCEL_MAX_ROWS or df.shape[1] > EXCEL_MAX_COLUMNS:
        raise UserError(
            f"{len(df):,} leads × {df.shape[1]:,} columns do not fit in one Excel sheet "
            f"(at most {EXCEL_MAX_ROWS - 1:,} rows and {EXCEL_MAX_COLUMNS:,} columns); "
            "download the CSV instead."
        )
    # Remove the characters xlsx cannot hold before neutralizing: "\x01=cmd" must not turn
    # into a bare "=cmd" after the check.
    clean = df.copy()
    for i in range(clean.shape[1]):
        col = clean.iloc[:, i]
        if isinstance(col.dtype, pd.DatetimeTZDtype):
            clean.isetitem(i, col.dt.tz_convert("UTC").dt.tz_localize(None).array)
        elif _may_hold_text(col):
            clean.isetitem(i, col.astype(object).map(_excel_text).array)
    clean.columns = pd.Index([_excel_text(str(c)) for c in clean.columns], dtype=object)
    safe = neutralize_frame(clean)
    buffer = io.BytesIO()
    with pd.ExcelWriter(buffer, engine="openpyxl") as writer:
        safe.to_excel(writer, sheet_name=SHEET_NAME, index=False, freeze_panes=(1, 0))
        bold = Font(bold=True)
        for cell in writer.sheets[SHEET_NAME][1]:
            cell.font = bold
    return buffer.getvalue()


def _may_hold_text(col: pd.Series) -> bool:
    dtype = col.dtype
    if pd.api.types.is_numeric_dtype(dtype) or pd.api.types.is_bool_dtype(dtype):
        return False
    return not (pd.api.types.is_datetime64_any_dtype(dtype) or isinstance(dtype, pd.PeriodDtype))


def _excel_text(value: Any) -> Any:
    if isinstance(value, str):
        return ILLEGAL_CHARACTERS_RE.sub("", value)
    return value
