"""Scoring routing against labelled proposals (tests/data/routing_eval.jsonl,
bench/routing_eval.py): lead accuracy, handler reached (the right department
is lead or co), co-department recall, needs-triage accuracy, a confusion
table of the leads, and the misses sorted into kinds (MISS_KINDS) so that a
fix can aim at a kind of miss rather than at one row."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

# The kinds of miss, in the order they are told apart (a row counts once per kind).
MISS_KINDS = {
    "ward_case_elsewhere": "one-ward case (the ward leads) sent to a bureau or the window",
    "theme_not_found": "no theme found (the lead went to the ward or the window by policy 6)",
    "wrong_owner": "a theme found, but the lead is the wrong department",
    "co_missing": "the lead right, an expected co-department missing",
    "triage_wrong": "needs-triage wrong",
}


def miss_kinds(row: dict, lead: str | None, co: list[str], needs_triage: bool, primary: str | None = None,
               window: str = "jichi") -> list[str]:
    """The kinds of miss (MISS_KINDS) of one decision against its label. `primary`
    is the engine's primary theme ("" for a reader that has none, e.g. a baseline)."""
    expected = row["expected_lead"]
    kinds = []
    if lead != expected:
        if expected.startswith("ward-") and lead != expected and not (lead or "").startswith("ward-"):
            kinds.append("ward_case_elsewhere")
        elif primary is None and lead in (window, *(row.get("area") or {}).get("wards", [])):
            kinds.append("theme_not_found")
        else:
            kinds.append("wrong_owner")
    elif any(c != lead and c not in co for c in row.get("expected_co") or []):
        kinds.append("co_missing")
    if bool(needs_triage) != bool(row.get("expected_triage")):
        kinds.append("triage_wrong")
    return kinds


@dataclass
class Report:
    name: str
    n: int = 0
    lead_right: int = 0
    reached: int = 0
    co_expected: int = 0
    co_found: int = 0
    co_given: int = 0  # co-departments proposed (besides the lead)
    co_right: int = 0  # … of which expected (lead or co)
    triage_right: int = 0
    clear_n: int = 0
    clear_right: int = 0
    real_n: int = 0
    real_reached: int = 0
    confusion: Counter = field(default_factory=Counter)
    misses: list = field(default_factory=list)
    kinds: Counter = field(default_factory=Counter)  # MISS_KINDS → rows

    def add(self, row: dict, lead: str | None, co: list[str], needs_triage: bool, primary: str | None = "") -> None:
        expected, expected_co = row["expected_lead"], list(row.get("expected_co") or [])
        self.n += 1
        right = lead == expected
        self.lead_right += right
        handled = expected == lead or expected in co
        self.reached += handled
        self.co_expected += len(expected_co)
        self.co_found += sum(1 for c in expected_co if c == lead or c in co)
        given = [c for c in dict.fromkeys(co) if c != lead]
        self.co_given += len(given)
        self.co_right += sum(1 for c in given if c in expected_co or c == expected)
        self.triage_right += bool(needs_triage) == bool(row.get("expected_triage"))
        if not row.get("expected_triage"):  # a clear case: a reader can tell the theme
            self.clear_n += 1
            self.clear_right += right
        if row.get("real"):
            self.real_n += 1
            self.real_reached += handled
        self.confusion[(expected, lead)] += 1
        kinds = miss_kinds(row, lead, co, needs_triage, primary)
        self.kinds.update(kinds)
        if not right:
            self.misses.append((row.get("id"), row.get("title"), expected, lead, ",".join(kinds)))

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
            "co_precision": self.ratio(self.co_right, self.co_given),
            "triage": self.ratio(self.triage_right, self.n),
        }

    def line(self) -> str:
        f = self.figures
        return (f"{self.name:<28} lead {f['lead']:6.1%}  lead(clear) {f['lead_clear']:6.1%}  "
                f"reached {f['reached']:6.1%}  reached(real) {f['reached_real']:6.1%}  "
                f"co recall {f['co_recall']:6.1%} (precision {f['co_precision']:4.0%})  triage {f['triage']:6.1%}   (n={self.n})")

    def kinds_line(self) -> str:
        return "  ".join(f"{kind} {self.kinds.get(kind, 0)}" for kind in MISS_KINDS)

    def confusion_table(self, top: int = 12) -> str:
        """The most frequent (expected → got) pairs that differ, then the diagonal total."""
        wrong = [(pair, k) for pair, k in self.confusion.most_common() if pair[0] != pair[1]][:top]
        lines = [f"  {e:<16} → {g or '-':<16} {k}" for (e, g), k in wrong]
        lines.append(f"  (right: {self.lead_right} of {self.n})")
        return "\n".join(lines)
