"""The one-page summary of an agreed model, for the people who were not in the workshop.

Two renderings of the same content: Markdown (for a wiki or an e-mail) and a self-contained,
printable HTML page (inline CSS sized for one A4/Letter page; "Print → Save as PDF" in any
browser makes the PDF). Content: what the model is for, each tier's definition and its numbers
on the data it was agreed on, every criterion with its points and the reason for it, the caps,
and the next review date (three months on by default).

Every piece of user text (names, labels, notes, category values) is escaped for the target
format, so a label like ``<script>`` or ``| pipe |`` prints as written.
"""

from __future__ import annotations

import calendar
import html
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from workbench.backtest import Backtest, summary_and_backtest
from workbench.diff import describe_rule
from workbench.model import ScoringModel, format_number
from workbench.summary import Summary

REVIEW_MONTHS = 3
_MD_SPECIAL = re.compile(r"[\\`*_{}\[\]<>#|!~$]")


def next_review(agreed: date, months: int = REVIEW_MONTHS) -> date:
    """``agreed`` plus ``months``, kept within the month (30 Nov + 3 months = 28/29 Feb).

    Args:
        agreed: the day the model was agreed.
        months: how many months until the next review.

    Returns:
        The review date.
    """
    index = agreed.month - 1 + months
    year, month = agreed.year + index // 12, index % 12 + 1
    day = min(agreed.day, calendar.monthrange(year, month)[1])
    return date(year, month, day)


# The numbers a summary shows: tier counts (and conversion), and the backtest.
numbers = summary_and_backtest


@dataclass(frozen=True)
class TierLine:
    """One tier as the summary shows it."""

    name: str
    range: str  # "80 or more", "50 to under 80", "under 50"
    count: int | None
    share: float | None
    conversion_rate: float | None


@dataclass(frozen=True)
class SummaryDoc:
    """The summary in both formats, and the dates in it."""

    markdown: str
    html: str
    agreed: date
    review: date


def tier_lines(model: ScoringModel, summary: Summary | None = None) -> list[TierLine]:
    """Each tier's score range and, with a summary, its numbers; highest tier first."""
    by_name = {t.name: t for t in summary.tiers} if summary else {}
    lines = []
    tiers = model.tiers
    for i, t in enumerate(tiers):
        upper = tiers[i + 1].min_score if i + 1 < len(tiers) else None
        if i == 0 and upper is not None:
            span = f"under {format_number(upper)}"
        elif i == 0:
            span = "every score"
        elif upper is None:
            span = f"{format_number(t.min_score)} or more"
        else:
            span = f"{format_number(t.min_score)} to under {format_number(upper)}"
        row = by_name.get(t.name)
        lines.append(
            TierLine(
                t.name,
                span,
                row.count if row else None,
                row.share if row else None,
                row.conversion_rate if row else None,
            )
        )
    return list(reversed(lines))


def build_summary(
    model: ScoringModel,
    summary: Summary | None = None,
    *,
    backtest: Backtest | None = None,
    data_label: str | None = None,
    version_label: str | None = None,
    agreed: date | None = None,
    review: date | None = None,
) -> SummaryDoc:
    """The one-page summary of ``model`` in Markdown and printable HTML.

    Args:
        model: the agreed model.
        summary: its tier counts (and conversion) on the data it was agreed on.
        backtest: its backtest on that data, for the AUC and the top-10 % capture.
        data_label: what the data was ("3,000 leads from crm-2026-q4.csv").
        version_label: where the model is kept ("B2B inbound v3 in the model library").
        agreed: the day it was agreed (default today).
        review: the next review (default three months after ``agreed``).

    Returns:
        The :class:`SummaryDoc`.
    """
    agreed = agreed or date.today()
    review = review or next_review(agreed)
    return SummaryDoc(
        markdown=_markdown(model, summary, backtest, data_label, version_label, agreed, review),
        html=_html(model, summary, backtest, data_label, version_label, agreed, review),
        agreed=agreed,
        review=review,
    )


# --------------------------------------------------------------------------- shared pieces


def _pct(x: float | None) -> str:
    return "–" if x is None else f"{x:.1%}"


def _count(x: int | None) -> str:
    return "–" if x is None else f"{x:,}"


def _facts(
    summary: Summary | None,
    backtest: Backtest | None,
    data_label: str | None,
) -> list[str]:
    """The numbers behind the model, as short sentences."""
    facts = []
    if summary is not None:
        where = f" ({data_label})" if data_label else ""
        line = f"Scored on {summary.leads:,} leads{where}."
        if summary.converted is not None and summary.leads:
            line += (
                f" {summary.converted:,} converted ({summary.converted / summary.leads:.1%} "
                "overall)."
            )
        facts.append(line)
    elif data_label:
        facts.append(f"Data: {data_label}.")
    if backtest is not None:
        if backtest.auc is not None:
            facts.append(
                f"AUC {backtest.auc:.2f}: the chance that a converted lead scores above one "
                "that did not."
            )
        top = next((t for t in backtest.top if t.capture is not None), None)
        if top is not None and top.capture is not None:
            facts.append(
                f"The top {top.percent}% of leads by score hold {top.capture:.0%} of the "
                "conversions."
            )
    return facts


def _caps(model: ScoringModel) -> str:
    parts = [f"{g} at most {format_number(c.max_points)} points" for g, c in model.groups.items()]
    scale = f"The score is kept between {format_number(model.scale.min)} and "
    scale += f"{format_number(model.scale.max)}"
    return scale + (f"; {', '.join(parts)}." if parts else ".")


# --------------------------------------------------------------------------- Markdown


def md_escape(text: object) -> str:
    """User text made inert in Markdown (and in table cells): one line, specials escaped."""
    return _MD_SPECIAL.sub(lambda m: "\\" + m.group(0), " ".join(str(text).split()))


