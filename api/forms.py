"""Forms of the API room."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import SelectField, StringField
from wtforms.validators import DataRequired, Length


class TokenForm(FlaskForm):
    name = StringField(_l("用途"), validators=[DataRequired(_l("用途を入力してください。例: 振り分けの検証スクリプト")),
                                             Length(max=100)],
                       description=_l("何に使うトークンかを書いてください。一覧に表示されます。"))
    user = SelectField(_l("利用する職員"), coerce=int, validators=[DataRequired(_l("職員を選んでください。"))],
                       description=_l("トークンはこの職員の権限で動きます。"))
