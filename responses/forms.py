"""Forms of the responses room. Text is NFKC-normalised (full-width digits
and letters are accepted), errors name the field and the fix."""

from __future__ import annotations

import re
import unicodedata

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    DateField,
    HiddenField,
    IntegerField,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional
from wtforms.widgets import TextInput

from proposals.visibility import Audience, field_kw
from responses.models import AnswerKind


def nfkc(value):
    if value is None:
        return value
    return unicodedata.normalize("NFKC", str(value)).strip()


def nfkc_keep_lines(value):
    """Free text is kept as typed: full-width （）、「」 and digits are the writer's choice
    (NFKC would turn （ into ( ); only line breaks are made one kind and the ends trimmed."""
    if value is None:
        return value
    return str(value).replace("\r\n", "\n").strip()


class NormalisedIntegerField(IntegerField):
    """Accepts 「２０２７」 as 2027 (a text input: type=number refuses full-width digits)."""

    widget = TextInput()

    def __call__(self, **kwargs):
        kwargs.setdefault("inputmode", "numeric")
        return super().__call__(**kwargs)

    def process_formdata(self, valuelist):
        if valuelist:
            valuelist = [nfkc(valuelist[0]).replace(",", "")]
        try:
            super().process_formdata(valuelist)
        except ValueError as error:
            raise ValueError(_l("%(label)sは数字で入力してください（例: 2027）。", label=self.label.text)) from error


# The first Gregorian year of each era: 令和1 = 2019, 平成1 = 1989 (fiscal years: 令和9年度 = 2027年度).
ERA_FIRST_YEARS = {"令和": 2019, "R": 2019, "平成": 1989, "H": 1989}
_FISCAL_YEAR = re.compile(r"(令和|平成|R|H)?\s*(\d{1,4}|元)\s*(?:年度|年)?", re.IGNORECASE)


class FiscalYearField(NormalisedIntegerField):
    """A fiscal year as staff write it: 2027, ２０２７, 2027年度, 令和9年度, R9 (as forgiving as the applicant's form)."""

    def process_formdata(self, valuelist):
        if valuelist and valuelist[0].strip():
            match = _FISCAL_YEAR.fullmatch(nfkc(valuelist[0]).strip())
            if match and match.group(1):
                number = 1 if match.group(2) == "元" else int(match.group(2))
                valuelist = [str(ERA_FIRST_YEARS[match.group(1).upper() if len(match.group(1)) == 1 else match.group(1)]
                                 + number - 1)]
            elif match:
                valuelist = [match.group(2)]
        super().process_formdata(valuelist)


class NormalisedDateField(DateField):
    """Accepts 「２０２６－１２－２８」 and 2026/12/28 as 2026-12-28."""

    def process_formdata(self, valuelist):
        if valuelist:
            valuelist = [nfkc(valuelist[0]).replace("/", "-").replace(".", "-")]
        try:
            super().process_formdata(valuelist)
        except ValueError as error:
            raise ValueError(_l("%(label)sは年-月-日の形で入力してください（例: 2026-12-28）。",
                                label=self.label.text)) from error


class _Versioned(FlaskForm):
    # The proposal version the form was shown with; a stale form gets a clear conflict.
    version = HiddenField()


class AcknowledgeForm(_Versioned):
    note = TextAreaField(_l("提案者への一言"), render_kw=field_kw(Audience.APPLICANT), description=_l("提案者にも見える受付の一言です（例: 担当者が内容を確認しています）。空欄でもかまいません。"),
                         filters=[nfkc_keep_lines], validators=[Optional(), Length(max=2000)])


class MeetingForm(_Versioned):
    message = TextAreaField(_l("提案者へのメッセージ"), render_kw=field_kw(Audience.APPLICANT), description=_l("協議の目的や持ち物などを書いてください。"),
                            filters=[nfkc_keep_lines],
                            validators=[DataRequired(_l("提案者へのメッセージを入力してください。")), Length(max=4000)])
    option1 = StringField(_l("候補日時1"), render_kw=field_kw(Audience.APPLICANT), description=_l("例: 2026年12月3日（木）14時から15時 市役所本庁舎"),
                          filters=[nfkc],
                          validators=[DataRequired(_l("候補日時1を入力してください。少なくとも1つの候補が必要です。")),
                                      Length(max=200)])
    option2 = StringField(_l("候補日時2"), render_kw=field_kw(Audience.APPLICANT), filters=[nfkc], validators=[Optional(), Length(max=200)])
    option3 = StringField(_l("候補日時3"), render_kw=field_kw(Audience.APPLICANT), filters=[nfkc], validators=[Optional(), Length(max=200)])


class RequestInfoForm(_Versioned):
    question = TextAreaField(_l("提案者への質問"), render_kw=field_kw(Audience.APPLICANT), description=_l("何を、なぜ知りたいかを具体的に書いてください。回答が届くまで期限の計算は止まります。"),
                             filters=[nfkc_keep_lines],
                             validators=[DataRequired(_l("提案者への質問を入力してください。")), Length(max=4000)])


class NotOursForm(_Versioned):
    reason = TextAreaField(_l("他部署が適切と考える理由"), render_kw=field_kw(Audience.INTERNAL), description=_l("窓口が振り分けをやり直す際に参考にします。提案者には表示されません。"),
                           filters=[nfkc_keep_lines],
                           validators=[DataRequired(_l("理由を入力してください。")), Length(max=2000)])
    suggested_department = SelectField(_l("適切と思われる部署"), description=_l("分かる場合だけ選んでください。"),
                                       coerce=int, validators=[Optional()])


