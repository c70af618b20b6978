"""Forms of the core room (sign-in)."""

from __future__ import annotations

import unicodedata

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import EmailField, HiddenField, PasswordField, StringField
from wtforms.validators import DataRequired, Email, Length


def normalise_email(value: str | None) -> str:
    """NFKC (full-width to half-width), trimmed, lower-cased."""
    return unicodedata.normalize("NFKC", value or "").strip().lower()


class SignInLinkForm(FlaskForm):
    email = EmailField(
        _l("メールアドレス"),
        description=_l("サインイン用のリンクをこのアドレスにお送りします。パスワードは不要です。"),
        filters=[normalise_email],
        validators=[
            DataRequired(_l("メールアドレスを入力してください。")),
            Email(_l("メールアドレスの形式が正しくありません。例: name@example.jp のように入力してください。"),
                  check_deliverability=False),
            Length(max=254),
        ],
    )
    next = HiddenField()
    # Honeypot: people never see or fill this field; bots often do.
    website = StringField(_l("この欄は空のままにしてください"))


class StaffLoginForm(FlaskForm):
    email = EmailField(
        _l("メールアドレス"),
        filters=[normalise_email],
        validators=[DataRequired(_l("メールアドレスを入力してください。"))],
    )
    password = PasswordField(_l("パスワード"), validators=[DataRequired(_l("パスワードを入力してください。"))])
    next = HiddenField()
