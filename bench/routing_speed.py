"""Routing speed (issue 10, item 7), beside the previous engine in one run:
proposals of about 600 characters through the default Kawasaki ruleset,
tokenisation included, on one core; the decision for one proposal, p50/p95.
Targets: ≥ 500 proposals/s, p95 ≤ 20 ms.

    .venv/bin/python bench/routing_speed.py [N]
"""

from __future__ import annotations

import json
import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))
os.environ.setdefault("OMP_NUM_THREADS", "1")
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")


def proposals_of_600_chars() -> list[dict]:
    rows = [json.loads(line) for line in (ROOT / "tests" / "data" / "routing_eval.jsonl").read_text(
        encoding="utf-8").splitlines()]
    out = []
    for i, row in enumerate(rows):
        other = rows[(i + 7) % len(rows)]
        body = row["summary"] + row["activities"]
        # The issue and activities of a real form: the proposal's own text, then background.
        row = dict(row, issue=(other["summary"] + row["summary"]) * 2,
                   activities=(body + other["activities"] + row["summary"]) * 2)
        text = "".join(row[k] for k in ("title", "summary", "issue", "activities"))
        if len(text) < 550:
            row["activities"] += body * ((600 - len(text)) // max(1, len(body)) + 1)
        text = "".join(row[k] for k in ("title", "summary", "issue", "activities"))
        row["activities"] = row["activities"][:max(0, len(row["activities"]) - (len(text) - 600))]
        out.append(row)
    return out


def throughput(evaluate, ruleset, rows, n):
    """Proposals per second of CPU time on one core (the machine is shared:
    wall-clock time would count other processes' turns too), and of wall time.
    With a model, as the preview runs: evaluate_many() in batches of 200."""
    from routing.engine import evaluate_many

    wall, cpu = time.perf_counter(), time.process_time()
    if ruleset.model is None:
        for i in range(n):
            evaluate(rows[i % len(rows)], ruleset)
    else:
        for start in range(0, n, 200):
            evaluate_many([dict(rows[i % len(rows)]) for i in range(start, min(n, start + 200))], ruleset)
    return n / (time.process_time() - cpu), n / (time.perf_counter() - wall)


def latencies(evaluate, ruleset, rows, n):
    times = []
    for i in range(n):
        started = time.process_time()
        evaluate(rows[(i * 13) % len(rows)], ruleset)
        times.append((time.process_time() - started) * 1000)
    times.sort()
    return statistics.median(times), times[int(len(times) * 0.95) - 1]


def main(n: int = 3000) -> None:
    from routing_baseline import previous_ruleset
    from routing_eval import dev_model

    from routing.defaults import file_ruleset
    from routing.engine import evaluate

    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {sorted(os.sched_getaffinity(0))[0]})  # one core
    rows = proposals_of_600_chars()
    chars = statistics.mean(len("".join(r[k] for k in ("title", "summary", "issue", "activities"))) for r in rows)
    started = time.perf_counter()
    current = file_ruleset()
    load = time.perf_counter() - started
    started = time.perf_counter()
    with_model = file_ruleset()
    with_model.model = dev_model()
    train = time.perf_counter() - started
    previous = previous_ruleset()
    for ruleset in (current, with_model, previous):
        for row in rows[:20]:
            evaluate(row, ruleset)  # warm up (the tokenizer loads on first use)
    print(f"{len(rows)} proposals, average {chars:.0f} characters; one core; N = {n}")
    print(f"ruleset load (dictionary of {len(current.matcher)} phrases, tokenised): {load * 1000:.0f} ms; "
          f"model training on the dev split ({with_model.model.trained_on} examples): {train:.1f} s")
    figures = {}
    for name, ruleset in (("previous engine (substring)", previous), ("engine (tokens)", current),
                          ("engine (tokens + model)", with_model)):
        rate, wall = throughput(evaluate, ruleset, rows, n)
        p50, p95 = latencies(evaluate, ruleset, rows, min(n, 1000))
        figures[name] = rate
        print(f"{name:<30} {rate:8,.0f} proposals/s CPU ({wall:6,.0f} wall)   "
              f"one decision p50 {p50:5.2f} ms  p95 {p95:5.2f} ms (CPU)")
    base = figures["previous engine (substring)"]
    for name in ("engine (tokens)", "engine (tokens + model)"):
        print(f"{name} / previous engine: {figures[name] / base:.2f}×  (target ≥ 500 proposals/s: "
              f"{'met' if figures[name] >= 500 else 'NOT met'})")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 3000)
