"""Streamlit glue shared by every page: session state, the DuckDB connection, callbacks.

This is the one module besides the pages that imports Streamlit (``workbench/`` never does).
It lives at the top level rather than as ``pages/_ui.py`` because Streamlit 1.67 lists every
``pages/*.py`` that does not start with a dot as a page, underscore or not.

State kept per browser session (``st.session_state``):

- the workspace (:mod:`workbench.workspace`) whose id is in the page address as ``?ws=…``;
- one DuckDB connection holding the leads in table ``leads``;
- the canonical model as a JSON-able dict under ``"model"``, with its undo history;
- the column choices (ID, outcome, converted values, leakage columns).

Every change to the model goes through :func:`commit`, which validates it, records it for
undo and autosaves it to the workspace.
"""

from __future__ import annotations

import copy
import dataclasses
import datetime
import re
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import duckdb
import pandas as pd
import streamlit as st
from streamlit.errors import StreamlitPageNotFoundError

from workbench import edits
from workbench.errors import UserError
from workbench.explain import Breakdown, activity_facts, explain_row
from workbench.history import History
from workbench.loading import load_leads, read_table_columns
from workbench.model import ScoringModel
from workbench.model_file import load_model_file, model_from_dict, model_to_dict
from workbench.placeholders import choice_for, load_mapping
from workbench.preview import Preview
from workbench.roles import guess_roles
from workbench.summary import Summary
from workbench.workspace import QUERY_PARAM, Workspace

ROOT = Path(__file__).resolve().parent
SAMPLE_LEADS = ROOT / "sample_data" / "leads.csv"
SAMPLE_MODEL = ROOT / "sample_data" / "model.yaml"
SAMPLE_NAME = "the bundled sample (sample_data/leads.csv)"
TABLE = "leads"
_STAGING = "leads_upload"

MODEL = "model"  # the canonical model dict; the only key pages may read directly
_WS, _CON, _HISTORY, _SETTINGS, _DATA = "wb_ws", "wb_con", "wb_history", "wb_settings", "wb_data"
_CURSORS = "wb_cursors"
_PROFILE, _FLASH, _REVISION, _CHECKS = "wb_profile", "wb_flash", "wb_revision", "wb_checks"
_PREVIEW = "wb_preview"
# (model, backtest) from the last full summary of an activity model: one scan serves both.
_ACTIVITY_BACKTEST = "wb_activity_backtest"

PAGES = {
    "home": "streamlit_app.py",
    "data": "pages/1_Data.py",
    "criteria": "pages/2_Criteria.py",
    "tune": "pages/3_Tune.py",
    "leads": "pages/4_Leads.py",
    "export": "pages/5_Export.py",
    "activity": "pages/8_Activity.py",
}


@dataclass
class DataInfo:
    """What is loaded in the session's ``leads`` table."""

    source: str
    rows: int
    columns: list[str]
    notes: list[str] = field(default_factory=list)
    version: int = 0
    is_sample: bool = False
    # per column, the "not answered" values the loader emptied and how often (LoadResult)
    emptied: dict[str, dict[str, int]] = field(default_factory=dict)


# --------------------------------------------------------------------------- start of a run


def init(title: str) -> None:
    """Set up the page and this session's state; call first on every page.

    A new session opens the workspace named in the address (or a new one), restores its
    leads, column choices and model, and falls back to the bundled sample otherwise.
    """
    st.set_page_config(
        page_title=f"{title} · Lead Scoring Workbench", page_icon=":material/target:", layout="wide"
    )
    ss = st.session_state
    if _WS not in ss:
        ws = Workspace.open(_query_workspace_id())
        ss[_WS] = ws
        ss[_CON] = duckdb.connect()
        _restore(ws)
    ws = ss[_WS]
    # Navigating between pages can drop the query string: put the id back every run, so a
    # browser refresh on any page finds the same workspace.
    if st.query_params.get(QUERY_PARAM) != ws.id:
        st.query_params[QUERY_PARAM] = ws.id


