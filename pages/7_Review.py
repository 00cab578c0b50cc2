"""Step 7: the quarterly review: proposals side by side, who moves, save and hand over."""

import json
import math
from collections.abc import Callable
from typing import Any

import streamlit as st

import app_support as app
from workbench.charts import migration_chart
from workbench.diff import cell_leads, compare_models, proposals_table
from workbench.errors import UserError
from workbench.library import Library
from workbench.model import ScoringModel
from workbench.model_file import dump_model_yaml, load_model_text, model_to_dict
from workbench.summary_doc import build_summary, numbers

app.init("Review")
st.title("7 · Review")
st.write(
    "Put two or more proposals side by side on the same leads: what changed, who moves "
    "between tiers, and whether conversion per tier gets better. Save the agreed model with a "
    "note and hand over a one-page summary."
)
app.show_flash()
PAGE_SIZE = 25
PERCENT = st.column_config.NumberColumn(format="percent")
info, s = app.data(), app.settings()
outcome, positive = s.get("outcome") or None, s.get("positive_values") or None
cursor = app.con()
T, C = app.TABLE, info.columns  # every query runs on the session's leads table
# The outcome, and the activity log for activity criteria: every comparison scores with both.
OUTCOME: dict[str, Any] = {"outcome": outcome, "positive_values": positive, **app.activity_kwargs()}


def cached(name: str, models: list[ScoringModel], compute: Callable[[], Any]) -> Any:
    """Recompute only when the data, the outcome or one of the models changes."""
    key = (info.version, OUTCOME, [model_to_dict(m) for m in models])
    token = json.dumps(key, sort_keys=True, default=str)
    hit = st.session_state.get(f"review:cache:{name}")
    if hit is None or hit[0] != token:
        hit = (token, compute())
        st.session_state[f"review:cache:{name}"] = hit
    return hit[1]


choices = {"current": ("Current model (in the app)", app.model())}
try:
    library: Library | None = Library()
    versions = [v for e in library.list_models() for v in reversed(library.versions(e.name))]
except UserError as e:
    app.show_error(e)
    library, versions = None, []
for v in versions:
    try:
        choices[f"lib:{v.name}@{v.version}"] = (v.label, v.model)
    except UserError as e:  # a version this app can no longer read: leave it out, say why
        st.warning(app.md(str(e)))
uploads = st.file_uploader(
    "Add proposals from model files (.yaml)",
    type=["yaml", "yml"],
    accept_multiple_files=True,
    key="review:uploads",
)
for i, upload in enumerate(uploads or []):
    try:
        choices[f"file:{i}"] = (upload.name, load_model_text(upload.getvalue(), upload.name))
    except UserError as e:
        app.show_error(e)


def label_of(key: str) -> str:
    return choices[key][0]


picked = st.multiselect(
    "Proposals to compare (the first is the baseline)",
    list(choices),
    default=["current", *[k for k in choices if k != "current"][:1]],
    format_func=label_of,
    key="review:picked",
)


