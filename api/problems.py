"""Errors as RFC 9457 problem details (application/problem+json), with
field errors in Japanese or English, chosen by the Accept-Language header.

Views raise ApiProblem (or abort with an HTTP status); every API blueprint
turns it, the lifecycle's refusals and marshmallow's validation errors into
one shape: {type, title, status, detail, instance, errors: [{field, message}]}."""

from __future__ import annotations

import re
import time
from typing import Any

from flask import current_app, g, has_request_context, request
from flask_babel import force_locale
from flask_babel import lazy_gettext as _l
from werkzeug.exceptions import HTTPException

from core.extensions import limiter

PROBLEM_TYPE = "application/problem+json"
LOCALES = ("ja", "en")


def api_locale() -> str:
    """Japanese unless the client prefers English (Accept-Language)."""
    if not has_request_context():
        return "ja"
    if "api_locale" not in g:
        best = request.accept_languages.best_match(LOCALES)
        g.api_locale = best or "ja"
    return g.api_locale


def text(message: Any) -> str:
    """A (lazy) message in the client's language."""
    with force_locale(api_locale()):
        return str(message)


class ApiProblem(Exception):
    def __init__(self, status: int, title=None, detail=None, *, errors: list[dict] | None = None,
                 headers: dict[str, str] | None = None, kind: str | None = None):
        super().__init__(str(title))
        self.status, self.title, self.detail = status, title, detail
        self.errors, self.headers, self.kind = errors or [], headers or {}, kind


TITLES = {
    400: _l("リクエストの形式が正しくありません"),
    401: _l("認証が必要です"),
    403: _l("この操作を行う権限がありません"),
    404: _l("見つかりません"),
    405: _l("このメソッドは使えません"),
    409: _l("現在の状態ではこの操作はできません"),
    412: _l("提案は他の人によって更新されています"),
    413: _l("送信されたデータが大きすぎます"),
    415: _l("このContent-Typeは受け付けていません"),
    422: _l("入力内容に誤りがあります"),
    428: _l("If-Match ヘッダーが必要です"),
    429: _l("リクエストが多すぎます"),
    500: _l("システムエラーが発生しました"),
}


def problem_response(status: int, title=None, detail=None, *, errors: list[dict] | None = None,
                     headers: dict[str, str] | None = None, kind: str | None = None):
    base = current_app.config.get("BASE_URL", "")
    body: dict[str, Any] = {
        "type": f"{base}/api/v1/docs#problem-{kind or status}",
        "title": text(title or TITLES.get(status, "Error")),
        "status": status,
        "instance": request.path if has_request_context() else None,
    }
    if detail:
        body["detail"] = text(detail)
    if errors:
        body["errors"] = [{"field": e["field"], "message": text(e["message"])} for e in errors]
    response_headers = {"Content-Language": api_locale(), **(headers or {})}
    return body, status, {"Content-Type": PROBLEM_TYPE, **response_headers}


def handle_api_problem(problem: ApiProblem):
    return problem_response(problem.status, problem.title, problem.detail, errors=problem.errors,
                            headers=problem.headers, kind=problem.kind)


def handle_http_exception(error: HTTPException):
    data = getattr(error, "data", None) or {}
    if error.code == 422 and "messages" in data:  # webargs/marshmallow validation
        return problem_response(422, errors=marshmallow_errors(data["messages"]), kind="validation")
    headers = dict(data.get("headers") or {})
    if error.code == 429:
        headers.setdefault("Retry-After", str(retry_after_seconds()))
    if error.code == 405 and error.valid_methods:
        headers["Allow"] = ", ".join(error.valid_methods)
    detail = data.get("message") or (error.description if error.code not in TITLES else None)
    return problem_response(error.code or 500, detail=detail, headers=headers)


def retry_after_seconds() -> int:
    """Seconds until the limit that was hit resets (Flask-Limiter knows it)."""
    limit = getattr(limiter, "current_limit", None)
    if limit is None:
        return 60
    return max(1, int(limit.reset_at - time.time()))


