"""Streamlit widgets for editing criteria: the editors and settings blocks of the Criteria page.

Glue next to the pages (like ``app_support``), kept out of ``pages/`` so that Streamlit does
not list it as a page. Every widget keeps the key and label the tests address it by.
"""

from collections.abc import Callable, Sequence
from typing import Any

import streamlit as st

import app_support as app
from workbench import edits
from workbench.edits import parse_domains
from workbench.errors import UserError
from workbench.model import ACTIVITY_KINDS, ActivityCriterion, ScoringModel
from workbench.model import format_number as num

DECAY_NAMES = {
    "none": "no decay",
    "half_life_days": "half-life (days)",
    "linear_percent_per_month": "linear (% lost per 30 days)",
    "expire_after_days": "expire after (days)",
}
KIND_NAMES = {
    None: "what the app suggests",
    "flag": "yes/no flag",
    "number": "number bands",
    "category": "category values",
    "email": "free e-mail domain",
}
ACTIVITY_KIND_NAMES = {"activity_count": "how often (count)", "recency": "days since last"}
COUNT_RULE_NAMES = {"at_least": "once at least N times", "points_each": "per time"}
UNLIKELY_KINDS = {"id", "text", "date", "empty"}  # the app proposes nothing for these
NUMBER: dict[str, Any] = {"step": 1.0, "format": "%g"}


def apply(edit: Callable[..., dict[str, Any]], *args: Any) -> None:
    """Commit ``edit(model, *args)``; a refused edit is flashed (callbacks run before drawing)."""
    try:
        app.commit(edit(app.model_dict(), *args))
    except UserError as e:
        app.flash(str(e))


def synced(key: str, wanted: object) -> str:
    """Show the model's value in a widget that is not bound to one path (as app.bind does)."""
    ss = st.session_state
    if key not in ss or ss[key] != wanted:
        ss[key] = wanted
    return key


def candidate_columns(info: app.DataInfo, profiles: dict[str, Any]) -> list[str]:
    """Columns a criterion can use: unused and likely kinds first, excluded columns left out."""
    excluded = app.excluded_columns()
    used = {c.column for c in app.model().criteria}
    return sorted(
        (c for c in info.columns if c not in excluded),
        key=lambda c: (c in used, c not in profiles or profiles[c].kind in UNLIKELY_KINDS),
    )


def add_criterion_form(candidates: list[str], profiles: dict[str, Any]) -> None:
    """Pick a column and a kind, and add a criterion for it (or propose them all)."""
    left, mid, right = st.columns([3, 2, 1], vertical_alignment="bottom")
    left.selectbox(
        "Column",
        candidates,
        key="add:column",
        format_func=lambda c: f"{c} ({profiles[c].kind})" if c in profiles else c,
        help="The ID, the outcome and the columns filled in after sales contact are left out.",
    )
    mid.selectbox("As", list(KIND_NAMES), key="add:kind", format_func=KIND_NAMES.get)
    right.button(
        "Add",
        type="primary",
        width="stretch",
        on_click=lambda: app.add_criterion(
            st.session_state["add:column"], st.session_state["add:kind"]
        ),
        disabled=not candidates,
    )
    st.button(
        "Propose criteria for every usable column (replaces the list)",
        on_click=app.propose_all,
        help="Undo on the Tune page brings the current criteria back.",
    )


# ---- shared fields of every criterion -------------------------------------------------------


def label_input(col: Any, base: Sequence[Any]) -> None:
    app.bind(
        col.text_input,
        "Label (what a salesperson reads)",
        [*base, "label"],
        default="",
        store=lambda v: v.strip() or None,
    )


def group_select(col: Any, base: Sequence[Any]) -> None:
    app.bind(col.selectbox, "Group", [*base, "group"], options=["fit", "engagement"])


def note_area(base: Sequence[Any]) -> None:
    app.bind(
        st.text_area,
        "Note (why the team chose it)",
        [*base, "note"],
        default="",
        store=lambda v: v.strip() or None,
        height=68,
    )


def points_input(col: Any, label: str, path: Sequence[Any]) -> None:
    app.bind(col.number_input, label, path, show=float, **NUMBER)


def cap_input(col: Any, base: Sequence[Any]) -> None:
    app.bind(
        col.number_input,
        "Cap (0 = none)",
        [*base, "max_points"],
        min_value=0.0,
        show=lambda v: float(v or 0),
        store=lambda v: v or None,
        **NUMBER,
    )


def remove_button(criterion_id: str) -> None:
    st.button(
        "Remove this criterion",
        key=f"remove:{criterion_id}",
        on_click=app.remove_criterion,
        args=(criterion_id,),
    )


