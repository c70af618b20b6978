"""Scoring routing against labelled proposals (tests/data/routing_eval.jsonl,
bench/routing_eval.py): lead accuracy, handler reached (the right department
is lead or co), co-department recall, needs-triage accuracy and a confusion
table of the leads."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field


@dataclass
class Report:
    name: str
    n: int = 0
    lead_right: int = 0
    reached: int = 0
    co_expected: int = 0
    co_found: int = 0
    triage_right: int = 0
    clear_n: int = 0
    clear_right: int = 0
    real_n: int = 0
    real_reached: int = 0
    confusion: Counter = field(default_factory=Counter)
    misses: list = field(default_factory=list)

    def add(self, row: dict, lead: str | None, co: list[str], needs_triage: bool) -> None:
        expected, expected_co = row["expected_lead"], list(row.get("expected_co") or [])
        self.n += 1
        right = lead == expected
        self.lead_right += right
        handled = expected == lead or expected in co
        self.reached += handled
        self.co_expected += len(expected_co)
        self.co_found += sum(1 for c in expected_co if c == lead or c in co)
        self.triage_right += bool(needs_triage) == bool(row.get("expected_triage"))
        if not row.get("expected_triage"):  # a clear case: a reader can tell the theme
            self.clear_n += 1
            self.clear_right += right
        if row.get("real"):
            self.real_n += 1
            self.real_reached += handled
        self.confusion[(expected, lead)] += 1
        if not right:
            self.misses.append((row.get("id"), row.get("title"), expected, lead))

    def ratio(self, a: int, b: int) -> float:
        return a / b if b else 0.0

    @property
    def figures(self) -> dict[str, float]:
        return {
            "lead": self.ratio(self.lead_right, self.n),
            "lead_clear": self.ratio(self.clear_right, self.clear_n),
            "reached": self.ratio(self.reached, self.n),
            "reached_real": self.ratio(self.real_reached, self.real_n),
            "co_recall": self.ratio(self.co_found, self.co_expected),
            "triage": self.ratio(self.triage_right, self.n),
        }

    def line(self) -> str:
        f = self.figures
        return (f"{self.name:<28} lead {f['lead']:6.1%}  lead(clear) {f['lead_clear']:6.1%}  "
                f"reached {f['reached']:6.1%}  reached(real) {f['reached_real']:6.1%}  "
                f"co recall {f['co_recall']:6.1%}  triage {f['triage']:6.1%}   (n={self.n})")

    def confusion_table(self, top: int = 12) -> str:
        """The most frequent (expected → got) pairs that differ, then the diagonal total."""
        wrong = [(pair, k) for pair, k in self.confusion.most_common() if pair[0] != pair[1]][:top]
        lines = [f"  {e:<16} → {g or '-':<16} {k}" for (e, g), k in wrong]
        lines.append(f"  (right: {self.lead_right} of {self.n})")
        return "\n".join(lines)
