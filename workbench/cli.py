"""The ``workbench`` command line: score a lead file, report on it, validate a model.

Exit status 0 on success, 1 for a problem the user can fix (one readable message on standard
error, never a traceback), 2 for wrong usage (argparse's own message).
"""

from __future__ import annotations

import argparse
import json
import math
import os
import shutil
import sys
import tempfile
from collections.abc import Sequence
from importlib import metadata
from pathlib import Path

import duckdb

from workbench import cli_learn, cli_review
from workbench.backtest import add_to_report, backtest
from workbench.cli_common import (
    LEADS_HELP,
    add_activity_args,
    add_outcome_args,
    load_activity,
    print_notes,
)
from workbench.errors import UserError
from workbench.loading import LoadResult, load_leads
from workbench.model import ScoringModel, format_number
from workbench.model_file import load_model_file
from workbench.placeholders import merge_options, parse_option
from workbench.scoring import check_output_path, validate_against_data, write_scored
from workbench.summary import DEFAULT_POSITIVE, Summary, default_bin_width, summarize

PROG = "workbench"
TABLE = "leads"
# More bars than this is a typo in --bin-width (0.01 on a 0-100 scale), not a histogram.
MAX_BINS = 1000
BAR_WIDTH = 40


def _version() -> str:
    try:
        return metadata.version("lead-scoring-workbench")
    except metadata.PackageNotFoundError:  # running from a source tree that was never installed
        return "unknown"


def _positive_width(text: str) -> float:
    """argparse type for --bin-width: a positive, finite number."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number") from None
    if not math.isfinite(value) or value <= 0:
        raise argparse.ArgumentTypeError(f"{text!r} must be a number above 0")
    return value


def build_parser() -> argparse.ArgumentParser:
    """The argument parser for all sub-commands.

    Returns:
        The parser; each sub-command sets ``func`` to the function that runs it.
    """
    parser = argparse.ArgumentParser(
        prog=PROG,
        description="Score leads with a lead scoring model file, report on the result, or "
        "check a model against a lead file.",
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {_version()}")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    score = sub.add_parser(
        "score",
        help="write every lead with its score, tier and points per criterion",
        description="Write every lead with score, tier and one points__<criterion id> column "
        "per criterion: CSV, or Parquet when OUT ends in .parquet. Without -o, CSV goes to "
        "standard output.",
    )
    score.add_argument("model", metavar="MODEL", help="model YAML file")
    score.add_argument("leads", metavar="LEADS", help=LEADS_HELP)
    score.add_argument("-o", "--output", metavar="OUT", help="output file (.csv or .parquet)")
    add_activity_args(score)
    _add_placeholder_args(score)
    score.set_defaults(func=_cmd_score)

    report = sub.add_parser(
        "report",
        help="lead count, tiers, histogram and score statistics",
        description="Print the lead count, each tier's count and share (and conversion rate "
        "with --outcome), a histogram of scores and summary statistics.",
    )
    report.add_argument("model", metavar="MODEL", help="model YAML file")
    report.add_argument("leads", metavar="LEADS", help=LEADS_HELP)
    add_outcome_args(report)
    report.add_argument(
        "--bin-width",
        metavar="W",
        type=_positive_width,
        help="histogram bar width in score points (default: twenty bars across the scale)",
    )
    report.add_argument("--json", action="store_true", help="print one JSON object")
    add_activity_args(report)
    _add_placeholder_args(report)
    report.set_defaults(func=_cmd_report)

    validate = sub.add_parser(
        "validate",
        help="check a model file, and optionally that it fits a lead file",
        description="Check the model file; with LEADS, also that every criterion's column "
        "exists and holds values the criterion can use.",
    )
    validate.add_argument("model", metavar="MODEL", help="model YAML file")
    validate.add_argument("leads", metavar="LEADS", nargs="?", help=LEADS_HELP)
    add_activity_args(validate)
    _add_placeholder_args(validate)
    validate.set_defaults(func=_cmd_validate)
    cli_learn.register(sub)
    cli_review.register(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line.

    Args:
        argv: the arguments after the program name; ``None`` reads ``sys.argv``.

    Returns:
        The exit status: 0 success, 1 user error, 2 wrong usage.
    """
    _tolerant_streams()
    parser = build_parser()
    try:
        args = parser.parse_args(None if argv is None else list(argv))
    except SystemExit as e:  # usage errors (2), --help and --version (0)
        return e.code if isinstance(e.code, int) else 2
    if getattr(args, "positive", None) and not args.outcome:
        parser.error("--positive needs --outcome COLUMN")  # exits with status 2
    try:
        status: int = args.func(args)
        return status
    except UserError as e:
        return _fail(str(e))
    except duckdb.Error as e:
        # The core turns expected problems into UserError; this is the net for the rest.
        return _fail(f"The leads could not be processed ({_first_line(e)}).")
    except BrokenPipeError:
        # The reader went away (e.g. `| head`): stop quietly, as other command-line tools do.
        _silence_stdout()
        return 1
    except OSError as e:
        where = f' "{e.filename}"' if e.filename else ""
        return _fail(f"Could not read or write{where}: {e.strerror or e}.")
    except KeyboardInterrupt:
        return 130


