"""Step 6: learn from history: which columns matter, suggested points, a hot threshold."""

import json
from collections.abc import Callable
from typing import Any

import streamlit as st

import app_support as app
from workbench.backtest import backtest, date_columns, describe_tier
from workbench.charts import conversion_by_tier, gains_chart
from workbench.errors import UserError
from workbench.signals import find_signals
from workbench.suggest import apply_suggestions, suggest_points
from workbench.thresholds import (
    apply_threshold,
    threshold_for_capacity,
    threshold_for_f1,
    threshold_for_percentile,
)

app.init("Learn")
st.title("6 · Learn from history")
st.write(
    "Check the model against leads whose outcome you know: does a higher score really mean a "
    "likelier conversion? See which columns matter, take the points the data suggest, and set "
    "the hot threshold from what sales can handle."
)
app.show_flash()
s, info = app.settings(), app.data()
if not s.get("outcome"):
    st.info("Pick the outcome column (did the lead convert?) on the Data page first.")
    app.next_link("data", "Go to the Data page")
    st.stop()
TABLE: dict[str, Any] = {"width": "stretch", "hide_index": True}
PERCENT = {"Conversion": st.column_config.NumberColumn(format="percent")}


def cached(name: str, key: Any, compute: Callable[[], Any]) -> Any:
    """Recompute only when the key (data, settings, model) changes."""
    slot, full = f"learn:cache:{name}", json.dumps(key, sort_keys=True, default=str)
    if st.session_state.get(slot, ("",))[0] != full:
        st.session_state[slot] = (full, compute())
    return st.session_state[slot][1]


def change_model(change: Callable[[], dict[str, Any]], done: str) -> None:
    """Button callback: commit the changed model (so undo works), or say why not."""
    try:
        if app.commit(change()):
            app.flash(done, kind="success")
    except UserError as e:
        app.flash(str(e))


outcome = {"outcome": s["outcome"], "positive_values": s.get("positive_values") or None}
columns = {"skip": [s.get("id_column") or ""], "leakage_columns": s.get("leakage") or []}
data_key = [info.version, outcome, columns]
date = st.selectbox(
    "Date column for a time split (optional)",
    [None, *cached("dates", data_key, lambda: date_columns(app.con(), app.TABLE))],
    key="learn:date",
    format_func=lambda c: "— no time split —" if c is None else c,
    help="Fit on the older leads and check on the most recent quarter, which the fit never saw.",
)
m = app.model()
log, log_day = app.activity_state()  # the activity log, for activity criteria
activity = {"events": log, "as_of": log_day}
model_key = [*data_key, date, app.model_dict(), activity]
try:
    bt = cached(
        "backtest",
        model_key,
        lambda: backtest(
            app.con(), m, app.TABLE, info.columns, date_column=date, **outcome, **activity
        ),
    )
    signals = cached(
        "signals",
        data_key,
        lambda: find_signals(app.con(), app.TABLE, app.profiles(), **outcome, **columns),
    )
except UserError as e:
    app.show_error(e)
    st.stop()

st.header("How the model does on history")
for w in [*bt.warnings, *bt.notes]:
    st.warning(app.md(w))
if bt.converted:
    a, b, c = st.columns(3)
    a.metric(
        "AUC",
        f"{bt.auc:.2f}" if bt.auc is not None else "–",
        border=True,
        help="The chance a converted lead outscores one that did not: 0.5 is luck, 1 perfect.",
    )
    b.metric(f"Top {bt.top[0].percent}% of scores", f"{bt.top[0].capture:.0%}", border=True)
    c.metric("Base rate", f"{bt.base_rate:.1%}", border=True)
    st.markdown(app.md(bt.headline()))
    for line in [*(describe_tier(t) for t in bt.tiers), bt.split_sentence()]:
        st.caption(app.md(line))
    left, right = st.columns(2)
    left.altair_chart(gains_chart(bt), width="stretch")
    right.altair_chart(conversion_by_tier(app.summary(m)), width="stretch")

