"""Forms of the intake room. Every field accepts full-width input and is
normalised (NFKC); each error names the field and says how to fix it."""

from __future__ import annotations

from flask_babel import LazyString
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    EmailField,
    HiddenField,
    RadioField,
    SelectField,
    StringField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Email, ValidationError

from core.calendar import local_today
from core.forms import normalise_email
from core.models import OrganisationKind
from intake import normalise as n
from intake.fields import (
    MAX_MEMBERS,
    MAX_YEN,
    AtMost,
    LengthMessage,
    MultiCheckboxField,
    ParsedField,
    Required,
    text_field,
)
from proposals.labels import LABELS
from proposals.models import PARTNER_KINDS, SUPPORT_TYPES, ExitStrategy, Scope, Stage
from proposals.visibility import Audience, consent_text, field_kw

# --- choices with plain-language help ---------------------------------------------------------

ORGANISATION_KINDS = [(kind.value, LABELS["organisation_kind"][kind.value]) for kind in OrganisationKind]

# Labels from proposals/labels.py (one definition); the help text of each choice is the form's own.
SCOPES = [
    (Scope.WARD.value, LABELS["scope"]["ward"], _l("活動が1つの区の中で行われる場合")),
    (Scope.MULTI_WARD.value, LABELS["scope"]["multi_ward"], _l("2つ以上の区にまたがる場合")),
    (Scope.CITYWIDE.value, LABELS["scope"]["citywide"], _l("川崎市全体が対象の場合。区は選ばなくてかまいません")),
    (Scope.UNDECIDED.value, LABELS["scope"]["undecided"], _l("場所が決まっていなくても提案できます")),
]

STAGES = [
    (Stage.SEED.value, LABELS["stage"]["seed"],
     _l("これから始める、またはまだ小さく試している段階の取り組みです。前例がなく、どの部署の仕事か決まっていないものも歓迎します。")),
    (Stage.ESTABLISHED.value, LABELS["stage"]["established"],
     _l("すでに続けてきた活動があり、市と協働して広げたり続けたりしたい取り組みです。")),
]

_SUPPORT_HELP = {
    "funding": _l("事業費の一部を市が負担・補助することです。"),
    "venue": _l("市民館や公園など、市の施設や場所を使えるようにすることです。"),
    "publicity": _l("市政だよりや市のウェブサイト、チラシ配架などで知らせることです。"),
    "coordination": _l("町内会、学校、他の部署など、関係する人や機関との橋渡しです。"),
    "co_hosting": _l("市が主催者の一員や後援者として名前を出すことです。"),
    "data": _l("統計や地図など、市が持つ情報を使えるようにすることです。"),
    "advice": _l("担当部署の職員が専門的な知識で相談に乗ることです。"),
}
SUPPORT_LABELS = {kind: (LABELS["support"][kind], help_text) for kind, help_text in _SUPPORT_HELP.items()}

PARTNER_LABELS = LABELS["partner_kind"]

_EXIT_HELP = {
    ExitStrategy.POLICY: _l("うまくいったら市の事業や制度として続けてもらう"),
    ExitStrategy.BUSINESS: _l("参加費や協賛などで、市の支援がなくても団体が続ける"),
    ExitStrategy.NATIONAL: _l("国や神奈川県の補助・制度を使って続ける"),
    ExitStrategy.TIME_LIMITED: _l("決まった期間で目的を果たして終える"),
    ExitStrategy.UNDECIDED: _l("担当部署と相談しながら考えたい"),
}
EXIT_STRATEGIES = [(kind.value, LABELS["exit_strategy"][kind.value], help_text) for kind, help_text in _EXIT_HELP.items()]


def _phone_messages(malformed, unassigned) -> dict:
    return {None: malformed, "phone_unassigned": unassigned}


