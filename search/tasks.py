"""Celery tasks of search. Arguments are ids; every task is safe to run twice."""

from __future__ import annotations

from celery import shared_task
from sqlalchemy.orm import Session

from core.extensions import db
from search import index


@shared_task(name="search.index", ignore_result=True)
def index_task(proposal_ids: list[int]) -> int:
    # Its own session: in tests (eager) this runs inside the request's after_commit.
    with Session(db.engine) as session:
        done = index.index_proposals(session, proposal_ids)
        session.commit()
    return done


@shared_task(name="search.sweep", ignore_result=True)
def sweep_task() -> int:
    """Every ten minutes: what changed without being indexed (the broker was down)."""
    with Session(db.engine) as session:
        done = index.index_proposals(session, index.stale_ids(session))
        session.commit()
    return done


@shared_task(name="search.statistics", ignore_result=True)
def statistics_task() -> int:
    """Nightly: the document frequencies (IDF) recounted over the index."""
    with Session(db.engine) as session:
        done = index.refresh_statistics(session)
        session.commit()
    return done


@shared_task(name="search.digest", ignore_result=True)
def digest_task() -> int:
    from search import digest

    return digest.send_weekly_digest()
