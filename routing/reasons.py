"""Why a rule matched or not, stored as a key and parameters and written out in
the reader's language when shown.

A reason is {"key": "ward_count", "params": {"n": 1, "ward_source": "fields",
"depts": ["ward-miyamae"]}}: codes stay codes (themes, departments, scopes, …)
so that a page in English names them in English. The engine also writes each
rule's reasons once in Japanese (`why`, the shape of docs/proposal.md), which
is what decisions stored before reasons had keys carry: pages show `why` when a
stored result has no `reasons`.

The shipped ruleset's names, descriptions and tags are written in Japanese in
routing/data/default_ruleset.yaml; SHIPPED_TEXTS lists them for translation
(a rule an administrator writes is shown as typed)."""

from __future__ import annotations

from collections.abc import Callable

from proposals.labels import label, source_label


def N_(text: str) -> str:
    """Marks a message for extraction (`pybabel extract -k N_`); translated when shown."""
    return text


def reason(key: str, **params) -> dict:
    return {"key": key, "params": params}


MESSAGES = {
    "always": N_("常に成立"),
    "picked_theme": N_("申請者の選択テーマ %(themes)s"),
    "picked_theme_missing": N_("申請者の選択テーマ（%(picked)s）に %(themes)s がない"),
    "inferred_theme": N_("本文に %(themes)s の語（%(words)s）"),
    "inferred_theme_missing": N_("本文に %(themes)s の語がない"),
    "primary_theme": N_("主テーマが %(theme)s"),
    "primary_theme_other": N_("主テーマ（%(theme)s）が %(themes)s でない"),
    "theme_determined": N_("主テーマ %(theme)s（%(source)s）"),
    "theme_undetermined": N_("選択テーマが「その他」または空で、本文からも明確なテーマが読み取れない"),
    "theme_conflict": N_("選択 %(theme)s と本文 %(other)s が食い違う"),
    "no_theme_conflict": N_("選択テーマと本文の食い違いなし"),
    "ward_level": N_("主テーマ %(theme)s は区レベル"),
    "bureau_level": N_("主テーマ %(theme)s は局レベル"),
    "primary_owner": N_("主テーマの所管 %(dept)s"),
    "no_owner": N_("主テーマ %(theme)s を所管する局がない"),
    "no_owner_no_theme": N_("主テーマが判定できず、所管する局がない"),
    "bureau_count": N_("関係局 %(n)s局（%(depts)s）"),
    "scope": N_("活動範囲 %(scope)s"),
    "ward": N_("区 %(depts)s"),
    "ward_count": N_("区 %(n)s件（%(ward_source)s: %(depts)s）"),
    "organisation_kind": N_("団体の種類 %(organisation_kind)s"),
    "stage": N_("段階 %(stage)s"),
    "text_contains": N_("本文に「%(words)s」"),
    "text_missing": N_("本文に「%(words)s」がない"),
    "budget": N_("希望額 %(amount)s円（条件 %(range)s）"),
    "no_budget": N_("希望額の記載なし"),
    "support": N_("求める支援 %(supports)s"),
    "no_model": N_("学習済みモデルがまだない"),
    "model_lead": N_("モデルの提案 %(dept)s（確率 %(percent)s）"),
    "model_confidence": N_("モデルの提案 %(dept)s の確率 %(probability)s（条件 %(range)s）"),
    "not": N_("否定（%(inner)s）→ %(result)s"),
    "unknown_condition": N_("不明な条件 %(code)s"),
    "no_condition": N_("条件なし"),
    "not_evaluated": N_("「%(rule)s」で判定終了のため未評価"),
    # What a matched rule did.
    "set_lead": N_("主担当 %(dept)s"),
    "add_co": N_("関係 %(depts)s"),
    "require_triage": N_("要確認"),
    "set_priority": N_("優先度 %(priority)s"),
    "add_tag": N_("タグ %(tag)s"),
}

WORDS = {
    # Where the primary theme came from (routing.facts.Facts.primary_source).
    "source": {"pick+text": N_("選択と本文が一致"), "pick": N_("申請者の選択"), "text": N_("本文から"),
               "none": N_("判定なし")},
    # Where the wards came from (Facts.ward_source).
    "ward_source": {"fields": N_("区の欄"), "text": N_("本文の地名"), "none": N_("記載なし")},
    "priority": {"high": N_("高"), "normal": N_("通常"), "low": N_("低")},
    "result": {True: N_("成立"), False: N_("不成立")},
}
NONE, UNKNOWN, UNSET = N_("なし"), N_("不明"), N_("未記入")
SEPARATOR = N_("、")
# Parameters that are lists of theme or department codes, or one code; labels of the proposal vocabulary.
CODE_LISTS = {"themes", "picked", "depts"}
CODES = {"theme", "other", "dept"}
VOCABULARY = {"scope": "scope", "stage": "stage", "organisation_kind": "organisation_kind", "supports": "support"}

