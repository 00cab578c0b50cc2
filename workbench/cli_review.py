"""Command-line tools for the quarterly review: the model library, diff, lint and warehouse SQL.

Registered into ``workbench``'s parser by :func:`register`:

- ``workbench models list|show|save|rename|archive``: the model library;
- ``workbench diff OLD NEW LEADS``: what changed and whom it moves;
- ``workbench lint MODEL LEADS``: what in the model no longer fits the leads;
- ``workbench sql MODEL --dialect D``: the scoring query for a warehouse.

Wherever a MODEL is asked for, give a YAML file or ``library:NAME`` (latest version) or
``library:NAME@N`` (version N) from the model library. Exit status as for every ``workbench``
command: 0 success, 1 a problem the user can fix (one sentence on standard error), 2 wrong usage.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

import duckdb

from workbench.cli_common import (
    LEADS_HELP,
    add_activity_args,
    add_outcome_args,
    load_activity,
    print_notes,
)
from workbench.diff import compare_models, format_comparison
from workbench.errors import UserError
from workbench.library import Library, library_path
from workbench.lint import lint_model
from workbench.loading import LoadResult, load_leads
from workbench.model import ACTIVITY_KINDS, ScoringModel
from workbench.model_file import load_model_file
from workbench.warehouse import DEFAULT_TABLE, DIALECTS, scoring_sql

LIBRARY_PREFIX = "library:"
_MODEL_HELP = "model YAML file, or library:NAME[@VERSION] from the model library"


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add the ``models``, ``diff``, ``lint`` and ``sql`` sub-commands.

    Args:
        sub: the ``workbench`` parser's sub-parsers.
    """
    _register_models(sub)

    diff = sub.add_parser(
        "diff",
        help="compare two models on the same leads: changes, tier migration, metrics",
        description="Show what changed between two models, how many leads move between tiers "
        "(old tier × new tier), conversion per tier and AUC with --outcome, and which single "
        "change moves the most leads across a threshold.",
    )
    diff.add_argument("old", metavar="OLD", help=_MODEL_HELP)
    diff.add_argument("new", metavar="NEW", help=_MODEL_HELP)
    diff.add_argument("leads", metavar="LEADS", help=LEADS_HELP)
    add_outcome_args(diff)
    diff.add_argument("--json", action="store_true", help="print one JSON object")
    add_activity_args(diff)
    diff.set_defaults(func=_cmd_diff)

    lint = sub.add_parser(
        "lint",
        help="find criteria that no longer fit the leads",
        description="List criteria that never give points or give them to nearly everyone, "
        "caps that are always reached, category values no lead has any more and columns "
        "missing from the leads. Findings are advice: the exit status is 0 either way.",
    )
    lint.add_argument("model", metavar="MODEL", help=_MODEL_HELP)
    lint.add_argument("leads", metavar="LEADS", help=LEADS_HELP)
    lint.add_argument("--json", action="store_true", help="print a JSON list of findings")
    lint.set_defaults(func=_cmd_lint)

    sql = sub.add_parser(
        "sql",
        help="print the scoring query for a warehouse",
        description="Print one standalone SQL query that scores every row of a warehouse "
        "table with the model: the table's columns plus points__<id> per criterion, score and "
        "tier. The model's values are written into the query; column names are quoted as the "
        "model spells them.",
    )
    sql.add_argument("model", metavar="MODEL", help=_MODEL_HELP)
    sql.add_argument("--dialect", required=True, choices=DIALECTS, help="the warehouse's SQL")
    sql.add_argument(
        "--table",
        default=DEFAULT_TABLE,
        metavar="NAME",
        help=f"the table to score, e.g. crm.leads (default {DEFAULT_TABLE})",
    )
    sql.add_argument(
        "--keep",
        metavar="COLUMN",
        nargs="+",
        help="carry only these input columns (default: all of them)",
    )
    sql.add_argument("-o", "--output", metavar="FILE", help="write the query to FILE")
    sql.set_defaults(func=_cmd_sql)


