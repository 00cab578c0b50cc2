"""Activity log: upload events, map their columns, pick the scoring day, compare decays."""

import datetime

import streamlit as st

import app_support as app
from workbench import activity
from workbench.errors import UserError
from workbench.model import Decay, uses_activity

app.init("Activity")
st.title("8 · Activity")
st.write(
    "Upload the activity log (one row per thing a lead did: lead id, activity, time, and "
    "optionally a detail such as the page or e-mail). Activity criteria (“3+ visits in 30 "
    "days”, “pricing page in the last 14 days”) and decay are scored from it, as of the day "
    "you pick."
)

DECAYS = {
    "No decay": Decay(),
    "Half-life 7 days": Decay(half_life_days=7),
    "Half-life 30 days": Decay(half_life_days=30),
    "Half-life 90 days": Decay(half_life_days=90),
    "−20 % per month": Decay(linear_percent_per_month=20),
    "Expire after 90 days": Decay(expire_after_days=90),
}

upload = st.file_uploader(
    "Activity log (CSV, Excel .xlsx or Parquet)", type=None, key="activity:file"
)
if upload is not None and st.session_state.get("activity_raw_name") != upload.name:
    try:
        st.session_state["activity_raw_columns"] = activity.load_event_file(
            app.con(), upload.getvalue(), filename=upload.name
        )
        st.session_state["activity_raw_name"] = upload.name
    except UserError as e:
        app.show_error(e)

raw_columns = st.session_state.get("activity_raw_columns")
if raw_columns:
    st.subheader("Which column is which")
    guess = activity.guess_mapping(raw_columns)
    picks = {}
    cols = st.columns(4)
    for col, role in zip(cols, activity.ROLES, strict=True):
        options = ([None] if role == "detail" else []) + list(raw_columns)
        default = guess[role]
        picks[role] = col.selectbox(
            role.capitalize(),
            options,
            index=options.index(default) if default in options else 0,
            key=f"activity:map:{role}",
        )
    if st.button("Use this activity log", key="activity:apply", type="primary"):
        try:
            result = activity.map_events(
                app.con(),
                activity.EventMapping(
                    picks["lead"], picks["activity"], picks["time"], picks["detail"]
                ),
            )
            st.session_state["activity_events"] = result.table
            st.session_state["activity_notes"] = result.notes
        except UserError as e:
            app.show_error(e)

for note in st.session_state.get("activity_notes", []):
    (st.warning if note.startswith("Warning") else st.caption)(note)

as_of = st.date_input(
    "Score as of",
    value=st.session_state.get("activity_as_of") or datetime.date.today(),
    key="activity:as_of",
    help="Activity after this day is ignored; ages count whole days before it.",
)
st.session_state["activity_as_of"] = as_of

events = st.session_state.get("activity_events")
if events is None:
    st.info("No activity log yet: upload one above and press “Use this activity log”.")
    st.stop()

info = activity.overview(app.con(), events)
a, b, c = st.columns(3)
a.metric("Activities", f"{info.events:,}", border=True)
b.metric("Leads with activity", f"{info.leads:,}", border=True)
c.metric("From – to", f"{info.first:%Y-%m-%d} – {info.last:%Y-%m-%d}" if info.first else "–")
st.dataframe(
    {"activity": [x for x, _ in info.activities], "count": [n for _, n in info.activities]},
    width="stretch",
)

st.subheader("Decay sandbox")
m = app.model()
if not uses_activity(m):
    st.caption("Add an activity criterion to the model to compare decay settings.")
    st.stop()
left, right = st.columns(2)
name_a = left.selectbox("Setting A", list(DECAYS), index=0, key="activity:decay_a")
name_b = right.selectbox("Setting B", list(DECAYS), index=2, key="activity:decay_b")
try:
    cmp = activity.compare_decay(
        app.con(),
        m,
        app.TABLE,
        app.data().columns,
        events,
        DECAYS[name_a],
        DECAYS[name_b],
        as_of=as_of,
    )
except UserError as e:
    app.show_error(e)
    st.stop()
st.dataframe(
    {
        "tier": list(cmp.tiers_a),
        name_a: list(cmp.tiers_a.values()),
        name_b: list(cmp.tiers_b.values()),
    },
    width="stretch",
)
st.write(
    app.md(
        f"**{cmp.top_only_a:,}** leads are {cmp.top_tier} under “{name_a}” but not under "
        f"“{name_b}”: hot only because of stale activity when B is the stricter setting "
        f"({cmp.top_only_b:,} the other way round)."
    )
)
