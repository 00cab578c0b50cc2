"""Step 2: the criteria that earn (or cost) points, proposed from the columns and edited here."""

import streamlit as st

import app_support as app
from workbench.edits import parse_domains

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
st.subheader(f"{len(m.criteria)} criteria")
if not m.criteria:
    st.info("No criteria yet: add one above, or let the app propose them.")
for i, c in enumerate(m.criteria):
    base = ["criteria", i]
    title = f"{c.title} · {c.kind.replace('_', ' ')} on “{c.column}” · {c.group}"
    with st.expander(app.md(title), expanded=len(m.criteria) <= 3):
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
