"""Forms of the public room. Full-width input is accepted (NFKC)."""

from __future__ import annotations

import unicodedata
from datetime import date

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    DateField,
    EmailField,
    RadioField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Email, Length, Optional, Regexp, ValidationError
from wtforms.widgets import CheckboxInput, ListWidget

from core.forms import normalise_email
from proposals.labels import LABELS
from proposals.visibility import Audience, field_kw

INDICATOR_ROWS = 3


class JaDateField(DateField):
    """A date typed as 2025-04-01, 2025/4/1 or in full-width digits."""

    def process_formdata(self, valuelist):
        if not valuelist or not (valuelist[0] or "").strip():
            self.data = None
            return
        text = unicodedata.normalize("NFKC", valuelist[0]).strip().replace("/", "-").replace(".", "-")
        parts = text.split("-")
        try:
            year, month, day = (int(p) for p in parts)
            self.data = date(year, month, day)
        except (ValueError, TypeError):
            self.data = None
            raise ValueError(_l("%(label)sは 2025-04-01 のように、年-月-日で入力してください。", label=self.label.text)) from None


def _choices(pairs) -> list[SelectChoice]:
    return [SelectChoice(value, label) for value, label in pairs]


def nfkc(value):
    """NFKC, trimmed, without NUL and other control characters (line breaks and tabs stay)."""
    if not isinstance(value, str):
        return value
    value = unicodedata.normalize("NFKC", value)
    return "".join(ch for ch in value if ch in "\n\r\t" or unicodedata.category(ch) != "Cc").strip()


ORGANISATION_KIND_LABELS = LABELS["organisation_kind"]  # shared with the other rooms (proposals/labels.py)

PARTNER_KIND_LABELS = LABELS["partner_kind"]

EXIT_REACHED_LABELS = {
    "reached": _l("達成した"),
    "not_reached": _l("達成していない"),
    "undecided": _l("まだ判断できない"),
}

REVIEW_DECISION_LABELS = {
    "continue": _l("継続する"),
    "commission": _l("委託へ移行する"),
    "end": _l("終了する"),
}

EXIT_STRATEGY_LABELS = LABELS["exit_strategy"]
SCOPE_LABELS = LABELS["scope"]
STAGE_LABELS = LABELS["stage"]
SUPPORT_LABELS = LABELS["support"]


class InterestForm(FlaskForm):
    organisation_name = StringField(
        _l("団体名"), description=_l("関心を伝える団体の名前です。提案団体に表示されます。"),
        filters=[nfkc], validators=[DataRequired(_l("団体名を入力してください。")),
                                    Length(max=200, message=_l("団体名は200文字以内で入力してください。"))])
    organisation_kind = SelectField(
        _l("団体の種類"), choices=_choices(ORGANISATION_KIND_LABELS.items()),
        validators=[DataRequired(_l("団体の種類を選んでください。"))])
    offer = TextAreaField(
        _l("協力できること"),
        description=_l("どのような形で協力できるかを書いてください。連絡先はここには書かないでください（双方が合意したときにメールでお知らせします）。"),
        filters=[nfkc], validators=[DataRequired(_l("協力できることを入力してください。")),
                                    Length(max=2000, message=_l("協力できることは2000文字以内で入力してください。"))])
    contact_name = StringField(
        _l("担当者のお名前"), description=_l("双方が合意するまで、提案団体には表示されません。"),
        filters=[nfkc], validators=[DataRequired(_l("担当者のお名前を入力してください。")),
                                    Length(max=200, message=_l("お名前は200文字以内で入力してください。"))])
    contact_email = EmailField(
        _l("連絡先メールアドレス"), description=_l("双方が合意したとき、このアドレスを提案団体にお知らせします。"),
        filters=[normalise_email],
        validators=[DataRequired(_l("連絡先メールアドレスを入力してください。")),
                    Email(_l("メールアドレスの形式が正しくありません。例: name@example.jp のように入力してください。"),
                          check_deliverability=False),
                    Length(max=254)])
    contact_phone = StringField(
        _l("電話番号"), description=_l("半角・全角どちらでも入力できます。例: 044-200-0000"),
        filters=[nfkc], validators=[Optional(), Regexp(r"^[0-9+\-() ]{6,20}$",
                                                      message=_l("電話番号は数字とハイフンで入力してください。例: 044-200-0000"))])


class CheckboxesField(SelectMultipleField):
    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()

    def pre_validate(self, form):
        allowed = {choice.value for choice in self.choices}
        if any(value not in allowed for value in self.data or []):
            raise ValidationError(_l("一覧にある選択肢から選んでください。"))


class PartnersWantedForm(FlaskForm):
    kinds = CheckboxesField(
        _l("求めているパートナー"), description=_l("当てはまるものをすべて選んでください。選ばなければ募集しません。"),
        choices=_choices(PARTNER_KIND_LABELS.items()))


