"""Step 1: load the leads, look at the columns, and say which column is which."""

import streamlit as st

import app_support as app
from workbench.cleaning import DEFAULT_PLACEHOLDERS

app.init("Data")
st.title("1 · Data")
st.write(
    "Upload a lead export from your CRM (CSV, Excel .xlsx or Parquet), or keep working with "
    "the bundled sample. Column names can stay exactly as your CRM wrote them."
)
app.show_flash()

upload = st.file_uploader("Upload leads (CSV, Excel .xlsx or Parquet)", key="leads_upload")
if upload is not None and st.session_state.get("leads_upload_done") != upload.file_id:
    st.session_state["leads_upload_done"] = upload.file_id
    if app.load_upload(upload.name, upload.getvalue()):
        app.show_flash()

info = app.data()
if not info.is_sample:
    st.button("Go back to the sample leads", on_click=app.use_sample)

a, b, c = st.columns(3)
a.metric("Leads", f"{info.rows:,}")
b.metric("Columns", len(info.columns))
c.metric("Source", "sample" if info.is_sample else "your file", help=app.md(info.source))
for note in info.notes:
    if note.startswith("Warning:"):  # e.g. Excel turned "5-20" into "May-20"
        st.warning(app.md(note.removeprefix("Warning:").strip()))
if info.notes:
    with st.expander("How the file was read"):
        for note in info.notes:
            st.markdown(f"- {app.md(note)}")

with st.expander("Values that mean “not answered”"):
    st.caption(
        "Whole values (ignoring case and spaces) that count as empty, so such a lead is "
        "missing for that column. The usual list: "
        + app.md(", ".join(DEFAULT_PLACEHOLDERS))
        + ". Parquet files are used as they are."
    )
    emptied = [
        {"Column": col, "Value": value, "Emptied": n}
        for col, counts in info.emptied.items()
        for value, n in counts.items()
    ]
    if emptied:
        st.dataframe(emptied, width="stretch", hide_index=True)
    else:
        st.caption("No value was emptied in these leads.")
    column = st.selectbox("Column", info.columns, key="placeholders:column")
    extra, defaults = app.placeholder_choice(column)
    extra_key, defaults_key = f"placeholders:extra:{column}", f"placeholders:defaults:{column}"
    if st.session_state.get("placeholders:version") != info.version:  # new data: show saved
        st.session_state["placeholders:version"] = info.version
        for key in [k for k in st.session_state if str(k).startswith("placeholders:")]:
            if key.count(":") >= 2:  # the per-column inputs, not the picker
                del st.session_state[key]
    st.session_state.setdefault(extra_key, ", ".join(extra))
    st.session_state.setdefault(defaults_key, defaults)
    st.text_input(
        "Also empty these values in this column (separated by commas)",
        key=extra_key,
        placeholder="n.a., ?, 0",
    )
    st.checkbox("Also empty the usual list in this column", key=defaults_key)
    st.button(
        "Apply and load the leads again",
        key="placeholders:apply",
        on_click=app.apply_placeholder_choice,
        args=(column, extra_key, defaults_key),
    )

st.subheader("Which column is which")
profiles = app.profiles()
columns = info.columns
left, mid, right = st.columns(3)
app.bind_setting(
    left.selectbox,
    "ID column (names each lead)",
    "id_column",
    options=[None, *columns],
    format_func=lambda c: "— none —" if c is None else c,
    placeholder="— none —",
)
app.bind_setting(
    mid.selectbox,
    "Outcome column (did the lead convert?)",
    "outcome",
    options=[None, *columns],
    format_func=lambda c: "— none —" if c is None else c,
    placeholder="— none —",
    help="Optional: with an outcome, Tune shows the conversion rate of each tier.",
)
outcome = app.settings().get("outcome")
if outcome:
    prof = next((p for p in profiles if p.name == outcome), None)
    values = [v for v, _ in prof.top_values] if prof else []
    values += [v for v in app.settings().get("positive_values") or [] if v not in values]
    app.bind_setting(
        right.multiselect,
        "Values that mean “converted”",
        "positive_values",
        options=values,
        placeholder="Yes, true, 1, won… (the usual ones)",
    )
app.bind_setting(
    st.multiselect,
    "Columns filled in after sales contact (never used as criteria)",
    "leakage",
    options=columns,
    help=(
        "Status, stage, owner, deal amount and the like are only known once sales has talked "
        "to the lead; scoring on them makes a model look better than it can be."
    ),
)

st.subheader("Column profile")
rows = [
    {
        "Column": p.name,
        "Looks like": p.kind,
        "Type": p.dtype,
        "Missing": p.missing_share,
        "Distinct values": p.distinct,
        "Most common": ", ".join(v for v, _ in p.top_values[:3]),
        "Min": p.minimum,
        "Max": p.maximum,
    }
    for p in profiles
]
st.dataframe(
    rows,
    width="stretch",
    height=min(38 + 35 * len(rows), 740),
    hide_index=True,
    column_config={"Missing": st.column_config.ProgressColumn(format="percent", max_value=1)},
)

st.subheader("First rows")
preview = app.con().execute('SELECT * FROM "leads" LIMIT 50').df()
st.dataframe(preview, width="stretch", hide_index=True)
app.next_link("criteria", "Next: choose the criteria")