st.header("Which columns matter")
for w in [*signals.warnings, *(sig.leak_sentence() for sig in signals.leaks)]:
    st.warning(app.md(w))
bar = {"Information value": st.column_config.ProgressColumn(max_value=1.5)}
st.dataframe(signals.rows(), column_config=bar, **TABLE)
if signals.signals:
    names = [sig.column for sig in signals.signals]
    pick = st.selectbox("Look at the values of one column", names, key="learn:column")
    st.dataframe(signals.signal(pick).level_rows(), column_config=PERCENT, **TABLE)

st.header("Suggested points")


def show_suggestions() -> None:
    """Current beside suggested points, with accept buttons (a refit only when inputs change)."""
    sg = cached(
        "suggest",
        model_key,
        lambda: suggest_points(
            app.con(),
            m,
            app.TABLE,
            app.profiles(),
            date_column=date,
            **outcome,
            **columns,
            **activity,
        ),
    )
    a, b = st.columns(2)
    a.metric("AUC now", f"{sg.current.auc:.2f}" if sg.current and sg.current.auc else "–")
    b.metric("AUC with every suggestion", f"{sg.suggested.auc:.2f}" if sg.suggested.auc else "–")
    st.caption(app.md(sg.check_sentence()))
    st.dataframe(sg.rows(), column_config=PERCENT, **TABLE)
    titles = {c.id: c.title + (" (new)" if c.is_new else "") for c in sg.criteria if c.changed}
    chosen = st.multiselect(
        "Criteria to accept", list(titles), key="learn:pick", format_func=titles.get
    )
    x, y = st.columns(2)
    x.button(
        "Accept the chosen ones",
        key="learn:accept",
        disabled=not chosen,
        on_click=change_model,
        args=(
            lambda: apply_suggestions(app.model_dict(), sg, chosen),
            f"Accepted {len(chosen)} suggestion(s); undo on Tune takes them back.",
        ),
    )
    y.button(
        "Accept all",
        key="learn:accept_all",
        type="primary",
        disabled=not titles,
        on_click=change_model,
        args=(
            lambda: apply_suggestions(app.model_dict(), sg),
            "Accepted every suggestion; undo on Tune takes them back.",
        ),
    )
    for note in sg.notes:
        st.info(app.md(note))
    with st.expander(f"Columns left out ({len(sg.left_out)})"):
        for column, reason in sg.left_out:
            st.markdown(app.md(f"{column}: {reason}."))


try:
    show_suggestions()
except UserError as e:
    app.show_error(e)

st.header("Hot threshold")
top = m.tiers[-1].name
cap, pct, f1 = st.columns(3)
calls = cap.number_input("Sales can call per week", 0, 1_000_000, 40, key="learn:calls")
monthly = cap.number_input("Leads arriving per month", 1, 10_000_000, 600, key="learn:monthly")
percentile = pct.slider("Hot above this percentile", 50, 99, 90, key="learn:percentile")
f1.caption("F1: the threshold that best balances catching converted leads against calls wasted.")
choices = {
    "capacity": (cap, lambda: threshold_for_capacity(bt.counts, calls, monthly)),
    "percentile": (pct, lambda: threshold_for_percentile(bt.counts, percentile)),
    "f1": (f1, lambda: threshold_for_f1(bt.counts)),
}
for name, (col, make) in choices.items():
    choice = make()
    for line in [choice.describe(), *choice.notes]:
        col.markdown(app.md(line))
    col.button(
        f"Make it the {top} threshold",
        key=f"learn:apply:{name}",
        disabled=choice.threshold is None,
        on_click=change_model,
        args=(
            lambda t=choice.threshold: apply_threshold(app.model_dict(), t),
            f"The {top} tier now starts at {choice.threshold or 0:g}.",
        ),
    )
app.next_link("tune", "Next: fine-tune the points and tiers")