def _register_models(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    models = sub.add_parser(
        "models",
        help="the model library: list, show, save, rename, archive",
        description=f"Every saved version of every model, kept in {library_path()} "
        "(set WORKBENCH_LIBRARY to use another file).",
    )
    actions = models.add_subparsers(dest="action", required=True, metavar="ACTION")

    listing = actions.add_parser("list", help="the models and their latest versions")
    listing.add_argument("--all", action="store_true", help="include archived models")
    listing.add_argument("--json", action="store_true", help="print JSON")
    listing.set_defaults(func=_cmd_models_list)

    show = actions.add_parser(
        "show",
        help="print a version's YAML (redirect it to a file to export it)",
        description="Print one version's YAML on standard output, and which version it is on "
        "standard error. With --history, list every version instead.",
    )
    show.add_argument("name", metavar="NAME")
    show.add_argument("--version", type=_version_number, metavar="N", help="default: latest")
    show.add_argument("--history", action="store_true", help="list every version")
    show.set_defaults(func=_cmd_models_show)

    save = actions.add_parser("save", help="save a model YAML file as a new version")
    save.add_argument("file", metavar="MODEL.yaml")
    save.add_argument("--name", help="library name (default: the model's own name)")
    save.add_argument("--author", default="", help="who saves it")
    save.add_argument("--note", default="", help="why: what changed, who agreed")
    save.set_defaults(func=_cmd_models_save)

    rename = actions.add_parser("rename", help="give a model another name")
    rename.add_argument("name", metavar="NAME")
    rename.add_argument("new_name", metavar="NEW_NAME")
    rename.set_defaults(func=_cmd_models_rename)

    archive = actions.add_parser("archive", help="hide a model from the list (nothing is deleted)")
    archive.add_argument("name", metavar="NAME")
    archive.add_argument("--undo", action="store_true", help="bring an archived model back")
    archive.set_defaults(func=_cmd_models_archive)


def _version_number(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a version number") from None
    if value < 1:
        raise argparse.ArgumentTypeError("versions start at 1")
    return value


# --------------------------------------------------------------------------- helpers


def load_model_arg(text: str) -> tuple[ScoringModel, str]:
    """A model from a YAML path or ``library:NAME[@N]``, and a label for it.

    Raises:
        UserError: no such file, model or version, or an invalid model.
    """
    if not text.startswith(LIBRARY_PREFIX):
        return load_model_file(text), Path(text).name
    ref = text[len(LIBRARY_PREFIX) :]
    name, version = ref, None
    if "@" in ref:
        head, tail = ref.rsplit("@", 1)
        if tail.isdigit():
            name, version = head, int(tail)
    chosen = Library().get(name, version)
    return chosen.model, f"{chosen.name} v{chosen.version}"


def _load(con: duckdb.DuckDBPyConnection, source: str) -> LoadResult:
    loaded = load_leads(con, source, "leads")
    print_notes(loaded)
    return loaded


# --------------------------------------------------------------------------- commands


def _cmd_models_list(args: argparse.Namespace) -> int:
    entries = Library().list_models(include_archived=args.all)
    if args.json:
        print(json.dumps([e.__dict__ for e in entries], ensure_ascii=False))
        return 0
    if not entries:
        print(
            f"The model library ({library_path()}) has no models yet; save one with "
            "`workbench models save MODEL.yaml`."
        )
        return 0
    for e in entries:
        flag = " (archived)" if e.archived else ""
        who = f" by {e.last_author}" if e.last_author else ""
        note = f": {e.last_note}" if e.last_note else ""
        count = "1 version" if e.versions == 1 else f"{e.versions} versions"
        print(f"{e.name}{flag}: {count}, latest {e.updated_at}{who}{note}")
    return 0


def _cmd_models_show(args: argparse.Namespace) -> int:
    library = Library()
    if args.history:
        for v in library.versions(args.name):
            who = f" by {v.author}" if v.author else ""
            note = f": {v.note}" if v.note else ""
            print(f"v{v.version}  {v.created_at}{who}{note}")
        return 0
    chosen = library.get(args.name, args.version)
    print(f"{chosen.label}{': ' + chosen.note if chosen.note else ''}", file=sys.stderr)
    sys.stdout.write(chosen.yaml)
    return 0


def _cmd_models_save(args: argparse.Namespace) -> int:
    model = load_model_file(args.file)
    saved = Library().save(model, name=args.name, author=args.author, note=args.note)
    print(f'Saved "{saved.name}" version {saved.version} in {library_path()}.')
    return 0


def _cmd_models_rename(args: argparse.Namespace) -> int:
    Library().rename(args.name, args.new_name)
    print(f'Renamed "{args.name}" to "{" ".join(args.new_name.split())}".')
    return 0


def _cmd_models_archive(args: argparse.Namespace) -> int:
    Library().archive(args.name, archived=not args.undo)
    print(f'{"Restored" if args.undo else "Archived"} "{args.name}".')
    return 0


def _cmd_diff(args: argparse.Namespace) -> int:
    old, old_label = load_model_arg(args.old)
    new, new_label = load_model_arg(args.new)
    if old_label == new_label:
        old_label, new_label = f"old ({old_label})", f"new ({new_label})"
    con = duckdb.connect()
    try:
        loaded = _load(con, args.leads)
        events, as_of = load_activity(con, args, old, new)
        comparison = compare_models(
            con,
            old,
            new,
            loaded.table,
            loaded.columns,
            outcome=args.outcome,
            positive_values=args.positive,
            events=events,
            as_of=as_of,
        )
    finally:
        con.close()
    if args.json:
        data: dict[str, Any] = comparison.to_json()
        data["old"] = {"label": old_label, **data["old"]}
        data["new"] = {"label": new_label, **data["new"]}
        print(json.dumps(data, ensure_ascii=False))
    else:
        print(format_comparison(comparison, old_label, new_label))
    return 0


def _cmd_lint(args: argparse.Namespace) -> int:
    model, label = load_model_arg(args.model)
    con = duckdb.connect()
    try:
        loaded = _load(con, args.leads)
        findings = lint_model(con, model, loaded.table, loaded.columns)
    finally:
        con.close()
    if args.json:
        print(json.dumps([f.to_json() for f in findings], ensure_ascii=False))
        return 0
    name = Path(args.leads).name
    skipped = [c.id for c in model.criteria if c.kind in ACTIVITY_KINDS]
    if skipped:
        print(
            f"Note: lint checks the criteria that read a leads column; the activity criteria "
            f"({', '.join(skipped)}) are not checked.",
            file=sys.stderr,
        )
    if not findings:
        print(
            f"No findings: {label} fits {name} ({loaded.rows:,} leads): every column is there, "
            "every criterion gives points to some leads but not nearly all, no cap is always "
            "reached and every listed category appears."
        )
        return 0
    count = "1 finding" if len(findings) == 1 else f"{len(findings)} findings"
    print(f"{label} on {name} ({loaded.rows:,} leads): {count}")
    for f in findings:
        print(f"  - {f.text}")
    return 0


def _cmd_sql(args: argparse.Namespace) -> int:
    model, _ = load_model_arg(args.model)
    text = scoring_sql(model, args.dialect, table=args.table, keep=args.keep) + ";\n"
    if args.output:
        out = Path(args.output)
        if not out.parent.is_dir():
            raise UserError(f'The folder "{out.parent}" does not exist; create it or pick another.')
        source = Path(args.model)
        if out.exists() and source.exists() and out.samefile(source):
            raise UserError(f'"{out}" is the model file; write the query to another file.')
        out.write_text(text, encoding="utf-8")
        print(f"Wrote the {args.dialect} scoring query for {args.table} to {out}.", file=sys.stderr)
    else:
        sys.stdout.write(text)
    return 0
