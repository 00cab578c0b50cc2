"""The review commands: models, diff, lint and sql.

Exit status 0 on success, 1 for a problem the user can fix (one sentence, no traceback), 2 for
wrong usage. A few runs are real processes (``python -m workbench``); the rest call the same
``main()`` in-process, which is much faster. The library lives in a temporary file named by
WORKBENCH_LIBRARY.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb
import pytest
import sqlglot

from tests.conftest import ROOT
from workbench.cli import main
from workbench.model_file import dump_model_yaml, load_model_file, model_from_dict, model_to_dict

SAMPLE_LEADS = ROOT / "sample_data" / "leads.csv"
SAMPLE_MODEL = ROOT / "sample_data" / "model.yaml"


@dataclass
class Result:
    returncode: int
    stdout: str
    stderr: str


@pytest.fixture
def env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    library = str(tmp_path / "lib" / "library.sqlite")
    monkeypatch.setenv("WORKBENCH_LIBRARY", library)
    return {**os.environ, "WORKBENCH_LIBRARY": library}


@pytest.fixture
def run(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> Any:
    """Run ``workbench ARGS`` in this process: (env, *args) -> Result."""

    def call(env: dict[str, str], *args: object) -> Result:
        monkeypatch.setenv("WORKBENCH_LIBRARY", env["WORKBENCH_LIBRARY"])
        capsys.readouterr()
        try:
            status = main([str(a) for a in args])
        except SystemExit as e:  # main's own parser.error() for --positive without --outcome
            status = int(e.code or 0)
        out, err = capsys.readouterr()
        assert "Traceback" not in err, err
        return Result(status, out, err)

    return call


def run_process(env: dict[str, str], *args: object) -> subprocess.CompletedProcess[str]:
    """Run ``python -m workbench ARGS`` as a real process."""
    result = subprocess.run(
        [sys.executable, "-m", "workbench", *map(str, args)],
        capture_output=True,
        text=True,
        encoding="utf-8",
        cwd=ROOT,
        env=env,
        timeout=180,
    )
    assert "Traceback" not in result.stderr, result.stderr
    return result


@pytest.fixture
def q4(tmp_path: Path) -> Path:
    """This quarter's proposal: three weights changed from the sample model."""
    data = model_to_dict(load_model_file(SAMPLE_MODEL))
    data["criteria"][0]["points"] = 60  # demo request
    data["criteria"][1]["bands"][0]["points"] = 35  # e-mail opens
    data["criteria"][5]["points"]["Software"] = 20  # industry
    path = tmp_path / "q4.yaml"
    path.write_text(dump_model_yaml(model_from_dict(data)), encoding="utf-8")
    return path


# --------------------------------------------------------------------------- models


def test_models_save_list_show(run: Any, env: dict[str, str], q4: Path, tmp_path: Path) -> None:
    empty = run_process(env, "models", "list")
    assert empty.returncode == 0 and "has no models yet" in empty.stdout

    saved = run(env, "models", "save", SAMPLE_MODEL, "--name", "Inbound", "--author", "Ana",
                "--note", "Q3 agreed")  # fmt: skip
    assert saved.returncode == 0 and 'Saved "Inbound" version 1' in saved.stdout
    again = run(env, "models", "save", q4, "--name", "inbound", "--note", "Q4: three weights")
    assert "version 2" in again.stdout

    listing = run(env, "models", "list")
    assert (
        listing.stdout.startswith("Inbound: 2 versions, latest ")
        and "Q4: three weights" in listing.stdout
    )
    data = json.loads(run(env, "models", "list", "--json").stdout)
    assert [(m["name"], m["versions"]) for m in data] == [("Inbound", 2)]

    shown = run(env, "models", "show", "Inbound", "--version", "1")
    assert shown.returncode == 0
    assert "Inbound v1" in shown.stderr and "Ana" in shown.stderr
    exported = tmp_path / "exported.yaml"
    exported.write_text(shown.stdout, encoding="utf-8")
    assert load_model_file(exported) == load_model_file(SAMPLE_MODEL)

    history = run(env, "models", "show", "Inbound", "--history")
    assert (
        history.stdout.splitlines()[0].startswith("v1  ") and "by Ana: Q3 agreed" in history.stdout
    )