def _query_workspace_id() -> str | None:
    value = st.query_params.get(QUERY_PARAM)
    return value if isinstance(value, str) else None


def _restore(ws: Workspace) -> None:
    ss = st.session_state
    settings = ws.load_settings()
    if ws.has_leads() and ws.restore_leads(con(), TABLE):
        cols = read_table_columns(con(), TABLE)
        rows = _count_rows()
        source = str(settings.get("source") or "your uploaded file")
        emptied = settings.get("emptied")
        emptied = emptied if isinstance(emptied, dict) else {}
        ss[_DATA] = DataInfo(source, rows, cols, list(settings.get("notes", [])), 1, False, emptied)
    else:
        choices = settings.get("placeholders") if settings.get("is_sample") else None
        result = load_leads(
            con(),
            SAMPLE_LEADS,
            TABLE,
            filename=SAMPLE_LEADS.name,
            placeholders=load_mapping(choices),
        )
        ss[_DATA] = DataInfo(
            SAMPLE_NAME, result.rows, result.columns, result.notes, 1, True, result.placeholders
        )
        if not settings.get("is_sample"):
            settings = {}
    if not settings:
        settings = _fresh_settings()
    ss[_SETTINGS] = settings
    ws.save_settings(settings)

    model = _valid_or_none(ws.load_model())
    if model is None:
        model = _starting_model()
        ws.save_model(model)
    saved = _valid_or_none(ws.load_saved_model()) or model
    ss[MODEL] = model
    ss[_HISTORY] = History(model, saved=saved)


def _valid_or_none(raw: Any) -> dict[str, Any] | None:
    if raw is None:
        return None
    try:
        return model_to_dict(model_from_dict(raw))
    except UserError:
        return None


def _starting_model() -> dict[str, Any]:
    """The sample model on the sample data; otherwise a proposal built from the columns."""
    if data().is_sample:
        return model_to_dict(load_model_file(SAMPLE_MODEL))
    return proposed_model()


def _fresh_settings() -> dict[str, Any]:
    info = data()
    roles = guess_roles(profiles(), info.rows)
    return {
        "source": info.source,
        "is_sample": info.is_sample,
        "notes": info.notes,
        "emptied": info.emptied,
        "id_column": roles.id_column,
        "outcome": roles.outcome,
        "positive_values": roles.positive_values,
        "leakage": roles.leakage,
    }


# --------------------------------------------------------------------------- accessors


def con() -> duckdb.DuckDBPyConnection:
    """This session's DuckDB database, through a cursor of the calling thread's own.

    One DuckDB connection refuses concurrent calls, and a page switch can start a new script
    run while the old one is still inside a query; a cursor per thread keeps them apart (the
    cursors share the session's database, never another session's).
    """
    cursors: dict[int, duckdb.DuckDBPyConnection] = st.session_state.setdefault(_CURSORS, {})
    thread = threading.get_ident()
    if thread not in cursors:
        cursors[thread] = st.session_state[_CON].cursor()
    return cursors[thread]


def workspace() -> Workspace:
    """This session's workspace on disk."""
    return st.session_state[_WS]


def data() -> DataInfo:
    """What is loaded in the ``leads`` table."""
    return st.session_state[_DATA]


def settings() -> dict[str, Any]:
    """The column choices: id_column, outcome, positive_values, leakage."""
    return st.session_state[_SETTINGS]


def model_dict() -> dict[str, Any]:
    """The canonical model as a plain dict (treat it as read-only; edit through commit)."""
    return st.session_state[MODEL]


def model() -> ScoringModel:
    """The canonical model, validated."""
    return model_from_dict(model_dict())


def history() -> History:
    """The undo history of the model."""
    return st.session_state[_HISTORY]


def profiles() -> list[Any]:
    """The column profile of the loaded leads, computed once per data version."""
    from workbench.profile import profile_table

    ss = st.session_state
    version = data().version
    cached = ss.get(_PROFILE)
    if cached is None or cached[0] != version:
        cached = (version, profile_table(con(), TABLE))
        ss[_PROFILE] = cached
    return cached[1]


