"""The window's weekly digest of new clusters: three or more similar
proposals from different organisations, at least one of them submitted in
the last week (so a cluster is announced when it forms or grows)."""

from __future__ import annotations

from datetime import timedelta

import sqlalchemy as sa
from flask import current_app, render_template
from flask_babel import force_locale

from core.audit import Actor, record_event
from core.columns import utcnow
from core.extensions import db
from core.models import Department, DepartmentKind, Role, User
from core.outbox import queue_email
from proposals.models import Proposal, State
from search import query

CLUSTER_SCORE = 0.25  # two proposals this similar belong together (docs/search.md)
CLUSTER_SIZE = 3
WEEK = timedelta(days=7)


def _clusters(new_ids: list[int]) -> list[list[int]]:
    """Connected groups (score ≥ CLUSTER_SCORE) around the new proposals."""
    parent: dict[int, int] = {}

    def find(i: int) -> int:
        while parent.setdefault(i, i) != i:
            i = parent[i]
        return i

    scope = sa.select(Proposal.id).where(Proposal.state != State.DRAFT)
    for proposal_id in new_ids:
        analysed = query.stored_analysis(proposal_id)
        if analysed is None:
            continue
        find(proposal_id)
        for match in query.similar(analysed, scope, exclude=proposal_id, k=10):
            if match.score >= CLUSTER_SCORE:
                parent[find(match.key)] = find(proposal_id)
    groups: dict[int, list[int]] = {}
    for i in list(parent):
        groups.setdefault(find(i), []).append(i)
    return [sorted(g) for g in groups.values()]


def new_clusters(now=None) -> list[list[Proposal]]:
    since = (now or utcnow()) - WEEK
    new_ids = list(db.session.scalars(sa.select(Proposal.id).where(
        Proposal.state != State.DRAFT, Proposal.submitted_at >= since).order_by(Proposal.id)))
    out = []
    for ids in _clusters(new_ids):
        proposals = db.session.scalars(sa.select(Proposal).where(Proposal.id.in_(ids))
                                       .order_by(Proposal.submitted_at, Proposal.id)).all()
        organisations = {p.organisation_id or -p.id for p in proposals}
        if len(proposals) >= CLUSTER_SIZE and len(organisations) >= CLUSTER_SIZE:
            out.append(proposals)
    return out


def _window_staff() -> list[User]:
    windows = sa.select(Department.id).where(Department.kind == DepartmentKind.TRIAGE)
    return db.session.scalars(sa.select(User).where(User.active, User.role == Role.WINDOW,
                                                    User.department_id.in_(windows)).order_by(User.id)).all()


def send_weekly_digest(now=None) -> int:
    """Queue the digest to each window member (nothing when no cluster is new); commits."""
    now = now or utcnow()
    clusters = new_clusters(now)
    if not clusters:
        return 0
    week = now.date().isocalendar()
    people = _window_staff()
    for user in people:
        locale = user.locale or "ja"
        with force_locale(locale):
            rendered = render_template("search/email/digest.txt", base_url=current_app.config["BASE_URL"], user=user,
                                       clusters=clusters)
        subject, _, body = rendered.lstrip().partition("\n")
        # The same week's digest is queued once per person (the key), however often the task runs.
        queue_email(user.email, subject.removeprefix("Subject:").strip(), body.lstrip("\n"),
                    key=f"search-digest-{week.year}-{week.week}-{user.id}", locale=locale)
    record_event(Actor.system(), "search_digest_sent", data={"clusters": [[p.id for p in c] for c in clusters],
                                                              "recipients": len(people)})
    db.session.commit()
    return len(clusters)

