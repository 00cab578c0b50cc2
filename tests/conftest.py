"""Shared fixtures: a fresh in-memory DuckDB per test, the reference model, real data paths."""

from __future__ import annotations

import gzip
import hashlib
import os
from collections.abc import Iterator
from pathlib import Path

import duckdb
import pytest
from hypothesis import settings

from workbench.model import ScoringModel
from workbench.model_file import load_model_file

# Property tests explore new random cases on every local run (that is how they find bugs);
# CI replays a fixed set, so a landing is never decided by the luck of the draw.
settings.register_profile("ci", derandomize=True)
if os.environ.get("WORKBENCH_CI"):
    settings.load_profile("ci")

ROOT = Path(__file__).resolve().parent.parent
DOCS = ROOT / "docs"
# Copies of the team's real files (tests/data/README.md), so CI's fresh clone has them too.
TEST_DATA = ROOT / "tests" / "data"
CRM_HEADERS = TEST_DATA / "crm-headers"
BANK_FULL_GZ = TEST_DATA / "bank-marketing" / "bank-full.csv.gz"
BANK_FULL_SHA256 = "d1513ec63b385506f7cfce9f2c5caa9fe99e7ba4e8c3fa264b3aaf0f849ed32d"


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


@pytest.fixture(scope="session")
def bank_full(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The real UCI bank marketing file, unpacked once per test run and checked by its hash."""
    path = tmp_path_factory.mktemp("bank") / "bank-full.csv"
    data = gzip.decompress(BANK_FULL_GZ.read_bytes())
    assert hashlib.sha256(data).hexdigest() == BANK_FULL_SHA256, "not the real bank-full.csv"
    path.write_bytes(data)
    return path