# --- marshmallow's messages in Japanese -------------------------------------------------------------

_EXACT = {
    "Missing data for required field.": _l("必須の項目です。値を入れて送ってください。"),
    "Unknown field.": _l("この項目は受け付けていません。項目名を確認してください。"),
    "Field may not be null.": _l("null は使えません。値を入れるか、項目ごと省いてください。"),
    "Not a valid string.": _l("文字列で送ってください。"),
    "Not a valid integer.": _l("整数で送ってください。"),
    "Not a valid number.": _l("数値で送ってください。"),
    "Not a valid boolean.": _l("true か false で送ってください。"),
    "Not a valid list.": _l("配列（リスト）で送ってください。"),
    "Not a valid date.": _l("日付は YYYY-MM-DD の形で送ってください。"),
    "Not a valid datetime.": _l("日時は ISO 8601 の形で送ってください。"),
    "Not a valid email address.": _l("メールアドレスの形式で送ってください。"),
    "Not a valid URL.": _l("http:// または https:// で始まるURLを送ってください。"),
    "Invalid input type.": _l("JSONオブジェクトで送ってください。"),
    "Invalid value.": _l("値が正しくありません。"),
    "Shorter than minimum length 1.": _l("空にはできません。1文字以上入れてください。"),
}
_PATTERNS = [
    (re.compile(r"^Must be one of: (.*)\.$"), lambda m: _l("次のどれかを送ってください: %(choices)s", choices=m[1])),
    (re.compile(r"^Longer than maximum length (\d+)\.$"), lambda m: _l("%(n)s文字以内にしてください。", n=m[1])),
    (re.compile(r"^Shorter than minimum length (\d+)\.$"), lambda m: _l("%(n)s文字以上にしてください。", n=m[1])),
    (re.compile(r"^Length must be between (\d+) and (\d+)\.$"),
     lambda m: _l("%(a)s〜%(b)s個（文字）にしてください。", a=m[1], b=m[2])),
    (re.compile(r"^Must be greater than or equal to (\S+) and less than or equal to (\S+)\.$"),
     lambda m: _l("%(a)s以上%(b)s以下にしてください。", a=m[1], b=m[2])),
    (re.compile(r"^Must be greater than or equal to (\S+)\.$"), lambda m: _l("%(a)s以上にしてください。", a=m[1])),
    (re.compile(r"^Must be less than or equal to (\S+)\.$"), lambda m: _l("%(a)s以下にしてください。", a=m[1])),
]


def localised_marshmallow(message: str):
    """The Japanese for one of marshmallow's messages; the English original otherwise."""
    if message in _EXACT:
        return _EXACT[message]
    for pattern, make in _PATTERNS:
        match = pattern.match(message)
        if match:
            return make(match)
    return message


def marshmallow_errors(messages: dict, prefix: str = "") -> list[dict]:
    """webargs' {location: {field: [messages] | {nested}}} as a flat list."""
    errors: list[dict] = []
    for key, value in messages.items():
        if key in ("json", "query", "form", "files", "headers", "view_args") and not prefix:
            errors.extend(marshmallow_errors(value, ""))
            continue
        name = f"{prefix}.{key}" if prefix else str(key)
        if isinstance(value, dict):
            errors.extend(marshmallow_errors(value, name))
        elif isinstance(value, list):
            for item in value:
                if isinstance(item, dict):
                    errors.extend(marshmallow_errors(item, name))
                else:
                    english = str(item)
                    errors.append({"field": name, "message": english if api_locale() == "en"
                                   else localised_marshmallow(english)})
        else:
            errors.append({"field": name, "message": str(value)})
    return errors


def form_errors(form, prefix: str = "") -> list[dict]:
    """WTForms errors (already translatable Japanese) as field errors."""
    errors = []
    for field in form:
        for message in field.errors:
            errors.append({"field": f"{prefix}{field.name}", "message": message})
    return errors