_ERA_DATE_MESSAGE_START = _l("開始日の和暦の日付が、その元号の期間にありません（令和は2019年5月1日から、平成は1989年1月8日から2019年4月30日まで）。「2027-04-01」のように西暦でも入力できます。")
_ERA_DATE_MESSAGE_END = _l("終了日の和暦の日付が、その元号の期間にありません（令和は2019年5月1日から、平成は1989年1月8日から2019年4月30日まで）。「2028-03-31」のように西暦でも入力できます。")


def as_choices(pairs) -> list[SelectChoice]:
    return [SelectChoice(str(value), label) for value, label, *_ in pairs]


# --- starting -------------------------------------------------------------------------------------

class StartForm(FlaskForm):
    """Anonymous visitors give their email first: the draft is tied to it
    and the emailed link brings them back to it on any device."""

    email = EmailField(
        _l("メールアドレス"),
        description=_l("入力内容はこのアドレスにひもづけて自動で保存されます。続きを書くためのリンクをこのアドレスにお送りします。"),
        filters=[normalise_email],
        validators=[
            Required(_l("メールアドレスを入力してください。入力内容を保存するために使います。")),
            Email(_l("メールアドレスの形式が正しくありません。例: name@example.jp のように入力してください。"),
                  check_deliverability=False),
            LengthMessage(max=254),
        ],
    )
    website = StringField(_l("この欄は空のままにしてください"))  # honeypot


class ChooseOrganisationForm(FlaskForm):
    organisation = RadioField(_l("どの団体として提案しますか"), validators=[Required(_l("団体を選んでください。"))])


# --- the steps ---------------------------------------------------------------------------------

class OrganisationStep(FlaskForm):
    name = text_field(_l("団体名"), 200, audience=Audience.PUBLIC, required=_l("団体名を入力してください。"), render_kw={"autocomplete": "organization"},
                 description=_l("正式名称を書いてください。例: NPO法人みやまえ寄り合い、たちばな町内会"))
    name_kana = StringField(_l("団体名のふりがな"), filters=[n.to_hiragana], validators=[LengthMessage(max=200)],
                            description=_l("ひらがな・カタカナのどちらでもかまいません。"))
    kind = RadioField(_l("団体の種類"), choices=as_choices(ORGANISATION_KINDS),
                      validators=[Required(_l("団体の種類を選んでください。迷ったら「その他」を選んでください。"))])
    corporate_number = ParsedField(
        _l("法人番号"), parser=n.parse_corporate_number,
        message={
            None: _l("法人番号は13桁の数字です。国税庁法人番号公表サイトで確認した番号を、そのまま入力してください（ハイフンや全角数字でもかまいません）。"),
            "check digit": _l("法人番号が正しくありません（先頭のチェック用の数字が合いません）。国税庁法人番号公表サイトで番号を確認してください。"),
        },
        description=_l("法人の場合だけ入力してください。13桁の数字です。任意団体・町内会などは空欄のままで大丈夫です。"),
    )
    representative = text_field(_l("代表者名"), 200, audience=Audience.PERSONAL, description=_l("例: 理事長 川崎 花子"))
    postal_code = ParsedField(
        _l("郵便番号"), parser=lambda v: n.parse_postal_code(v) if n.nfkc(v) else None,
        message=_l("郵便番号は7桁の数字で入力してください（例: 216-0001 または 2160001）。"),
        description=_l("ハイフンはあってもなくてもかまいません。"),
        render_kw={"autocomplete": "postal-code", "inputmode": "numeric"},
    )
    address = text_field(_l("所在地"), 300, audience=Audience.PERSONAL, description=_l("例: 川崎市宮前区宮前平2-20-5"),
                    render_kw={"autocomplete": "street-address"})
    phone = ParsedField(
        _l("団体の電話番号"), parser=lambda v: n.parse_phone(v) if n.nfkc(v) else None,
        message=_phone_messages(_l("団体の電話番号は市外局番から、10桁または11桁の数字で入力してください（例: 044-200-0000、090-1234-5678）。"),
                                _l("団体の電話番号は、日本で使われている番号ではありません。市外局番から数字を確かめてください（例: 044-200-0000）。")),
        render_kw={"type": "tel", "autocomplete": "tel"},
    )
    website = ParsedField(
        _l("ウェブサイト"), parser=n.parse_url,
        message=_l("ウェブサイトのアドレスを確認してください（例: https://example.jp）。"),
        render_kw={"autocomplete": "url", "inputmode": "url"},
    )
    founded_year = ParsedField(
        _l("設立年"), parser=n.parse_year,
        message={None: _l("設立年は西暦4桁（例: 2015）か和暦（例: 平成27年）で入力してください。"),
                 "era": _l("設立年の和暦がその元号にない年です（昭和は64年、平成は31年まで）。西暦でも入力できます（例: 2015）。")},
        description=_l("西暦でも和暦でもかまいません。例: 2015、平成27年"),
    )
    member_count = ParsedField(
        _l("会員・スタッフの人数"), parser=lambda v: n.parse_int(v, suffixes="人名"),
        message=_l("人数は数字で入力してください（例: 25）。"),
        description=_l("おおよその人数でかまいません。"),
        validators=[AtMost(MAX_MEMBERS, _l("%(label)sは%(max)s人以下で入力してください。"))],
    )

    def validate_name_kana(self, field):
        if field.data and not n.is_kana(field.data):
            raise ValidationError(str(_l("ふりがなは、ひらがなかカタカナで入力してください。")))

    def validate_founded_year(self, field):
        if field.data is not None and not 1868 <= field.data <= local_today().year:
            raise ValidationError(str(_l("設立年は1868年から今年までの年で入力してください。")))


