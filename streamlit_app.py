"""Home: what the workbench is for, the five steps, and where this session stands."""

import streamlit as st

import app_support as app

app.init("Home")

st.title("Lead Scoring Workbench")
st.markdown(
    "Build, test and agree on a lead scoring model together, then take it home as a YAML "
    "file.\n\n"
    "**Load your leads** (or keep the sample) and **choose the criteria** that earn points. "
    "**Tune** the points and tier thresholds with sliders while the chart and tier counts "
    "follow. **Check the ranked leads** with the reason for each score, then **export** the "
    "model as YAML and the scored leads as CSV or Excel."
)

info = app.data()
m = app.model()
left, right = st.columns(2)
with left, st.container(border=True):
    st.subheader("Data")
    st.metric("Leads", f"{info.rows:,}")
    st.caption(app.md(f"{len(info.columns)} columns from {info.source}."))
with right, st.container(border=True):
    st.subheader("Model")
    st.metric("Criteria", len(m.criteria))
    tiers = ", ".join(f"{t.name} from {t.min_score:g}" for t in m.tiers)
    st.caption(app.md(f"“{m.name}” · tiers: {tiers}."))
    if not app.history().is_saved:
        st.caption("Changed since the saved version (see Tune).")

st.subheader("Steps")
app.page_links()
st.caption(
    "Your work is saved automatically in this browser tab's address: bookmark it or refresh "
    "and you come back to the same workspace."
)
