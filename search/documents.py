"""What is indexed of a proposal, from the model or from the data shape of
docs/proposal.md (the `flask similar rank` input), the same way for both.

Public fields are the applicant's content the catalogue may show: a public search matches these
only, and of a stored proposal only those its consent version named (proposals/visibility.py); the
others are indexed as staff fields, which staff search also matches (STAFF_FIELDS too).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from proposals.visibility import consented_fields
from text import char_ngrams, clean, index_terms

PUBLIC_FIELDS = ("title", "summary", "issue", "activities", "outcomes", "exit_note")
STAFF_FIELDS = ("past_collaboration",)
# Bigrams only of the short fields (names, titles): the whole text's bigrams
# would make the index several times larger for little recall.
GRAM_FIELDS = ("title", "summary")
# The declared field (proposals/visibility.py) each indexed text belongs to, for the consent check.
DECLARED_FIELD = {"title": "title", "summary": "summary", "issue": "issue", "activities": "activities",
                  "outcomes": "outcomes", "exit_note": "exit_strategy", "organisation": "organisation"}


@dataclass
class Analysed:
    """One proposal's index entry (lists of strings, repeats kept)."""

    title_terms: list[str] = field(default_factory=list)
    body_terms: list[str] = field(default_factory=list)  # the other public fields
    organisation_terms: list[str] = field(default_factory=list)
    staff_terms: list[str] = field(default_factory=list)
    name_grams: list[str] = field(default_factory=list)  # bigrams of the title and summary
    organisation_grams: list[str] = field(default_factory=list)
    unigrams: list[str] = field(default_factory=list)  # every character of the public fields, once
    staff_grams: list[str] = field(default_factory=list)  # bigrams and characters of the staff fields
    themes: list[str] = field(default_factory=list)

    @property
    def public_terms(self) -> list[str]:
        return self.title_terms + self.body_terms + self.organisation_terms

    @property
    def public_grams(self) -> list[str]:
        return self.name_grams + self.organisation_grams + self.unigrams


def fields_of_proposal(proposal) -> dict[str, str]:
    """The text fields of a Proposal, with the organisation's name."""
    values = {name: getattr(proposal, name) or "" for name in PUBLIC_FIELDS + STAFF_FIELDS}
    values["organisation"] = proposal.organisation.name if proposal.organisation is not None else ""
    return values


def fields_of_data(data: dict) -> dict[str, str]:
    """The text fields of a proposal in the shape of docs/proposal.md."""
    organisation = data.get("organisation") if isinstance(data.get("organisation"), dict) else {}
    values = {name: data.get(name) if isinstance(data.get(name), str) else "" for name in PUBLIC_FIELDS + STAFF_FIELDS}
    values["organisation"] = organisation.get("name") if isinstance(organisation.get("name"), str) else ""
    return values


def unigrams(text: str) -> list[str]:
    return sorted({c for c in clean(text) if c.isalnum()})


def withheld(values: dict[str, str], consent_version: int | None) -> dict[str, str]:
    """The fields the consent did not name move to the staff side: found by staff, never by the public."""
    allowed = set(consented_fields(consent_version))
    moved = [name for name, declared in DECLARED_FIELD.items() if declared not in allowed and values.get(name)]
    kept = {name: ("" if name in moved else text) for name, text in values.items()}
    kept["past_collaboration"] = "\n".join([values.get("past_collaboration", ""), *(values[n] for n in moved)]).strip()
    return kept


def analyse(values: dict[str, str], themes: list[str] | None = None) -> Analysed:
    public_text = "\n".join(values.get(name, "") for name in (*PUBLIC_FIELDS, "organisation"))
    staff_text = "\n".join(values.get(name, "") for name in STAFF_FIELDS)
    return Analysed(
        title_terms=index_terms(values.get("title", "")),
        body_terms=[t for name in PUBLIC_FIELDS[1:] for t in index_terms(values.get(name, ""))],
        organisation_terms=index_terms(values.get("organisation", "")),
        staff_terms=index_terms(staff_text),
        name_grams=[g for name in GRAM_FIELDS for g in char_ngrams(values.get(name, ""))],
        organisation_grams=char_ngrams(values.get("organisation", "")),
        unigrams=unigrams(public_text),
        staff_grams=char_ngrams(staff_text) + unigrams(staff_text),
        themes=[t for t in (themes or []) if isinstance(t, str)],
    )


def analyse_proposal(proposal) -> Analysed:
    """Every text field as written: what similar proposals compare (staff see them whole)."""
    return analyse(fields_of_proposal(proposal), proposal.theme_codes)


def analyse_for_search(proposal) -> Analysed:
    """What the search columns hold: the fields the consent did not name count as staff fields."""
    return analyse(withheld(fields_of_proposal(proposal), proposal.consent_version), proposal.theme_codes)


def analyse_data(data: dict) -> Analysed:
    themes = data.get("themes") if isinstance(data.get("themes"), list) else []
    return analyse(fields_of_data(data), themes)
