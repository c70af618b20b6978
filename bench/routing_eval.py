"""The honest evaluation: routing on labelled proposals it was not tuned on.

    .venv/bin/python bench/routing_eval.py [fresh4|fresh3|fresh2|fresh|tuning|all|dev|test] [--misses]

Splits (docs/routing.md, "The evaluation protocol now"):

- `fresh3`, `fresh4`: tests/data/routing_fresh3.jsonl and routing_fresh4.jsonl,
  the third and fourth sets written apart from the dictionary and the rules
  (by two writers, eastern and western Japan's projects). Each is the test
  until it is scored once. The learned model is trained on the rows written
  before it (`training_rows`).
- `fresh`, `fresh2`: the first two such sets (144 and 171 rows), scored once
  each: tuning data now. Their models are trained as when they were scored.
- `tuning`: routing_eval.jsonl and every sealed set scored already (SCORED;
  530 rows). The learned model is never scored on a row it was trained on:
  each fifth of the rows is decided by a model trained on the other four
  fifths (FOLDS).
- `all`: the 215 rows of routing_eval.jsonl (tuning data), out of fold as
  `tuning`.
- `dev`, `test`: the old split of routing_eval.jsonl (model trained on dev).
  Both are tuning data now: the test split was looked at three times.

For the chosen split it prints the current engine (rules alone, and rules
with the learned model), beside the two baselines of bench/routing_baseline.py:
lead accuracy (all and clear cases), handler reached (lead or co; on the real
projects too), co-department recall, needs-triage accuracy, the misses by
kind and a confusion table.
"""

from __future__ import annotations

import json
import random
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

DATA = ROOT / "tests" / "data" / "routing_eval.jsonl"
FRESH = ROOT / "tests" / "data" / "routing_fresh.jsonl"
FRESH2 = ROOT / "tests" / "data" / "routing_fresh2.jsonl"
FRESH3 = ROOT / "tests" / "data" / "routing_fresh3.jsonl"
FRESH4 = ROOT / "tests" / "data" / "routing_fresh4.jsonl"
# The sealed sets in the order they were written and scored, each by someone who saw neither the
# dictionary nor the rules. Each is scored once; after that it is tuning data (SCORED).
SEALED = ("fresh", "fresh2", "fresh3", "fresh4")
SCORED = ("fresh", "fresh2")
SPLITS = (*SEALED, "tuning", "all", "dev", "test")
OUT_OF_FOLD = ("tuning", "all")  # splits whose model is trained out of fold
FOLDS = 5
FOLD_SEED = 20261203


class MissingSplit(FileNotFoundError):
    """The file of the split asked for is not there (the fresh set not yet written)."""


def _read(path: Path) -> list[dict]:
    if not path.exists():
        shown = path.relative_to(ROOT) if path.is_relative_to(ROOT) else path
        raise MissingSplit(f"{shown} does not exist")
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def _sealed_file(split: str) -> Path:
    # Looked up when called, so a test can point a split at a file of its own.
    return {"fresh": FRESH, "fresh2": FRESH2, "fresh3": FRESH3, "fresh4": FRESH4}[split]


def rows(split: str | None = None) -> list[dict]:
    """The labelled rows of a split: a sealed set from its own file; `tuning`
    routing_eval.jsonl and every sealed set scored already; `all` (or None)
    every row of routing_eval.jsonl; `dev` / `test` its old split."""
    if split in SEALED:
        return [r for r in _read(_sealed_file(split)) if r.get("split", split) == split]
    if split == "tuning":
        return rows("all") + [r for scored in SCORED for r in rows(scored)]
    found = _read(DATA)
    return [r for r in found if split in (None, "all") or r["split"] == split]


def training_rows(split: str) -> list[dict]:
    """What the learned model may be trained on when `split` is scored: for a
    sealed set, routing_eval.jsonl and the sealed sets written before it (the
    tuning data of its day: 215 rows for fresh, 359 for fresh2, 530 for
    fresh3); the dev split otherwise (never test)."""
    if split in SEALED:
        earlier = SEALED[:SEALED.index(split)]
        return rows("all") + [r for before in earlier for r in rows(before)]
    return rows("dev")