SHIPPED_TEXTS = (
    N_("選択テーマと本文の食い違い"),
    N_("方針1。申請者の選択と本文が明らかに食い違い、どちらとも決めきれないときは窓口が確認する。"),
    N_("萌芽的で所管局のない提案"),
    N_("方針6。萌芽的な提案で、どの局も所管しないアイデア（主テーマに所管局がない、またはテーマが判定できない）は窓口が引き受ける。"
       "「テーマが判定できない」より先に評価する。"),
    N_("テーマ不明時は学習モデルの提案"),
    N_("規則でテーマが判定できないとき、窓口の過去の確認・変更から学んだモデルが5割以上の確率で提案する部署を主担当にする"
       "（窓口の確認は必須）。萌芽的な提案は対象外。モデルがまだないときは成立しない。"),
    N_("テーマが判定できない1区の提案"),
    N_("方針6（2026年改定）。テーマが判定できなくても活動が1区で完結するなら、区の事業が区内の取組を担うため区役所が主担当。"
       "窓口の確認は必須。"),
    N_("テーマが判定できない"),
    N_("方針6。「その他」または未選択で、本文にも明確なテーマがなく、複数区・全市・区が不明のときは窓口が主担当。"),
    N_("3局以上にまたがる"),
    N_("方針5。関係するテーマの所管が3局以上にまたがるときは窓口が庁内調整の主担当。"),
    N_("1区の区レベルのテーマ"),
    N_("方針2。1区で完結し、主テーマが区で担えるテーマなら区役所が主担当、所管局が関係部署。"),
    N_("1区の局レベルのテーマ"),
    N_("方針3。1区で完結しても、主テーマが局レベルなら所管局が主担当、区役所が関係部署。"),
    N_("複数区・全市の提案"),
    N_("方針4。2区以上または全市の提案は所管局が主担当、他の関係テーマの所管局が関係部署（区は含めない）。"),
    N_("区が分からない提案"),
    N_("活動する区が書かれていないときは所管局が主担当とし、窓口が区を確認する。"),
    N_("テーマ要確認"), N_("萌芽的"), N_("学習モデル"), N_("庁内調整"),
)
SHIPPED = frozenset(SHIPPED_TEXTS)


class Writer:
    """Writes reasons out: `translate` a message (gettext, or as it is for the
    Japanese `why`), `name` a theme or department code, `vocabulary` a code of
    the proposal vocabulary (kind, code)."""

    def __init__(self, translate: Callable[[str], str], name: Callable[[str], str],
                 vocabulary: Callable[[str, str], str]):
        self.translate, self.name, self.vocabulary = translate, name, vocabulary

    def text(self, item) -> str:
        """One reason; a plain string (a reason stored before keys) as it is."""
        if isinstance(item, str):
            return item
        template = MESSAGES.get(item.get("key"))
        if template is None:
            return str(item.get("key"))
        params = {name: self._param(name, value) for name, value in (item.get("params") or {}).items()}
        try:
            return self.translate(template) % params
        except (KeyError, TypeError, ValueError):  # a translation that lost a parameter: the source reads
            return template % params

    def join(self, items) -> str:
        return self.translate(SEPARATOR).join(self.text(i) for i in items)

    def shipped(self, text: str | None) -> str:
        """A shipped rule's name, description or tag in the reader's language; others as typed."""
        return self.translate(text) if text in SHIPPED else (text or "")

    def _param(self, name: str, value) -> str:
        t = self.translate
        if name in CODE_LISTS:
            return t(SEPARATOR).join(self.name(c) for c in value) if value else t(NONE)
        if name in CODES:
            return self.name(value) if value else t(UNKNOWN)
        if name in VOCABULARY:
            if isinstance(value, list):
                return t(SEPARATOR).join(self.vocabulary(VOCABULARY[name], v) for v in value) if value else t(NONE)
            return self.vocabulary(VOCABULARY[name], value) if value else t(UNSET)
        if name in WORDS:
            word = WORDS[name].get(value)
            return t(word) if word else str(value)
        if name == "inner":
            return self.join(value)
        if name in ("rule", "tag"):
            return self.shipped(value)
        if name == "words":
            return t(SEPARATOR).join(value) if value else t(NONE)
        return str(value)


def japanese(name: Callable[[str], str]) -> Writer:
    """The writer of the stored Japanese `why` (no Flask needed)."""
    return Writer(lambda text: text, name, source_label)


def for_reader(by_code: dict, themes: dict, locale: str) -> Writer:
    """The writer for a page: messages in the reader's language, themes and departments
    by their names in it (by_code / themes: code → Department / Theme)."""
    from flask_babel import gettext

    def name(code: str) -> str:
        row = by_code.get(code) or themes.get(code)
        return row.name(locale) if row is not None else code

    return Writer(gettext, name, label)


def result_text(result: dict, writer: Writer) -> str:
    """One rule's result on a page: its reasons and what it did, or the stored
    Japanese `why` of a result saved before reasons had keys."""
    if "reasons" not in result:
        return result.get("why") or ""
    text = writer.join(result["reasons"])
    if result.get("applied"):
        text += " → " + writer.join(result["applied"])
    return text
