"""Step 5: take the model home as YAML, load one back, and download the scored leads."""

import streamlit as st

import app_support as app
from workbench.export import EXCEL_MAX_ROWS
from workbench.model_file import dump_model_yaml

app.init("Export")
st.title("5 · Export")
st.write(
    "Download the model as a YAML file to keep, share or load again later, and the scored "
    "leads for your CRM or a spreadsheet."
)
app.show_flash()

m = app.model()
with st.container(border=True):
    st.subheader("The model file")
    left, right = st.columns([1, 2])
    app.bind(left.text_input, "Model name", ["name"], store=lambda v: v.strip() or "Untitled model")
    app.bind(
        right.text_area,
        "Description (who agreed, when)",
        ["description"],
        default="",
        store=lambda v: v.strip() or None,
        height=68,
    )
    st.download_button(
        "Download the model (YAML)",
        data=dump_model_yaml(m),
        file_name=f"{app.slug(m.name)}.yaml",
        mime="application/x-yaml",
        type="primary",
        icon=":material/download:",
        on_click="ignore",
    )
    with st.expander("Preview the file"):
        st.code(dump_model_yaml(m), language="yaml")

with st.container(border=True):
    st.subheader("Load a model file")
    st.caption("The file is checked strictly; if anything is wrong, your current model stays.")
    upload = st.file_uploader(
        "Model file (.yaml)",
        type=["yaml", "yml"],
        key="model_upload",
        on_change=app.load_model_upload,
        args=("model_upload",),
    )
    result = st.session_state.get("model_upload:result")
    if upload is not None and result is not None:
        kind, message = result
        if kind == "error":
            st.error(app.md(message))
        else:
            st.success(app.md(message))
    for problem in app.check_model(app.model()):
        st.warning(app.md(problem))

with st.container(border=True):
    st.subheader("Scored leads")
    info = app.data()
    st.caption(
        f"All {info.rows:,} leads with their columns, `score`, `tier` and one `points__…` "
        "column per criterion. Cells starting with = + − @ are written as text, so a "
        "spreadsheet never runs them."
    )
    missing = app.missing_columns(app.model())
    if missing:
        app.show_error(f"The model uses columns the leads lack ({', '.join(missing)}); fix them.")
    left, right = st.columns(2)
    left.download_button(
        "Download scored leads (CSV)",
        data=app.scored_file_builder(app.model(), "csv"),
        file_name="scored-leads.csv",
        mime="text/csv",
        icon=":material/download:",
        on_click="ignore",
        disabled=bool(missing),
    )
    too_big = info.rows >= EXCEL_MAX_ROWS
    right.download_button(
        "Download scored leads (Excel)",
        data=app.scored_file_builder(app.model(), "xlsx"),
        file_name="scored-leads.xlsx",
        mime="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        icon=":material/download:",
        on_click="ignore",
        disabled=bool(missing) or too_big,
        help="Too many rows for one Excel sheet: use the CSV." if too_big else None,
    )