class ContactStep(FlaskForm):
    contact_name = text_field(_l("担当者のお名前"), 200, audience=Audience.PERSONAL, required=_l("担当者のお名前を入力してください。"),
                         description=_l("市からの連絡を受ける方です。公開されることはありません。"))
    contact_email = EmailField(
        _l("担当者のメールアドレス"),
        description=_l("受付の確認や市からの連絡をお送りします。"),
        filters=[normalise_email], render_kw={"autocomplete": "email", **field_kw(Audience.PERSONAL, writer="applicant")},
        validators=[
            Required(_l("担当者のメールアドレスを入力してください。")),
            Email(_l("メールアドレスの形式が正しくありません。例: name@example.jp のように入力してください。"),
                  check_deliverability=False),
            LengthMessage(max=254),
        ],
    )
    contact_phone = ParsedField(
        _l("担当者の電話番号"), parser=lambda v: n.parse_phone(v) if n.nfkc(v) else None,
        message=_phone_messages(_l("担当者の電話番号は市外局番から、10桁または11桁の数字で入力してください（例: 044-200-0000、090-1234-5678）。"),
                                _l("担当者の電話番号は、日本で使われている番号ではありません。市外局番から数字を確かめてください（例: 090-1234-5678）。")),
        description=_l("日中に連絡のつく番号。ハイフンや全角数字でもかまいません。"),
        render_kw={"type": "tel", "autocomplete": "tel", **field_kw(Audience.PERSONAL, writer="applicant")},
    )
    past_collaboration = text_field(
        _l("これまでの市との協働"), 2000, audience=Audience.APPLICANT, multiline=True,
        description=_l("市と一緒に取り組んだことがあれば、時期・部署・内容を書いてください。初めての場合は空欄で大丈夫です。"),
    )