def test_models_rename_and_archive(run: Any, env: dict[str, str]) -> None:
    run(env, "models", "save", SAMPLE_MODEL)
    assert run(env, "models", "rename", "B2B inbound (sample)", "Inbound").returncode == 0
    assert run(env, "models", "archive", "Inbound").returncode == 0
    assert run(env, "models", "list").stdout.startswith("The model library")
    assert "(archived)" in run(env, "models", "list", "--all").stdout
    assert run(env, "models", "archive", "Inbound", "--undo").returncode == 0
    assert run(env, "models", "list").stdout.startswith("Inbound: 1 version")


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["models", "show", "Nothing"], 'The model library has no model "Nothing"'),
        (["models", "save", "no-such.yaml"], "There is no model file"),
        (["models", "rename", "Nothing", "X"], 'no model "Nothing"'),
    ],
)
def test_models_user_errors(run: Any, env: dict[str, str], args: list[str], message: str) -> None:
    result = run(env, *args)
    assert result.returncode == 1 and message in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


@pytest.mark.parametrize(
    "args",
    [["models"], ["models", "show"], ["models", "show", "X", "--version", "0"], ["models", "wipe"]],
)
def test_models_usage_errors(run: Any, env: dict[str, str], args: list[str]) -> None:
    assert run(env, *args).returncode == 2


def test_library_file_that_is_not_a_library(run: Any, env: dict[str, str], tmp_path: Path) -> None:
    bad = tmp_path / "bad.sqlite"
    bad.write_text("not a database\n" * 50, encoding="utf-8")
    result = run_process({**env, "WORKBENCH_LIBRARY": str(bad)}, "models", "list")
    assert result.returncode == 1 and "is not a model library" in result.stderr


# --------------------------------------------------------------------------- diff


def test_diff_text(run: Any, env: dict[str, str], q4: Path) -> None:
    result = run_process(env, "diff", SAMPLE_MODEL, q4, SAMPLE_LEADS, "--outcome", "Converted")
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert out.startswith("model.yaml → q4.yaml on 3,000 leads")
    assert "now gives +60 points (was +80)" in out
    assert "Tier migration (rows: model.yaml, columns: q4.yaml)" in out
    assert "Conversion per tier" in out and "AUC" in out
    assert "The change that moves the most leads:" in out


def test_diff_json_from_the_library(run: Any, env: dict[str, str], q4: Path) -> None:
    run(env, "models", "save", SAMPLE_MODEL, "--name", "Inbound")
    run(env, "models", "save", q4, "--name", "Inbound")
    result = run(env, "diff", "library:Inbound@1", "library:Inbound", SAMPLE_LEADS, "--json",
                 "--outcome", "Converted", "--positive", "Yes")  # fmt: skip
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    assert (data["old"]["label"], data["new"]["label"]) == ("Inbound v1", "Inbound v2")
    assert data["leads"] == 3000 and len(data["changes"]) == 3
    assert sum(c["count"] for c in data["migration"]) == 3000
    assert data["moved"] == sum(c["count"] for c in data["migration"] if c["old"] != c["new"])
    assert 0.5 < data["old"]["auc"] < 1 and "conversion_rate" in data["new"]["tiers"][0]
    moves = [c["moved"] for c in data["single_changes"]]
    assert moves == sorted(moves, reverse=True)


@pytest.mark.parametrize(
    ("args", "status", "message"),
    [
        (["diff", "library:Nope", "{model}", "{leads}"], 1, 'no model "Nope"'),
        (["diff", "{model}", "{model}", "missing.csv"], 1, ""),
        (["diff", "{model}", "{model}", "{leads}", "--outcome", "Outcome"], 1, "Outcome"),
        (["diff", "{model}", "{model}"], 2, ""),
        (["diff", "{model}", "{model}", "{leads}", "--positive", "Yes"], 2, "--outcome"),
    ],
)
def test_diff_errors(
    run: Any, env: dict[str, str], args: list[str], status: int, message: str
) -> None:
    filled = [a.format(model=SAMPLE_MODEL, leads=SAMPLE_LEADS) for a in args]
    result = run(env, *filled)
    assert result.returncode == status
    assert message in result.stderr


