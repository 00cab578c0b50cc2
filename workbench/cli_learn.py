"""Command-line sub-commands that learn from history: ``suggest`` and ``signals``.

``workbench suggest LEADS --outcome COL [-o model.yaml]`` fits points to the outcomes and
writes a model file (checked by reading it back); ``workbench signals LEADS --outcome COL``
prints which columns go with conversion, and flags suspected leakage. Both print their
findings on standard error, so standard output holds only the YAML (or JSON).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

import duckdb

from workbench.backtest import Backtest, evaluate
from workbench.cli_common import add_activity_args, add_outcome_args, load_activity, print_notes
from workbench.errors import UserError
from workbench.loading import load_leads
from workbench.model import ScoringModel, Tier
from workbench.model_file import dump_model_yaml, load_model_file, load_model_text
from workbench.profile import profile_table
from workbench.roles import guess_roles
from workbench.signals import SignalReport, find_signals
from workbench.suggest import Suggestion, suggest_points
from workbench.thresholds import threshold_for_share

TABLE = "leads"
LEADS_HELP = "lead file with outcomes: CSV (any common separator and encoding), .xlsx or Parquet"
# A new model's tiers: hot for the top 10 % of scores, warm for the next 20 %.
NEW_TIERS = (("warm", 0.30), ("hot", 0.10))


def register(sub: Any) -> None:
    """Add ``suggest`` and ``signals`` to the command line's sub-commands.

    Args:
        sub: the ``add_subparsers()`` object of :func:`workbench.cli.build_parser`.
    """
    suggest = sub.add_parser(
        "suggest",
        help="fit points to past outcomes and write a model file",
        description="Fit a transparent model (logistic regression on each criterion's levels) "
        "to the outcomes in LEADS and turn it into round points on the model's scale. Without "
        "--model, criteria are proposed for every column with a clear signal (never for "
        "columns suspected of leakage) and tiers are set at the top 10 %% (hot) and the next "
        "20 %% (warm). The model file goes to OUT, or to standard output.",
    )
    suggest.add_argument("leads", metavar="LEADS", help=LEADS_HELP)
    add_outcome_args(suggest, required=True)
    suggest.add_argument(
        "--model", metavar="MODEL", help="start from this model: suggest points for its criteria"
    )
    suggest.add_argument(
        "--date",
        metavar="COLUMN",
        help="date column: fit on the older leads, check on the most recent quarter",
    )
    suggest.add_argument(
        "--exclude", metavar="COLUMN", nargs="+", default=[], help="columns never to use"
    )
    suggest.add_argument(
        "--no-new", action="store_true", help="only re-weigh the model's own criteria"
    )
    suggest.add_argument("-o", "--output", metavar="OUT", help="model YAML file to write")
    add_activity_args(suggest)
    suggest.set_defaults(func=cmd_suggest)

    signals = sub.add_parser(
        "signals",
        help="rank the columns by how strongly they go with conversion",
        description="For each usable column, the conversion rate of each value or band with a "
        "95 %% interval, its lift, and the column's information value; columns suspected of "
        "leakage are flagged.",
    )
    signals.add_argument("leads", metavar="LEADS", help=LEADS_HELP)
    add_outcome_args(signals, required=True)
    signals.add_argument(
        "--exclude", metavar="COLUMN", nargs="+", default=[], help="columns to leave out"
    )
    signals.add_argument("--json", action="store_true", help="print one JSON object")
    signals.set_defaults(func=cmd_signals)


# --------------------------------------------------------------------------- commands


def cmd_suggest(args: argparse.Namespace) -> int:
    """Run ``workbench suggest``."""
    base = load_model_file(args.model) if args.model else None
    if args.output:
        out = Path(args.output)
        for given in (args.leads, args.model):
            if given and Path(given).exists() and out.exists() and out.samefile(given):
                raise UserError(f'The output "{out}" is an input file; write to another file.')
    con = duckdb.connect()
    try:
        loaded = load_leads(con, args.leads, TABLE)
        events, as_of = load_activity(con, args, base) if base else (None, None)
        profiles = profile_table(con, TABLE)
        roles = guess_roles(profiles, loaded.rows)
        skip = [*args.exclude, *([roles.id_column] if roles.id_column else [])]
        model = base or ScoringModel(
            name=f"Suggested from {Path(args.leads).name}",
            tiers=[
                Tier(name="cold", min_score=0),
                Tier(name="warm", min_score=50),
                Tier(name="hot", min_score=80),
            ],
        )
        suggestion = suggest_points(
            con,
            model,
            TABLE,
            profiles,
            outcome=args.outcome,
            positive_values=args.positive,
            skip=skip,
            date_column=args.date,
            add_new=not args.no_new,
            events=events,
            as_of=as_of,
        )
    finally:
        con.close()
    result = suggestion.model
    check = suggestion.suggested
    if base is None:
        result = retier(result, suggestion.suggested)
        check = evaluate(suggestion.suggested.counts, result)
    result = result.model_copy(update={"description": _description(args, suggestion, check)})
    text = dump_model_yaml(result)
    load_model_text(text, source="the suggested model")  # never write a file we cannot read
    if args.output:
        Path(args.output).write_text(text, encoding="utf-8")
        load_model_file(args.output)
    else:
        sys.stdout.write(text)
    print_notes(loaded)
    print(format_suggestion(suggestion, check), file=sys.stderr)
    if args.output:
        print(f"Wrote the suggested model to {args.output}.", file=sys.stderr)
    return 0


def cmd_signals(args: argparse.Namespace) -> int:
    """Run ``workbench signals``."""
    con = duckdb.connect()
    try:
        loaded = load_leads(con, args.leads, TABLE)
        profiles = profile_table(con, TABLE)
        roles = guess_roles(profiles, loaded.rows)
        skip = [*args.exclude, *([roles.id_column] if roles.id_column else [])]
        report = find_signals(
            con,
            TABLE,
            profiles,
            outcome=args.outcome,
            positive_values=args.positive,
            skip=skip,
        )
    finally:
        con.close()
    print_notes(loaded)
    if args.json:
        print(json.dumps(signals_json(report), ensure_ascii=False))
    else:
        print(format_signals(report))
    return 0


# --------------------------------------------------------------------------- helpers


def retier(model: ScoringModel, result: Backtest) -> ScoringModel:
    """The model with tiers at the top 10 % (hot) and the next 20 % (warm) of its scores.

    A tier whose threshold would not sit above the one below (many tied scores) is left out.
    """
    tiers = [Tier(name="cold", min_score=model.scale.min)]
    for name, share in NEW_TIERS:
        choice = threshold_for_share(result.counts, share)
        if choice.threshold is not None and choice.threshold > tiers[-1].min_score:
            tiers.append(Tier(name=name, min_score=choice.threshold))
    return model.model_copy(update={"tiers": tiers})


def _description(args: argparse.Namespace, s: Suggestion, check: Backtest) -> str:
    source = Path(args.leads).name
    text = (
        f"Points suggested by `workbench suggest` from {source} ({check.leads:,} leads, "
        f"{check.converted:,} converted)."
    )
    if check.auc is not None:
        text += f" AUC on those leads: {check.auc:.2f}."
    if s.check_suggested is not None and s.check_suggested.auc is not None:
        text += f" Fitted on older leads; AUC on the {s.check_period}: {s.check_suggested.auc:.2f}."
    return text + " Check every criterion before using it."


def format_suggestion(s: Suggestion, check: Backtest) -> str:
    """The findings of ``suggest`` as lines of text."""
    lines = [f"Fitted on {s.fitted_on:,} leads."]
    for c in s.criteria:
        parts = ", ".join(
            f"{lv.label} {_pts(lv.current)}→{_pts(lv.suggested)}"
            if lv.current is not None
            else f"{lv.label} {_pts(lv.suggested)}"
            for lv in c.levels
            if lv.path is not None
        )
        lines.append(f"  {'new ' if c.is_new else ''}{c.id}: {parts}")
    if s.current is not None:
        lines.append(f"Current model: {s.current.headline()}")
    lines.append(f"Suggested model: {check.headline()}")
    if s.check_suggested is not None:
        now = s.check_current.auc if s.check_current is not None else None
        lines.append(
            f"On the {s.check_period}, which the fit did not see: AUC "
            f"{_auc(s.check_suggested.auc)}" + (f" (current model {_auc(now)})" if now else "")
        )
    for column, reason in s.left_out:
        lines.append(f"Left out {column}: {reason}.")
    lines += [f"Note: {n}" for n in s.notes]
    lines += [f"Warning: {w}" for w in check.warnings]
    return "\n".join(lines)


def format_signals(report: SignalReport) -> str:
    """The ranked signals as lines of text."""
    base = report.base_rate
    lines = [
        f"{report.leads:,} leads, {report.converted:,} converted"
        + (f" ({base:.1%})." if base is not None else ".")
    ]
    width = max((len(s.column) for s in report.signals), default=6)
    for s in report.signals:
        flag = (
            "  LEAKAGE?"
            if s.suspected_leak
            else ("  (could be chance)" if s.could_be_chance else "")
        )
        lines.append(
            f"  {s.column:<{width}}  IV {s.iv:6.3f}  {s.strength:<11}  {s.summary()}{flag}"
        )
    for s in report.leaks:
        lines.append(f"Suspected leakage in {s.column}: {'; '.join(s.leakage)}.")
    lines += [f"Warning: {w}" for w in report.warnings]
    return "\n".join(lines)


def signals_json(report: SignalReport) -> dict[str, Any]:
    """The ranked signals as one JSON-able dict."""
    return {
        "leads": report.leads,
        "converted": report.converted,
        "signals": [
            {
                "column": s.column,
                "kind": s.kind,
                "iv": round(s.iv, 4),
                "strength": s.strength,
                "p_value": s.p_value,
                "leakage": s.leakage,
                "levels": [
                    {
                        "level": lv.label,
                        "leads": lv.leads,
                        "converted": lv.converted,
                        "conversion_rate": round(lv.rate, 4),
                        "low": round(lv.low, 4),
                        "high": round(lv.high, 4),
                        "lift": None if lv.lift is None else round(lv.lift, 3),
                    }
                    for lv in s.levels
                ],
            }
            for s in report.signals
        ],
        "warnings": report.warnings,
    }


def _pts(x: float | None) -> str:
    if x is None:
        return "-"
    return str(int(x)) if float(x).is_integer() else f"{x:g}"


def _auc(x: float | None) -> str:
    return "-" if x is None else f"{x:.2f}"
