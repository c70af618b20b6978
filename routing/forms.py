"""Forms of the triage desk and the rule editor."""

from __future__ import annotations

import unicodedata

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    FloatField,
    HiddenField,
    IntegerField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
)
from wtforms import widgets as w
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional, ValidationError

from proposals.visibility import Audience, field_kw


def nfkc(value):
    return unicodedata.normalize("NFKC", value).strip() if isinstance(value, str) else value


def reference_filter(value):
    return nfkc(value).upper() if isinstance(value, str) else value


class MultiCheckboxField(SelectMultipleField):
    widget = w.ListWidget(prefix_label=False)
    option_widget = w.CheckboxInput()


class VersionedForm(FlaskForm):
    lock_version = HiddenField(_l("画面の版"))

    def validate_lock_version(self, field):
        try:
            int(field.data)
        except (TypeError, ValueError):
            raise ValidationError(_l("画面が古くなっています。ページを読み込み直してから操作してください。")) from None

    def expected_version(self) -> int | None:
        try:
            return int(self.lock_version.data)
        except (TypeError, ValueError):
            return None


class ConfirmForm(VersionedForm):
    pass


class ChangeRoutingForm(VersionedForm):
    lead = SelectField(_l("主担当部署"), coerce=int, validators=[InputRequired(_l("主担当部署を選んでください。"))],
                       invalid_choice_message=_l("主担当部署を一覧から選んでください。"),
                       invalid_value_message=_l("主担当部署を一覧から選んでください。"),
                       description=_l("提案を主に担当する部署を1つ選びます。"))
    co = MultiCheckboxField(_l("関係部署"), coerce=int, validators=[Optional()],
                            invalid_choice_message=_l("関係部署を一覧から選んでください。"),
                            invalid_value_message=_l("関係部署を一覧から選んでください。"),
                            description=_l("一緒に検討する部署を選びます（複数可、なしでも可）。"))
    def validate_lead(self, field):
        if not field.data:
            raise ValidationError(_l("主担当部署を選んでください。"))

    reason = TextAreaField(
        _l("変更の理由"), filters=[nfkc], render_kw=field_kw(Audience.INTERNAL),
        validators=[DataRequired(_l("変更の理由を入力してください。担当部署と記録に残ります。")), Length(max=2000)],
        description=_l("なぜ振り分けを変えるのかを書いてください。記録に残り、ルールの改善に使います。"),
    )


class InfoRequestForm(VersionedForm):
    comment = TextAreaField(
        _l("申請者への質問"), filters=[nfkc], render_kw=field_kw(Audience.APPLICANT),
        validators=[DataRequired(_l("申請者への質問を入力してください。")), Length(max=4000)],
        description=_l("申請者に表示されます。何を、どのように補ってほしいかを具体的に書いてください。"),
    )


class ResumeForm(VersionedForm):
    comment = TextAreaField(
        _l("提案者へのお知らせ"), filters=[nfkc], render_kw=field_kw(Audience.APPLICANT),
        validators=[DataRequired(_l("回答を待たずに進める理由を入力してください。提案者に表示されます。")), Length(max=2000)],
        description=_l("提案者に表示されます。回答がないまま検討を続ける理由を書いてください。"),
    )


class LinkForm(FlaskForm):
    related = StringField(_l("関連する提案の受付番号"), filters=[reference_filter],
                          validators=[DataRequired(_l("受付番号を入力してください。例: KW-2026-000123")), Length(max=32)],
                          description=_l("例: KW-2026-000123（全角でも入力できます）"))
    note = StringField(_l("メモ"), filters=[nfkc], render_kw=field_kw(Audience.INTERNAL), validators=[Optional(), Length(max=500)])


class MergeForm(VersionedForm):
    into = StringField(_l("統合先の提案の受付番号"), filters=[reference_filter],
                       validators=[DataRequired(_l("統合先の受付番号を入力してください。例: KW-2026-000123")), Length(max=32)],
                       description=_l("この提案を統合先の提案にまとめます。元に戻せません。"))
    reason = TextAreaField(_l("統合の理由"), filters=[nfkc], render_kw=field_kw(Audience.APPLICANT),
                           validators=[DataRequired(_l("統合の理由を入力してください。")), Length(max=2000)])


# --- rule editor -----------------------------------------------------------------------------

CONDITION_ROWS = 6
ACTION_ROWS = 5


class RuleForm(FlaskForm):
    name = StringField(_l("ルール名"), filters=[nfkc],
                       validators=[DataRequired(_l("ルール名を入力してください。")), Length(max=200)])
    description = TextAreaField(_l("説明"), filters=[nfkc], validators=[Optional(), Length(max=2000)],
                                description=_l("どの方針を実装するルールかを書いておくと、後から見直しやすくなります。"))
    priority = IntegerField(_l("評価順"), validators=[InputRequired(_l("評価順を数字で入力してください。")),
                                                   NumberRange(min=0, max=10000, message=_l("0〜10000の数字で入力してください。"))],
                            description=_l("小さい数字のルールから順に評価します。"))
    combinator = SelectField(_l("条件の組み合わせ"), choices=[SelectChoice("all", _l("すべての条件を満たす（かつ）")),
                                                       SelectChoice("any", _l("いずれかの条件を満たす（または）"))])
    stop = BooleanField(_l("このルールが成立したら、後のルールを評価しない"))


class PublishForm(FlaskForm):
    note = TextAreaField(_l("公開の説明（変更点）"), filters=[nfkc],
                         validators=[DataRequired(_l("公開の説明を入力してください。")), Length(max=2000)],
                         description=_l("何を、なぜ変えたのかを書いてください。版の履歴に残ります。"))


class PreviewForm(FlaskForm):
    reference = StringField(_l("受付番号"), filters=[reference_filter], validators=[Optional(), Length(max=32)],
                            description=_l("提出済みの提案で試すときは受付番号を入力します。"))
    proposal_json = TextAreaField(_l("提案のJSON"), validators=[Optional(), Length(max=50000)],
                                  description=_l("まだない提案で試すときは、提案のJSON（proposal.md の形）を貼り付けます。"))

    def validate(self, extra_validators=None):
        if not super().validate(extra_validators):
            return False
        if not (self.reference.data or (self.proposal_json.data or "").strip()):
            self.reference.errors.append(_l("受付番号を入力するか、提案のJSONを貼り付けてください。"))
            return False
        return True


class BacktestForm(FlaskForm):
    last = IntegerField(_l("直近の提案の件数"), default=200,
                        validators=[InputRequired(_l("件数を数字で入力してください。")),
                                    NumberRange(min=1, max=5000, message=_l("1〜5000の数字で入力してください。"))])


class KeywordForm(FlaskForm):
    phrase = StringField(_l("語句"), filters=[nfkc],
                         validators=[DataRequired(_l("語句を入力してください。")), Length(max=100)],
                         description=_l("表記ゆれ（子ども/子供/こども、全角/半角、カタカナ/ひらがな）は自動でそろえます。"))
    target = SelectField(_l("対応するテーマまたは区"), validators=[DataRequired(_l("テーマまたは区を選んでください。"))])
    weight = FloatField(_l("重み"), default=1.0,
                        validators=[InputRequired(_l("重みを数字で入力してください。")),
                                    NumberRange(min=0.1, max=10, message=_l("0.1〜10の数字で入力してください。"))],
                        description=_l("強い手がかりになる語ほど大きくします（通常1、強い語は2〜3）。"))