class ContentStep(FlaskForm):
    title = text_field(_l("提案のタイトル"), 200, audience=Audience.PUBLIC, required=_l("提案のタイトルを入力してください。"),
                  description=_l("ひと目で内容が分かる短い名前をつけてください。例: 宮前区の高齢者サロンとスマホ相談会"))
    summary = text_field(_l("提案の概要"), 400, audience=Audience.PUBLIC, required=_l("提案の概要を入力してください。"), multiline=True,
                    description=_l("400字以内で、何をどこで誰のために行うかをまとめてください。"))
    issue = text_field(_l("地域の課題・背景"), 4000, audience=Audience.PUBLIC, required=_l("地域の課題・背景を入力してください。"), multiline=True,
                  description=_l("どんな困りごとがあり、なぜ取り組みたいのかを書いてください。"))
    activities = text_field(_l("事業の内容"), 4000, audience=Audience.PUBLIC, required=_l("事業の内容を入力してください。"), multiline=True,
                       description=_l("具体的に何をするのか、誰が関わるのかを書いてください。"))
    outcomes = text_field(_l("期待される成果と、その測り方"), 4000, audience=Audience.PUBLIC, required=_l("期待される成果を入力してください。"),
                     multiline=True,
                     description=_l("取り組みで何が良くなるか、それをどう確かめるか（参加人数、アンケートなど）を書いてください。"))


class AreaStep(FlaskForm):
    scope = RadioField(_l("活動する地域の範囲"), choices=as_choices(SCOPES),
                       validators=[Required(_l("活動する地域の範囲を選んでください。"))])
    wards = MultiCheckboxField(_l("活動する区"), description=_l("「1つの区」なら1つ、「複数の区」なら2つ以上選んでください。"))
    themes = MultiCheckboxField(
        _l("分野"), description=_l("近いものを3つまで選んでください。分からなければ選ばなくても、「その他・わからない」でもかまいません。"),
    )
    stage = RadioField(_l("取り組みの段階"), choices=as_choices(STAGES),
                       validators=[Required(_l("取り組みの段階を選んでください。"))])

    def validate_themes(self, field):
        if len(field.data or []) > 3:
            raise ValidationError(str(_l("分野は3つまで選んでください（今は%(count)d個選ばれています）。",
                                         count=len(field.data))))

    def validate_wards(self, field):
        count = len(field.data or [])
        scope = self.scope.data
        if scope == Scope.WARD and count != 1:
            raise ValidationError(str(_l("「1つの区」を選んだ場合は、活動する区を1つだけ選んでください。")))
        if scope == Scope.MULTI_WARD and count < 2:
            raise ValidationError(str(_l("「複数の区」を選んだ場合は、活動する区を2つ以上選んでください。1つだけなら範囲を「1つの区」にしてください。")))
        if scope == Scope.CITYWIDE and count:
            raise ValidationError(str(_l("「市全域」を選んだ場合は、区の選択を外してください。特定の区が中心なら範囲を「複数の区」にしてください。")))


def _amount(label, description):
    return ParsedField(
        label, parser=n.parse_amount, description=description,
        message=_l("金額は円単位の数字で入力してください（例: 300000、300,000、30万円）。"),
        validators=[AtMost(MAX_YEN, _l("%(label)sは%(max)s円（1兆円）以下で入力してください。"))],
    )


