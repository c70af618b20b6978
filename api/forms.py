"""Forms of the API room."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, IntegerField, SelectField, StringField
from wtforms.validators import DataRequired, Length, NumberRange

from api.operations import DEFAULT_DAYS, MAX_DAYS


class TokenForm(FlaskForm):
    name = StringField(_l("用途"), validators=[DataRequired(_l("用途を入力してください。例: 振り分けの検証スクリプト")),
                                             Length(max=100)],
                       description=_l("何に使うトークンかを書いてください。一覧に表示されます。"))
    user = SelectField(_l("利用する職員"), coerce=int, validators=[DataRequired(_l("職員を選んでください。"))],
                       description=_l("トークンはこの職員の権限で動きます。"))


class PersonalTokenForm(FlaskForm):
    name = StringField(_l("用途"), validators=[DataRequired(_l("用途を入力してください。例: 団体の受付システム連携")),
                                             Length(max=100, message=_l("用途は100文字以内で入力してください。"))],
                       description=_l("何に使うトークンかを書いてください。一覧に表示されます。"))
    act = BooleanField(_l("変更もできるようにする（act）"),
                       description=_l("チェックしないと、読み取り（read）だけのトークンになります。"))
    days = IntegerField(_l("有効期間（日）"), default=DEFAULT_DAYS,
                        validators=[DataRequired(_l("有効期間を日数で入力してください。例: 90")),
                                    NumberRange(min=1, max=MAX_DAYS,
                                                message=_l("有効期間は1日から365日までの日数で入力してください。"))])