class InterestResponseForm(FlaskForm):
    decision = RadioField(_l("回答"), choices=_choices([("accept", _l("連絡先を交換する")), ("decline", _l("お断りする"))]),
                          validators=[DataRequired(_l("回答を選んでください。"))])


class PublicationForm(FlaskForm):
    approve = RadioField(_l("公開"), choices=_choices([("1", _l("公開する")), ("0", _l("公開をやめる"))]),
                         validators=[DataRequired(_l("公開するかどうかを選んでください。"))])
    reason = StringField(_l("メモ"), filters=[nfkc], render_kw=field_kw(Audience.INTERNAL),
                         validators=[Optional(), Length(max=500, message=_l("メモは500文字以内で入力してください。"))])


class EvaluationForm(FlaskForm):
    implementation_start = JaDateField(
        _l("実施期間（開始日）"), description=_l("例: 2025-04-01"), validators=[Optional()],
    )
    implementation_end = JaDateField(
        _l("実施期間（終了日）"), description=_l("実施中の場合は空欄にしてください。"), validators=[Optional()],
    )
    exit_reached = RadioField(
        _l("出口戦略の達成"), description=_l("提案時の出口戦略（制度化、事業化など）に到達したかどうか。"),
        choices=_choices(EXIT_REACHED_LABELS.items()), default="undecided",
        validators=[DataRequired(_l("出口戦略の達成状況を選んでください。"))])
    exit_note = TextAreaField(
        _l("出口戦略についての説明"), filters=[nfkc], render_kw=field_kw(Audience.PUBLIC),
        validators=[Optional(), Length(max=2000, message=_l("説明は2000文字以内で入力してください。"))])
    review_decision = RadioField(
        _l("3年目の検証の結論"), description=_l("検証がまだの場合は「未定」のままにしてください。"),
        choices=_choices([("", _l("未定")), *REVIEW_DECISION_LABELS.items()]), default="",
        validate_choice=True, validators=[Optional()])
    reviewed_on = JaDateField(_l("検証日"), description=_l("結論を選んだ場合は必須です。例: 2027-03-15"),
                            validators=[Optional()])
    summary = TextAreaField(
        _l("評価の概要"), description=_l("評価を確定すると公開ページに表示されます。個人名や連絡先は書かないでください。"), render_kw=field_kw(Audience.PUBLIC),
        filters=[nfkc], validators=[DataRequired(_l("評価の概要を入力してください。")),
                                    Length(max=4000, message=_l("評価の概要は4000文字以内で入力してください。"))])
    finalise = BooleanField(_l("評価を確定し、提案を「評価済み」にする（完了した提案のみ）"))

    def validate(self, extra_validators=None):
        ok = super().validate(extra_validators)
        start, end = self.implementation_start.data, self.implementation_end.data
        if start and end and end < start:
            self.implementation_end.errors = [*self.implementation_end.errors,
                                              _l("実施期間の終了日は開始日以降の日付にしてください（同じ日でもかまいません）。")]
            ok = False
        if self.review_decision.data and not self.reviewed_on.data:
            self.reviewed_on.errors = [*self.reviewed_on.errors,
                                       _l("3年目の検証の結論を選んだときは、検証日を入力してください。")]
            ok = False
        for i in range(1, INDICATOR_ROWS + 1):
            name = getattr(self, f"indicator_{i}_name")
            others = [getattr(self, f"indicator_{i}_target").data, getattr(self, f"indicator_{i}_actual").data]
            if any(others) and not name.data:
                name.errors = [*name.errors, _l("目標値や実績を入力した行には、指標名も入力してください。")]
                ok = False
        return ok

    def indicators(self) -> list[dict[str, str]]:
        rows = []
        for i in range(1, INDICATOR_ROWS + 1):
            row = {k: getattr(self, f"indicator_{i}_{k}").data or "" for k in ("name", "target", "actual")}
            if row["name"]:
                rows.append(row)
        return rows


for _i in range(1, INDICATOR_ROWS + 1):
    setattr(EvaluationForm, f"indicator_{_i}_name", StringField(
        _l("成果指標%(n)s（指標名）", n=_i), filters=[nfkc], render_kw=field_kw(Audience.PUBLIC),
        validators=[Optional(), Length(max=200, message=_l("指標名は200文字以内で入力してください。"))]))
    setattr(EvaluationForm, f"indicator_{_i}_target", StringField(
        _l("成果指標%(n)s（目標値）", n=_i), filters=[nfkc], render_kw=field_kw(Audience.PUBLIC),
        validators=[Optional(), Length(max=200, message=_l("目標値は200文字以内で入力してください。"))]))
    setattr(EvaluationForm, f"indicator_{_i}_actual", StringField(
        _l("成果指標%(n)s（実績）", n=_i), filters=[nfkc], render_kw=field_kw(Audience.PUBLIC),
        validators=[Optional(), Length(max=200, message=_l("実績は200文字以内で入力してください。"))]))