def excluded_columns() -> set[str]:
    """Columns never proposed as criteria: the ID, the outcome and the leakage columns."""
    s = settings()
    out = set(s.get("leakage") or [])
    out.update(c for c in (s.get("id_column"), s.get("outcome")) if c)
    return out


def proposed_model() -> dict[str, Any]:
    """A starting model proposed from the loaded columns (leakage and outcome left out)."""
    from workbench.propose import propose_model

    return model_to_dict(propose_model(profiles(), excluded_columns()))


def summary(m: ScoringModel | None = None) -> Summary:
    """Tier counts, histogram and conversion of the model on the loaded leads.

    A slider changes numbers only, so the leads are scanned once into a
    :class:`~workbench.preview.Preview` (kept per session) and each move is re-summarised
    from it; the preview is rebuilt when the criteria, the data or the outcome change. The
    result equals :func:`workbench.summary.summarize`.
    """
    m = m or model()
    s = settings()
    outcome = s.get("outcome") or None
    positive = s.get("positive_values") or None
    if any(c.kind in ("activity_count", "recency") for c in m.criteria):
        # Activity criteria read the event log: no preview, a full scan, which also gives the
        # backtest that live_backtest shows next (workbench.backtest.summary_and_backtest).
        from workbench.backtest import summary_and_backtest

        events, as_of = activity_state()
        result, bt = summary_and_backtest(
            con(),
            m,
            TABLE,
            data().columns,
            outcome=outcome,
            positive_values=positive,
            events=events,
            as_of=as_of,
        )
        st.session_state[_ACTIVITY_BACKTEST] = (_activity_key(m), bt)
        return result
    key = (data().version, outcome, tuple(positive or ()))
    cached = st.session_state.get(_PREVIEW)
    preview = cached[1] if cached is not None and cached[0] == key else None
    if preview is None or not preview.compatible(m):
        if cached is not None:
            cached[1].close()
        preview = Preview(
            con(), m, TABLE, data().columns, outcome=outcome, positive_values=positive
        )
        st.session_state[_PREVIEW] = (key, preview)
    return preview.summarize(m)


def live_backtest(m: ScoringModel) -> tuple[str, list[str]]:
    """The backtest beside the sliders, in words (call after :func:`summary` for ``m``).

    From the session's preview when it holds the level combinations (a slider move then costs
    milliseconds), else a full backtest in DuckDB.
    """
    from workbench.backtest import backtest, describe, evaluate

    s = settings()
    cached = st.session_state.get(_PREVIEW)
    preview = cached[1] if cached is not None else None
    has_activity = any(c.kind in ("activity_count", "recency") for c in m.criteria)
    if preview is not None and not has_activity and preview.compatible(m):
        counts = preview.score_counts(m)
        if counts is not None:
            return describe(evaluate(counts, m))
    last = st.session_state.get(_ACTIVITY_BACKTEST)
    if has_activity and last is not None and last[0] == _activity_key(m) and last[1] is not None:
        return describe(last[1])
    events, as_of = activity_state()
    result = backtest(
        con(),
        m,
        TABLE,
        data().columns,
        outcome=s["outcome"],
        positive_values=s.get("positive_values") or None,
        events=events,
        as_of=as_of,
    )
    return describe(result)


def _activity_key(m: ScoringModel) -> tuple[Any, ...]:
    """What an activity model's full summary depends on: the model, data, outcome and log."""
    s = settings()
    return (
        m.model_dump_json(),
        data().version,
        s.get("outcome"),
        tuple(s.get("positive_values") or ()),
        *activity_state(),
    )


def activity_state() -> tuple[str | None, Any]:
    """The events table (None until an activity log is mapped) and the as-of day (pages/8)."""
    return st.session_state.get("activity_events"), st.session_state.get("activity_as_of")


def activity_kwargs() -> dict[str, Any]:
    """``events=`` and ``as_of=`` for the core's scoring functions (see :func:`activity_state`)."""
    events, as_of = activity_state()
    return {"events": events, "as_of": as_of}


