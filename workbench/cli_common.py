"""Helpers shared by the ``workbench`` sub-commands (cli, cli_learn, cli_review).

Kept apart from :mod:`workbench.cli`, which imports the other command modules, so that they
can import these at module level without an import cycle.
"""

from __future__ import annotations

import argparse
import datetime
import sys

import duckdb

from workbench.errors import UserError
from workbench.loading import LoadResult
from workbench.model import ACTIVITY_KINDS, ScoringModel
from workbench.summary import DEFAULT_POSITIVE

LEADS_HELP = "lead file: CSV (any common separator and encoding), Excel .xlsx or Parquet"


def add_outcome_args(parser: argparse.ArgumentParser, *, required: bool = False) -> None:
    """``--outcome COLUMN`` and ``--positive VALUE...`` (the values that mean converted)."""
    parser.add_argument(
        "--outcome",
        metavar="COLUMN",
        required=required,
        help="column that says whether a lead converted",
    )
    parser.add_argument(
        "--positive",
        metavar="VALUE",
        nargs="+",
        help="values of --outcome that mean converted (default: "
        + ", ".join(DEFAULT_POSITIVE[:6])
        + "…)",
    )


def add_activity_args(parser: argparse.ArgumentParser) -> None:
    """``--events``, ``--events-map`` and ``--as-of`` (activity criteria, workbench.activity)."""
    parser.add_argument(
        "--events", metavar="FILE", help="activity log (lead id, activity, time[, detail])"
    )
    parser.add_argument(
        "--events-map",
        metavar="MAP",
        help="the activity log's columns: lead=COL,activity=COL,time=COL[,detail=COL] "
        "(default: guessed from the column names)",
    )
    parser.add_argument(
        "--as-of", metavar="DATE", help="score activity as of this day, YYYY-MM-DD (default today)"
    )


def load_activity(
    con: duckdb.DuckDBPyConnection, args: argparse.Namespace, *models: ScoringModel
) -> tuple[str | None, datetime.date | None]:
    """Load ``--events`` into the events table; the table name (or None) and ``--as-of``.

    Raises:
        UserError: one of ``models`` has activity criteria and no ``--events`` was given.
    """
    from workbench import activity

    as_of = activity.parse_as_of(getattr(args, "as_of", None))
    path = getattr(args, "events", None)
    if not path:
        needs = [c.id for m in models for c in m.criteria if c.kind in ACTIVITY_KINDS]
        if needs:
            raise UserError(
                f"The model has activity criteria ({', '.join(dict.fromkeys(needs))}): give "
                "the activity log with --events FILE (and the scoring day with --as-of "
                "YYYY-MM-DD)."
            )
        return None, as_of
    if args.events_map:
        mapping = activity.parse_mapping(args.events_map)
        activity.load_event_file(con, path)
    else:  # propose one from the column names
        guess = activity.guess_mapping(activity.load_event_file(con, path))
        if not (guess["lead"] and guess["activity"] and guess["time"]):
            raise UserError(
                "Name the activity log's columns with --events-map "
                "lead=COL,activity=COL,time=COL[,detail=COL]."
            )
        mapping = activity.EventMapping(
            guess["lead"], guess["activity"], guess["time"], guess["detail"]
        )
    result = activity.map_events(con, mapping)
    for note in result.notes:
        print(note, file=sys.stderr)
    return result.table, as_of


def print_notes(loaded: LoadResult) -> None:
    """What loading detected, on stderr."""
    for note in loaded.notes:
        print(f"Note: {note}", file=sys.stderr)