class AdoptForm(_Versioned):
    text = TextAreaField(_l("提案者へのお知らせ"), render_kw=field_kw(Audience.PUBLIC), description=_l("採択の内容と今後の進め方を、提案者に分かる言葉で書いてください。"),
                         filters=[nfkc_keep_lines],
                         validators=[DataRequired(_l("提案者へのお知らせを入力してください。")), Length(max=4000)])
    budget_year = FiscalYearField(_l("予算化の年度"), render_kw=field_kw(Audience.APPLICANT), description=_l("例: 2027 または 令和9年度。予算を伴わない場合は空欄にします。"),
                                         validators=[Optional(), NumberRange(2000, 2100, _l("予算化の年度は2000から2100までの西暦で入力してください。"))])
    agreement = BooleanField(_l("協定を締結する"))
    agreement_note = StringField(_l("協定の内容"), render_kw=field_kw(Audience.APPLICANT), description=_l("例: 協働事業に関する協定（令和9年4月締結予定）"),
                                 filters=[nfkc_keep_lines], validators=[Optional(), Length(max=300)])
    next_steps = TextAreaField(_l("次の手順"), render_kw=field_kw(Audience.APPLICANT), description=_l("誰が、いつまでに、何をするかを書いてください。"),
                               filters=[nfkc_keep_lines], validators=[Optional(), Length(max=4000)])

    without_opinions = BooleanField(_l("意見がないまま登録する"))

    def validate(self, extra_validators=None):
        valid = super().validate(extra_validators)
        if self.agreement.data and not self.agreement_note.data:
            self.agreement_note.errors = [*self.agreement_note.errors,
                                          _l("協定を締結する場合は、協定の内容を入力してください。")]
            valid = False
        return valid


class NotAdoptForm(_Versioned):
    reason = TextAreaField(_l("不採択の理由（職員用）"), render_kw=field_kw(Audience.INTERNAL), description=_l("庁内の記録として残ります。提案者には表示されません。"),
                           filters=[nfkc_keep_lines],
                           validators=[DataRequired(_l("不採択の理由を入力してください。")), Length(max=4000)])
    applicant_text = TextAreaField(_l("提案者へのお知らせ"), render_kw=field_kw(Audience.PUBLIC), description=_l("提案者が読む文面です。理由と、ほかに相談できる窓口などを丁寧に書いてください。"),
                                   filters=[nfkc_keep_lines],
                                   validators=[DataRequired(_l("提案者へのお知らせを入力してください。")), Length(max=4000)])


    without_opinions = BooleanField(_l("意見がないまま登録する"))


class OpinionForm(_Versioned):
    body = TextAreaField(_l("関係部署としての意見"), render_kw=field_kw(Audience.INTERNAL), description=_l("主担当部署が回答の参考にします。提案者には表示されません。"),
                         filters=[nfkc_keep_lines],
                         validators=[DataRequired(_l("意見を入力してください。")), Length(max=4000)])


class AnswerTemplateForm(FlaskForm):
    kind = SelectField(_l("回答の種類"), validators=[InputRequired(_l("回答の種類を選んでください。"))])
    title = StringField(_l("テンプレート名"), filters=[nfkc],
                        validators=[DataRequired(_l("テンプレート名を入力してください。")), Length(max=200)])
    body = TextAreaField(_l("本文"), render_kw=field_kw(Audience.INTERNAL), filters=[nfkc_keep_lines],
                         validators=[DataRequired(_l("本文を入力してください。")), Length(max=4000)])


class ClosedDayForm(FlaskForm):
    day = NormalisedDateField(_l("閉庁日"), description=_l("例: 2026-12-28"),
                    validators=[InputRequired(_l("閉庁日を年-月-日の形で入力してください（例: 2026-12-28）。"))])
    reason = StringField(_l("理由"), filters=[nfkc], validators=[Optional(), Length(max=200)])


class DepartmentDaysForm(FlaskForm):
    ack_days = NormalisedIntegerField(_l("受領・検討開始までの開庁日数"),
                                      validators=[Optional(), NumberRange(1, 60, _l("1から60までの数字で入力してください。"))])
    answer_days = NormalisedIntegerField(_l("回答までの開庁日数"),
                                         validators=[Optional(), NumberRange(1, 250, _l("1から250までの数字で入力してください。"))])


class HeadForm(FlaskForm):
    department = SelectField(_l("部署"), coerce=int)
    email = StringField(_l("局長・区長のメールアドレス"), filters=[lambda v: nfkc(v).lower() if v else v],
                        validators=[DataRequired(_l("メールアドレスを入力してください。")), Length(max=254)])


ANSWER_KIND_LABELS = {
    AnswerKind.ACKNOWLEDGE: _l("受領・検討開始"),
    AnswerKind.MEETING: _l("協議を希望"),
    AnswerKind.REQUEST_INFO: _l("追加情報の依頼"),
    AnswerKind.NOT_OURS: _l("他部署が適切"),
    AnswerKind.ADOPT: _l("採択"),
    AnswerKind.NOT_ADOPT: _l("不採択"),
    AnswerKind.OPINION: _l("関係部署の意見"),
}