def explain_lead(m: ScoringModel, row: dict[str, Any]) -> Breakdown:
    """:func:`workbench.explain.explain_row` for one scored row, with what the lead did.

    Activity criteria are described from the session's activity log ("3 page views in the
    last 30 days"); the row must carry the model's lead id column for that.
    """
    from workbench.model import uses_activity

    events, as_of = activity_state()
    facts = None
    if events is not None and m.activity is not None and uses_activity(m):
        lead_id = row.get(m.activity.lead_id_column)
        facts = activity_facts(con(), m, events, lead_id, as_of=as_of)
    return explain_row(m, row, facts)


def _count_rows() -> int:
    # fetchall, not fetchone: a result left unfinished blocks the connection's next .sql().
    rows = con().execute(f'SELECT count(*) FROM "{TABLE}"').fetchall()
    return int(rows[0][0])


# --------------------------------------------------------------------------- model edits


def commit(new: dict[str, Any]) -> bool:
    """Make ``new`` the model: validate, record for undo, autosave.

    Returns:
        False when the model is not valid; the reason is flashed and the old model kept.
    """
    try:
        clean = model_to_dict(model_from_dict(new))
    except UserError as e:
        flash(str(e))
        return False
    if history().push(clean):
        _set_model(clean)
    return True


def _set_model(d: dict[str, Any]) -> None:
    st.session_state[MODEL] = d
    st.session_state[_REVISION] = revision() + 1
    workspace().save_model(d)


def revision() -> int:
    """Counts model changes; part of the keys of widgets that must be redrawn after one."""
    return int(st.session_state.get(_REVISION, 0))


def undo() -> None:
    """Step back one model edit."""
    d = history().undo()
    if d is not None:
        _set_model(d)


def redo() -> None:
    """Bring back the last undone edit."""
    d = history().redo()
    if d is not None:
        _set_model(d)


def mark_saved() -> None:
    """Make the current model the version "reset to saved" returns to."""
    history().mark_saved()
    workspace().save_saved_model(model_dict())


def reset_to_saved() -> None:
    """Return to the saved version (undo can take this back)."""
    _set_model(history().reset_to_saved())


def replace_model(new: dict[str, Any], *, saved: bool = False) -> bool:
    """Commit a whole new model (a loaded file, a proposal); optionally mark it saved."""
    ok = commit(new)
    if ok and saved:
        mark_saved()
    return ok


def get_path(d: Any, path: Sequence[Any], default: Any = None) -> Any:
    """``d[p0][p1]…``, or ``default`` when any step is missing."""
    node = d
    for step in path:
        try:
            node = node[step]
        except (KeyError, IndexError, TypeError):
            return default
    return node


def with_path(d: dict[str, Any], path: Sequence[Any], value: Any) -> dict[str, Any]:
    """A deep copy of ``d`` with ``value`` at ``path`` (``None`` removes the key)."""
    out = copy.deepcopy(d)
    node: Any = out
    for step in path[:-1]:
        node = node[step]
    last = path[-1]
    if value is None and isinstance(node, dict):
        node.pop(last, None)
    else:
        node[last] = value
    return out


def model_key(path: Sequence[Any], prefix: str = "m") -> str:
    """A widget key derived from a model path; criteria are named by id, not position."""
    parts: list[str] = [prefix]
    steps = list(path)
    if len(steps) >= 2 and steps[0] == "criteria" and isinstance(steps[1], int):
        cid = get_path(model_dict(), ["criteria", steps[1], "id"], steps[1])
        steps = ["c", cid, *steps[2:]]
    parts += [str(s) for s in steps]
    return ":".join(parts)


