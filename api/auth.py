"""Bearer tokens for the API. A token acts as its user and reaches only what
the user reaches now (their department's assignments, their organisations'
proposals); `read` lets it look, `act` lets it change things."""

from __future__ import annotations

from datetime import timedelta
from functools import wraps

import sqlalchemy as sa
from flask import g, request
from flask_babel import lazy_gettext as _l

from api.models import ApiToken, token_digest
from api.operations import note_token_used
from api.problems import ApiProblem
from core.audit import Actor
from core.columns import utcnow
from core.extensions import db
from core.models import Role, User

CHALLENGE = {"WWW-Authenticate": 'Bearer realm="api"'}


def bearer_token() -> str | None:
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    token = token.strip()
    return token if scheme.lower() == "bearer" and token else None


def load_token(value: str | None) -> ApiToken | None:
    if not value:
        return None
    row = db.session.scalar(sa.select(ApiToken).where(ApiToken.token_hash == token_digest(value)))
    if row is None or not row.active or not row.user.active:
        return None
    return row


def authenticate(scope: str = "read") -> ApiToken:
    value = bearer_token()
    if value is None:
        raise ApiProblem(401, detail=_l("Authorization: Bearer <トークン> を付けて送ってください。"), headers=CHALLENGE)
    token = load_token(value)
    if token is None:
        raise ApiProblem(401, detail=_l("トークンが無効です（存在しない、期限切れ、または無効化されています）。"),
                         headers=CHALLENGE)
    if scope not in token.scope_set:
        raise ApiProblem(403, detail=_l("このトークンには「%(scope)s」の権限がありません。", scope=scope),
                         headers={"WWW-Authenticate": f'Bearer realm="api", error="insufficient_scope", scope="{scope}"'})
    # Written at most once a minute, so reading does not write on every request.
    if token.last_used_at is None or utcnow() - token.last_used_at > timedelta(minutes=1):
        note_token_used(token)
        db.session.commit()
    g.api_token, g.api_user = token, token.user
    return token


def token_required(scope: str = "read", *, roles: tuple[Role, ...] | None = None):
    """The view needs a token with `scope`, held by a user of `roles` (any role when None)."""

    def decorator(view):
        @wraps(view)
        def wrapped(*args, **kwargs):
            token = authenticate(scope)
            if roles is not None and token.user.role not in roles and token.user.role != Role.ADMIN:
                raise ApiProblem(403, detail=_l("このトークンの利用者はこの操作を行えません。"))
            return view(*args, **kwargs)

        wrapped._api_scope = scope  # read by the OpenAPI post-processing (security per operation)
        return wrapped

    return decorator


def api_user() -> User:
    return g.api_user


def api_actor() -> Actor:
    return Actor.of_user(g.api_user)


DEPARTMENT_ROLES = (Role.DEPARTMENT_STAFF, Role.DEPARTMENT_MANAGER)
WINDOW_ROLES = (Role.WINDOW,)
APPLICANT_ROLES = (Role.APPLICANT,)
