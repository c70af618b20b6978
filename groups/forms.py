"""Forms of the groups room (Flask-WTF: CSRF on every post)."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import HiddenField, SelectField, SelectMultipleField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional

from proposals.groups import NAME_MAX


class GroupForm(FlaskForm):
    name = StringField(_l("グループ名"), validators=[DataRequired(_l("グループ名を入力してください。")),
                                                  Length(max=NAME_MAX, message=_l("グループ名は200文字以内で入力してください。"))])
    description = TextAreaField(_l("説明（共通の課題、めざすこと）"), validators=[
        Optional(), Length(max=4000, message=_l("説明は4000文字以内で入力してください。"))])
    slug = StringField(_l("公開ページのアドレス（半角英数字とハイフン、空欄なら自動）"), validators=[
        Optional(), Length(max=80, message=_l("公開ページのアドレスは80文字以内で入力してください。"))])


class AddMembersForm(FlaskForm):
    """By reference numbers typed (one or several) or picked from the list; both may be used at once."""

    references = TextAreaField(_l("受付番号（複数は改行・空白・読点で区切る）"), validators=[
        Optional(), Length(max=2000, message=_l("受付番号は2000文字以内で入力してください。"))])
    proposals = SelectMultipleField(_l("一覧から選ぶ（複数選択可）"), coerce=int, validate_choice=False)


class IntroductionForm(FlaskForm):
    first = SelectField(_l("紹介する団体（1）"), coerce=int, validate_choice=False)
    second = SelectField(_l("紹介する団体（2）"), coerce=int, validate_choice=False)
    note = TextAreaField(_l("両団体へのひとこと（任意）"), validators=[
        Optional(), Length(max=2000, message=_l("ひとことは2000文字以内で入力してください。"))])


class ActionForm(FlaskForm):
    """A button with nothing to type (publish, close, remove): the CSRF token only."""

    value = HiddenField()