def show_comparison(picked: list[str]) -> None:
    """Side-by-side metrics, then the baseline against one other proposal."""
    proposals = [choices[k] for k in picked]
    models = [m for _, m in proposals]
    with st.container(border=True):
        st.subheader("Side by side")
        table = cached("side", models, lambda: proposals_table(cursor, proposals, T, C, **OUTCOME))
        config = {"share": PERCENT, "conversion": PERCENT, "top 10% capture": PERCENT}
        st.dataframe(table, hide_index=True, width="stretch", column_config=config)
        if not outcome:
            st.caption("Pick the outcome column on the Data page to compare conversion and AUC.")
    with st.container(border=True):
        base_label, base = proposals[0]
        other = st.selectbox(
            f"Compare {base_label} with", picked[1:], format_func=label_of, key="review:other"
        )
        new_label, new = choices[other]
        cmp = cached(
            "pair", [base, new], lambda: compare_models(cursor, base, new, T, C, **OUTCOME)
        )
        st.subheader(f"{cmp.moved:,} of {cmp.leads:,} leads change tier")
        st.markdown("\n".join(f"- {app.md(c.text)}" for c in cmp.changes) or "No differences.")
        st.altair_chart(migration_chart(cmp, base_label, new_label), width="stretch")
        moving = [i for i in cmp.impacts if i.moved]
        if moving:
            st.markdown(f"**Moves the most leads on its own:** {app.md(moving[0].change.text)}")
            rows = [
                {"change": i.change.text, "leads moved": i.moved, "up": i.up, "down": i.down}
                for i in cmp.impacts
            ]
            st.dataframe(rows, hide_index=True, width="stretch")
        left, mid, right = st.columns([2, 2, 1])
        old_tier = left.selectbox(
            "Old tier", [t.name for t in reversed(base.tiers)], key="review:cell_old"
        )
        new_tier = mid.selectbox(
            "New tier", [t.name for t in reversed(new.tiers)], key="review:cell_new"
        )
        count = cmp.count(old_tier, new_tier)
        pages = max(1, math.ceil(count / PAGE_SIZE))
        page = min(right.number_input(f"Page (of {pages})", 1, key="review:page"), pages)
        st.caption(f"{count:,} leads were {old_tier} and are {new_tier}.")
        id_col = s.get("id_column")
        keep = list(
            dict.fromkeys([*([id_col] if id_col else []), *(c.column for c in new.criteria)])
        )
        keep = [k for k in keep if k in info.columns]
        offset = (page - 1) * PAGE_SIZE
        leads = cell_leads(
            cursor,
            base,
            new,
            T,
            C,
            old_tier,
            new_tier,
            keep=keep,
            limit=PAGE_SIZE,
            offset=offset,
            events=OUTCOME["events"],
            as_of=OUTCOME["as_of"],
        )
        st.dataframe(leads, hide_index=True, width="stretch")


if len(picked) < 2:
    st.info("Pick at least two proposals: the current model, a saved version or a file.")
else:
    try:
        show_comparison(picked)
    except UserError as e:
        app.show_error(e)

with st.container(border=True):
    st.subheader("Save the current model to the library")
    m = app.model()
    left, right = st.columns(2)
    name = left.text_input("Name in the library", value=m.name, key="review:save_name")
    author = right.text_input("Your name", key="review:author")
    note = st.text_area("Why this version (what changed, who agreed)", key="review:note")
    if st.button("Save as a new version", icon=":material/save:", disabled=library is None):
        try:
            saved = Library().save(m, name=name, author=author, note=note)
            st.success(app.md(f'Saved "{saved.name}" version {saved.version}.'))
        except UserError as e:
            app.show_error(e)

with st.container(border=True):
    st.subheader("Export the agreed model")
    agreed_key = st.selectbox(
        "Agreed model", list(choices), format_func=label_of, key="review:agreed"
    )
    label, agreed = choices[agreed_key]
    review_on = st.date_input(
        "Next review (default: in three months)", value=None, key="review:next"
    )
    try:
        summary, tested = cached(
            "export", [agreed], lambda: numbers(cursor, agreed, T, C, **OUTCOME)
        )
    except UserError as e:
        app.show_error(e)
        summary, tested = None, None
    kept_as = label if agreed_key.startswith("lib:") else None  # a library version's name
    doc = build_summary(
        agreed,
        summary,
        backtest=tested,
        data_label=info.source,
        version_label=kept_as,
        review=review_on,
    )
    stem = app.slug(agreed.name)
    files = [
        ("Model (YAML)", dump_model_yaml(agreed), f"{stem}.yaml", "application/x-yaml"),
        ("Summary (Markdown)", doc.markdown, f"{stem}-summary.md", "text/markdown"),
        ("Summary (printable HTML)", doc.html, f"{stem}-summary.html", "text/html"),
    ]
    for column, (title, payload, file_name, mime) in zip(st.columns(3), files, strict=True):
        column.download_button(
            title,
            payload,
            file_name,
            mime,
            on_click="ignore",
            icon=":material/download:",
            key=f"review:download:{file_name}",
        )
    with st.expander(f"Preview the summary (next review {doc.review.isoformat()})"):
        st.markdown(doc.markdown)
