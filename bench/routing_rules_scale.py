"""Routing with many rules (issue 16): proposals per second through the
default Kawasaki ruleset, and through the same ruleset with 500 more rules
(each an `all` of a ward test and a picked-theme test, as an administrator
would write for ward-specific routing). Prints both figures and their ratio.

The labelled proposals are evaluated in turn (54 texts), so after the first
round every text is in the text layer's token cache: `--cold` clears that
cache before each evaluation and measures tokenisation too.
Target: ≥ 2,000 proposals/s with 500 rules (warm).

    .venv/bin/python bench/routing_rules_scale.py [N] [--cold]
"""

from __future__ import annotations

import json
import random
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def many_rules_ruleset(n: int = 500, *, first: bool = False):
    """(the default ruleset, the same with n more rules). The added rules come
    after the shipped ones (priority 500+), as in bench/run.py: the shipped
    rules end in catch-alls that stop, so they are reported as not evaluated.
    first=True gives them priorities before the shipped rules: every proposal
    then reaches all of them (the index picks the few that can fire)."""
    from routing.defaults import file_ruleset
    from routing.facts import RuleData

    ruleset = file_ruleset()
    rng = random.Random(500)
    themes, wards = list(ruleset.themes), sorted(ruleset.ward_codes)
    many = file_ruleset()
    many.rules = list(ruleset.rules) + [
        RuleData(id=10_000 + k, key=f"bench-{k}", name=f"bench {k}", priority=(k - 1000) if first else 500 + k,
                 condition={"all": [{"type": "ward", "value": [rng.choice(wards)]},
                                    {"type": "picked_theme", "value": [rng.choice(themes)]}]},
                 actions=[{"type": "add_tag", "value": f"bench-{k}"}], stop=False)
        for k in range(n)]
    return ruleset, many


def rate(ruleset, rows, n: int, *, cold: bool = False) -> float:
    """Proposals per second of CPU time (the machine is shared: wall-clock time
    would count other processes' turns too)."""
    from routing.engine import evaluate
    from text.analysis import clear_cache

    for row in rows[:20]:  # warm up
        evaluate(row, ruleset)
    started = time.process_time()
    for i in range(n):
        if cold:
            clear_cache()
        evaluate(rows[i % len(rows)], ruleset)
    return n / (time.process_time() - started)


def main(argv: list[str]) -> None:
    cold = "--cold" in argv
    numbers = [int(a) for a in argv if a.isdigit()]
    n = numbers[0] if numbers else 4000
    rows = [json.loads(line) for line in (ROOT / "tests" / "data" / "routing_labelled.jsonl").read_text(
        encoding="utf-8").splitlines() if line.strip()]
    default, many = many_rules_ruleset()
    _default, reached = many_rules_ruleset(first=True)
    base = rate(default, rows, n, cold=cold)
    scaled = rate(many, rows, n, cold=cold)
    evaluated = rate(reached, rows, n, cold=cold)
    label = "cold (tokenised every time)" if cold else "warm (token cache)"
    print(f"{label}, proposals/s of CPU time: default ruleset ({len(default.rules)} rules) {base:,.0f}; "
          f"with 500 more ({len(many.rules)} rules) {scaled:,.0f}, ratio {scaled / base:.2f}; "
          f"the 500 placed first (all reached) {evaluated:,.0f}, ratio {evaluated / base:.2f}")


if __name__ == "__main__":
    main(sys.argv[1:])
