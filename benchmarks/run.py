"""`make bench`: time the workbench against a plain pandas reference on synthetic leads.

Usage::

    python benchmarks/run.py [--sizes 100k,1M,5M] [--runs 5] [--with-10m] [--json OUT]
                             [--browser | --no-browser] [--browser-sizes 100k,1M] [--only-browser]

For every size it generates (once, seeded, into benchmarks/data/) a 20-column lead CSV, then
reports the median of ``--runs`` timed runs after one warm-up run of:

* CSV ingest: ``workbench.loading.load_leads`` into a fresh in-memory DuckDB vs ``pd.read_csv``;
* full re-score + histogram + tier counts + conversion + backtest (lift and capture per tier,
  top 10/20/30 %, AUC): ``workbench.backtest.summary_and_backtest`` vs the pandas reference
  (benchmarks/reference.py), after checking both give the identical score for every lead and
  the same summary and backtest figures;
* the slider path, one weight change and one threshold change: ``Preview.summarize`` vs the
  pandas reference re-scoring (and vs the full DuckDB ``summarize``, what a move would cost
  without the preview);
* ``Preview`` build time, and the per-lead fallback it uses when levels do not collapse;
* peak memory: ``VmHWM`` of a fresh child process per size and engine that loads the CSV
  and summarises it, against the CSV's size;
* in a real browser (benchmarks/browser.py, on by default when Chromium and Playwright are
  installed): key-press on the Tune page's threshold slider → updated tier counts.

Ratios (reference time / workbench time, measured in the same run) are the headline; the table
goes to standard output and everything to JSON (benchmarks/out/latest.json by default).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(ROOT))

import duckdb  # noqa: E402
import numpy as np  # noqa: E402

from benchmarks.data import MODEL, OUTCOME, ensure_csv  # noqa: E402
from workbench.backtest import Backtest, summary_and_backtest  # noqa: E402
from workbench.compiler import compile_scoring  # noqa: E402
from workbench.loading import load_leads  # noqa: E402
from workbench.model import ScoringModel  # noqa: E402
from workbench.model_file import model_from_dict  # noqa: E402
from workbench.preview import Preview  # noqa: E402
from workbench.summary import Summary, summarize  # noqa: E402

DATA = HERE / "data"
OUT = HERE / "out"
TARGETS = {
    "slider_ms_1m": 30.0,
    "full_speedup": 5.0,
    "ingest_s_1m": 1.5,
    "memory_ratio": 1.5,
    "browser_ms_1m": 300.0,
}


def parse_size(text: str) -> int:
    """'100k' → 100000, '1M' → 1000000, '2500' → 2500."""
    text = text.strip().lower().replace("_", "")
    scale = {"k": 1_000, "m": 1_000_000}.get(text[-1:], 1)
    return int(float(text.rstrip("km")) * scale)


def label(rows: int) -> str:
    return f"{rows // 1_000_000}M" if rows % 1_000_000 == 0 else f"{rows // 1_000}k"


def timed(fn: Callable[[int], Any], runs: int) -> tuple[float, Any]:
    """Median seconds of ``runs`` calls after one warm-up call; ``fn`` gets the run number."""
    result = fn(0)
    times = []
    for i in range(1, runs + 1):
        start = time.perf_counter()
        result = fn(i)
        times.append(time.perf_counter() - start)
    return statistics.median(times), result


def variant(change: str, i: int) -> ScoringModel:
    """The benchmark model after one slider move (a different value on every run)."""
    raw = json.loads(json.dumps(MODEL))
    if change == "weight":
        raw["criteria"][0]["points"] = 30 + i  # the demo-request flag's points
    elif change == "threshold":
        raw["tiers"][1]["min_score"] = 40 + i % 20  # where "warm" starts
    return model_from_dict(raw)


def same_summary(a: Summary, b: Summary) -> bool:
    """Exact counts and histogram; statistics to 1e-9."""
    if [(t.count, t.converted) for t in a.tiers] != [(t.count, t.converted) for t in b.tiers]:
        return False
    if [(x.count, x.by_tier) for x in a.histogram] != [(x.count, x.by_tier) for x in b.histogram]:
        return False
    pairs = [(a.mean, b.mean), (a.median, b.median), (a.p90, b.p90), (a.maximum, b.maximum)]
    return all(x is not None and y is not None and abs(x - y) < 1e-9 for x, y in pairs)


def same_as_reference(s: Summary, ref: dict[str, Any]) -> bool:
    return (
        [t.count for t in s.tiers] == ref["tiers"]
        and [t.converted for t in s.tiers] == ref["converted"]
        and [b.count for b in s.histogram] == ref["histogram"]
        and abs((s.median or 0) - ref["median"]) < 1e-9
        and abs((s.p90 or 0) - ref["p90"]) < 1e-9
        and abs((s.mean or 0) - ref["mean"]) < 1e-9
    )


def same_backtest(bt: Backtest | None, ref: dict[str, Any]) -> bool:
    """Lift and capture per tier, conversions in the top 10/20/30 % and AUC, to 1e-9."""
    if bt is None:
        return False
    ours = [t.lift for t in bt.tiers] + [t.capture for t in bt.tiers]
    ours += [t.converted for t in bt.top] + [bt.auc]
    theirs = ref["lift"] + ref["capture"] + ref["top_converted"] + [ref["auc"]]
    return len(ours) == len(theirs) and all(
        x is not None and abs(float(x) - float(y)) < 1e-9 for x, y in zip(ours, theirs, strict=True)
    )


def bench_size(rows: int, runs: int) -> dict[str, Any]:
    """Every measurement for one size; returns the JSON-able record."""
    import pandas as pd

    from benchmarks import reference

    name = label(rows)
    print(f"\n== {name} leads: generating / reusing the CSV…", flush=True)
    csv = ensure_csv(rows, DATA)
    record: dict[str, Any] = {
        "rows": rows,
        "csv_bytes": csv.stat().st_size,
        "runs": runs,
        "results": {},
    }
    res = record["results"]
    model = model_from_dict(MODEL)

    print("   ingest…", flush=True)
    cons: list[duckdb.DuckDBPyConnection] = []

    def ingest(_: int) -> Any:
        for old in cons:
            old.close()
        cons.clear()
        cons.append(duckdb.connect())
        return load_leads(cons[0], csv, "leads")

    t_ingest, loaded = timed(ingest, runs)
    t_pd_ingest, df = timed(lambda _: pd.read_csv(csv), runs)
    con, columns = cons[0], loaded.columns
    res["ingest"] = {"workbench": t_ingest, "reference": t_pd_ingest}

    print("   checking identical scores…", flush=True)
    query = compile_scoring(model, "leads", columns, keep=["lead_id"])
    ours = con.execute(
        f"SELECT score FROM ({query.sql}) ORDER BY lead_id",  # noqa: S608
        query.params,
    ).fetchnumpy()["score"]
    theirs = reference.score(df.sort_values("lead_id"), model)
    record["identical_scores"] = bool(np.array_equal(np.asarray(ours), theirs))
    if not record["identical_scores"]:
        diff = int(np.sum(np.asarray(ours) != theirs))
        print(f"   !! {diff:,} scores differ between DuckDB and the pandas reference")

    print("   full re-score…", flush=True)

    def full(_: int) -> tuple[Summary, Backtest | None]:
        return summary_and_backtest(con, model, "leads", columns, outcome=OUTCOME)

    t_full, (s_full, bt_full) = timed(full, runs)
    t_pd_full, ref_full = timed(
        lambda _: reference.summarize_and_backtest(df, model, OUTCOME), runs
    )
    res["full_rescore"] = {"workbench": t_full, "reference": t_pd_full}
    record["same_summary_as_reference"] = same_as_reference(s_full, ref_full)
    record["same_backtest_as_reference"] = same_backtest(bt_full, ref_full)

    print("   preview build…", flush=True)
    previews: list[Preview] = []

    def build(_: int) -> Preview:
        previews.clear()
        previews.append(Preview(con, model, "leads", columns, outcome=OUTCOME))
        return previews[0]

    t_build, preview = timed(build, runs)
    res["preview_build"] = {"workbench": t_build, "reference": None}
    record["combinations"] = preview.combinations
    record["preview_mode"] = preview.mode
    record["preview_matches_summarize"] = same_summary(preview.summarize(model), s_full)

    slider_runs = max(runs, 20)  # cheap: more runs steady the median of a millisecond figure
    for change in ("weight", "threshold"):
        print(f"   slider path ({change})…", flush=True)
        models = [variant(change, i) for i in range(slider_runs + 1)]

        def slide(i: int, m: list[ScoringModel] = models) -> Summary:
            return preview.summarize(m[i])

        def slide_full(i: int, m: list[ScoringModel] = models) -> Summary:
            return summarize(con, m[i], "leads", columns, outcome=OUTCOME)

        def slide_pandas(i: int, m: list[ScoringModel] = models) -> dict[str, Any]:
            return reference.summarize(df, m[i], OUTCOME)

        t_prev, _ = timed(slide, slider_runs)
        t_db, s_db = timed(slide_full, runs)
        t_pd, _ = timed(slide_pandas, runs)
        res[f"slider_{change}"] = {
            "workbench": t_prev,
            "reference": t_pd,
            "duckdb_full": t_db,
        }
        record[f"slider_{change}_matches"] = same_summary(preview.summarize(models[runs]), s_db)

    print("   per-lead fallback…", flush=True)
    fallback: list[Preview] = []

    def build_rows(_: int) -> Preview:
        for old in fallback:
            old.close()
        fallback.clear()
        fallback.append(Preview(con, model, "leads", columns, outcome=OUTCOME, max_combinations=0))
        return fallback[0]

    t_fb_build, rows_preview = timed(build_rows, runs)
    models = [variant("weight", i) for i in range(runs + 1)]
    t_fb, s_fb = timed(lambda i: rows_preview.summarize(models[i]), runs)
    rows_preview.close()
    res["fallback_build"] = {"workbench": t_fb_build, "reference": None}
    res["fallback_slider_weight"] = {
        "workbench": t_fb,
        "reference": res["slider_weight"]["reference"],
    }
    record["fallback_matches"] = same_summary(
        s_fb, summarize(con, models[-1], "leads", columns, outcome=OUTCOME)
    )

    con.close()
    print("   peak memory (fresh child processes)…", flush=True)
    record["memory"] = {engine: memory_child(engine, csv) for engine in ("workbench", "pandas")}
    return record


def memory_child(engine: str, csv: Path) -> dict[str, Any]:
    """Run one load + summarise in a fresh interpreter and return its memory figures."""
    out = subprocess.run(
        [sys.executable, __file__, "--memory-child", engine, "--csv", str(csv)],
        check=True,
        capture_output=True,
        text=True,
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


def _maxrss_mb() -> float:
    """This process's peak resident set size (VmHWM), in MiB.

    ``getrusage().ru_maxrss`` would be simpler, but on Linux it survives ``exec`` and so reports
    the parent's peak in a fresh child; /proc's VmHWM belongs to the new address space.
    """
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def run_memory_child(engine: str, csv: Path) -> None:
    """Body of the child process: load, summarise, print peak RSS as JSON."""
    model = model_from_dict(MODEL)
    extra: dict[str, Any]
    if engine == "workbench":
        con = duckdb.connect()
        baseline = _maxrss_mb()
        loaded = load_leads(con, csv, "leads")
        preview = Preview(con, model, "leads", loaded.columns, outcome=OUTCOME)
        summarize(con, model, "leads", loaded.columns, outcome=OUTCOME)
        preview.summarize(variant("weight", 1))
        size = con.execute("SELECT memory_usage FROM pragma_database_size()").fetchall()
        extra = {"duckdb_memory_usage": str(size[0][0]) if size else None}
    else:
        import pandas as pd

        from benchmarks import reference

        baseline = _maxrss_mb()
        df = pd.read_csv(csv)
        reference.summarize(df, model, OUTCOME)
        extra = {"dataframe_mb": float(df.memory_usage(deep=True).sum()) / 2**20}
    peak = _maxrss_mb()
    print(json.dumps({"baseline_mb": baseline, "peak_mb": peak, **extra}))


# ---------------------------------------------------------------------------- report


def fmt_time(seconds: float | None) -> str:
    if seconds is None:
        return "—"
    if seconds < 1e-3:
        return f"{seconds * 1e6:.0f} µs"
    if seconds < 1:
        return f"{seconds * 1e3:.1f} ms"
    return f"{seconds:.2f} s"


LABELS = {
    "ingest": "CSV ingest (load_leads vs pd.read_csv)",
    "full_rescore": "full re-score + hist + tiers + conversion + backtest",
    "preview_build": "Preview build (one scan)",
    "slider_weight": "slider: one weight change (Preview)",
    "slider_threshold": "slider: one threshold change (Preview)",
    "fallback_build": "per-lead fallback build",
    "fallback_slider_weight": "slider via per-lead fallback (weight)",
}


def print_table(records: list[dict[str, Any]]) -> None:
    """Markdown table: one row per operation and size."""
    print()
    print("| operation | leads | workbench | pandas reference | speed-up |")
    print("| --- | ---: | ---: | ---: | ---: |")
    for key, text in LABELS.items():
        for r in records:
            m = r["results"].get(key)
            if m is None:
                continue
            ref = m.get("reference")
            ratio = f"{ref / m['workbench']:.1f}×" if ref else "—"
            print(
                f"| {text} | {label(r['rows'])} | {fmt_time(m['workbench'])} "
                f"| {fmt_time(ref)} | {ratio} |"
            )
        if key.startswith("slider_"):
            for r in records:
                m = r["results"][key]
                print(
                    f"| … same change, full DuckDB `summarize` (no preview) | "
                    f"{label(r['rows'])} | {fmt_time(m['duckdb_full'])} | | "
                    f"{m['duckdb_full'] / m['workbench']:.0f}× slower than Preview |"
                )
    print()
    print(
        "| leads | CSV | workbench peak RSS (after-import baseline) | ratio "
        "| pandas peak RSS | ratio |"
    )
    print("| ---: | ---: | ---: | ---: | ---: | ---: |")
    for r in records:
        csv_mb = r["csv_bytes"] / 2**20
        w, p = r["memory"]["workbench"], r["memory"]["pandas"]
        print(
            f"| {label(r['rows'])} | {csv_mb:.0f} MB | {w['peak_mb']:.0f} MB "
            f"({w['baseline_mb']:.0f} MB) | {w['peak_mb'] / csv_mb:.2f}× "
            f"| {p['peak_mb']:.0f} MB | {p['peak_mb'] / csv_mb:.2f}× |"
        )
    print()
    for r in records:
        checks = {
            k: r[k]
            for k in (
                "identical_scores",
                "same_summary_as_reference",
                "same_backtest_as_reference",
                "preview_matches_summarize",
                "slider_weight_matches",
                "slider_threshold_matches",
                "fallback_matches",
            )
        }
        bad = [k for k, v in checks.items() if not v]
        state = "all checks passed" if not bad else "FAILED: " + ", ".join(bad)
        print(
            f"{label(r['rows'])}: {r['combinations']:,} level combinations "
            f"({r['preview_mode']}); {state}"
        )


def print_browser_table(records: list[dict[str, Any]]) -> None:
    """Markdown table of the Chromium key-press measurement (benchmarks/browser.py)."""
    print()
    print(
        "| browser: Tune page, warm threshold slider | leads | median | p90 | page load "
        "| counts match Preview |"
    )
    print("| --- | ---: | ---: | ---: | ---: | --- |")
    for r in records:
        rows = [
            ("key-press → tier counts redrawn", r["keypress_to_counts_ms"]),
            ("key-press → fragment rerun finished", r["keypress_to_rerun_done_ms"]),
            ("Playwright wall time press → counts", r["wall_ms"]),
            (
                "quick presses (200 ms after the last counts) → counts",
                r["quick_keypress_to_counts_ms"],
            ),
        ]
        for text, m in rows:
            print(
                f"| {text} | {label(r['rows'])} | {m['median']:.0f} ms | {m['p90']:.0f} ms "
                f"| {r['page_load_s']:.1f} s | {'yes' if r['counts_match_preview'] else 'NO'} |"
            )


def targets(
    records: list[dict[str, Any]], browser_records: list[dict[str, Any]] | None = None
) -> dict[str, Any]:
    """Where each target of issue 7 stands, for the sizes measured."""
    out: dict[str, Any] = {}
    for b in browser_records or []:
        if b["rows"] == 1_000_000:
            out["browser_keypress_1m_ms"] = {
                "value": b["keypress_to_counts_ms"]["median"],
                "target": TARGETS["browser_ms_1m"],
            }
    one_m = next((r for r in records if r["rows"] == 1_000_000), None)
    if one_m:
        res = one_m["results"]
        slider = max(res["slider_weight"]["workbench"], res["slider_threshold"]["workbench"])
        out["slider_path_1m_ms"] = {"value": slider * 1e3, "target": TARGETS["slider_ms_1m"]}
        out["ingest_1m_s"] = {"value": res["ingest"]["workbench"], "target": TARGETS["ingest_s_1m"]}
    for r in records:
        res = r["results"]["full_rescore"]
        out[f"full_speedup_{label(r['rows'])}"] = {
            "value": res["reference"] / res["workbench"],
            "target": TARGETS["full_speedup"],
            "higher_is_better": True,
        }
        mem, csv_mb = r["memory"]["workbench"], r["csv_bytes"] / 2**20
        out[f"memory_ratio_{label(r['rows'])}"] = {
            "value": mem["peak_mb"] / csv_mb,
            "target": TARGETS["memory_ratio"],
        }
        # The same without the interpreter and libraries (which alone are ~0.9x a 1M CSV).
        out[f"memory_above_baseline_ratio_{label(r['rows'])}"] = {
            "value": (mem["peak_mb"] - mem["baseline_mb"]) / csv_mb,
            "target": TARGETS["memory_ratio"],
        }
    for v in out.values():
        better = v.pop("higher_is_better", False)
        v["met"] = v["value"] >= v["target"] if better else v["value"] <= v["target"]
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sizes", default="100k,1M,5M", help="comma-separated, e.g. 100k,1M")
    parser.add_argument("--runs", type=int, default=5, help="timed runs per figure (≥ 5)")
    parser.add_argument("--with-10m", action="store_true", help="add 10M leads (slow)")
    parser.add_argument("--json", type=Path, default=OUT / "latest.json", help="JSON output")
    parser.add_argument(
        "--browser",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="time a slider key-press on the Tune page in Chromium (default: when Chromium "
        "and Playwright are installed; --browser makes their absence an error)",
    )
    parser.add_argument(
        "--browser-sizes",
        default="100k,1M",
        help="sizes for --browser (default 100k,1M)",
    )
    parser.add_argument(
        "--only-browser", action="store_true", help="run only the browser measurement"
    )
    parser.add_argument("--memory-child", choices=["workbench", "pandas"], help=argparse.SUPPRESS)
    parser.add_argument("--csv", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.memory_child:
        run_memory_child(args.memory_child, args.csv)
        return 0
    if args.runs < 5:
        parser.error("--runs must be at least 5 (the report is a median of ≥ 5 runs)")
    sizes = [parse_size(s) for s in args.sizes.split(",") if s.strip()]
    if args.with_10m and 10_000_000 not in sizes:
        sizes.append(10_000_000)

    from benchmarks import browser

    missing = browser.available()
    if args.browser and missing:
        parser.error(f"--browser: {missing}")
    if args.browser is None and missing:
        print(f"(browser measurement skipped: {missing})")
    run_browser = not missing if args.browser is None else args.browser
    run_browser = run_browser or args.only_browser

    load_start = os.getloadavg()
    records = [] if args.only_browser else [bench_size(rows, args.runs) for rows in sizes]
    browser_records = []
    if run_browser:
        for rows in [parse_size(s) for s in args.browser_sizes.split(",") if s.strip()]:
            print(f"\n== browser, {label(rows)} leads", flush=True)
            browser_records.append(browser.measure(rows, DATA))
    load_end = os.getloadavg()
    if records:
        print_table(records)
    if browser_records:
        print_browser_table(browser_records)
    verdicts = targets(records, browser_records)
    print()
    for key, v in verdicts.items():
        verdict = "met" if v["met"] else "NOT met"
        print(f"target {key}: {v['value']:.2f} (target {v['target']}) → {verdict}")
    report = {
        "machine": {
            "cpus": os.cpu_count(),
            "python": platform.python_version(),
            "duckdb": duckdb.__version__,
            "numpy": np.__version__,
            "platform": platform.platform(),
            # The machine may be shared: 1/5/15-minute load averages before and after the run.
            "loadavg_start": load_start,
            "loadavg_end": load_end,
        },
        "unit": "seconds (median of runs after one warm-up); memory in MiB",
        "sizes": records,
        "browser": browser_records,
        "targets": verdicts,
    }
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(json.dumps(report, indent=2, default=str))
    print(
        "load average (1/5/15 min): before "
        + " ".join(f"{x:.2f}" for x in load_start)
        + ", after "
        + " ".join(f"{x:.2f}" for x in load_end)
    )
    print(f"\nJSON written to {args.json}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
