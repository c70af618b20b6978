"""Changes to API tokens, one operation each: takes the actor, flushes
(the view commits) and writes an audit event."""

from __future__ import annotations

from api.models import ApiToken, new_token, token_digest
from core.audit import Actor, record_event
from core.extensions import db
from core.models import User, utcnow


def create_token(owner: User, name: str, actor: Actor) -> tuple[ApiToken, str]:
    """A new token acting as `owner`; the token itself is returned once and only its digest kept."""
    token = new_token()
    row = ApiToken(name=name, token_hash=token_digest(token), hint=token[:10], user_id=owner.id,
                   created_by_id=actor.user.id if actor.user else None)
    db.session.add(row)
    db.session.flush()
    record_event(actor, "api_token_created", data={"token_id": row.id, "user_id": owner.id, "name": name})
    return row, token


def revoke_token(row: ApiToken, actor: Actor) -> None:
    """The token stops working at once; revoking it again changes nothing and records nothing."""
    if row.revoked_at is not None:
        return
    row.revoked_at = utcnow()
    db.session.flush()
    record_event(actor, "api_token_revoked", data={"token_id": row.id})


def note_token_used(row: ApiToken) -> None:
    """When a token was last used, for the administrators' list (no event: it would be one per call)."""
    row.last_used_at = utcnow()
    db.session.flush()
