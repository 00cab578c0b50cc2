"""The warehouse query on Spark (local mode) scores every lead exactly like DuckDB.

Marked ``spark`` and skipped unless ``pyspark`` is importable (it is not in the lock file: it
is large and needs Java 17). ``make test-spark`` installs it into the virtualenv and runs
this file; see docs/review.md.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from typing import Any

import duckdb
import pandas as pd
import pytest

from tests.test_postgres import ROW, SAMPLE_MODEL_2
from tests.test_warehouse import (
    SAMPLE_LEADS,
    SAMPLE_MODEL,
    assert_same_scores,
    expected_scores,
    hostile_model,
    hostile_table,
)
from workbench.loading import load_leads
from workbench.model import ScoringModel
from workbench.model_file import load_model_file, load_model_text
from workbench.warehouse import scoring_sql

# Skip first: without pyspark the module never reaches the marker below.
pyspark = pytest.importorskip("pyspark", reason="pyspark is not installed: run make test-spark")
pytestmark = pytest.mark.spark


@pytest.fixture(scope="module")
def spark() -> Iterator[Any]:
    """A local Spark session on loopback, without its web UI."""
    from pyspark.sql import SparkSession

    os.environ.setdefault("SPARK_LOCAL_IP", "127.0.0.1")
    session = (
        SparkSession.builder.master("local[2]")
        .appName("workbench-test")
        .config("spark.ui.enabled", "false")
        .config("spark.driver.host", "127.0.0.1")
        .config("spark.driver.bindAddress", "127.0.0.1")
        .config("spark.sql.shuffle.partitions", "2")
        .getOrCreate()
    )
    session.sparkContext.setLogLevel("ERROR")
    try:
        yield session
    finally:
        session.stop()


def to_spark(con: duckdb.DuckDBPyConnection, table: str, spark: Any, view: str) -> None:
    """Copy a DuckDB table, with its column types and a row position, into a Spark view."""
    from pyspark.sql import types as T

    kinds = {
        "BIGINT": T.LongType(),
        "INTEGER": T.IntegerType(),
        "DOUBLE": T.DoubleType(),
        "BOOLEAN": T.BooleanType(),
        "DATE": T.DateType(),
        "TIMESTAMP": T.TimestampType(),
    }
    described = con.execute(f'DESCRIBE "{table}"').fetchall()
    fields = [T.StructField(ROW, T.LongType())]
    fields += [T.StructField(str(r[0]), kinds.get(str(r[1]), T.StringType())) for r in described]
    rows = con.execute(f'SELECT rowid, * FROM "{table}" ORDER BY rowid').fetchall()
    spark.createDataFrame(rows, T.StructType(fields)).createOrReplaceTempView(view)


def spark_scores(spark: Any, model: ScoringModel, view: str) -> pd.DataFrame:
    query = scoring_sql(model, "spark", table=view)
    rows = spark.sql(f"SELECT * FROM ({query}) AS scored ORDER BY `{ROW}`").collect()
    return pd.DataFrame([r.asDict() for r in rows])


@pytest.mark.parametrize("which", ["sample", "every-kind"])
def test_sample_leads_score_the_same_in_spark(
    con: duckdb.DuckDBPyConnection, spark: Any, which: str
) -> None:
    model = load_model_file(SAMPLE_MODEL) if which == "sample" else load_model_text(SAMPLE_MODEL_2)
    load_leads(con, SAMPLE_LEADS, "leads")
    to_spark(con, "leads", spark, "leads")
    got = spark_scores(spark, model, "leads")
    assert_same_scores(expected_scores(con, model), got, model)
    assert set(got["tier"]) == {t.name for t in model.tiers}


def test_hostile_names_and_values_score_the_same_in_spark(
    con: duckdb.DuckDBPyConnection, spark: Any
) -> None:
    hostile_table(con)
    to_spark(con, "leads", spark, "lead_list")
    model = hostile_model()
    assert_same_scores(expected_scores(con, model), spark_scores(spark, model, "lead_list"), model)
