"""Replay in time order: the learned model's accuracy as the window's history
grows (issue 10, item 5).

The dev split, in submission order, is the window's history: after the first
N decided proposals a model is trained on them and scored on the whole test
split (never trained on). Printed as a table, and drawn to
docs/routing-replay.png when matplotlib is installed (requirements-dev).

    .venv/bin/python bench/routing_replay.py
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))
os.environ.setdefault("OMP_NUM_THREADS", "1")
STEPS = (10, 20, 30, 40, 60, 80, 100, 118)


def replay():
    from routing_eval import rows

    from routing.defaults import file_ruleset
    from routing.engine import evaluate_many
    from routing.evaluation import Report
    from routing.model import Example, train

    history = sorted(rows("dev"), key=lambda r: (r["submitted"], r["id"]))
    test = rows("test")
    rules = file_ruleset()
    rules_only = Report("rules")
    for row, decision in zip(test, evaluate_many(test, rules), strict=True):
        rules_only.add(row, decision.lead, decision.co, decision.needs_triage)
    out = []
    for n in STEPS:
        seen = history[:n]
        if len({r["expected_lead"] for r in seen}) < 2:
            continue
        model = train([Example(r, r["expected_lead"], r["expected_co"], r["id"]) for r in seen], version=n)
        alone = sum(v.lead == r["expected_lead"] for v, r in zip(model.views(test), test, strict=True)) / len(test)
        assisted = file_ruleset()
        assisted.model = model
        report = Report("rules + model")
        for row, decision in zip(test, evaluate_many(test, assisted), strict=True):
            report.add(row, decision.lead, decision.co, decision.needs_triage)
        out.append((n, seen[-1]["submitted"], alone, report.figures["lead"], rules_only.figures["lead"]))
    return out


def main() -> None:
    points = replay()
    print("history  up to       model alone  rules + model  rules alone   (lead accuracy on the test split)")
    for n, until, alone, assisted, rules in points:
        print(f"{n:7d}  {until}  {alone:11.1%}  {assisted:13.1%}  {rules:11.1%}")
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        return
    figure, axes = plt.subplots(figsize=(6.4, 3.6), dpi=120)
    xs = [p[0] for p in points]
    axes.plot(xs, [p[2] * 100 for p in points], marker="o", label="model alone")
    axes.plot(xs, [p[3] * 100 for p in points], marker="s", label="rules + model")
    axes.plot(xs, [p[4] * 100 for p in points], linestyle="--", label="rules alone")
    axes.set_xlabel("decided proposals in the window's history (time order)")
    axes.set_ylabel("lead accuracy on the test split (%)")
    axes.set_ylim(0, 100)
    axes.grid(alpha=0.3)
    axes.legend(loc="lower right")
    figure.tight_layout()
    target = ROOT / "docs" / "routing-replay.png"
    figure.savefig(target)
    print(f"chart: {target.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
