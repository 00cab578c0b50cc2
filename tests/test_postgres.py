"""The warehouse query on a real PostgreSQL server scores every lead exactly like DuckDB.

A throwaway server is started for this module: ``initdb`` in a temporary folder, ``pg_ctl``
listening on 127.0.0.1 and a free port only (and a socket in that folder), stopped and removed
afterwards. As root the server runs as the ``postgres`` user through ``runuser`` (PostgreSQL
refuses to run as root). The test is skipped when the PostgreSQL binaries are absent, unless
``WORKBENCH_REQUIRE_POSTGRES`` is set (CI sets it), in which case it fails instead.
"""

from __future__ import annotations

import contextlib
import glob
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import duckdb
import pandas as pd
import pytest

from tests.test_warehouse import (
    HOSTILE_COLUMNS,
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

REQUIRE_ENV = "WORKBENCH_REQUIRE_POSTGRES"
ROW = "wb_row"  # the row position carried through the query, to compare lead by lead

# Every kind on the sample columns, with decimals, negative points and both kinds of cap.
SAMPLE_MODEL_2 = """\
format: lead-scoring-model/1
name: every kind on the sample
scale: {min: -20, max: 90}
tiers:
- {name: d, min_score: -20}
- {name: c, min_score: 10.5}
- {name: b, min_score: 30}
- {name: a, min_score: 55.25}
groups:
  fit: {max_points: 25}
  engagement: {max_points: 60}
criteria:
- {id: pricing, column: Pricing Page Views, kind: ranges, missing: -2.5,
   bands: [{from: 3, points: 12.5}, {from: 1, to: 3, points: 4}, {to: 1, points: -1}]}
- {id: visits, column: Visits Last 30 Days, kind: ranges, bands: [{from: 4, points: 30}],
   max_points: 20}
- {id: form, column: Form Submitted, kind: flag, points: 9.75}
- {id: demo, column: Demo Requested, kind: flag, points: 40}
- {id: seniority, group: fit, column: Seniority, kind: categories, other: -3, missing: -6,
   points: {Director: 10, VP: 12, C-Level: 14, "Individual   Contributor": 1}}
- {id: source, column: Lead Source, kind: categories, points: {Webinar: 5, Referral: 8}}
- {id: free_mail, group: fit, column: Email, kind: email_domain, points: -15,
   domains: [gmail.com, "@Yahoo.com", hotmail.com]}
- {id: size, group: fit, column: Company Size, kind: categories,
   points: {"201-1000": 6, "1001-5000": 8, 5000+: 9}}
- {id: employees, group: fit, column: Number of Employees, kind: ranges,
   bands: [{from: 10, to: 200.5, points: 3.5}, {from: 200.5, points: 7}]}
"""

# DuckDB column types → PostgreSQL column types for the copy of the leads.
PG_TYPES = {
    "BIGINT": "bigint",
    "INTEGER": "integer",
    "SMALLINT": "smallint",
    "DOUBLE": "double precision",
    "FLOAT": "real",
    "BOOLEAN": "boolean",
    "DATE": "date",
    "TIMESTAMP": "timestamp",
    "VARCHAR": "text",
}


# --------------------------------------------------------------------------- the server


def _pg_bin() -> Path | None:
    """The folder with initdb and pg_ctl: Debian's versioned folder, or the PATH."""
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"), key=_version_key)
    if found:
        return Path(found[-1]).parent
    on_path = shutil.which("initdb")
    return Path(on_path).parent if on_path else None


def _version_key(path: str) -> tuple[int, ...]:
    version = Path(path).parent.parent.name
    return tuple(int(p) for p in version.split(".") if p.isdigit())


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _runner() -> tuple[list[str], str | None]:
    """The command prefix that runs the server binaries, and the user to hand the folder to."""
    if os.geteuid() != 0:
        return [], None
    try:
        pwd.getpwnam("postgres")
    except KeyError:
        pytest.fail("running as root, and there is no 'postgres' user to run PostgreSQL as")
    return ["runuser", "-u", "postgres", "--"], "postgres"


def _run(cmd: list[str]) -> None:
    result = subprocess.run(cmd, capture_output=True, text=True, timeout=120)
    if result.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd)} failed:\n{result.stdout}\n{result.stderr}")


