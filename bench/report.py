"""The report of `make bench` (bench/run.py): each figure beside its baseline and
the issue's target, the files it writes, and the machine it ran on."""

from __future__ import annotations

import json
import os
import platform
from pathlib import Path

import sqlalchemy as sa

BENCH_DIR = Path(__file__).resolve().parent


def targets(pages) -> list[tuple]:
    """(label, key, baseline key, test, target) for every figure the issue sets a target for."""
    return [
        ("first sweep", "sweep_first_s", "sweep_baseline_sql_s",
         lambda r: r["sweep_first_s"] <= 5 + 0.001 * r["sweep_rungs"], "≤ 5 s + 1 ms per rung"),
        ("second sweep beyond start-up", "sweep_second_beyond_startup_s", "flask_noop_s",
         lambda r: r["sweep_second_beyond_startup_s"] <= 0.5, "≤ 0.5 s"),
        ("submissions, per request vs bare insert", "submit_ratio", "bare_insert_requests_per_s",
         lambda r: r["submit_ratio"] >= 0.5, "≥ 0.5×"),
        *[(f"{path} p95 (ms)", f"{key}_p95_ms", f"{key}_sql_p95_ms",
           (lambda k: lambda r: r[f"{k}_p95_ms"] <= 100 and r[f"{k}_sql_ratio"] <= 3)(key), "≤ 100 ms and ≤ 3× its SQL")
          for key, path, _ in pages if key != "stats_cold"],
        ("/stats cold p95 (ms)", "stats_cold_p95_ms", "hello_p95_ms", lambda r: r["stats_cold_p95_ms"] <= 300, "≤ 300 ms"),
        ("routing with 500 rules (proposals/s)", "routing_500_rules_per_s", "routing_default_per_s",
         lambda r: r["routing_500_rules_per_s"] >= 2000, "≥ 2,000/s"),
        ("worker RSS after 1,000 requests (MB)", "rss_mb", "rss_bare_mb", lambda r: r["rss_mb"] <= 150, "≤ 150 MB"),
        ("`flask` start-up (s)", "startup_s", "startup_baseline_import_flask_sqlalchemy_s",
         lambda r: r["startup_s"] <= 1, "≤ 1 s"),
    ]


def verdicts(r: dict, pages) -> list[tuple]:
    rows = []
    for label, key, baseline, test, target in targets(pages):
        if key not in r:
            continue
        try:
            met = "met" if test(r) else "NOT met"
        except KeyError:
            met = "?"
        base = r.get(baseline)
        ratio = round(r[key] / base, 2) if isinstance(base, (int, float)) and base else ""
        rows.append((label, r[key], baseline, base, ratio, target, met))
    return rows


def chart(series: dict[int, float], unit: str, width: int = 50) -> list[str]:
    top = max(series.values()) or 1
    return [f"{scale:>8,} | {'#' * max(1, round(value / top * width)):<{width}} {value:,.2f} {unit}"
            for scale, value in sorted(series.items())]


def write_report(results: dict, pages, *, save: bool = True, partial: bool = False) -> None:
    """bench/results.json, bench/results-<scale>.json (merged into the last one of that scale when only
    some figures were measured) and bench/RESULTS.md from every scale's file."""
    if save:
        (BENCH_DIR / "results.json").write_text(json.dumps(results, indent=2, ensure_ascii=False) + "\n")
        per_scale = BENCH_DIR / f"results-{results['scale']}.json"
        previous = json.loads(per_scale.read_text()) if per_scale.exists() and partial else {}
        per_scale.write_text(json.dumps({**previous, **results}, indent=2, ensure_ascii=False) + "\n")
    runs = {}
    for path in BENCH_DIR.glob("results-*.json"):
        data = json.loads(path.read_text())
        runs[int(data.get("scale", path.stem.split("-")[1]))] = data
    lines = ["# Bench results", "",
             f"Written by `make bench` (bench/run.py); data set: bench/generate.py. Latest run: "
             f"{results['scale']:,} proposals on {results['date']}, {results['machine']}.", "",
             "Each figure beside its baseline, measured in the same run (the machine is shared: absolute times "
             "are noisy, the ratios less so).", ""]
    for scale, data in sorted(runs.items(), reverse=True):
        lines += [f"## {scale:,} proposals ({data.get('date', '?')})", "",
                  "| figure | value | baseline | baseline value | ratio | target | |", "|---|---|---|---|---|---|---|"]
        lines += ["| " + " | ".join(str(c) for c in row) + " |" for row in verdicts(data, pages)]
        lines += ["", "<details><summary>every figure</summary>", "", "```json",
                  json.dumps(data, indent=1, ensure_ascii=False), "```", "</details>", ""]
    for path in sorted((BENCH_DIR / "before").glob("results-*.json")):
        data = json.loads(path.read_text())
        lines += [f"## Before issue 16: {data['scale']:,} proposals ({data.get('date', '?')})", "",
                  data.get("before_note", ""), "",
                  "| figure | value | baseline | baseline value | ratio | target | |", "|---|---|---|---|---|---|---|"]
        lines += ["| " + " | ".join(str(c) for c in row) + " |" for row in verdicts(data, pages)]
        lines += [""]
    for key, label, unit in (("sweep_first_s", "First deadline sweep", "s"),
                             ("sweep_ms_per_rung", "First sweep, per rung fired", "ms"),
                             ("triage_p95_ms", "/triage/ p95", "ms")):
        series = {scale: data[key] for scale, data in runs.items() if key in data}
        if series:
            lines += [f"### {label} by scale (proposals)", "", "```", *chart(series, unit), "```", ""]
    (BENCH_DIR / "RESULTS.md").write_text("\n".join(lines))


def machine(url: str) -> str:
    cpu = next((line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines()
                if line.startswith("model name")), platform.processor())
    memory = int(Path("/proc/meminfo").read_text().split()[1]) // 1024 // 1024
    with sa.create_engine(url).connect() as conn:
        version = conn.execute(sa.text("SHOW server_version")).scalar()
    return f"{os.cpu_count()} cores ({cpu}), {memory} GB, Python {platform.python_version()}, PostgreSQL {version}"
