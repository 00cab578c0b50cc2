"""Step 2: the criteria that earn (or cost) points, proposed from the columns and edited here."""

import streamlit as st

import app_support as app
import criteria_ui as ui
from workbench import activity as activity_log

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

with st.container(border=True):
    st.subheader("Add a criterion")
    ui.add_criterion_form(ui.candidate_columns(info, profiles), profiles)

m = app.model()
events, _ = app.activity_state()
log_names = [a for a, _ in activity_log.overview(app.con(), events).activities] if events else []
lead_col = m.activity.lead_id_column if m.activity else app.settings().get("id_column")

with st.container(border=True):
    st.subheader("Activity: what leads did, and when")
    ui.add_activity_form(log_names)
    ui.lead_id_select(m, info.columns, lead_col)
    ui.decay_settings(lead_col)
    ui.matrix_settings(m)

st.subheader(f"{len(m.criteria)} criteria")
if not m.criteria:
    st.info("No criteria yet: add one above, or let the app propose them.")
for i, c in enumerate(m.criteria):
    with st.expander(app.md(ui.criterion_title(c)), expanded=len(m.criteria) <= 3):
        ui.criterion_editor(i, c, info.columns, log_names)

for problem in app.check_model(m):
    st.warning(app.md(problem))
app.next_link("tune", "Next: tune the points and tiers")
