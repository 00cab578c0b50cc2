"""Step 2: the criteria that earn (or cost) points, proposed from the columns and edited here."""

from collections.abc import Callable
from typing import Any

import streamlit as st

import app_support as app
from workbench import activity as activity_log
from workbench import edits
from workbench.edits import parse_domains
from workbench.errors import UserError
from workbench.model import ACTIVITY_KINDS, ActivityCriterion
from workbench.model import format_number as num

app.init("Criteria")
st.title("2 · Criteria")
st.write(
    "Each criterion looks at one column and gives points. The app proposes a kind per column: "
    "yes/no flags, number bands, a few category values, or a free e-mail domain. Label each "
    "one so a salesperson understands it, and note why the team chose it."
)
app.show_flash()

info = app.data()
profiles = {p.name: p for p in app.profiles()}
excluded = app.excluded_columns()
used = {c.column for c in app.model().criteria}
unlikely = {"id", "text", "date", "empty"}  # kinds the app proposes nothing for: listed last
candidates = sorted(
    (c for c in info.columns if c not in excluded),
    key=lambda c: (c in used, c not in profiles or profiles[c].kind in unlikely),
)
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

with st.container(border=True):
    st.subheader("Add a criterion")
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

m = app.model()
events, _ = app.activity_state()
log_names = [a for a, _ in activity_log.overview(app.con(), events).activities] if events else []
lead_col = m.activity.lead_id_column if m.activity else app.settings().get("id_column")
ss = st.session_state


def apply(edit: Callable[..., dict[str, Any]], *args: Any) -> None:
    """Commit ``edit(model, *args)``; a refused edit is flashed (callbacks run before drawing)."""
    try:
        app.commit(edit(app.model_dict(), *args))
    except UserError as e:
        app.flash(str(e))


def synced(key: str, wanted: object) -> str:
    """Show the model's value in a widget that is not bound to one path (as app.bind does)."""
    if key not in ss or ss[key] != wanted:
        ss[key] = wanted
    return key


def add_activity() -> None:
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


def set_thresholds(axis: str, key: str) -> None:
    try:
        values = edits.parse_thresholds(ss[key])
    except UserError as e:
        app.flash(str(e))
        return
    apply(edits.set_matrix_thresholds, axis, values)


def activity_editor(i: int, c: ActivityCriterion, names: list[str]) -> None:
    """The fields of an activity_count or recency criterion (the log, not a leads column)."""
    base = ["criteria", i]
    raw = app.model_dict()["criteria"][i]
    a, b = st.columns([3, 1])
    app.bind(
        a.text_input,
        "Label (what a salesperson reads)",
        [*base, "label"],
        default="",
        store=lambda v: v.strip() or None,
    )
    app.bind(b.selectbox, "Group", [*base, "group"], options=["fit", "engagement"])
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
    number = {"step": 1.0, "format": "%g"}
    if c.kind == "activity_count":
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
            format_func={"at_least": "once at least N times", "points_each": "per time"}.get,
            on_change=lambda: apply(edits.set_count_rule, c.id, ss[rule]),
        )
        if edits.count_rule(raw) == "at_least":
            app.bind(d.number_input, "At least (times)", [*base, "at_least"], min_value=1, step=1)
            app.bind(d.number_input, "Points", [*base, "points"], show=float, **number)
        else:
            app.bind(
                d.number_input, "Points each time", [*base, "points_each"], show=float, **number
            )
    else:
        app.bind_table(
            "Days since the last one: From is included, To is not; the first band wins.",
            [*base, "bands"],
            "bands",
        )
    e, f = st.columns(2)
    if c.kind == "recency":
        app.bind(e.number_input, "Points when never done", [*base, "missing"], show=float, **number)
    app.bind(
        f.number_input,
        "Cap (0 = none)",
        [*base, "max_points"],
        min_value=0.0,
        show=lambda v: float(v or 0),
        store=lambda v: v or None,
        **number,
    )
    app.bind(
        st.text_area,
        "Note (why the team chose it)",
        [*base, "note"],
        default="",
        store=lambda v: v.strip() or None,
        height=68,
    )
    st.button(
        "Remove this criterion", key=f"remove:{c.id}", on_click=app.remove_criterion, args=(c.id,)
    )


