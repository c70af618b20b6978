"""How fast the applicant's pages are with many proposals.

    .venv/bin/python bench/intake_pages.py [proposals, default 100000] [database url]

Builds a scratch database (SQLite file unless a URL is given) with that many
submitted proposals across organisations of 1-3 members (20 proposals per
organisation), then times, over 30 requests each: "my proposals" (/my) for
a member, the status page of a proposal with 40 timeline events and 12
messages, and the permission check of a file download. On PostgreSQL it also
prints whether the applicant's list query uses the indexes.
"""

from __future__ import annotations

import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import sqlalchemy as sa  # noqa: E402

PER_ORG = 20


def _timed(client, path: str, runs: int = 30) -> tuple[float, float]:
    samples = []
    for _ in range(runs):
        began = time.perf_counter()
        response = client.get(path)
        response.get_data()
        response.close()
        assert response.status_code == 200, (path, response.status_code)
        samples.append((time.perf_counter() - began) * 1000)
    return statistics.median(samples), statistics.quantiles(samples, n=10, method="inclusive")[8]


def main(count: int, url: str | None) -> None:
    from flask_migrate import upgrade

    from core.audit import Actor, record_event
    from core.extensions import db
    from core.models import Membership, Organisation, User
    from core.seed import seed_reference
    from intake.access import applicant_proposals_clause
    from proposals.models import Attachment, Message, Proposal
    from window import create_app

    url = url or f"sqlite:///{tempfile.mkdtemp(prefix='intake-bench-')}/bench.sqlite3"
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url[len("postgresql://"):]
    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "OUTBOX_DISPATCH": "manual", "RATELIMIT_ENABLED": False,
                      "UPLOAD_DIR": tempfile.mkdtemp(prefix="intake-bench-files-")})
    with app.app_context():
        upgrade()
        seed_reference()
        db.session.commit()
        began = time.perf_counter()
        organisations = count // PER_ORG
        db.session.execute(sa.insert(Organisation.__table__), [
            {"name": f"団体{i}", "kind": "npo_corp", "created_at": datetime.now(UTC)} for i in range(organisations)])
        org_ids = db.session.scalars(sa.select(Organisation.id).order_by(Organisation.id)).all()
        users = [{"email": f"m{i}-{j}@bench.invalid", "role": "applicant", "name": "", "locale": "ja",
                  "notification_settings": {}, "created_at": datetime.now(UTC), "active": True, "failed_logins": 0}
                 for i in range(organisations) for j in range(1 + i % 3)]
        db.session.execute(sa.insert(User.__table__), users)
        user_ids = dict(db.session.execute(sa.select(User.email, User.id)).all())
        db.session.execute(sa.insert(Membership.__table__), [
            {"user_id": user_ids[u["email"]], "organisation_id": org_ids[int(u["email"][1:].split("-")[0])],
             "created_at": datetime.now(UTC)} for u in users])
        start = datetime(2024, 4, 1, tzinfo=UTC)
        rows = []
        for n in range(count):
            org_index = n % organisations
            rows.append({
                "reference": f"KW-2025-{n:07d}", "fiscal_year": 2025, "state": "triage", "lock_version": 1,
                "organisation_id": org_ids[org_index], "created_by_id": user_ids[f"m{org_index}-0@bench.invalid"],
                "title": f"提案{n}", "summary": "概要", "issue": "", "activities": "", "outcomes": "", "exit_note": "",
                "contact_name": "", "contact_email": "", "contact_phone": "", "past_collaboration": "",
                "support_requested": [], "partners_wanted": [], "draft_step": 1, "draft_data": {},
                "consent_privacy": True, "consent_publish": False, "publication_approved": False,
                "needs_triage": True, "created_at": start, "updated_at": start,
                "submitted_at": start + timedelta(minutes=n),
            })
            if len(rows) == 5000:
                db.session.execute(sa.insert(Proposal.__table__), rows)
                rows = []
        if rows:
            db.session.execute(sa.insert(Proposal.__table__), rows)
        db.session.commit()
        print(f"built {count} proposals, {organisations} organisations, {len(users)} members "
              f"in {time.perf_counter() - began:.1f}s ({db.engine.dialect.name})")

        member = db.session.scalar(sa.select(User).where(User.email == "m7-1@bench.invalid"))
        proposal = db.session.scalar(sa.select(Proposal).where(Proposal.organisation_id == org_ids[7]).limit(1))
        actor = Actor.system("bench")
        for i in range(40):
            record_event(actor, "attachment_added" if i % 2 else "message_posted", proposal_id=proposal.id,
                         public=True)
        for i in range(12):
            db.session.add(Message(proposal_id=proposal.id, body=f"メッセージ{i}", author_id=member.id))
        attachment = Attachment(proposal_id=proposal.id, filename="a.txt", content_type="text/plain", size_bytes=1,
                                sha256="0" * 64, storage_key="a" * 64)
        db.session.add(attachment)
        db.session.commit()
        from proposals.attachments import path_for

        path_for(attachment.storage_key).parent.mkdir(parents=True, exist_ok=True)
        path_for(attachment.storage_key).write_bytes(b"x")

        client = app.test_client()
        with client.session_transaction() as session:
            session["_user_id"] = member.get_id()
            session["_fresh"] = True
        for label, path in (("/my (20 proposals of 100k)", "/my"),
                            ("status page (40 events, 12 messages)", f"/my/proposals/{proposal.reference}"),
                            ("file download (permission + send)", f"/attachments/{attachment.id}")):
            median, p90 = _timed(client, path)
            print(f"{label:42s} median {median:7.1f} ms   p90 {p90:7.1f} ms")

        if db.engine.dialect.name == "postgresql":
            db.session.execute(sa.text("ANALYZE"))
            query = sa.select(Proposal.id).where(applicant_proposals_clause(member))
            compiled = query.compile(db.engine, compile_kwargs={"literal_binds": True})
            plan = db.session.execute(sa.text(f"EXPLAIN {compiled}")).scalars().all()
            uses_index = any("Index" in line for line in plan) and not any("Seq Scan on proposals" in line
                                                                          for line in plan)
            print("applicant list query uses indexes (no sequential scan of proposals):", uses_index)
            for line in plan:
                print("   ", line)


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 100_000, sys.argv[2] if len(sys.argv) > 2 else None)
