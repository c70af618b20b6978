"""What the routing engine reads from a proposal, and the shapes it works with.

read_proposal() turns the plain data shape of docs/proposal.md into Facts: themes
from the text with the words that support them (whole tokens of the text layer),
wards from the fields or the text, the primary theme and the bureaus concerned.
The rules (routing.engine) then run over these facts. No database, no Flask.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cache
from typing import Any

import yaml

from routing.text import DATA_DIR, Hit, Matcher

TEXT_FIELDS = ("title", "summary", "issue", "activities")
# The title says what the proposal is about in a few words: its words count more.
FIELD_WEIGHT = {"title": 1.5}
# Text support needed for a theme: `SUPPORTED` to count, `CLEAR` to route on
# the text alone, `DOMINANT` to override the applicant's pick.
SUPPORTED = 2.0
CLEAR = 2.0
DOMINANT = 5.0
# An unpicked theme joins the supported themes (co-departments) only with strong support.
STRONG = 4.0
# … and at least this share of the best theme's score, so long texts do not
# collect bureaus from passing mentions.
RELATIVE = 0.5
# A word of at least this weight in the title names one of the proposal's themes
# (防災と福祉と子育てをつなぐ…): that theme needs no second word to count.
TITLE_WORD = 2.0
# Words naming the place, format or tool of an activity (data/word_roles.yaml)
# weigh this share of their weight when the primary theme is chosen.
ROLE_WEIGHT = 0.5


@cache
def shipped_roles() -> frozenset[str]:
    """The dictionary words of routing/data/word_roles.yaml (places, formats, tools)."""
    data = yaml.safe_load((DATA_DIR / "word_roles.yaml").read_text(encoding="utf-8")) or {}
    return frozenset(str(word) for words in data.values() for word in words)


@dataclass(frozen=True)
class ThemeInfo:
    code: str
    owner: str | None
    ward_level: bool
    position: int = 0


@dataclass(frozen=True)
class RuleData:
    id: int | None
    name: str
    priority: int
    condition: dict
    actions: list
    stop: bool = False
    key: str | None = None


@dataclass
class RulesetData:
    version: int | None
    rules: list[RuleData]
    themes: dict[str, ThemeInfo]
    matcher: Matcher
    window: str = "jichi"
    ward_codes: frozenset[str] = frozenset()
    status: str = "published"
    # Names of themes and departments, for the reasons shown to staff.
    labels: dict[str, str] = field(default_factory=dict)
    # The learned model (routing.model.RoutingModel) consulted for its view, or None.
    model: Any = None
    field_weight: dict[str, float] = field(default_factory=lambda: dict(FIELD_WEIGHT))
    # Words that name a place, format or tool rather than a field (see shipped_roles()).
    roles: frozenset[str] = field(default_factory=shipped_roles)
    model_views: dict[int, Any] | None = None  # set by evaluate_many() for the batch it runs
    analyses: dict[int, list] | None = None  # … and the text analysis of each proposal in it
    # (the rules list it was made from, routing.compiled.CompiledRules): see routing.engine.compiled_rules().
    compiled: tuple | None = field(default=None, init=False, repr=False, compare=False)


class InputError(ValueError):
    """The proposal data is not in the expected shape."""


@dataclass
class Facts:
    text: str  # the normalised forms of the text's tokens, space-separated
    picked: list[str]
    picked_other: bool
    scores: dict[str, float]
    words: dict[str, list[str]]
    wards: list[str]
    ward_source: str
    scope: str | None
    stage: str | None
    organisation_kind: str | None
    support_requested: list[str]
    budget_requested: int | None
    primary: str | None
    primary_source: str
    conflict: bool
    conflict_theme: str | None
    supported: list[str]
    themes: dict[str, ThemeInfo]
    labels: dict[str, str] = field(default_factory=dict)
    # Every dictionary hit (negated ones included) with where it stands, and the token keys read.
    hits: list[Hit] = field(default_factory=list)
    token_keys: list[str] = field(default_factory=list)
    field_texts: dict[str, str] = field(default_factory=dict)  # each field as read (clean())
    # The learned model's view (routing.model.ModelView), when a model is loaded.
    model: Any = None
    # The themes whose bureaus are told (co-departments): `supported` with the words
    # of a place, format or tool counting whole (see read_proposal); None: `supported`.
    co_themes: list[str] | None = None

    def label(self, code: str | None) -> str:
        return self.labels.get(code, code) if code else ""

    def theme_info(self, code: str | None) -> ThemeInfo | None:
        return self.themes.get(code) if code else None

    @property
    def primary_owner(self) -> str | None:
        info = self.theme_info(self.primary)
        return info.owner if info else None

    @property
    def supported_owners(self) -> list[str]:
        return self._owners(self.supported)

    @property
    def co_owners(self) -> list[str]:
        """The bureaus of the themes that make co-departments (co_themes)."""
        return self._owners(self.co_themes if self.co_themes is not None else self.supported)

    def _owners(self, codes: list[str]) -> list[str]:
        owners: list[str] = []
        for code in codes:
            info = self.themes.get(code)
            if info and info.owner and info.owner not in owners:
                owners.append(info.owner)
        return owners


@dataclass(slots=True)
class RuleResult:
    """One rule's result in a decision. Results that depend only on the rule
    and one reason (the rule could not fire, a stop left it unevaluated) are
    shared by the decisions of a compiled ruleset (routing.compiled): read
    them, never change them."""

    id: int | None
    key: str | None
    name: str
    matched: bool
    why: str  # in Japanese, as docs/proposal.md shows it
    # The same as keys and parameters (routing.reasons), written out in the reader's language.
    reasons: list[dict] = field(default_factory=list)
    applied: list[dict] = field(default_factory=list)  # what the rule did when it matched

    def to_json(self) -> dict:
        return {"id": self.id, "name": self.name, "matched": self.matched, "why": self.why,
                "reasons": self.reasons, "applied": self.applied}


@dataclass
class Decision:
    lead: str | None
    co: list[str]
    needs_triage: bool
    themes: list[str]
    confidence: float
    ruleset_version: int | None
    rules: list[RuleResult]
    inferred: list[dict] = field(default_factory=list)
    primary_theme: str | None = None
    picked: list[str] = field(default_factory=list)
    wards: list[str] = field(default_factory=list)
    ward_source: str = "none"
    conflict: bool = False
    tags: list[str] = field(default_factory=list)
    priority: str = "normal"
    lead_rule: dict | None = None
    model_version: int | None = None
    model: dict | None = None  # the learned model's view (routing.model.ModelView.to_json())
    evidence: list[dict] = field(default_factory=list)  # each supporting word where it stands

    def to_json(self) -> dict[str, Any]:
        """The shape of shared reference/proposal.md, plus the reading of the text."""
        return {
            "lead": self.lead,
            "co": self.co,
            "needs_triage": self.needs_triage,
            "themes": self.themes,
            "confidence": self.confidence,
            "ruleset_version": self.ruleset_version,
            "rules": [r.to_json() for r in self.rules],
            "inferred": self.inferred,
            "primary_theme": self.primary_theme,
            "wards": self.wards,
            "ward_source": self.ward_source,
            "conflict": self.conflict,
            "tags": self.tags,
            "priority": self.priority,
            "lead_rule": self.lead_rule,
            "model_version": self.model_version,
            "model": self.model,
            "evidence": self.evidence,
        }


# --- reading the proposal ------------------------------------------------------------------

def _as_list(value, name: str) -> list[str]:
    if value is None:
        return []
    if isinstance(value, str):
        return [value] if value else []
    if not isinstance(value, list):
        raise InputError(f"{name} must be a list")
    return [str(v) for v in value if v not in (None, "")]


def _as_dict(value, name: str) -> dict:
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise InputError(f"{name} must be an object")
    return value


def read_proposal(data: dict, ruleset: RulesetData) -> Facts:
    if not isinstance(data, dict):
        raise InputError("a proposal is a JSON object")
    for name in TEXT_FIELDS:
        if data.get(name) is not None and not isinstance(data.get(name), str):
            raise InputError(f"{name} must be a string")
    area = _as_dict(data.get("area"), "area")
    organisation = _as_dict(data.get("organisation"), "organisation")
    budget = _as_dict(data.get("budget"), "budget")
    raw_picks = _as_list(data.get("themes"), "themes")[:3]
    picked = [t for t in raw_picks if t in ruleset.themes and ruleset.themes[t].owner]
    picked_other = bool(raw_picks) and not picked

    scores: dict[str, float] = {}
    words: dict[str, list[str]] = {}
    text_wards: list[str] = []
    field_scores: dict[str, float] = {}  # … with the words of a place, format or tool weighing less
    titled: set[str] = set()  # themes the title names
    title_scores: dict[str, float] = {}  # … and the title's support alone
    hits: list[Hit] = []
    token_keys: list[str] = []
    analysed = []
    ready = ruleset.analyses.get(id(data)) if ruleset.analyses is not None else None
    for i, name in enumerate(TEXT_FIELDS):
        if ready is not None:
            cols = ready[i]
            found = ruleset.matcher.scan_columns(name, cols)
        else:
            found, cols = ruleset.matcher.scan(name, data.get(name))
        hits += found
        analysed.append(cols)
        token_keys += cols.keys + ["\n"]  # a field ends: no phrase spans two fields
    for hit in hits:
        if hit.negated:
            continue  # 高齢者向けではありません gives elderly welfare no support
        for entry in hit.entries:
            if entry.theme and entry.theme in ruleset.themes:
                weight = entry.weight * ruleset.field_weight.get(hit.field, 1.0)
                scores[entry.theme] = scores.get(entry.theme, 0.0) + weight
                if entry.phrase in ruleset.roles:
                    weight *= ROLE_WEIGHT  # a park, a lecture, a drone: where or how, not what
                field_scores[entry.theme] = field_scores.get(entry.theme, 0.0) + weight
                if hit.field == "title":
                    title_scores[entry.theme] = title_scores.get(entry.theme, 0.0) + entry.weight
                    if entry.weight >= TITLE_WORD:
                        titled.add(entry.theme)
                found = words.setdefault(entry.theme, [])
                if entry.phrase not in found:
                    found.append(entry.phrase)
            elif entry.ward and entry.ward not in text_wards:
                text_wards.append(entry.ward)

    scope = area.get("scope") or None
    field_wards = [w for w in _as_list(area.get("wards"), "area.wards") if not ruleset.ward_codes or w in ruleset.ward_codes]
    if field_wards:
        wards, ward_source = list(dict.fromkeys(field_wards)), "fields"
    elif text_wards and scope not in ("citywide",):
        wards, ward_source = text_wards, "text"
    else:
        wards, ward_source = [], "none"

    in_one_ward = len(wards) == 1 and scope not in ("multi_ward", "citywide")
    primary, source, conflict, conflict_theme = _primary_theme(picked, field_scores, ruleset.themes, in_one_ward, title_scores)
    # The themes concerned, with a place, format or tool weighing as little as in
    # choosing the primary (a school visit does not make school education a field
    # of the proposal: it counts for bureau_count); and with every word whole, for
    # the co-departments (the park of a children's camp is worth telling its bureau).
    supported = _supported(primary, picked, field_scores, words, conflict_theme, titled, ruleset.themes)
    co_themes = _supported(primary, picked, scores, words, conflict_theme, titled, ruleset.themes)
    requested = budget.get("requested_yen")
    try:
        requested = int(requested) if requested not in (None, "") else None
    except (TypeError, ValueError) as error:
        raise InputError("budget.requested_yen must be a number") from error
    return Facts(
        text=" ".join(token_keys), picked=picked, picked_other=picked_other, scores=scores, words=words,
        wards=wards, ward_source=ward_source, scope=scope, stage=data.get("stage") or None,
        organisation_kind=organisation.get("kind") or None,
        support_requested=_as_list(data.get("support_requested"), "support_requested"),
        budget_requested=requested, primary=primary, primary_source=source, conflict=conflict,
        conflict_theme=conflict_theme, supported=supported, co_themes=co_themes, themes=ruleset.themes, labels=ruleset.labels,
        hits=hits, token_keys=token_keys, field_texts={n: c.text for n, c in zip(TEXT_FIELDS, analysed, strict=True)},
        model=_model_view(ruleset, data, analysed),
    )


def _model_view(ruleset: RulesetData, data: dict, analysed: list):
    if ruleset.model is None:
        return None
    views = ruleset.model_views
    if views is not None and id(data) in views:  # evaluate_many() worked them out in one batch
        return views[id(data)]
    return ruleset.model.view(data, analysed)


def ranked_themes(scores: dict[str, float], themes: dict[str, ThemeInfo]) -> list[tuple[str, float]]:
    return sorted(scores.items(), key=lambda kv: (-kv[1], themes[kv[0]].position if kv[0] in themes else 0))


def _primary_theme(picked, scores, themes, in_one_ward: bool = False, title_scores: dict | None = None):
    """ROUTING_POLICY.md decision 1. Returns (primary, source, conflict, other).

    A theme no bureau owns (an administrator's new field, owner empty) can be
    the primary theme when the text supports it: decision 6 then sends a
    seed-stage idea to the window. A picked unowned theme (`other` and the
    like) is only a hint that the applicant does not know: the text decides.

    A tie between bureaus is no clear signal (decision 6), unless the title
    breaks it (the title says what the proposal is about), or the proposal is
    in one ward and every tied theme is ward_level: decision 2 then gives that
    ward the lead whichever is primary (the first in the themes' order; the
    tied themes are all supported, so decision 5 counts their bureaus)."""
    ranked = [(t, s) for t, s in ranked_themes(scores, themes) if themes.get(t)]
    top, top_score = ranked[0] if ranked else (None, 0.0)
    if picked:
        first = picked[0]
        if scores.get(first, 0) > 0:
            return first, "pick+text", False, None
        backed = [t for t in picked[1:] if scores.get(t, 0) >= SUPPORTED]
        if backed:
            return max(backed, key=lambda t: scores[t]), "pick+text", False, None
        if top is None or top_score < CLEAR or themes[top].owner == themes[first].owner:
            return first, "pick", False, None  # the text says nothing against the pick
        if top_score >= DOMINANT:
            return top, "text", False, first  # the text clearly dominates a contradicted pick
        return first, "pick", True, top  # they disagree and neither dominates
    if top is None or top_score < CLEAR:
        return None, "none", False, None
    runner = ranked[1][1] if len(ranked) > 1 else 0.0
    runner_owner = themes[ranked[1][0]].owner if len(ranked) > 1 else None
    if runner >= top_score and runner_owner != themes[top].owner:
        tied = [t for t, s in ranked if s >= top_score]
        by_title = sorted(tied, key=lambda t: -(title_scores or {}).get(t, 0.0))
        if (title_scores or {}).get(by_title[0], 0.0) > (title_scores or {}).get(by_title[1], 0.0):
            return by_title[0], "text", False, None
        if in_one_ward and all(themes[t].ward_level for t in tied):
            return top, "text", False, None  # the ward leads whichever it is
        return None, "none", False, None  # a tie between bureaus is no clear signal
    return top, "text", False, None


def _supported(primary, picked, scores, words, conflict_theme, titled, themes) -> list[str]:
    supported: list[str] = [primary] if primary else []
    text_silent = not any(s >= SUPPORTED for s in scores.values())
    for code in picked:
        if code not in supported and (scores.get(code, 0) > 0 or text_silent):
            supported.append(code)
    top = max(scores.values(), default=0.0)
    if primary and scores.get(primary, 0) >= SUPPORTED:
        # Themes the text supports as much as the primary (a tie decision 1 let through).
        supported += [c for c, s in scores.items() if s >= scores[primary] and c not in supported and c != conflict_theme]

    def strong(score: float, n_words: int, in_title: bool) -> bool:
        # Two different words, or a clear word in the title: a passing mention is neither.
        return score >= STRONG and score >= RELATIVE * top and (n_words >= 2 or in_title)

    for code, score in sorted(scores.items(), key=lambda kv: -kv[1]):
        if code not in supported and code != conflict_theme and strong(score, len(words.get(code, ())), code in titled):
            supported.append(code)
    # A bureau is concerned when its fields together are strongly supported, though
    # none is alone (見守り for elderly care and 福祉 for community care: 健康福祉局).
    owners = {themes[c].owner for c in supported if c in themes}
    by_owner: dict[str, list[str]] = {}
    for code in scores:
        info = themes.get(code)
        if info and info.owner and info.owner not in owners and code != conflict_theme:
            by_owner.setdefault(info.owner, []).append(code)
    for codes in by_owner.values():
        n_words = len({w for c in codes for w in words.get(c, ())})
        if len(codes) > 1 and strong(sum(scores[c] for c in codes), n_words, False):
            supported.append(max(codes, key=lambda c: (scores[c], -themes[c].position)))
    return supported[:4]
