"""Cross-validation on the 530 tuning rows (tests/data/routing_eval.jsonl,
routing_fresh.jsonl and routing_fresh2.jsonl; bench/routing_eval.py `tuning`):
the threshold of the shipped rule that lets the learned model lead when the
rules find no theme ("テーマ不明時は学習モデルの提案", model_confidence min).

    .venv/bin/python bench/routing_cv.py [--params]

1. For each threshold, rules + model out of fold: the rows are dealt into 5
   folds (bench/routing_eval.folds) and each fold is decided by a model
   trained on the other four.
2. Nested: for each outer fold the threshold is chosen on the other four
   folds alone (their own out-of-fold decisions, 4 inner folds), then
   applied to the held fold; the figures over the five held folds estimate
   what choosing the threshold this way gives on rows never seen.

--params does the same for the reading's weights (rules alone, no model, so
no inner folds are needed): the title's weight (facts.FIELD_WEIGHT), the
support an unpicked theme needs to count (facts.STRONG, facts.RELATIVE) and
the weight of places, formats and tools (facts.ROLE_WEIGHT). For
each outer fold the grid point best on the other four folds is chosen and
scored on the held fold.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))
os.environ.setdefault("OMP_NUM_THREADS", "1")

MODEL_RULE = "テーマ不明時は学習モデルの提案"
THRESHOLDS = (0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, None)  # None: the model never leads


def with_threshold(ruleset, threshold: float | None):
    """The ruleset with the model rule's threshold set (None: the rule removed)."""
    rules = []
    for rule in ruleset.rules:
        if rule.name == MODEL_RULE:
            if threshold is None:
                continue
            tests = [{"type": "model_confidence", "value": {"min": threshold}}
                     if node.get("type") == "model_confidence" else node for node in rule.condition["all"]]
            rule = type(rule)(**{**rule.__dict__, "condition": {"all": tests}})
        rules.append(rule)
    ruleset.rules = rules
    return ruleset


def decisions(train_rows: list[dict], held: list[dict]) -> dict:
    """{threshold: [decision per held row]} with a model trained on train_rows."""
    from routing_eval import _examples

    from routing.defaults import file_ruleset
    from routing.engine import evaluate_many
    from routing.model import train

    model = train(_examples(train_rows), version=0)
    out = {}
    for threshold in THRESHOLDS:
        ruleset = with_threshold(file_ruleset(), threshold)
        ruleset.model = model
        out[threshold] = evaluate_many(held, ruleset)
    return out


def out_of_fold(data: list[dict], k: int) -> dict:
    """{threshold: {row id: decision}}, each fold decided by a model trained on the others."""
    from routing_eval import folds

    found: dict = {t: {} for t in THRESHOLDS}
    for held in folds(data, k):
        ids = {r["id"] for r in held}
        for threshold, decided in decisions([r for r in data if r["id"] not in ids], held).items():
            found[threshold].update({r["id"]: d for r, d in zip(held, decided, strict=True)})
    return found


def report(name: str, data: list[dict], decided: dict):
    from routing.evaluation import Report

    out = Report(name)
    for row in data:
        d = decided[row["id"]]
        out.add(row, d.lead, d.co, d.needs_triage, d.primary_theme)
    return out


def objective(rep) -> tuple:
    f = rep.figures
    return (f["lead"], f["reached"], f["triage"])


def main() -> None:
    from routing_eval import folds, rows

    data = rows("tuning")
    flat = out_of_fold(data, 5)
    print("rules + model, out of fold (5 folds), by threshold of the model rule:")
    for threshold in THRESHOLDS:
        print(report(f"p >= {threshold}" if threshold is not None else "model never leads", data, flat[threshold]).line())
    chosen, nested = [], {}
    for held in folds(data, 5):
        ids = {r["id"] for r in held}
        inner_rows = [r for r in data if r["id"] not in ids]
        inner = out_of_fold(inner_rows, 4)
        # On a tie the most cautious threshold wins (the model leading least often).
        best = max(THRESHOLDS, key=lambda t: (objective(report("", inner_rows, inner[t])), t if t is not None else 2.0))
        chosen.append(best)
        nested.update({r["id"]: d for r, d in zip(held, decisions(inner_rows, held)[best], strict=True)})
    print(f"\nnested: thresholds chosen on the inner folds: {chosen}")
    print(report("nested (threshold by inner CV)", data, nested).line())


SHIPPED = (1.5, 4.0, 0.5, 0.5)
# title weight, STRONG, RELATIVE (with the shipped ROLE_WEIGHT), then ROLE_WEIGHT
# (with the other three shipped): 1.0 is "places, formats and tools weigh whole".
GRID = [(title, strong, relative, SHIPPED[3]) for title in (1.0, 1.5, 2.0) for strong in (3.0, 4.0, 5.0)
        for relative in (0.33, 0.5, 0.75)] + [(*SHIPPED[:3], role) for role in (0.25, 0.75, 1.0)]


def rules_decisions(data: list[dict], point: tuple) -> dict:
    import routing.facts as facts
    from routing.defaults import file_ruleset
    from routing.engine import evaluate_many

    title, strong, relative, role = point
    kept = facts.STRONG, facts.RELATIVE, facts.ROLE_WEIGHT
    facts.STRONG, facts.RELATIVE, facts.ROLE_WEIGHT = strong, relative, role
    try:
        ruleset = file_ruleset()
        ruleset.field_weight = {"title": title}
        return {r["id"]: d for r, d in zip(data, evaluate_many(data, ruleset), strict=True)}
    finally:
        facts.STRONG, facts.RELATIVE, facts.ROLE_WEIGHT = kept


def main_params() -> None:
    from routing_eval import folds, rows

    data = rows("tuning")
    decided = {point: rules_decisions(data, point) for point in GRID}
    for point in GRID:
        mark = "  (shipped)" if point == SHIPPED else ""
        print(report(f"title {point[0]} strong {point[1]} rel {point[2]} role {point[3]}", data, decided[point]).line() + mark)
    chosen, nested = [], {}
    for held in folds(data, 5):
        ids = {r["id"] for r in held}
        rest = [r for r in data if r["id"] not in ids]
        # On a tie the shipped values win, then the grid's order.
        best = max(GRID, key=lambda p: (objective(report("", rest, decided[p])), p == SHIPPED))
        chosen.append(best)
        nested.update({r["id"]: decided[best][r["id"]] for r in held})
    print(f"\nnested: grid points chosen on the other folds: {chosen}")
    print(report("nested (weights by CV)", data, nested).line())


if __name__ == "__main__":
    main_params() if "--params" in sys.argv else main()