def bind(
    widget: Callable[..., Any],
    label: str,
    path: Sequence[Any],
    *,
    default: Any = None,
    show: Callable[[Any], Any] | None = None,
    store: Callable[[Any], Any] | None = None,
    key_prefix: str = "m",
    **kwargs: Any,
) -> Any:
    """Draw ``widget`` showing the model's value at ``path``; a change is committed to the model.

    The widget's state is set from the model before it is drawn whenever they differ, so
    undo, redo and a loaded file show at once; the widget gets no ``value=`` argument
    (Streamlit warns when both are given).

    Args:
        widget: a Streamlit input such as ``st.slider`` or ``st.text_input``.
        label: the widget's visible label.
        path: where the value lives in the model dict.
        default: the value when the model has none at ``path``.
        show: model value → widget value.
        store: widget value → model value (``None`` removes the key).
        key_prefix: distinguishes two widgets bound to the same path.
        **kwargs: passed to the widget.
    """
    key = model_key(path, key_prefix)
    value = get_path(model_dict(), path, default)
    wanted = show(value) if show else value
    # Write only when the model moved away from the widget (undo, a loaded file, a refused
    # edit), or when the widget's range changed: Streamlit then makes a new widget that would
    # start at its default. A needless write is pushed to the browser and undoes keys pressed
    # meanwhile.
    identity = repr([kwargs.get(k) for k in ("min_value", "max_value", "step", "options")])
    ss = st.session_state
    if key not in ss or ss[key] != wanted or ss.get(f"{key}:identity") != identity:
        ss[key] = wanted
    ss[f"{key}:identity"] = identity
    return widget(
        label, key=key, on_change=_on_bound_change, args=(key, list(path), store), **kwargs
    )


def _on_bound_change(key: str, path: list[Any], store: Callable[[Any], Any] | None) -> None:
    value = st.session_state[key]
    commit(with_path(model_dict(), path, store(value) if store else value))


def number_slider(
    label: str,
    path: Sequence[Any],
    low: float,
    high: float,
    *,
    container: Any = None,
    **kwargs: Any,
) -> None:
    """A slider bound to a number in the model: whole steps, or half steps for decimals."""
    value = float(get_path(model_dict(), path, 0) or 0)
    low, high = min(low, value), max(high, value)
    whole = all(float(x).is_integer() for x in (low, high, value))
    cast: Callable[[Any], Any] = int if whole else float
    target = container if container is not None else st
    bind(
        target.slider,
        label,
        path,
        show=lambda v: cast(v or 0),
        min_value=cast(low),
        max_value=cast(high),
        step=cast(1 if whole else 0.5),
        **kwargs,
    )


def bind_table(label: str, path: Sequence[Any], kind: str, **kwargs: Any) -> None:
    """A table editor for a criterion's bands (``kind="bands"``) or category points.

    The editor reports its edits, not its rows, so each model change gets a fresh editor
    (the model revision is part of its key) and the edits are applied to the rows it showed.
    """
    current = get_path(model_dict(), path, [] if kind == "bands" else {})
    rows = edits.bands_to_rows(current) if kind == "bands" else edits.categories_to_rows(current)
    key = f"{model_key(path, 't')}:{revision()}"
    columns = edits.BAND_COLUMNS if kind == "bands" else edits.CATEGORY_COLUMNS
    frame = pd.DataFrame(rows, columns=list(columns))
    st.data_editor(
        frame,
        key=key,
        num_rows="dynamic",
        hide_index=True,
        width="stretch",
        on_change=_on_table_change,
        args=(key, list(path), kind, rows),
        **kwargs,
    )
    st.caption(label)


def _on_table_change(key: str, path: list[Any], kind: str, rows: list[dict[str, Any]]) -> None:
    changed = edits.apply_table_edits(rows, st.session_state[key])
    try:
        value = (
            edits.rows_to_bands(changed) if kind == "bands" else edits.rows_to_categories(changed)
        )
    except UserError as e:
        flash(str(e))
        return
    commit(with_path(model_dict(), path, value))


