"""Step 4: the leads ranked by score, a page at a time, and why each one scored what it did."""

import math

import streamlit as st

import app_support as app
from workbench.charts import waterfall
from workbench.errors import UserError
from workbench.explain import explain_sentence
from workbench.model import format_number as num
from workbench.scoring import score_frame

app.init("Leads")
st.title("4 · Leads")
st.write("The leads from highest score down. Pick one to see which criteria made its score.")

PAGE_SIZE = 50
m = app.model()
info = app.data()
id_column = app.settings().get("id_column")
try:
    summary = app.summary(m)
except UserError as e:
    app.show_error(e)
    st.stop()

counts = {t.name: t.count for t in summary.tiers}
tiers = [t.name for t in reversed(m.tiers)]
left, right = st.columns([3, 1])
tier = left.selectbox(
    "Show tier",
    [None, *tiers],
    key="leads:tier",
    format_func=lambda t: f"All tiers ({summary.leads:,})" if t is None else f"{t} ({counts[t]:,})",
)
total = summary.leads if tier is None else counts[tier]
pages = max(1, math.ceil(total / PAGE_SIZE))
if st.session_state.get("leads:page", 1) > pages:
    st.session_state["leads:page"] = 1
page = right.number_input(f"Page (of {pages})", 1, pages, key="leads:page")
offset = (page - 1) * PAGE_SIZE

used = [c.column for c in m.criteria]
keep = list(dict.fromkeys([*([id_column] if id_column else []), *used]))
try:
    df = score_frame(
        app.con(),
        m,
        app.TABLE,
        info.columns,
        keep=keep,
        tier=tier,
        limit=PAGE_SIZE,
        offset=offset,
        **app.activity_kwargs(),
    )
except UserError as e:
    app.show_error(e)
    st.stop()
if df.empty:
    st.info("No leads in this tier.")
    st.stop()

shown = df[[c for c in df.columns if not c.startswith("points__")]].copy()
shown.insert(0, "Rank", range(offset + 1, offset + 1 + len(df)))
shown = shown[
    ["Rank", "score", "tier", *[c for c in shown.columns if c not in ("Rank", "score", "tier")]]
]
table_key = f"leads:table:{tier}:{page}:{app.revision()}"
pick_key = f"leads:pick:{tier}:{page}:{app.revision()}"


def pick_from_table() -> None:
    rows = st.session_state[table_key].selection.rows
    if rows:
        st.session_state[pick_key] = rows[0]


st.dataframe(
    shown,
    key=table_key,
    on_select=pick_from_table,
    selection_mode="single-row",
    hide_index=True,
    width="stretch",
    height=320,
    column_config={
        "score": st.column_config.NumberColumn("Score", format="%.1f"),
        "tier": st.column_config.TextColumn("Tier"),
    },
)


def lead_name(i: int) -> str:
    who = f"{df.iloc[i][id_column]}" if id_column in df.columns else "lead"
    return f"#{offset + i + 1} · {who} · {num(round(float(df.iloc[i]['score']), 1))} points"


pick = st.selectbox("Explain this lead", range(len(df)), key=pick_key, format_func=lead_name)
breakdown = app.explain_lead(m, df.iloc[pick].to_dict())
with st.container(border=True):
    st.subheader(app.md(lead_name(pick)))
    st.markdown(app.md(explain_sentence(breakdown)))
    st.altair_chart(waterfall(breakdown), width="stretch")
    st.dataframe(
        [{"Why": p.reason, "Points": p.points} for p in breakdown.parts],
        hide_index=True,
        width="stretch",
        column_config={"Points": st.column_config.NumberColumn(format="%+g")},
    )
app.next_link("export", "Next: export the model and the scored leads")