class PlanStep(FlaskForm):
    support_requested = MultiCheckboxField(
        _l("市に求める支援"), choices=as_choices((code, SUPPORT_LABELS[code][0]) for code in SUPPORT_TYPES),
        description=_l("あてはまるものをすべて選んでください。"),
    )
    partners_wanted = MultiCheckboxField(
        _l("一緒に取り組みたい相手"), choices=as_choices((code, PARTNER_LABELS[code]) for code in PARTNER_KINDS),
        description=_l("市以外にも、連携したい相手がいれば選んでください。"),
    )
    budget_total = _amount(_l("事業費の総額（円）"), _l("おおよそで大丈夫です。例: 800000、80万円"))
    budget_requested = _amount(_l("そのうち市に求める額（円）"), _l("資金の支援を求めない場合は空欄か0にしてください。"))
    period_start = ParsedField(_l("実施期間（開始）"), parser=n.parse_date, render_kw={"type": "date"},
                               message={None: _l("開始日を「2027-04-01」のように入力してください。"), "era": _ERA_DATE_MESSAGE_START})
    period_end = ParsedField(_l("実施期間（終了）"), parser=n.parse_date, render_kw={"type": "date"},
                             message={None: _l("終了日を「2028-03-31」のように入力してください。"), "era": _ERA_DATE_MESSAGE_END})
    exit_strategy = RadioField(
        _l("出口戦略"), choices=as_choices(EXIT_STRATEGIES),
        description=_l("出口戦略とは、市の支援が終わったあとに、その取り組みをどうするかという見通しのことです。"),
        validators=[Required(_l("出口戦略を選んでください。決まっていなければ「まだ決まっていない」を選んでください。"))],
    )
    exit_note = text_field(_l("出口戦略の説明"), 2000, audience=Audience.PUBLIC, multiline=True,
                      description=_l("例: 2年目以降は参加費と企業協賛で自走する"))

    def validate_budget_requested(self, field):
        total = self.budget_total.data
        if field.data is not None and isinstance(total, int) and field.data > total:
            raise ValidationError(str(_l("市に求める額が事業費の総額を超えています。金額を確認してください。")))

    def validate_period_end(self, field):
        start = self.period_start.data
        # The same day is allowed (a one-day event), as the period_ordered constraint allows.
        if field.data is not None and start is not None and not isinstance(start, str) and field.data < start:
            raise ValidationError(str(_l("終了日は開始日以降の日付にしてください（同じ日でもかまいません）。")))


class ReviewForm(FlaskForm):
    consent_privacy = BooleanField(
        _l("個人情報の取り扱いに同意します"),
        validators=[DataRequired(_l("提出するには、個人情報の取り扱いへの同意が必要です。"))],
    )
    consent_publish = BooleanField(
        _l("提案の概要を公開カタログに載せてもかまいません"),
        # Generated from the public fields of proposals.visibility, in the version recorded on submission.
        description=LazyString(consent_text),
    )
    website = StringField(_l("この欄は空のままにしてください"))  # honeypot


STEPS = [
    (1, "organisation", _l("団体について"), OrganisationStep),
    (2, "contact", _l("連絡先"), ContactStep),
    (3, "content", _l("提案の内容"), ContentStep),
    (4, "area", _l("地域・分野"), AreaStep),
    (5, "plan", _l("支援・予算・期間"), PlanStep),
    (6, "files", _l("添付ファイル"), None),
]
STEP_COUNT = len(STEPS)
FILE_STEP = 6


# --- after submission ----------------------------------------------------------------------------

class MessageForm(FlaskForm):
    body = text_field(_l("メッセージ"), 4000, audience=Audience.APPLICANT, required=_l("メッセージを入力してください。"), multiline=True)
    parent_id = HiddenField()


class AnswerForm(FlaskForm):
    body = text_field(_l("回答"), 4000, audience=Audience.APPLICANT, required=_l("回答を入力してください。"), multiline=True,
                 description=_l("依頼された内容への回答を書いてください。ファイルも添付できます。"))


class WithdrawForm(FlaskForm):
    reason = text_field(_l("取り下げの理由"), 2000, audience=Audience.APPLICANT, multiline=True,
                   description=_l("差し支えなければ理由を教えてください。今後の改善に役立てます。"))
    lock_version = HiddenField()


class InviteForm(FlaskForm):
    email = EmailField(
        _l("招待する方のメールアドレス"),
        filters=[normalise_email],
        validators=[
            Required(_l("招待する方のメールアドレスを入力してください。")),
            Email(_l("メールアドレスの形式が正しくありません。例: name@example.jp のように入力してください。"),
                  check_deliverability=False),
            LengthMessage(max=254),
        ],
    )


class SettingsForm(FlaskForm):
    public_changes = BooleanField(_l("提案の状況や担当部署の対応、パートナー募集への反応をメールで知らせる"))
    messages = BooleanField(_l("部署からメッセージが届いたときにメールで知らせる"))
    locale = SelectField(_l("メールと画面の言語"), choices=as_choices([("ja", "日本語"), ("en", "English")]))