# ---- one criterion ----------------------------------------------------------------------------


def criterion_title(c: Any) -> str:
    """The expander title: label, kind, what it looks at, group."""
    kind = c.kind.replace("_", " ")
    if isinstance(c, ActivityCriterion):
        return f"{c.title} · {kind} of “{', '.join(c.activities)}” · {c.group}"
    return f"{c.title} · {kind} on “{c.column}” · {c.group}"


def criterion_editor(i: int, c: Any, columns: list[str], log_names: list[str]) -> None:
    """The fields of criterion ``i``, whatever its kind."""
    if isinstance(c, ActivityCriterion):
        activity_editor(i, c, log_names)
    else:
        column_editor(i, c, columns)


def column_editor(i: int, c: Any, columns: list[str]) -> None:
    """The fields of a criterion on a leads column (flag, email_domain, categories, ranges)."""
    base = ["criteria", i]
    a, b, d = st.columns([3, 1, 2])
    label_input(a, base)
    group_select(b, base)
    options = columns if c.column in columns else [c.column, *columns]
    app.bind(d.selectbox, "Column", [*base, "column"], options=options)
    note_area(base)
    if c.kind in ("flag", "email_domain"):
        points_input(st, "Points", [*base, "points"])
    if c.kind == "email_domain":
        app.bind(
            st.text_input,
            "Domains (separated by commas)",
            [*base, "domains"],
            show=", ".join,
            store=parse_domains,
        )
    if c.kind == "categories":
        app.bind_table(
            "Points per value (values compare ignoring case and spaces).",
            [*base, "points"],
            "categories",
        )
    if c.kind == "ranges":
        app.bind_table(
            "Bands: From is included, To is not; leave one empty for no limit. "
            "The first band that holds the value wins.",
            [*base, "bands"],
            "bands",
        )
    e, f, g = st.columns(3)
    if c.kind == "categories":
        points_input(e, "Points for other values", [*base, "other"])
    if c.kind in ("categories", "ranges"):
        points_input(f, "Points when empty", [*base, "missing"])
    cap_input(g, base)
    remove_button(c.id)


def activity_editor(i: int, c: ActivityCriterion, names: list[str]) -> None:
    """The fields of an activity_count or recency criterion (the log, not a leads column)."""
    base = ["criteria", i]
    raw = app.model_dict()["criteria"][i]
    a, b = st.columns([3, 1])
    label_input(a, base)
    group_select(b, base)
    a, b = st.columns([3, 2])
    if names:
        app.bind(
            a.multiselect,
            "Activity",
            [*base, "activity"],
            show=edits.activity_names,
            store=edits.activities_value,
            options=list(dict.fromkeys([*names, *edits.activity_names(raw["activity"])])),
        )
    else:
        app.bind(
            a.text_input,
            "Activity (names separated by commas)",
            [*base, "activity"],
            show=lambda v: ", ".join(edits.activity_names(v)),
            store=edits.parse_activities,
        )
    app.bind(
        b.text_input,
        "Detail pattern (optional: * any text, ? one character)",
        [*base, "detail"],
        default="",
        store=lambda v: v.strip() or None,
    )
    if c.kind == "activity_count":
        count_fields(c, raw, base)
    else:
        app.bind_table(
            "Days since the last one: From is included, To is not; the first band wins.",
            [*base, "bands"],
            "bands",
        )
    e, f = st.columns(2)
    if c.kind == "recency":
        points_input(e, "Points when never done", [*base, "missing"])
    cap_input(f, base)
    note_area(base)
    remove_button(c.id)


def count_fields(c: ActivityCriterion, raw: dict[str, Any], base: list[Any]) -> None:
    """Window, rule (once at least N times, or per time) and points of an activity_count."""
    ss = st.session_state
    a, b, d = st.columns(3)
    app.bind(
        a.number_input,
        "Within the last … days (empty: any time)",
        [*base, "within_days"],
        min_value=0,
        step=1,
    )
    rule = f"rule:{c.id}"
    b.radio(
        "Points",
        edits.COUNT_RULES,
        key=synced(rule, edits.count_rule(raw)),
        format_func=COUNT_RULE_NAMES.get,
        on_change=lambda: apply(edits.set_count_rule, c.id, ss[rule]),
    )
    if edits.count_rule(raw) == "at_least":
        app.bind(d.number_input, "At least (times)", [*base, "at_least"], min_value=1, step=1)
        points_input(d, "Points", [*base, "points"])
    else:
        points_input(d, "Points each time", [*base, "points_each"])