with st.container(border=True):
    st.subheader("Activity: what leads did, and when")
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
        "As",
        ACTIVITY_KINDS,
        key="add:activity_kind",
        format_func={"activity_count": "how often (count)", "recency": "days since last"}.get,
    )
    right.button("Add", key="add:activity_button", width="stretch", on_click=add_activity)
    if m.activity is None:
        ids = list(info.columns)
        st.selectbox(
            "Leads column with the lead id (the log's lead ids are matched to it)",
            ids,
            index=ids.index(lead_col) if lead_col in ids else 0,
            key="add:lead_id",
        )
    else:
        options = list(dict.fromkeys([m.activity.lead_id_column, *info.columns]))
        app.bind(
            st.selectbox,
            "Leads column with the lead id",
            ["activity", "lead_id_column"],
            options=options,
        )
    mode, _ = edits.decay_mode(app.model_dict().get("activity", {}).get("decay"))
    d1, d2 = st.columns(2)
    d1.selectbox(
        "Decay of activity points",
        edits.DECAY_MODES,
        key=synced("decay:mode", mode),
        format_func=DECAY_NAMES.get,
        on_change=lambda: apply(edits.set_decay, ss["decay:mode"], None, lead_col),
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
    st.toggle(
        "Fit × engagement matrix",
        key=synced("matrix:on", m.matrix is not None),
        on_change=lambda: apply(edits.set_matrix, ss["matrix:on"]),
        help="Fit and engagement totals as two axes with their own thresholds (see Tune).",
    )
    if m.matrix is not None:
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

st.subheader(f"{len(m.criteria)} criteria")
if not m.criteria:
    st.info("No criteria yet: add one above, or let the app propose them.")
for i, c in enumerate(m.criteria):
    base = ["criteria", i]
    title = f"{c.title} · {c.kind.replace('_', ' ')} on “{c.column}” · {c.group}"
    if isinstance(c, ActivityCriterion):
        title = f"{c.title} · {c.kind.replace('_', ' ')} of “{', '.join(c.activities)}” · {c.group}"
    with st.expander(app.md(title), expanded=len(m.criteria) <= 3):
        if isinstance(c, ActivityCriterion):
            activity_editor(i, c, log_names)
            continue
        a, b, d = st.columns([3, 1, 2])
        app.bind(
            a.text_input,
            "Label (what a salesperson reads)",
            [*base, "label"],
            default="",
            store=lambda v: v.strip() or None,
        )
        app.bind(b.selectbox, "Group", [*base, "group"], options=["fit", "engagement"])
        options = info.columns if c.column in info.columns else [c.column, *info.columns]
        app.bind(d.selectbox, "Column", [*base, "column"], options=options)
        app.bind(
            st.text_area,
            "Note (why the team chose it)",
            [*base, "note"],
            default="",
            store=lambda v: v.strip() or None,
            height=68,
        )
        number = {"step": 1.0, "format": "%g"}
        if c.kind in ("flag", "email_domain"):
            app.bind(st.number_input, "Points", [*base, "points"], show=float, **number)
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
            app.bind(
                e.number_input, "Points for other values", [*base, "other"], show=float, **number
            )
        if c.kind in ("categories", "ranges"):
            app.bind(f.number_input, "Points when empty", [*base, "missing"], show=float, **number)
        app.bind(
            g.number_input,
            "Cap (0 = none)",
            [*base, "max_points"],
            min_value=0.0,
            show=lambda v: float(v or 0),
            store=lambda v: v or None,
            **number,
        )
        st.button(
            "Remove this criterion",
            key=f"remove:{c.id}",
            on_click=app.remove_criterion,
            args=(c.id,),
        )

problems = app.check_model(m)
for problem in problems:
    st.warning(app.md(problem))
app.next_link("tune", "Next: tune the points and tiers")