# --------------------------------------------------------------------------- commands


def _cmd_score(args: argparse.Namespace) -> int:
    model = load_model_file(args.model)
    if args.output:
        check_output_path(args.output)
        _refuse_overwrite(Path(args.output), {"model": args.model, "lead": args.leads})
    con = duckdb.connect()
    try:
        loaded = _load(con, args.leads, args.placeholders)
        events, as_of = load_activity(con, args, model)
        if args.output:
            rows = write_scored(
                con, model, loaded.table, loaded.columns, args.output, events=events, as_of=as_of
            )
            print_notes(loaded)
            print(f"Wrote {rows:,} scored leads to {args.output}.", file=sys.stderr)
            return 0
        with tempfile.TemporaryDirectory(prefix="workbench-score-") as tmp:
            path = Path(tmp) / "scored.csv"
            write_scored(con, model, loaded.table, loaded.columns, path, events=events, as_of=as_of)
            sys.stdout.flush()
            with path.open("rb") as f:
                shutil.copyfileobj(f, sys.stdout.buffer)
            sys.stdout.buffer.flush()
        print_notes(loaded)
        return 0
    finally:
        con.close()


def _cmd_report(args: argparse.Namespace) -> int:
    model = load_model_file(args.model)
    width = args.bin_width or default_bin_width(model)
    span = model.scale.max - model.scale.min
    if span / width > MAX_BINS:
        raise UserError(
            f"A bin width of {format_number(width)} makes {math.ceil(span / width):,} bars on "
            f"this {format_number(span)}-point scale; use a width of at least "
            f"{format_number(span / MAX_BINS)}."
        )
    con = duckdb.connect()
    try:
        loaded = _load(con, args.leads, args.placeholders)
        events, as_of = load_activity(con, args, model)
        summary = summarize(
            con,
            model,
            loaded.table,
            loaded.columns,
            outcome=args.outcome,
            positive_values=args.positive,
            bin_width=width,
            events=events,
            as_of=as_of,
        )
        learned = None
        if args.outcome and args.json:  # lift, capture, top k % and AUC (workbench.backtest)
            learned = backtest(
                con,
                model,
                loaded.table,
                loaded.columns,
                outcome=args.outcome,
                positive_values=args.positive,
                events=events,
                as_of=as_of,
            )
    finally:
        con.close()
    print_notes(loaded)
    if args.outcome and summary.leads and not summary.converted:
        values = ", ".join(args.positive or DEFAULT_POSITIVE[:6])
        print(
            f'Note: no lead has a value in "{args.outcome}" that means converted ({values}…); '
            "name the right values with --positive.",
            file=sys.stderr,
        )
    if args.json:
        print(json.dumps(add_to_report(summary.to_json(), learned), ensure_ascii=False))
    else:
        print(format_report(model, summary, Path(args.leads).name))
    return 0


def _cmd_validate(args: argparse.Namespace) -> int:
    model = load_model_file(args.model)
    if args.leads is None:
        print(f"OK: {args.model} is a valid model ({_describe_model(model)}).")
        return 0
    con = duckdb.connect()
    try:
        loaded = _load(con, args.leads, args.placeholders)
        problems = validate_against_data(con, model, loaded.table, loaded.columns)
        if getattr(args, "events", None):
            load_activity(con, args, model)  # a time column that cannot be read is a UserError
    finally:
        con.close()
    name = Path(args.leads).name
    if problems:
        count = "1 problem" if len(problems) == 1 else f"{len(problems)} problems"
        lines = [f'The model "{model.name}" does not fit {name} ({count}):']
        lines += [f"  - {p}" for p in problems]
        print("\n".join(lines), file=sys.stderr)
        return 1
    print_notes(loaded)
    print(
        f'OK: the model "{model.name}" fits {name}: every criterion\'s column exists and holds '
        f"values it can use ({loaded.rows:,} leads; {_describe_model(model)})."
    )
    return 0


# --------------------------------------------------------------------------- helpers


def _load(
    con: duckdb.DuckDBPyConnection,
    source: str,
    placeholders: list[tuple[str, list[str]]] | None = None,
) -> LoadResult:
    """Load the lead file into the in-memory table (``--placeholders`` per column)."""
    chosen = merge_options(placeholders)
    loaded = load_leads(con, source, TABLE, placeholders=chosen)
    unknown = [c for c in chosen if c not in loaded.columns]
    if unknown:  # a typo would otherwise go unnoticed
        raise UserError(
            f'--placeholders names the column "{unknown[0]}", which {Path(source).name} does '
            "not have; check the spelling (names are case-sensitive)."
        )
    return loaded


def _placeholder_option(text: str) -> tuple[str, list[str]]:
    """argparse type for --placeholders: COLUMN=VALUE[,VALUE...]."""
    try:
        return parse_option(text)
    except ValueError as e:
        raise argparse.ArgumentTypeError(str(e)) from None