# --------------------------------------------------------------------------- lint


def test_lint_clean_and_with_findings(run: Any, env: dict[str, str], tmp_path: Path) -> None:
    clean = run(env, "lint", SAMPLE_MODEL, SAMPLE_LEADS)
    assert clean.returncode == 0 and clean.stdout.startswith("No findings: model.yaml fits")
    data = model_to_dict(load_model_file(SAMPLE_MODEL))
    data["criteria"][5]["points"]["Aerospace"] = 5
    data["criteria"][0]["column"] = "Demo Requested Date"
    planted = tmp_path / "planted.yaml"
    planted.write_text(dump_model_yaml(model_from_dict(data)), encoding="utf-8")
    result = run(env, "lint", planted, SAMPLE_LEADS)
    assert result.returncode == 0  # findings are advice
    assert "planted.yaml on leads.csv (3,000 leads): 2 findings" in result.stdout
    assert 'reads the column "Demo Requested Date"' in result.stdout
    assert '"Aerospace"' in result.stdout
    listed = json.loads(run(env, "lint", planted, SAMPLE_LEADS, "--json").stdout)
    assert [f["kind"] for f in listed] == ["missing_column", "absent_categories"]
    assert run(env, "lint", "nope.yaml", SAMPLE_LEADS).returncode == 1
    assert run_process(env, "lint", SAMPLE_MODEL).returncode == 2


# --------------------------------------------------------------------------- sql


@pytest.mark.parametrize("dialect", ["duckdb", "postgres", "spark", "bigquery", "snowflake"])
def test_sql_prints_a_query_for_each_dialect(run: Any, env: dict[str, str], dialect: str) -> None:
    result = run(env, "sql", SAMPLE_MODEL, "--dialect", dialect, "--table", "crm.leads")
    assert result.returncode == 0, result.stderr
    assert result.stdout.rstrip().endswith(";")
    assert sqlglot.parse_one(result.stdout.rstrip().rstrip(";"), read=dialect) is not None


def test_sql_to_a_file_scores_in_duckdb(run: Any, env: dict[str, str], tmp_path: Path) -> None:
    out = tmp_path / "score.sql"
    result = run(env, "sql", SAMPLE_MODEL, "--dialect", "duckdb", "--keep", "Lead ID", "-o", out)
    assert result.returncode == 0 and "Wrote the duckdb scoring query" in result.stderr
    con = duckdb.connect()
    con.execute("CREATE TABLE leads AS SELECT * FROM read_csv($p)", {"p": str(SAMPLE_LEADS)})
    rows = con.sql(out.read_text(encoding="utf-8").rstrip().rstrip(";")).fetchall()
    assert len(rows) == 3000 and len(rows[0]) == 1 + 8 + 2


@pytest.mark.parametrize(
    ("args", "status", "message"),
    [
        (["sql", "{model}"], 2, "--dialect"),
        (["sql", "{model}", "--dialect", "oracle"], 2, "invalid choice"),
        (["sql", "{model}", "--dialect", "postgres", "--table", "a..b"], 1, "not a table name"),
        (["sql", "{model}", "--dialect", "postgres", "-o", "{model}"], 1, "is the model file"),
        (["sql", "{model}", "--dialect", "postgres", "-o", "/no/such/dir/x.sql"], 1, "does not"),
    ],
)
def test_sql_errors(
    run: Any, env: dict[str, str], args: list[str], status: int, message: str
) -> None:
    result = run(env, *[a.format(model=SAMPLE_MODEL) for a in args])
    assert result.returncode == status and message in result.stderr
    assert load_model_file(SAMPLE_MODEL).name == "B2B inbound (sample)"  # never overwritten
