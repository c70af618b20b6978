"""The honest evaluation: routing on labelled proposals it was not tuned on.

    .venv/bin/python bench/routing_eval.py [dev|test] [--misses]

Reads tests/data/routing_eval.jsonl (215 proposals, 73 paraphrased from real
collaboration projects; the dev/test split was fixed before any tuning) and
prints, for the chosen split, the current engine (rules alone, and rules with
the learned model trained on the dev split only), beside the two baselines of
bench/routing_baseline.py: lead accuracy (all and clear cases), handler
reached (lead or co; on the real projects too), co-department recall,
needs-triage accuracy, and a confusion table.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

DATA = ROOT / "tests" / "data" / "routing_eval.jsonl"


def rows(split: str | None = None) -> list[dict]:
    found = [json.loads(line) for line in DATA.read_text(encoding="utf-8").splitlines() if line.strip()]
    return [r for r in found if split is None or r["split"] == split]


def dev_model():
    """The learned model trained on the dev split only (never on test)."""
    from routing.model import Example, train

    training = [Example(r, r["expected_lead"], r["expected_co"], r["id"]) for r in rows("dev")]
    return train(training, version=0)


def run(split: str = "test", with_model: bool = True):
    from routing_baseline import first_pick, previous_ruleset

    from routing.defaults import file_ruleset
    from routing.engine import evaluate
    from routing.evaluation import Report

    data = rows(split)
    rules = file_ruleset()
    reports = [Report("engine (rules)")]
    engines = [rules]  # no model: the shipped rule that consults it never fires
    if with_model:
        assisted = file_ruleset()
        assisted.model = dev_model()
        reports.append(Report("engine (rules + model)"))
        engines.append(assisted)
    for report, ruleset in zip(reports, engines, strict=True):
        for row in data:
            decision = evaluate(row, ruleset)
            report.add(row, decision.lead, decision.co, decision.needs_triage)
    pick = Report("baseline: first pick + area")
    for row in data:
        out = first_pick(row, rules)
        pick.add(row, out["lead"], out["co"], out["needs_triage"])
    previous = Report("baseline: previous engine")
    old = previous_ruleset()
    for row in data:
        decision = evaluate(row, old)
        previous.add(row, decision.lead, decision.co, decision.needs_triage)
    return reports + [pick, previous]




def main(argv: list[str]) -> None:
    split = next((a for a in argv if a in ("dev", "test")), "test")
    reports = run(split)
    print(f"routing evaluation on the {split} split ({reports[0].n} proposals, "
          f"{reports[0].real_n} real projects, {reports[0].clear_n} clear cases)")
    for report in reports:
        print(report.line())
    for report in (reports[0], reports[-1]):
        print(f"\nconfusion, {report.name} (expected → got):\n{report.confusion_table()}")
    if "--misses" in argv:
        for report in reports[:2]:
            print(f"\nmisses of {report.name}:")
            for miss in report.misses:
                print("  ", *miss)


if __name__ == "__main__":
    main(sys.argv[1:])
