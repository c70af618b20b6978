"""Preview throughput: proposals per second through the default Kawasaki
ruleset (the engine as `flask routing preview` and the API use it).

    .venv/bin/python bench/routing_preview.py [N]
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def main(n: int = 20000) -> None:
    from routing.defaults import file_ruleset
    from routing.engine import evaluate

    rows = [json.loads(line) for line in (ROOT / "tests" / "data" / "routing_labelled.jsonl").read_text(
        encoding="utf-8").splitlines() if line.strip()]
    started = time.perf_counter()
    ruleset = file_ruleset()
    load = time.perf_counter() - started
    for row in rows[:10]:  # warm up
        evaluate(row, ruleset)
    started = time.perf_counter()
    for i in range(n):
        evaluate(rows[i % len(rows)], ruleset)
    elapsed = time.perf_counter() - started
    chars = sum(len(r["title"] + r["summary"] + r["issue"] + r["activities"]) for r in rows) / len(rows)
    print(f"ruleset load (dictionary of {sum(1 for _ in ruleset.matcher._by_key)} phrases): {load * 1000:.1f} ms")
    print(f"preview: {n} proposals in {elapsed:.2f} s = {n / elapsed:,.0f} proposals/s "
          f"({elapsed / n * 1e6:.0f} µs each, average text {chars:.0f} chars)")
    # Serialising to JSON as the command prints it.
    started = time.perf_counter()
    for i in range(n // 4):
        json.dumps(evaluate(rows[i % len(rows)], ruleset).to_json(), ensure_ascii=False)
    elapsed = time.perf_counter() - started
    print(f"preview with JSON output: {(n // 4) / elapsed:,.0f} proposals/s")
    # Full-length proposals: the form allows long texts; make each about 2,000 characters.
    long_rows = []
    for row in rows:
        long_row = dict(row)
        long_row["issue"] = (row["issue"] + row["summary"]) * 12
        long_row["activities"] = (row["activities"] + row["summary"]) * 12
        long_rows.append(long_row)
    chars = sum(len(r["title"] + r["summary"] + r["issue"] + r["activities"]) for r in long_rows) / len(long_rows)
    m = max(1, n // 10)
    started = time.perf_counter()
    for i in range(m):
        evaluate(long_rows[i % len(long_rows)], ruleset)
    elapsed = time.perf_counter() - started
    print(f"preview, long texts (average {chars:,.0f} chars): {m / elapsed:,.0f} proposals/s")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 20000)