@pytest.fixture(scope="module")
def postgres() -> Iterator[dict[str, Any]]:
    """Connection settings of a throwaway PostgreSQL server on loopback."""
    bin_dir = _pg_bin()
    if bin_dir is None:
        if os.environ.get(REQUIRE_ENV):
            pytest.fail(f"{REQUIRE_ENV} is set but the PostgreSQL server binaries are absent")
        pytest.skip(
            "PostgreSQL server binaries not found (apt-get install postgresql); set "
            f"{REQUIRE_ENV}=1 to make this a failure"
        )
    psycopg = pytest.importorskip("psycopg")
    prefix, owner = _runner()
    # Not pytest's tmp_path: it is private to root, and the server runs as another user.
    folder = Path(tempfile.mkdtemp(prefix="workbench-pg-"))
    data = folder / "data"
    port = _free_port()
    try:
        if owner:
            shutil.chown(folder, user=owner)
        folder.chmod(0o700)
        _run(
            [*prefix, str(bin_dir / "initdb"), "-D", str(data), "-U", "workbench"]
            + ["--auth=trust", "-E", "UTF8", "--locale=C.UTF-8"]
        )
        options = f"-k {folder} -p {port} -c listen_addresses=127.0.0.1 -c fsync=off"
        _run(
            [*prefix, str(bin_dir / "pg_ctl"), "-D", str(data), "-l", str(folder / "log")]
            + ["-w", "-t", "60", "-o", options, "start"]
        )
        settings = {"host": "127.0.0.1", "port": port, "user": "workbench", "dbname": "postgres"}
        with psycopg.connect(**settings, connect_timeout=10) as check:
            check.execute("SELECT 1")
        yield settings
    finally:
        if (data / "postmaster.pid").exists():
            with contextlib.suppress(Exception):
                _run([*prefix, str(bin_dir / "pg_ctl"), "-D", str(data), "-m", "immediate", "stop"])
        shutil.rmtree(folder, ignore_errors=True)


@pytest.fixture
def pg(postgres: dict[str, Any]) -> Iterator[Any]:
    """A connection in autocommit mode, with a fresh schema per test."""
    import psycopg

    with psycopg.connect(**postgres, autocommit=True) as connection:
        connection.execute("DROP SCHEMA IF EXISTS crm CASCADE")
        connection.execute("CREATE SCHEMA crm")
        yield connection


# --------------------------------------------------------------------------- helpers


def copy_to_postgres(
    con: duckdb.DuckDBPyConnection, table: str, pg: Any, pg_table: tuple[str, str]
) -> int:
    """Copy a DuckDB table, with its column types and a row position, into PostgreSQL."""
    from psycopg import sql

    described = con.execute(f'DESCRIBE "{table}"').fetchall()
    columns = [(str(r[0]), PG_TYPES.get(str(r[1]), "text")) for r in described]
    target = sql.Identifier(*pg_table)
    pieces = [sql.SQL("{} bigint").format(sql.Identifier(ROW))]
    pieces += [sql.SQL("{} {}").format(sql.Identifier(n), sql.SQL(t)) for n, t in columns]
    pg.execute(sql.SQL("CREATE TABLE {} ({})").format(target, sql.SQL(", ").join(pieces)))
    rows = con.execute(f'SELECT rowid, * FROM "{table}" ORDER BY rowid').fetchall()
    names = sql.SQL(", ").join(sql.Identifier(n) for n in [ROW, *(c for c, _ in columns)])
    with (
        pg.cursor() as cur,
        cur.copy(sql.SQL("COPY {} ({}) FROM STDIN").format(target, names)) as cp,
    ):
        for row in rows:
            cp.write_row(row)
    return len(rows)


def postgres_scores(pg: Any, model: ScoringModel, table: str) -> pd.DataFrame:
    query = scoring_sql(model, "postgres", table=table)
    with pg.cursor() as cur:
        cur.execute(f'SELECT * FROM ({query}) AS scored ORDER BY "{ROW}"')  # noqa: S608
        names = [d.name for d in cur.description]
        return pd.DataFrame(cur.fetchall(), columns=names)


def compare(con: duckdb.DuckDBPyConnection, pg: Any, model: ScoringModel, table: str) -> None:
    expected = expected_scores(con, model)
    got = postgres_scores(pg, model, table)
    assert_same_scores(expected, got, model)


# --------------------------------------------------------------------------- tests


@pytest.mark.parametrize("model_text", ["sample", "every-kind"])
def test_sample_leads_score_the_same_in_postgres(
    con: duckdb.DuckDBPyConnection, pg: Any, model_text: str
) -> None:
    model = (
        load_model_file(SAMPLE_MODEL) if model_text == "sample" else load_model_text(SAMPLE_MODEL_2)
    )
    load_leads(con, SAMPLE_LEADS, "leads")
    rows = copy_to_postgres(con, "leads", pg, ("crm", "leads"))
    assert rows == 3000
    compare(con, pg, model, "crm.leads")
    # Every tier is reached, so the comparison covers each threshold.
    tiers = postgres_scores(pg, model, "crm.leads")["tier"].value_counts()
    assert set(tiers.index) == {t.name for t in model.tiers}


def test_hostile_names_and_values_score_the_same_in_postgres(
    con: duckdb.DuckDBPyConnection, pg: Any
) -> None:
    hostile_table(con)
    copy_to_postgres(con, "leads", pg, ("crm", "lead list"))
    compare(con, pg, hostile_model(), "crm.lead list")
    # The query read the table and changed nothing: the hostile "DROP TABLE" is only a value.
    count = pg.execute('SELECT count(*) FROM crm."lead list"').fetchone()
    assert count == (len(con.execute("SELECT * FROM leads").fetchall()),)
    assert HOSTILE_COLUMNS[3] in [
        d.name for d in pg.execute('SELECT * FROM crm."lead list" LIMIT 0').description
    ]