# ---- activity: adding, lead id, decay, matrix -------------------------------------------------


def add_activity(log_names: list[str]) -> None:
    """Callback: add the activity criterion described by the ``add:activity*`` widgets."""
    ss = st.session_state
    name = ss.get("add:activity" if log_names else "add:activity_text") or ""
    ids = [c["id"] for c in app.model_dict().get("criteria", [])]
    try:
        new = edits.new_activity_criterion(ss["add:activity_kind"], name, ids)
        model = edits.add_activity_criterion(app.model_dict(), new, ss.get("add:lead_id"))
    except UserError as e:
        app.flash(str(e))
        return
    if app.commit(model):
        app.flash(f"Added “{new['label']}”. Set its window and points below.", kind="success")


def add_activity_form(log_names: list[str]) -> None:
    """Pick an activity (from the log, or typed) and a kind, and add a criterion for it."""
    if not log_names:
        st.info(
            "No activity log is loaded, so the activities cannot be listed: load one on the "
            "Activity page (you can still type an activity name here)."
        )
        app.next_link("activity", "Load an activity log")
    left, mid, right = st.columns([3, 2, 1], vertical_alignment="bottom")
    if log_names:
        left.selectbox("Activity", log_names, key="add:activity")
    else:
        left.text_input("Activity (as the log spells it)", key="add:activity_text")
    mid.selectbox(
        "As", ACTIVITY_KINDS, key="add:activity_kind", format_func=ACTIVITY_KIND_NAMES.get
    )
    right.button(
        "Add",
        key="add:activity_button",
        width="stretch",
        on_click=add_activity,
        args=(log_names,),
    )


def lead_id_select(m: ScoringModel, columns: list[str], lead_col: str | None) -> None:
    """The leads column the log's lead ids match: a pick for the next add, or the model's."""
    if m.activity is None:
        ids = list(columns)
        st.selectbox(
            "Leads column with the lead id (the log's lead ids are matched to it)",
            ids,
            index=ids.index(lead_col) if lead_col in ids else 0,
            key="add:lead_id",
        )
    else:
        options = list(dict.fromkeys([m.activity.lead_id_column, *columns]))
        app.bind(
            st.selectbox,
            "Leads column with the lead id",
            ["activity", "lead_id_column"],
            options=options,
        )


def decay_settings(lead_col: str | None) -> None:
    """How activity points fade with age: the mode, and its number."""
    mode, _ = edits.decay_mode(app.model_dict().get("activity", {}).get("decay"))
    d1, d2 = st.columns(2)
    d1.selectbox(
        "Decay of activity points",
        edits.DECAY_MODES,
        key=synced("decay:mode", mode),
        format_func=DECAY_NAMES.get,
        on_change=lambda: apply(edits.set_decay, st.session_state["decay:mode"], None, lead_col),
    )
    if mode != "none":
        app.bind(
            d2.number_input,
            DECAY_NAMES[mode],
            ["activity", "decay", mode],
            show=float,
            store=lambda v: int(v) if float(v).is_integer() else v,
            min_value=1.0,
            max_value=100.0 if mode == "linear_percent_per_month" else None,
            step=1.0,
            format="%g",
        )


def set_thresholds(axis: str, key: str) -> None:
    """Callback: parse the thresholds typed for ``axis`` and commit them."""
    try:
        values = edits.parse_thresholds(st.session_state[key])
    except UserError as e:
        app.flash(str(e))
        return
    apply(edits.set_matrix_thresholds, axis, values)


def matrix_settings(m: ScoringModel) -> None:
    """The fit × engagement matrix: on or off, each axis's thresholds, the MQL and SQL cells."""
    st.toggle(
        "Fit × engagement matrix",
        key=synced("matrix:on", m.matrix is not None),
        on_change=lambda: apply(edits.set_matrix, st.session_state["matrix:on"]),
        help="Fit and engagement totals as two axes with their own thresholds (see Tune).",
    )
    if m.matrix is None:
        return
    a, b = st.columns(2)
    for col, axis in ((a, "fit"), (b, "engagement")):
        key = f"matrix:{axis}_thresholds"
        col.text_input(
            f"{axis.capitalize()} thresholds, best first",
            key=synced(key, ", ".join(num(t) for t in getattr(m.matrix, f"{axis}_thresholds"))),
            on_change=set_thresholds,
            args=(axis, key),
        )
    for col, level in ((a, "mql"), (b, "sql")):
        app.bind(
            col.multiselect,
            f"{level.upper()} cells",
            ["matrix", level],
            default=[],
            options=m.matrix.cells(),
        )