def _examples(data: list[dict]):
    from routing.model import Example

    return [Example(r, r["expected_lead"], r["expected_co"], r["id"]) for r in data]


def dev_model():
    """The learned model trained on the dev split only (never on test)."""
    from routing.model import train

    return train(_examples(rows("dev")), version=0)


def model_for(split: str):
    from routing.model import train

    return train(_examples(training_rows(split)), version=0)


def folds(data: list[dict], k: int = FOLDS, seed: int = FOLD_SEED) -> list[list[dict]]:
    """The rows dealt into k folds after a fixed shuffle (the same folds every run)."""
    order = sorted(data, key=lambda r: r["id"])
    random.Random(seed).shuffle(order)
    return [order[i::k] for i in range(k)]


def _score(report, ruleset, data: list[dict]) -> None:
    from routing.engine import evaluate_many

    for row, decision in zip(data, evaluate_many(data, ruleset), strict=True):
        report.add(row, decision.lead, decision.co, decision.needs_triage, decision.primary_theme)


def _score_out_of_fold(report, data: list[dict]) -> None:
    """Rules + model on every row, each fold decided by a model trained on the other folds."""
    from routing.defaults import file_ruleset
    from routing.model import train

    for held in folds(data):
        ids = {r["id"] for r in held}
        ruleset = file_ruleset()
        ruleset.model = train(_examples([r for r in data if r["id"] not in ids]), version=0)
        _score(report, ruleset, held)


def run(split: str = "test", with_model: bool = True):
    from routing_baseline import first_pick, previous_ruleset

    from routing.defaults import file_ruleset
    from routing.engine import evaluate
    from routing.evaluation import Report

    data = rows(split)
    rules = file_ruleset()
    engine = Report("engine (rules)")
    _score(engine, rules, data)  # no model: the shipped rule that consults it never fires
    reports = [engine]
    if with_model:
        assisted = Report("engine (rules + model)")
        if split in OUT_OF_FOLD:
            _score_out_of_fold(assisted, data)
        else:
            ruleset = file_ruleset()
            ruleset.model = model_for(split)
            _score(assisted, ruleset, data)
        reports.append(assisted)
    pick = Report("baseline: first pick + area")
    for row in data:
        out = first_pick(row, rules)
        pick.add(row, out["lead"], out["co"], out["needs_triage"])
    previous = Report("baseline: previous engine")
    old = previous_ruleset()
    for row in data:
        decision = evaluate(row, old)
        previous.add(row, decision.lead, decision.co, decision.needs_triage, decision.primary_theme)
    return reports + [pick, previous]


TRAINED_ON = {"fresh": "routing_eval.jsonl, dev+test", "fresh2": "the 359 tuning rows of its day",
              "fresh3": "the 530 tuning rows of its day", "fresh4": "the 530 tuning rows and fresh3"}


def main(argv: list[str]) -> int:
    split = next((a for a in argv if a in SPLITS), "test")
    try:
        reports = run(split)
    except MissingSplit as error:
        print(f"routing evaluation: no {split} split: {error}", file=sys.stderr)
        return 2
    trained = "each fold by a model trained on the other four" if split in OUT_OF_FOLD else \
        f"model trained on {len(training_rows(split))} rows ({TRAINED_ON.get(split, 'dev')})"
    print(f"routing evaluation on the {split} split ({reports[0].n} proposals, "
          f"{reports[0].real_n} real projects, {reports[0].clear_n} clear cases; {trained})")
    for report in reports:
        print(report.line())
    print("\nmisses by kind (rows):")
    for report in reports:
        print(f"  {report.name:<28} {report.kinds_line()}")
    for report in (reports[0], reports[-1]):
        print(f"\nconfusion, {report.name} (expected → got):\n{report.confusion_table()}")
    if "--misses" in argv:
        for report in reports[:2]:
            print(f"\nmisses of {report.name}:")
            for miss in report.misses:
                print("  ", *miss)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
