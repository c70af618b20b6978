"""What a client can rely on: ETag / If-Match on proposals, idempotency keys
on creates, cursor pagination."""

from __future__ import annotations

import base64
import hashlib
from functools import wraps

import sqlalchemy as sa
from flask import g, request
from flask_babel import lazy_gettext as _l

from api.models import IdempotencyKey
from api.problems import ApiProblem
from core.extensions import db
from proposals import operations as proposal_ops
from proposals.models import Proposal

# --- ETag and If-Match -----------------------------------------------------------------------------


def etag_of(proposal: Proposal) -> str:
    """The proposal's version: the lifecycle's counter (bumped by every
    transition) and the time of the row's last change (drafts being filled,
    routing saved without assigning)."""
    stamp = int(proposal.updated_at.timestamp() * 1_000_000) if proposal.updated_at else 0
    return f'"{proposal.id}.{proposal.lock_version}.{stamp}"'


def with_etag(body, proposal: Proposal, status: int = 200, headers: dict | None = None):
    return body, status, {"ETag": etag_of(proposal), **(headers or {})}


def require_if_match(proposal_id: int) -> Proposal:
    """Lock the proposal and check the client's If-Match against its current
    ETag: 428 without the header, 412 when someone changed it since.
    Returns the locked proposal; pass its lock_version to the operation too."""
    wanted = request.headers.get("If-Match")
    if not wanted:
        raise ApiProblem(428, detail=_l("変更の前に提案を GET し、その ETag を If-Match ヘッダーに入れて送ってください。"))
    proposal = proposal_ops.lock_proposal(proposal_id)
    current = etag_of(proposal)
    tags = [tag.strip().removeprefix("W/") for tag in wanted.split(",")]
    if current not in tags:
        raise ApiProblem(412, detail=_l("提案はあなたが読んだ後に変更されました。もう一度 GET して最新の状態を確認してください。"),
                         headers={"ETag": current})
    return proposal


# --- Idempotency-Key -------------------------------------------------------------------------------------


def _fingerprint() -> str:
    body = request.get_data() or b""
    return hashlib.sha256(request.method.encode() + b" " + request.path.encode() + b"\n" + body).hexdigest()


def idempotent(view):
    """A create with an Idempotency-Key header runs once per token and key:
    a retry gets the first answer again (with Idempotent-Replayed: true).
    The key is reserved (committed) before the create runs, so two requests
    with the same key at once cannot both create: the second gets 409."""

    @wraps(view)
    def wrapped(*args, **kwargs):
        key = (request.headers.get("Idempotency-Key") or "").strip()
        if not key:
            return view(*args, **kwargs)
        if len(key) > 200:
            raise ApiProblem(400, detail=_l("Idempotency-Key は200文字以内にしてください。"))
        token_id, fingerprint = g.api_token.id, _fingerprint()
        stored = _reserve(token_id, key, fingerprint)
        if stored is not None:
            return _replay(stored, fingerprint)
        try:
            response = view(*args, **kwargs)  # the Response, as serialised by the schema
        except Exception:
            db.session.rollback()
            _release(token_id, key)
            raise
        if 200 <= response.status_code < 300:
            row = db.session.scalar(sa.select(IdempotencyKey).where(IdempotencyKey.token_id == token_id,
                                                                    IdempotencyKey.key == key))
            row.status, row.body, row.location = response.status_code, response.get_json(), response.headers.get("Location")
            db.session.commit()
        else:
            _release(token_id, key)
        return response

    wrapped._idempotent = True
    return wrapped


def _reserve(token_id: int, key: str, fingerprint: str) -> IdempotencyKey | None:
    """None when this request holds the key now; the stored row otherwise."""
    stored = db.session.scalar(sa.select(IdempotencyKey).where(IdempotencyKey.token_id == token_id,
                                                               IdempotencyKey.key == key))
    if stored is not None:
        return stored
    db.session.add(IdempotencyKey(token_id=token_id, key=key, fingerprint=fingerprint, status=0, body={}))
    try:
        db.session.commit()
    except sa.exc.IntegrityError:  # the same key, at the same moment
        db.session.rollback()
        return db.session.scalar(sa.select(IdempotencyKey).where(IdempotencyKey.token_id == token_id,
                                                                 IdempotencyKey.key == key))
    return None


def _release(token_id: int, key: str) -> None:
    """The create did not happen: the key may be used again."""
    db.session.execute(sa.delete(IdempotencyKey).where(IdempotencyKey.token_id == token_id,
                                                       IdempotencyKey.key == key, IdempotencyKey.status == 0))
    db.session.commit()


def _replay(stored: IdempotencyKey, fingerprint: str):
    if stored.fingerprint != fingerprint:
        raise ApiProblem(422, detail=_l("この Idempotency-Key は別の内容のリクエストに使われています。新しいキーを使ってください。"),
                         kind="idempotency-key-reused")
    if stored.status == 0:
        raise ApiProblem(409, detail=_l("同じ Idempotency-Key のリクエストを処理中です。少し待ってから同じリクエストを送り直してください。"),
                         headers={"Retry-After": "1"})
    headers = {"Idempotent-Replayed": "true"}
    if stored.location:
        headers["Location"] = stored.location
    return stored.body, stored.status, headers


# --- cursor pagination --------------------------------------------------------------------------------------

def encode_cursor(value: int) -> str:
    return base64.urlsafe_b64encode(f"after:{value}".encode()).decode().rstrip("=")


def decode_cursor(cursor: str | None) -> int | None:
    if not cursor:
        return None
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        kind, _, value = raw.partition(":")
        number = int(value)
    except (ValueError, UnicodeDecodeError):
        number, kind = -1, ""
    if kind != "after" or not 0 <= number < 2**31:
        raise ApiProblem(400, detail=_l("cursor が正しくありません。前の応答の next_cursor をそのまま送ってください。"))
    return number


def page_of(query, id_column, *, cursor: str | None, limit: int, newest_first: bool = True):
    """One page of `query` ordered by id (newest first by default), and the
    cursor of the next page (None on the last page)."""
    after = decode_cursor(cursor)
    if after is not None:
        query = query.where(id_column < after if newest_first else id_column > after)
    query = query.order_by(id_column.desc() if newest_first else id_column.asc()).limit(limit + 1)
    rows = list(db.session.scalars(query))
    more = len(rows) > limit
    rows = rows[:limit]
    return rows, (encode_cursor(rows[-1].id) if more and rows else None)


def page_links(next_cursor: str | None) -> dict[str, str]:
    if next_cursor is None:
        return {}
    args = request.args.to_dict()
    args["cursor"] = next_cursor
    query = "&".join(f"{k}={v}" for k, v in args.items())
    return {"Link": f'<{request.base_url}?{query}>; rel="next"'}
