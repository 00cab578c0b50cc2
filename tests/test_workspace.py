"""The per-user workspace on disk: ids, atomic saves, leads as Parquet."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest

from workbench import workspace as ws
from workbench.workspace import Workspace


@pytest.fixture(autouse=True)
def data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Every test writes into its own data folder, never the project's."""
    folder = tmp_path / "data"
    monkeypatch.setenv(ws.ENV_VAR, str(folder))
    return folder


def test_data_dir_follows_the_environment(data_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    assert ws.data_dir() == data_dir
    monkeypatch.delenv(ws.ENV_VAR)
    assert ws.data_dir() == ws.PROJECT_ROOT / ".workbench-data"


def test_new_ids_are_random_and_well_formed() -> None:
    ids = {ws.new_workspace_id() for _ in range(100)}
    assert len(ids) == 100
    assert all(ws.is_workspace_id(i) for i in ids)


@pytest.mark.parametrize(
    "bad", [None, "", "../../etc", "ABCDEF" * 6, "0" * 31, "0" * 33, "0" * 31 + "/", 12]
)
def test_malformed_ids_get_a_fresh_workspace_inside_the_data_folder(
    bad: object, data_dir: Path
) -> None:
    w = Workspace.open(bad)  # type: ignore[arg-type]
    assert w.id != bad
    assert ws.is_workspace_id(w.id)
    assert w.path.parent == data_dir
    assert w.path.is_dir()


def test_the_same_id_finds_the_same_work() -> None:
    first = Workspace.open(None)
    first.save_model({"name": "Q4", "criteria": []})
    first.save_settings({"outcome": "Converted", "leakage": ["Lead Status"]})
    again = Workspace.open(first.id)
    assert again.load_model() == {"name": "Q4", "criteria": []}
    assert again.load_settings() == {"outcome": "Converted", "leakage": ["Lead Status"]}
    other = Workspace.open(None)
    assert other.id != first.id
    assert other.load_model() is None
    assert other.load_settings() == {}


def test_saved_model_is_kept_apart_from_the_autosave() -> None:
    w = Workspace.open(None)
    w.save_model({"name": "draft"})
    w.save_saved_model({"name": "agreed"})
    assert w.load_model() == {"name": "draft"}
    assert w.load_saved_model() == {"name": "agreed"}


def test_saves_leave_no_temporary_files() -> None:
    w = Workspace.open(None)
    for i in range(3):
        w.save_model({"n": i})
    assert sorted(p.name for p in w.path.iterdir()) == ["model.json"]


def test_a_corrupt_file_reads_as_nothing() -> None:
    w = Workspace.open(None)
    (w.path / "model.json").write_text("{not json", encoding="utf-8")
    (w.path / "settings.json").write_text("[1, 2]", encoding="utf-8")
    assert w.load_model() is None
    assert w.load_settings() == {}


def test_leads_round_trip_through_parquet() -> None:
    w = Workspace.open(None)
    con = duckdb.connect()
    con.execute(
        """CREATE TABLE leads AS SELECT * FROM (VALUES
        (1, 'Ann', 'yes'), (2, 'Bo"b', NULL), (3, 'Ünïcode', 'no')) t("Lead ID", "a""b", "x'y")"""
    )
    assert not w.has_leads()
    w.save_leads(con, "leads")
    assert w.has_leads()
    assert [p.name for p in w.path.iterdir()] == ["leads.parquet"]

    fresh = duckdb.connect()
    assert w.restore_leads(fresh, "leads")
    assert fresh.execute("SELECT * FROM leads ORDER BY 1").fetchall() == [
        (1, "Ann", "yes"),
        (2, 'Bo"b', None),
        (3, "Ünïcode", "no"),
    ]
    cols = [r[0] for r in fresh.execute("DESCRIBE leads").fetchall()]
    assert cols == ["Lead ID", 'a"b', "x'y"]

    w.forget_leads()
    assert not w.has_leads()
    assert not w.restore_leads(fresh, "leads")


def test_a_data_folder_with_a_quote_in_its_name_still_saves_leads(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(ws.ENV_VAR, str(tmp_path / "it's data"))
    w = Workspace.open(None)
    con = duckdb.connect()
    con.execute("CREATE TABLE leads AS SELECT 1 AS a")
    w.save_leads(con, "leads")
    assert w.restore_leads(duckdb.connect(), "leads")


def test_an_unreadable_leads_file_is_reported_as_missing() -> None:
    w = Workspace.open(None)
    w.leads_path.write_bytes(b"not parquet")
    assert not w.restore_leads(duckdb.connect(), "leads")


def test_restored_leads_store_repeated_text_as_enum_again() -> None:
    """Parquet keeps ENUM columns as plain text; the restore compacts them again."""
    w = Workspace.open(None)
    con = duckdb.connect()
    con.execute(
        "CREATE TABLE leads AS "
        "SELECT i AS id, ['a', 'b', 'c'][i % 3 + 1] AS tier FROM range(60) t(i)"
    )
    w.save_leads(con, "leads")
    fresh = duckdb.connect()
    assert w.restore_leads(fresh, "leads")
    kinds = [r[1] for r in fresh.execute("DESCRIBE leads").fetchall()]
    assert kinds == ["BIGINT", "ENUM('a', 'b', 'c')"]
    assert (
        fresh.execute("SELECT * FROM leads ORDER BY id").fetchall()
        == con.execute("SELECT * FROM leads ORDER BY id").fetchall()
    )