def add_criterion(column: str, kind: str | None) -> None:
    """Add a criterion proposed for ``column`` (of the proposed kind, or ``kind``)."""
    from workbench.propose import propose_criterion

    profile = next((p for p in profiles() if p.name == column), None)
    if profile is None:
        flash(f"The data has no column {column!r}; pick another.")
        return
    if kind:
        profile = dataclasses.replace(profile, kind=kind)
    ids = [c["id"] for c in model_dict().get("criteria", [])]
    criterion = propose_criterion(profile, ids)
    if criterion is None:
        flash(
            f"The app cannot build a criterion from {column!r} as it is ({profile.kind}); "
            "pick another column or another kind."
        )
        return
    data_ = criterion.model_dump(mode="json", by_alias=True, exclude_none=True)
    if commit(edits.add_criterion(model_dict(), data_)):
        flash(f"Added “{criterion.title}”. Set its points below.", kind="success")


def remove_criterion(criterion_id: str) -> None:
    """Remove a criterion (undo brings it back)."""
    commit(edits.remove_criterion(model_dict(), criterion_id))


def propose_all() -> None:
    """Replace the criteria with a proposal from the data (tiers and scale kept)."""
    proposal = proposed_model()
    commit(edits.replace_criteria(model_dict(), proposal["criteria"]))
    flash(
        f"Proposed {len(proposal['criteria'])} criteria from the columns; undo on Tune brings "
        "the old ones back.",
        kind="success",
    )


def load_model_upload(key: str) -> None:
    """Callback of the model file uploader: load the file strictly, or keep the model.

    Runs before the page is drawn, so every widget already shows the loaded model. The
    outcome is kept under ``"<key>:result"`` as ("success" | "error", sentence).
    """
    from workbench.model_file import load_model_text

    upload = st.session_state.get(key)
    if upload is None:
        st.session_state.pop(f"{key}:result", None)
        return
    try:
        loaded = load_model_text(upload.getvalue(), source=f"“{upload.name}”")
    except UserError as e:
        st.session_state[f"{key}:result"] = ("error", f"{e} Your current model is unchanged.")
        return
    replace_model(model_to_dict(loaded), saved=True)
    message = (
        f"Loaded “{loaded.name}” with {len(loaded.criteria)} criteria; it is now the saved version."
    )
    if check_model(model()):
        message += " It does not fit the loaded leads everywhere: see below."
    st.session_state[f"{key}:result"] = ("success", message)


# --------------------------------------------------------------------------- settings


def set_setting(name: str, value: Any) -> None:
    """Change one column choice and save it."""
    s = dict(settings())
    s[name] = value
    st.session_state[_SETTINGS] = s
    workspace().save_settings(s)


def bind_setting(widget: Callable[..., Any], label: str, name: str, **kwargs: Any) -> Any:
    """Draw ``widget`` showing a column choice; a change is saved."""
    key = f"setting:{name}"
    wanted = settings().get(name)
    if widget is st.multiselect:
        wanted = list(wanted or [])
    if key not in st.session_state or st.session_state[key] != wanted:
        st.session_state[key] = wanted
    return widget(label, key=key, on_change=_on_setting_change, args=(key, name), **kwargs)


def _on_setting_change(key: str, name: str) -> None:
    set_setting(name, st.session_state[key])
    if name == "outcome":
        set_setting("positive_values", [])


# --------------------------------------------------------------------------- loading data


def load_upload(name: str, payload: bytes) -> bool:
    """Load an uploaded lead file with a progress bar; keep the old data if it fails.

    On success the file is saved to the workspace, the column choices are guessed afresh,
    and when the model's columns are not in the new file a starting model is proposed
    (undo brings the old one back).
    """
    with st.status(f"Loading {name}…", expanded=True) as status:
        bar = st.progress(0.0, text="Starting…")

        def progress(fraction: float, message: str) -> None:
            bar.progress(min(max(fraction, 0.0), 1.0), text=message)

        try:
            result = load_leads(con(), payload, _STAGING, filename=name, progress=progress)
        except UserError as e:
            status.update(label=f"Could not load {name}", state="error")
            show_error(e)
            return False
        c = con()
        c.execute(f'DROP TABLE IF EXISTS "{TABLE}"')
        c.execute(f'ALTER TABLE "{_STAGING}" RENAME TO "{TABLE}"')
        bar.progress(1.0, text="Saving to your workspace…")
        workspace().save_leads(c, TABLE)
        workspace().save_upload(payload)  # to load it again with other placeholders
        _after_new_data(
            DataInfo(name, result.rows, result.columns, result.notes, emptied=result.placeholders)
        )
        set_setting("upload_name", name)
        status.update(label=f"Loaded {name}: {result.rows:,} leads", state="complete")
    return True