def _md_table(header: Sequence[str], rows: Sequence[Sequence[str]]) -> list[str]:
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join("---" for _ in header) + "|"]
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    return lines


def _markdown(
    model: ScoringModel,
    summary: Summary | None,
    backtest: Backtest | None,
    data_label: str | None,
    version_label: str | None,
    agreed: date,
    review: date,
) -> str:
    out = [f"# {md_escape(model.name)}", ""]
    if model.description:
        out += [md_escape(model.description), ""]
    meta = f"Agreed on **{agreed.isoformat()}** · next review **{review.isoformat()}**"
    if version_label:
        meta += f" · {md_escape(version_label)}"
    out += [meta, "", "## Tiers", ""]
    with_conv = summary is not None and summary.converted is not None
    header = ["Tier", "Score", "Leads", "Share"] + (["Conversion"] if with_conv else [])
    rows = []
    for t in tier_lines(model, summary):
        row = [f"**{md_escape(t.name)}**", t.range, _count(t.count), _pct(t.share)]
        if with_conv:
            row.append(_pct(t.conversion_rate))
        rows.append(row)
    out += _md_table(header, rows)
    out += ["", "## Criteria and points", ""]
    crit_rows = [
        [md_escape(c.title), c.group, md_escape(describe_rule(c)), md_escape(c.note or "")]
        for c in model.criteria
    ]
    if crit_rows:
        out += _md_table(["Criterion", "Group", "Rule and points", "Why"], crit_rows)
    else:
        out.append("No criteria: every lead gets the same score.")
    out += ["", md_escape(_caps(model)), ""]
    facts = _facts(summary, backtest, data_label)
    if facts:
        out += ["## The numbers behind it", ""] + [f"- {md_escape(f)}" for f in facts] + [""]
    out.append(f"*Next review: {review.isoformat()}: check the tiers and criteria on fresh data.*")
    return "\n".join(out) + "\n"


# --------------------------------------------------------------------------- HTML

_CSS = """
@page { size: A4; margin: 14mm; }
* { box-sizing: border-box; }
body { font: 10.5pt/1.35 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif;
  color: #1b1f24; max-width: 190mm; margin: 0 auto; padding: 8mm 0; }
h1 { font-size: 18pt; margin: 0 0 2mm; }
h2 { font-size: 12pt; margin: 5mm 0 1.5mm; border-bottom: 1px solid #ccd; }
p { margin: 1mm 0; }
.meta { color: #444; }
table { width: 100%; border-collapse: collapse; margin: 1mm 0; }
th, td { text-align: left; vertical-align: top; padding: 1mm 1.5mm;
  border-bottom: 1px solid #e3e6ea; }
th { background: #f3f5f7; font-weight: 600; }
td.n { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
.note { color: #555; font-size: 9.5pt; }
.review { margin-top: 4mm; padding: 2mm 3mm; background: #fff8e1; border: 1px solid #f0d98c; }
@media print { body { padding: 0; } h2, tr { break-inside: avoid; } }
"""


def _html(
    model: ScoringModel,
    summary: Summary | None,
    backtest: Backtest | None,
    data_label: str | None,
    version_label: str | None,
    agreed: date,
    review: date,
) -> str:
    e = html.escape
    parts = [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        f"<title>{e(model.name)}: lead scoring model</title>",
        f"<style>{_CSS}</style></head><body>",
        f"<h1>{e(model.name)}</h1>",
    ]
    if model.description:
        parts.append(f"<p>{e(model.description)}</p>")
    meta = f"Agreed on <b>{agreed.isoformat()}</b> · next review <b>{review.isoformat()}</b>"
    if version_label:
        meta += f" · {e(version_label)}"
    parts.append(f'<p class="meta">{meta}</p>')

    with_conv = summary is not None and summary.converted is not None
    parts.append("<h2>Tiers</h2><table><thead><tr><th>Tier</th><th>Score</th>")
    parts.append('<th class="n">Leads</th><th class="n">Share</th>')
    if with_conv:
        parts.append('<th class="n">Conversion</th>')
    parts.append("</tr></thead><tbody>")
    for t in tier_lines(model, summary):
        cells = f"<td><b>{e(t.name)}</b></td><td>{e(t.range)}</td>"
        cells += f'<td class="n">{_count(t.count)}</td><td class="n">{_pct(t.share)}</td>'
        if with_conv:
            cells += f'<td class="n">{_pct(t.conversion_rate)}</td>'
        parts.append(f"<tr>{cells}</tr>")
    parts.append("</tbody></table>")

    parts.append("<h2>Criteria and points</h2>")
    if model.criteria:
        parts.append(
            "<table><thead><tr><th>Criterion</th><th>Group</th><th>Rule and points</th>"
            "</tr></thead><tbody>"
        )
        for c in model.criteria:
            note = f'<div class="note">{e(c.note)}</div>' if c.note else ""
            parts.append(
                f"<tr><td><b>{e(c.title)}</b>{note}</td><td>{e(c.group)}</td>"
                f"<td>{e(describe_rule(c))}</td></tr>"
            )
        parts.append("</tbody></table>")
    else:
        parts.append("<p>No criteria: every lead gets the same score.</p>")
    parts.append(f"<p>{e(_caps(model))}</p>")
    facts = _facts(summary, backtest, data_label)
    if facts:
        parts.append("<h2>The numbers behind it</h2><ul>")
        parts += [f"<li>{e(f)}</li>" for f in facts]
        parts.append("</ul>")
    parts.append(
        f'<p class="review">Next review: <b>{review.isoformat()}</b>. Check the tiers and '
        "criteria on fresh data, and save the result as a new version.</p>"
    )
    parts.append("</body></html>")
    return "\n".join(parts) + "\n"
