"""What a submission no longer repeats (issue 16): the dictionary's matcher is
built once per dictionary, not once per proposal, yet an edited dictionary is
read at once; an applicant's saves of a draft queue no search indexing (drafts
are not in the index), their submission does."""

from __future__ import annotations

import sqlalchemy as sa
from celery.signals import task_prerun
from intake_helpers import VALID_STEPS, sign_in

from core.audit import Actor
from core.extensions import db
from core.models import Theme
from proposals.models import Proposal, State
from routing import ruleset_operations as rules
from routing.models import Keyword
from routing.store import build_matcher


def _terms(matcher, text: str) -> set[str]:
    hits, _ = matcher.scan("summary", text)
    return {entry.theme for hit in hits for entry in hit.entries}


def test_the_matcher_is_reused_until_the_dictionary_changes(app, make_user):
    first = build_matcher()
    assert build_matcher() is first  # the same dictionary: not tokenised again
    admin = Actor.of_user(make_user("admin"))
    theme = db.session.scalar(sa.select(Theme).where(Theme.code == "environment"))
    assert "environment" not in _terms(first, "ポンコツ号の見学会")

    added = rules.add_keyword(admin, "ポンコツ号", theme=theme)
    db.session.commit()
    second = build_matcher()
    assert second is not first and "environment" in _terms(second, "ポンコツ号の見学会")

    rules.add_keyword(admin, "ポンコツ号", theme=theme, weight=2.5)  # the same row, another weight
    db.session.commit()
    third = build_matcher()
    assert third is not second
    [entry] = [e for hit in third.scan("summary", "ポンコツ号")[0] for e in hit.entries]
    assert entry.weight == 2.5

    rules.remove_keyword(admin, db.session.get(Keyword, added.id))
    db.session.commit()
    assert "environment" not in _terms(build_matcher(), "ポンコツ号の見学会")


def _indexed_ids() -> tuple[list, callable]:
    queued: list[int] = []

    def heard(sender=None, args=(), **_):
        if sender is not None and sender.name == "search.index":
            queued.extend(args[0])

    return queued, heard


def test_saving_draft_steps_queues_no_indexing_and_submitting_does(client, make_user, make_organisation):
    applicant = make_user("applicant")
    organisation = make_organisation(members=[applicant])
    sign_in(client, applicant)
    queued, heard = _indexed_ids()
    task_prerun.connect(heard, weak=False)
    try:
        response = client.post("/proposals/new", data={"organisation": str(organisation.id)})
        draft_id = int(response.headers["Location"].split("/")[2])
        for step in range(1, 6):
            assert client.post(f"/proposals/{draft_id}/step/{step}", data=VALID_STEPS[step]).status_code == 302
        client.post(f"/proposals/{draft_id}/step/6", data={"action": "next"})
        assert draft_id not in queued  # five saves of a draft: nothing for the index
        response = client.post(f"/proposals/{draft_id}/review", data={"consent_privacy": "y", "consent_publish": "y"})
        assert "/submitted" in response.headers["Location"]
    finally:
        task_prerun.disconnect(heard)
    assert db.session.get(Proposal, draft_id).state != State.DRAFT
    assert draft_id in queued