def use_sample() -> None:
    """Go back to the bundled sample leads (the model is kept)."""
    result = load_leads(con(), SAMPLE_LEADS, TABLE, filename=SAMPLE_LEADS.name)
    workspace().forget_leads()
    _after_new_data(
        DataInfo(
            SAMPLE_NAME,
            result.rows,
            result.columns,
            result.notes,
            is_sample=True,
            emptied=result.placeholders,
        )
    )


def placeholder_choice(column: str) -> tuple[list[str], bool]:
    """A column's saved "not answered" choice: extra values, and whether the usual list applies."""
    return choice_for(settings().get("placeholders"), column)


def apply_placeholder_choice(column: str, extra_key: str, defaults_key: str) -> None:
    """Callback: save a column's placeholders (from two widgets) and load the leads again.

    The leads are read again from the kept upload (or the bundled sample) with every saved
    column choice; the column choices and the model stay. On failure the loaded leads stay.
    """
    from workbench.placeholders import parse_values

    ss = st.session_state
    choices = dict(settings().get("placeholders") or {})
    extra, defaults = parse_values(str(ss.get(extra_key) or "")), bool(ss.get(defaults_key))
    if extra or not defaults:
        choices[column] = {"extra": extra, "defaults": defaults}
    else:
        choices.pop(column, None)
    info = data()
    name = (
        SAMPLE_LEADS.name if info.is_sample else str(settings().get("upload_name") or info.source)
    )
    payload = SAMPLE_LEADS if info.is_sample else workspace().load_upload()
    if payload is None:
        flash(
            "This workspace does not keep the original file (it was loaded by an older "
            "version), so upload it again to change which values mean “not answered”."
        )
        return
    try:
        result = load_leads(
            con(), payload, _STAGING, filename=name, placeholders=load_mapping(choices)
        )
    except UserError as e:
        flash(str(e))
        return
    c = con()
    c.execute(f'DROP TABLE IF EXISTS "{TABLE}"')
    c.execute(f'ALTER TABLE "{_STAGING}" RENAME TO "{TABLE}"')
    if not info.is_sample:
        workspace().save_leads(c, TABLE)
    ss[_DATA] = dataclasses.replace(
        info,
        rows=result.rows,
        columns=result.columns,
        notes=result.notes,
        emptied=result.placeholders,
        version=info.version + 1,
    )
    s = dict(settings())
    s.update(placeholders=choices, notes=result.notes, emptied=result.placeholders)
    ss[_SETTINGS] = s
    workspace().save_settings(s)
    total = sum(sum(v.values()) for v in result.placeholders.values())
    flash(f"Loaded the leads again: {total:,} values now count as not answered.", kind="success")


def _after_new_data(info: DataInfo) -> None:
    ss = st.session_state
    info.version = data().version + 1
    ss[_DATA] = info
    ss[_SETTINGS] = _fresh_settings()
    workspace().save_settings(settings())
    if missing_columns(model()):
        if info.is_sample:
            commit(model_to_dict(load_model_file(SAMPLE_MODEL)))
        else:
            commit(proposed_model())
        flash(
            "The model used columns this file does not have, so the app proposed a new model "
            "from its columns. Undo on the Tune page brings the old one back.",
            kind="info",
        )


def missing_columns(m: ScoringModel) -> list[str]:
    """The model's columns that the loaded leads lack (compared like the compiler does)."""
    have = {c.casefold() for c in data().columns}
    return [c.column for c in m.criteria if c.column.casefold() not in have]