def _add_placeholder_args(parser: argparse.ArgumentParser) -> None:
    """``--placeholders COLUMN=VALUE[,VALUE...]``, repeatable (workbench.placeholders)."""
    parser.add_argument(
        "--placeholders",
        metavar="COLUMN=VALUE[,VALUE...]",
        type=_placeholder_option,
        action="append",
        help="values that mean 'not answered' in COLUMN, instead of the usual list (Select, "
        "unknown, -, N/A, ...); COLUMN= keeps every value; repeat for more columns",
    )


def _refuse_overwrite(out: Path, inputs: dict[str, str]) -> None:
    """Refuse an output path that is one of the input files (a typo would destroy it)."""
    for what, given in inputs.items():
        src = Path(given)
        if src.exists() and out.exists() and os.path.samefile(src, out):
            raise UserError(
                f'The output "{out}" is the {what} file; write the scored leads to another file.'
            )


def _describe_model(model: ScoringModel) -> str:
    """'8 criteria; tiers cold from 0, warm from 50, hot from 80'."""
    n = len(model.criteria)
    crit = "1 criterion" if n == 1 else f"{n} criteria"
    tiers = ", ".join(f"{t.name} from {format_number(t.min_score)}" for t in model.tiers)
    return f"{crit}; tiers {tiers}"


def format_report(model: ScoringModel, summary: Summary, source: str) -> str:
    """The plain-text report: tier table, histogram and score statistics.

    Args:
        model: the model that scored the leads.
        summary: what :func:`workbench.summary.summarize` returned.
        source: the lead file's name, for the heading.

    Returns:
        Lines of text, without a trailing newline.
    """
    with_outcome = summary.converted is not None
    header = ["Tier", "From", "Leads", "Share"] + (["Converted", "Rate"] if with_outcome else [])
    rows: list[list[str]] = []
    for t in summary.tiers:
        row = [t.name, format_number(t.min_score), f"{t.count:,}", f"{t.share:.1%}"]
        if with_outcome:
            row += [f"{t.converted or 0:,}", _rate(t.conversion_rate)]
        rows.append(row)
    total = ["All", "", f"{summary.leads:,}", "100.0%" if summary.leads else "-"]
    if with_outcome:
        rate = summary.converted / summary.leads if summary.leads and summary.converted else None
        total += [f"{summary.converted or 0:,}", _rate(rate if summary.leads else None)]
    table = _align([header, *rows, total])

    lines = [f'Model "{model.name}" on {source}: {summary.leads:,} leads', ""]
    lines += table
    lines += ["", "Scores"]
    labels = [f"{format_number(b.start)}-{format_number(b.end)}" for b in summary.histogram]
    label_width = max((len(s) for s in labels), default=0)
    count_width = max((len(f"{b.count:,}") for b in summary.histogram), default=0)
    peak = max((b.count for b in summary.histogram), default=0)
    for label, b in zip(labels, summary.histogram, strict=True):
        # A non-empty bar shows at least one mark, so small tiers never look empty.
        bar = "#" * max(1 if b.count else 0, round(BAR_WIDTH * b.count / peak) if peak else 0)
        lines.append(f"  {label:>{label_width}}  {b.count:>{count_width},}  {bar}")
    lines.append("")
    lines.append(
        f"Score: mean {_stat(summary.mean)}, median {_stat(summary.median)}, "
        f"p90 {_stat(summary.p90)} (min {_stat(summary.minimum)}, max {_stat(summary.maximum)})"
    )
    return "\n".join(lines)


def _align(table: list[list[str]]) -> list[str]:
    """Columns padded to a common width: the first left-aligned, the others right-aligned."""
    widths = [max(len(row[i]) for row in table) for i in range(len(table[0]))]
    out = []
    for row in table:
        cells = [
            cell.ljust(w) if i == 0 else cell.rjust(w)
            for i, (cell, w) in enumerate(zip(row, widths, strict=True))
        ]
        out.append("  ".join(cells).rstrip())
    return out


def _rate(x: float | None) -> str:
    return "-" if x is None else f"{x:.1%}"


def _stat(x: float | None) -> str:
    return "-" if x is None else format_number(round(x, 2))


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return (text[0] if text else type(exc).__name__).rstrip(".")


def _fail(message: str) -> int:
    print(message, file=sys.stderr)
    return 1


def _tolerant_streams() -> None:
    """Never crash on a character the console cannot show (e.g. a Windows code page)."""
    for stream in (sys.stdout, sys.stderr):
        reconfigure = getattr(stream, "reconfigure", None)
        if reconfigure is not None:
            reconfigure(errors="replace")


def _silence_stdout() -> None:
    """Point stdout at devnull so the interpreter's final flush raises nothing more."""
    devnull = os.open(os.devnull, os.O_WRONLY)
    try:
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError):
        pass
    finally:
        os.close(devnull)


if __name__ == "__main__":
    raise SystemExit(main())
