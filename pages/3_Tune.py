"""Step 3: move the points and the tier thresholds; the chart and the counts follow at once."""

import streamlit as st

import app_support as app
from workbench.charts import conversion_by_tier, score_histogram
from workbench.errors import UserError
from workbench.matrix import matrix_chart, matrix_counts
from workbench.model import format_number as num

app.init("Tune")
st.title("3 · Tune")
st.write(
    "Move a slider and the histogram, the tier counts and the conversion per tier follow at "
    "once. Undo steps back through your last changes; “Reset to saved” returns to the version "
    "you last saved."
)

MAX_VALUE_SLIDERS = 8  # more category values than this are edited on the Criteria page


@st.fragment
def tune() -> None:
    """Sliders and everything they redraw: rerun alone on every move."""
    h = app.history()
    bar = st.columns([1, 1, 2, 2, 4], vertical_alignment="center")
    bar[0].button(
        "↶ Undo", key="tune:undo", on_click=app.undo, disabled=not h.can_undo, width="stretch"
    )
    bar[1].button(
        "↷ Redo", key="tune:redo", on_click=app.redo, disabled=not h.can_redo, width="stretch"
    )
    bar[2].button(
        "Save this version",
        key="tune:save",
        on_click=app.mark_saved,
        disabled=h.is_saved,
        width="stretch",
    )
    bar[3].button(
        "Reset to saved",
        key="tune:reset",
        on_click=app.reset_to_saved,
        disabled=h.is_saved,
        width="stretch",
    )
    bar[4].caption(
        "All changes saved as the agreed version."
        if h.is_saved
        else f"{h.undo_depth} change(s) to undo · not the saved version yet."
    )
    app.show_flash()

    m = app.model()
    controls, results = st.columns([2, 3], gap="large")
    with results:
        try:
            s = app.summary(m)
        except UserError as e:
            app.show_error(e)
            s = None
        if s is not None:
            for col, t in zip(st.columns(len(s.tiers)), s.tiers, strict=True):
                col.metric(
                    app.md(f"{t.name} (from {num(t.min_score)})"),
                    f"{t.count:,}",
                    delta=f"{t.share:.1%} of leads",
                    delta_color="off",
                    delta_arrow="off",
                    border=True,
                )
            st.altair_chart(score_histogram(s, m), width="stretch")
            if m.matrix is not None:  # fit × engagement heatmap (workbench.matrix)
                events, as_of = app.activity_state()
                grid = matrix_counts(
                    app.con(),
                    m,
                    app.TABLE,
                    app.data().columns,
                    outcome=app.settings().get("outcome") or None,
                    positive_values=app.settings().get("positive_values") or None,
                    events=events,
                    as_of=as_of,
                )
                st.markdown(f"**Fit × engagement** (MQL {grid.mql:,} · SQL {grid.sql:,})")
                st.altair_chart(matrix_chart(grid), width="stretch")
            if s.converted is not None:
                rate = s.converted / s.leads if s.leads else 0
                st.markdown(f"**Conversion by tier** (all leads: {rate:.1%})")
                st.altair_chart(conversion_by_tier(s), width="stretch")
                # Live backtest (workbench.backtest): top vs bottom tier, AUC, top 10 % capture.
                text, cautions = app.live_backtest(m)
                st.caption(app.md(text))
                for caution in cautions:
                    st.warning(app.md(caution))
            elif not app.settings().get("outcome"):
                st.caption("Pick an outcome column on the Data page to see conversion by tier.")

    with controls:
        span = m.scale.max - m.scale.min
        st.subheader("Tiers")
        st.caption(app.md(f"{m.tiers[0].name} catches every lead below the next tier."))
        for k, t in enumerate(m.tiers[1:], start=1):
            low = m.tiers[k - 1].min_score + 1
            high = m.tiers[k + 1].min_score - 1 if k + 1 < len(m.tiers) else m.scale.max
            if low < high:
                app.number_slider(
                    app.md(f"{t.name} from score"), ["tiers", k, "min_score"], low, high
                )
        app.number_slider(
            "Top of the scale",
            ["scale", "max"],
            max(m.tiers[-1].min_score, m.scale.min + 1),
            max(200, m.scale.max),
            help="Scores are clamped to the scale.",
        )
        st.subheader("Points")
        for group in ("engagement", "fit"):
            members = [(i, c) for i, c in enumerate(m.criteria) if c.group == group]
            if members:
                st.markdown(f"**{group.capitalize()}**")
            for i, c in members:
                base, title = ["criteria", i], app.md(c.title)
                if c.kind in ("flag", "email_domain"):
                    app.number_slider(
                        title,
                        [*base, "points"],
                        -span,
                        span,
                        help=app.md(c.note) if c.note else None,
                    )
                elif c.kind == "ranges":
                    for j, band in enumerate(c.bands):
                        app.number_slider(
                            f"{title}: {app.md(band.describe())}",
                            [*base, "bands", j, "points"],
                            -span,
                            span,
                        )
                elif c.kind == "categories":
                    values = list(c.points)  # file order: sliders never jump around
                    for v in values[:MAX_VALUE_SLIDERS]:
                        app.number_slider(
                            f"{title}: {app.md(v)}", [*base, "points", v], -span, span
                        )
                    app.number_slider(f"{title}: any other value", [*base, "other"], -span, span)
                    if len(values) > MAX_VALUE_SLIDERS:
                        st.caption(
                            f"{len(values) - MAX_VALUE_SLIDERS} more values: edit them on "
                            "the Criteria page."
                        )
                elif c.kind == "activity_count":
                    each = c.points_each is not None
                    app.number_slider(
                        f"{title} (each time)" if each else title,
                        [*base, "points_each" if each else "points"],
                        -span,
                        span,
                        help=app.md(c.note) if c.note else None,
                    )
                elif c.kind == "recency":
                    for j, band in enumerate(c.bands):
                        app.number_slider(
                            f"{title}: {app.md(band.describe())} days ago",
                            [*base, "bands", j, "points"],
                            -span,
                            span,
                        )
                    app.number_slider(f"{title}: never", [*base, "missing"], -span, span)
        if m.matrix is not None:
            st.subheader("Fit × engagement")
            for axis in ("fit", "engagement"):
                th = getattr(m.matrix, f"{axis}_thresholds")
                names = getattr(m.matrix, f"{axis}_names")
                for k, t in enumerate(th):
                    # Thresholds descend: each stays between its neighbours.
                    high = th[k - 1] - 1 if k else max(span, t)
                    low = th[k + 1] + 1 if k + 1 < len(th) else min(0, t)
                    if low < high:
                        app.number_slider(
                            app.md(f"{axis.capitalize()} {names[k]} from"),
                            ["matrix", f"{axis}_thresholds", k],
                            low,
                            high,
                        )


tune()
app.next_link("leads", "Next: see the ranked leads and why")
