"""Keeping the index fresh: every audit event that names a proposal (its
submission, each state change, answers to information requests …) and every
flushed change of a proposal row marks it;
after the commit one Celery task reindexes the marked proposals. If the
broker is down the request still succeeds and the sweep (search.sweep, every
ten minutes) indexes what changed."""

from __future__ import annotations

import logging

import sqlalchemy as sa
from flask import current_app, has_app_context
from sqlalchemy import event as sa_event
from sqlalchemy.orm import Session

from core.audit import event_recorded
from core.extensions import db
from proposals.models import Proposal, State

log = logging.getLogger(__name__)
DIRTY = "search_dirty"


def on_event(event, changes_proposal: bool = True, **_) -> None:
    # A rung of the deadline sweep (who was told) changes nothing indexed: a
    # sweep of a large backlog would otherwise reindex every proposal it chased.
    if event.proposal_id is None or not changes_proposal:
        return
    proposal = db.session.identity_map.get(sa.inspect(Proposal).identity_key_from_primary_key([event.proposal_id]))
    if proposal is not None and _stays_a_draft(proposal):
        return
    db.session.info.setdefault(DIRTY, set()).add(event.proposal_id)


def _stays_a_draft(proposal: Proposal) -> bool:
    """A draft is not in the index (index_proposals leaves it out): the applicant's saves of
    each step need no reindexing. A proposal that becomes a draft or stops being one does."""
    if proposal.state != State.DRAFT:
        return False
    history = sa.inspect(proposal).attrs.state.history
    return all(previous == State.DRAFT for previous in history.deleted)


def _after_flush(session: Session, _context) -> None:
    """A proposal written without an audit event (an edit of a draft being
    submitted, a data fix) is reindexed too."""
    changed = {o.id for o in (*session.new, *session.dirty)
               if isinstance(o, Proposal) and o.id is not None and not _stays_a_draft(o)}
    if changed:
        session.info.setdefault(DIRTY, set()).update(changed)


def _after_commit(session: Session) -> None:
    ids = session.info.pop(DIRTY, None)
    if not ids:
        return
    from search.tasks import index_task

    # The task of this Flask app's Celery (not the process's default Celery app, which is the last one
    # created: with several apps in one process, as in tests, it may point at another broker).
    celery = current_app.extensions.get("celery") if has_app_context() else None
    task = celery.tasks[index_task.name] if celery is not None else index_task
    try:
        task.apply_async(args=[sorted(ids)], retry_policy={"max_retries": 1, "interval_start": 0})
    except Exception:  # broker down: the sweep indexes it later
        log.warning("could not queue search indexing; the sweep will do it", exc_info=True)


def _after_rollback(session: Session) -> None:
    session.info.pop(DIRTY, None)


def connect() -> None:
    event_recorded.connect(on_event)
    for name, listener in (("after_flush", _after_flush), ("after_commit", _after_commit),
                           ("after_rollback", _after_rollback)):
        if not sa_event.contains(db.session, name, listener):
            sa_event.listen(db.session, name, listener)
