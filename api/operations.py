"""Changes to API tokens, one operation each: takes the actor, flushes
(the view commits) and writes an audit event."""

from __future__ import annotations

from datetime import timedelta

from flask_babel import lazy_gettext as _l

from api.models import SCOPES, ApiToken, new_token, token_digest
from core.audit import Actor, record_event
from core.columns import utcnow
from core.extensions import db
from core.models import User

DEFAULT_DAYS = 90
MAX_DAYS = 365


class TokenError(Exception):
    def __init__(self, message):
        super().__init__(str(message))
        self.message = message


def create_token(owner: User, name: str, actor: Actor, *, scopes=("read",), days: int = DEFAULT_DAYS
                 ) -> tuple[ApiToken, str]:
    """A new token acting as `owner` (within the owner's departments or
    organisations), with `scopes` (act implies read), expiring after `days`;
    the token itself is returned once and only its digest kept."""
    scopes = [scope for scope in SCOPES if scope in set(scopes) | {"read"}]
    if not 1 <= days <= MAX_DAYS:
        raise TokenError(_l("有効期間は1日から%(max)d日までの日数で指定してください。", max=MAX_DAYS))
    if not owner.active:
        raise TokenError(_l("無効になっている利用者にはトークンを作れません。"))
    token = new_token()
    name = name.strip()[:100] or "API"
    row = ApiToken(name=name, token_hash=token_digest(token), hint=token[:10], user_id=owner.id,
                   created_by_id=actor.user.id if actor.user else None, scopes=",".join(scopes),
                   expires_at=utcnow() + timedelta(days=days))
    db.session.add(row)
    db.session.flush()
    record_event(actor, "api_token_created", data={"token_id": row.id, "user_id": owner.id, "name": name,
                                                   "scopes": scopes, "days": days})
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
