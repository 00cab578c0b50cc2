"""The model library: versions, rename, archive, import/export, and saves that survive crashes."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
import textwrap
import threading
from pathlib import Path

import pytest

from tests.conftest import ROOT
from workbench import library as library_module
from workbench.errors import UserError
from workbench.library import ENV_VAR, Library, library_path
from workbench.model import ScoringModel
from workbench.model_file import dump_model_yaml, load_model_file, model_from_dict, model_to_dict
from workbench.workspace import ENV_VAR as DATA_DIR_VAR

SAMPLE_MODEL = ROOT / "sample_data" / "model.yaml"


@pytest.fixture
def lib(tmp_path: Path) -> Library:
    return Library(tmp_path / "library.sqlite")


@pytest.fixture
def model() -> ScoringModel:
    return load_model_file(SAMPLE_MODEL)


def changed(model: ScoringModel, demo_points: float) -> ScoringModel:
    data = model_to_dict(model)
    data["criteria"][0]["points"] = demo_points
    return model_from_dict(data)


# --------------------------------------------------------------------------- location


def test_location_follows_the_environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(ENV_VAR, raising=False)
    monkeypatch.setenv(DATA_DIR_VAR, str(tmp_path / "data"))
    assert library_path() == tmp_path / "data" / "library.sqlite"
    monkeypatch.setenv(ENV_VAR, str(tmp_path / "elsewhere" / "lib.sqlite"))
    assert library_path() == tmp_path / "elsewhere" / "lib.sqlite"
    Library()
    assert (tmp_path / "elsewhere" / "lib.sqlite").is_file()


# --------------------------------------------------------------------------- versions


def test_save_list_show(lib: Library, model: ScoringModel) -> None:
    assert lib.list_models() == []
    v1 = lib.save(model, author="Ana", note="Agreed in the Q4 workshop")
    v2 = lib.save(changed(model, 60), author="Ben", note="Demo worth less")
    assert (v1.version, v2.version) == (1, 2)
    assert v1.name == "B2B inbound (sample)"
    assert v1.created_at.endswith("Z") and len(v1.created_at) == 20

    [entry] = lib.list_models()
    assert (entry.name, entry.versions, entry.last_author, entry.last_note) == (
        "B2B inbound (sample)",
        2,
        "Ben",
        "Demo worth less",
    )
    assert lib.get("B2B inbound (sample)").version == 2
    assert lib.get("b2b INBOUND (sample)", 1).model == model  # names ignore case
    assert lib.get("B2B inbound (sample)", 2).model.criteria[0].points == 60
    assert [v.note for v in lib.versions("B2B inbound (sample)")] == [
        "Agreed in the Q4 workshop",
        "Demo worth less",
    ]
    assert v1.yaml == dump_model_yaml(model)
    assert v1.label.startswith("B2B inbound (sample) v1 (") and v1.label.endswith(", Ana)")


def test_names_are_tidied_and_given_explicitly(lib: Library, model: ScoringModel) -> None:
    saved = lib.save(model, name="  Q4   proposal ")
    assert saved.name == "Q4 proposal"
    assert lib.save(model, name="q4 PROPOSAL").version == 2  # same model, any case
    with pytest.raises(UserError, match="needs a name"):
        lib.save(model, name="   ")
    with pytest.raises(UserError, match="at most"):
        lib.save(model, name="x" * 201)
    with pytest.raises(UserError, match="keep it under"):
        lib.save(model, note="x" * 5001)


def test_unknown_model_and_version(lib: Library, model: ScoringModel) -> None:
    with pytest.raises(UserError, match="the library is empty"):
        lib.get("nothing")
    lib.save(model)
    with pytest.raises(UserError, match='no model "B2B".*Did you mean "B2B inbound \\(sample\\)"'):
        lib.get("B2B")
    with pytest.raises(UserError, match="has no version 7; its versions are 1 to 1"):
        lib.get("B2B inbound (sample)", 7)


def test_rename_and_archive(lib: Library, model: ScoringModel) -> None:
    lib.save(model)
    lib.save(model, name="Other")
    lib.rename("B2B inbound (sample)", "Inbound 2026")
    assert sorted(e.name for e in lib.list_models()) == ["Inbound 2026", "Other"]
    assert lib.get("Inbound 2026").model.name == "B2B inbound (sample)"  # the YAML is kept
    with pytest.raises(UserError, match='already a model "Other"'):
        lib.rename("Inbound 2026", "other")
    lib.rename("Inbound 2026", "inbound 2026")  # a change of case only is allowed
    lib.archive("Other")
    assert [e.name for e in lib.list_models()] == ["inbound 2026"]
    assert {e.name: e.archived for e in lib.list_models(include_archived=True)} == {
        "inbound 2026": False,
        "Other": True,
    }
    assert lib.get("Other").version == 1  # archived, not deleted
    lib.archive("Other", archived=False)
    assert len(lib.list_models()) == 2
    lib.archive("Other")
    lib.save(model, name="Other")  # saving again brings it back
    assert {e.name for e in lib.list_models()} == {"inbound 2026", "Other"}


def test_import_and_export(lib: Library, tmp_path: Path) -> None:
    saved = lib.import_file(SAMPLE_MODEL, author="Ana")
    assert saved.note == "Imported from model.yaml"
    out = tmp_path / "out" / "exported.yaml"
    out.parent.mkdir()
    lib.export_file(saved.name, out)
    assert load_model_file(out) == load_model_file(SAMPLE_MODEL)
    bad = tmp_path / "bad.yaml"
    bad.write_text("format: lead-scoring-model/1\ntiers: []\n", encoding="utf-8")
    with pytest.raises(UserError):
        lib.import_file(bad)
    assert lib.versions(saved.name)[-1].version == 1  # a refused import saves nothing


def test_a_file_that_is_not_a_library(tmp_path: Path) -> None:
    path = tmp_path / "notes.sqlite"
    path.write_text("these are my notes, not a database\n" * 100, encoding="utf-8")
    with pytest.raises(UserError, match="is not a model library or is damaged"):
        Library(path)


def test_a_library_from_a_newer_app(tmp_path: Path) -> None:
    path = tmp_path / "lib.sqlite"
    with sqlite3.connect(path) as con:
        con.execute("PRAGMA user_version = 99")
    with pytest.raises(UserError, match="newer version of the app"):
        Library(path)


def test_concurrent_saves_get_distinct_versions(lib: Library, model: ScoringModel) -> None:
    errors: list[BaseException] = []

    def save(i: int) -> None:
        try:
            Library(lib.path).save(model, note=f"save {i}")
        except BaseException as e:  # noqa: BLE001 - reported below
            errors.append(e)

    threads = [threading.Thread(target=save, args=(i,)) for i in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    versions = lib.versions(model.name)
    assert sorted(v.version for v in versions) == list(range(1, 9))
    assert sorted(v.note for v in versions) == sorted(f"save {i}" for i in range(8))


# --------------------------------------------------------------------------- crash safety


@pytest.mark.parametrize("stage", ["model row written", "version row written"])
def test_an_exception_mid_save_leaves_the_library_as_it_was(
    lib: Library, model: ScoringModel, monkeypatch: pytest.MonkeyPatch, stage: str
) -> None:
    lib.save(model, note="v1")

    def fail(at: str) -> None:
        if at == stage:
            raise RuntimeError(f"injected failure after: {at}")

    monkeypatch.setattr(library_module, "_checkpoint", fail)
    with pytest.raises(RuntimeError, match="injected"):
        lib.save(changed(model, 10), note="v2")
    with pytest.raises(RuntimeError, match="injected"):
        lib.save(model, name="Brand new", note="never saved")
    monkeypatch.setattr(library_module, "_checkpoint", lambda at: None)

    [entry] = lib.list_models(include_archived=True)
    assert (entry.name, entry.versions) == (model.name, 1)
    assert lib.get(model.name).model == model
    with pytest.raises(UserError):
        lib.get("Brand new")
    assert lib.save(changed(model, 10), note="v2").version == 2  # and it still works


KILL_MID_SAVE = textwrap.dedent(
    """
    import os, sys
    from workbench import library
    from workbench.model_file import load_model_file, model_from_dict, model_to_dict

    stage = sys.argv[2]
    def die(at):
        if at == stage:
            os._exit(9)  # no cleanup, no rollback: as if the process were killed here

    lib = library.Library(sys.argv[1])
    model = load_model_file(sys.argv[3])
    data = model_to_dict(model)
    data["criteria"][0]["points"] = 1
    library._checkpoint = die
    lib.save(model_from_dict(data), note="interrupted")
    lib.save(model_from_dict(data), name="Brand new", note="interrupted")
    print("not killed")
    """
)


@pytest.mark.parametrize("stage", ["model row written", "version row written"])
def test_a_process_killed_mid_save_loses_nothing(
    lib: Library, model: ScoringModel, stage: str
) -> None:
    lib.save(model, author="Ana", note="v1")
    before = (lib.path.read_bytes(), lib.get(model.name))
    result = subprocess.run(
        [sys.executable, "-c", KILL_MID_SAVE, str(lib.path), stage, str(SAMPLE_MODEL)],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        timeout=60,
    )
    assert result.returncode == 9, result.stderr
    # The file opens, passes SQLite's own check, and holds exactly the earlier version.
    with sqlite3.connect(lib.path) as con:
        assert con.execute("PRAGMA integrity_check").fetchone() == ("ok",)
    reopened = Library(lib.path)
    [entry] = reopened.list_models(include_archived=True)
    assert (entry.name, entry.versions) == (model.name, 1)
    assert reopened.get(model.name) == before[1]
    assert reopened.save(model, note="after the crash").version == 2