# --------------------------------------------------------------------------- messages


def flash(message: str, kind: str = "error") -> None:
    """Keep a message for :func:`show_flash` (callbacks run before the page is drawn)."""
    st.session_state[_FLASH] = (kind, message)


def show_flash() -> None:
    """Show and forget the last flashed message."""
    item = st.session_state.pop(_FLASH, None)
    if item:
        kind, message = item
        {"error": st.error, "info": st.info, "success": st.success}[kind](md(message))


def md(text: Any) -> str:
    """User text made inert for Streamlit's Markdown (labels, captions): no links, no images."""
    return _MD_SPECIAL.sub(lambda m: "\\" + m.group(0), " ".join(str(text).split()))


_MD_SPECIAL = re.compile(r"[\\`*_{}\[\]<>#!|~$]")


def show_error(error: Exception | str) -> None:
    """One readable sentence in the page, never a traceback (user text shown as typed)."""
    st.error(md(str(error)))


def next_link(page: str, label: str) -> None:
    """A link to the next step (left out when a page runs on its own, as in a test)."""
    try:
        st.page_link(PAGES[page], label=label, icon=":material/arrow_forward:")
    except StreamlitPageNotFoundError:
        pass


def page_links() -> None:
    """Links to the five steps, in order."""
    st.page_link(
        PAGES["data"], label="1 · Data: load leads and pick columns", icon=":material/upload_file:"
    )
    st.page_link(PAGES["criteria"], label="2 · Criteria: what earns points", icon=":material/rule:")
    st.page_link(PAGES["tune"], label="3 · Tune: weights and tiers, live", icon=":material/tune:")
    st.page_link(PAGES["leads"], label="4 · Leads: ranked, and why", icon=":material/leaderboard:")
    st.page_link(
        PAGES["export"], label="5 · Export: YAML and scored leads", icon=":material/download:"
    )


def check_model(m: ScoringModel) -> list[str]:
    """Problems of the model on the loaded data (missing columns, unusable values), cached."""
    from workbench.scoring import validate_against_data

    ss = st.session_state
    key = (revision(), data().version)
    cached = ss.get(_CHECKS)
    if cached is None or cached[0] != key:
        try:
            problems = validate_against_data(con(), m, TABLE, data().columns)
        except UserError as e:
            problems = [str(e)]
        cached = (key, problems)
        ss[_CHECKS] = cached
    return cached[1]


def scored_file(
    cursor: duckdb.DuckDBPyConnection,
    m: ScoringModel,
    columns: Sequence[str],
    kind: str,
    *,
    events: str | None = None,
    as_of: datetime.date | None = None,
) -> bytes:
    """Every lead scored, as CSV (``kind="csv"``) or Excel (``"xlsx"``) bytes.

    ``events`` and ``as_of`` are the activity log table and scoring day, for activity criteria.
    """
    from workbench.export import scored_csv_bytes, scored_excel_bytes
    from workbench.scoring import score_frame

    frame = score_frame(cursor, m, TABLE, columns, order_by_score=False, events=events, as_of=as_of)
    return scored_csv_bytes(frame) if kind == "csv" else scored_excel_bytes(frame)


def scored_file_builder(m: ScoringModel, kind: str) -> Callable[[], bytes]:
    """A no-argument builder for a download button: runs only when the button is clicked.

    Streamlit calls it on another thread, so it gets its own cursor (DuckDB refuses
    concurrent calls on one connection) and a snapshot of the model, the columns and the
    activity log with its as-of day.
    """
    parent = con()
    columns = list(data().columns)
    activity = activity_kwargs()

    def build() -> bytes:
        cursor = parent.cursor()
        try:
            return scored_file(cursor, m, columns, kind, **activity)
        finally:
            cursor.close()

    return build


def slug(name: str) -> str:
    """A file name made from a model name: 'B2B inbound 2026-Q4' → 'b2b-inbound-2026-q4'."""
    return re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-") or "model"
