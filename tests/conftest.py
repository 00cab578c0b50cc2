"""Shared fixtures: a fresh in-memory DuckDB per test, the reference model, real data paths."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import duckdb
import pytest

from workbench.model import ScoringModel
from workbench.model_file import load_model_file

ROOT = Path(__file__).resolve().parent.parent
DOCS = ROOT / "docs"
SHARED_DATA = ROOT.parent / "shared" / "data"
BANK_FULL = SHARED_DATA / "bank-marketing" / "bank-full.csv"


@pytest.fixture
def con() -> Iterator[duckdb.DuckDBPyConnection]:
    """A fresh in-memory DuckDB connection, closed after the test."""
    connection = duckdb.connect()
    yield connection
    connection.close()


@pytest.fixture
def reference_model() -> ScoringModel:
    """The hand-scored model of docs/reference-leads.md."""
    return load_model_file(DOCS / "reference-model.yaml")


@pytest.fixture
def bank_full() -> Path:
    """The real UCI bank marketing file (skips when the shared data is absent)."""
    if not BANK_FULL.is_file():
        pytest.skip(f"real data not found at {BANK_FULL}")
    return BANK_FULL
