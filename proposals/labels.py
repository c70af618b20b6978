"""Plain-language labels of the proposal vocabulary (the enumerations of docs/proposal.md),
for pages that show a proposal: `label("scope", proposal.scope)` in templates.
The one place these labels are written: the forms of every room take theirs
from LABELS (the intake form adds its help texts beside them)."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

LABELS = {
    "organisation_kind": {
        "npo_corp": _l("NPO法人"), "civic_group": _l("市民活動団体・任意団体"), "company": _l("企業"),
        "neighborhood_assoc": _l("町内会・自治会"), "university": _l("大学・研究機関"), "school": _l("学校"),
        "social_welfare_council": _l("社会福祉協議会"), "intermediary": _l("中間支援組織"), "other": _l("その他"),
    },
    "scope": {
        "ward": _l("1つの区"), "multi_ward": _l("複数の区"), "citywide": _l("市全域"), "undecided": _l("まだ決まっていない"),
    },
    "stage": {"seed": _l("萌芽的な提案（新しい試み）"), "established": _l("実績のある取組")},
    "support": {
        "funding": _l("資金"), "venue": _l("会場・場所"), "publicity": _l("広報"), "coordination": _l("関係者との調整"),
        "co_hosting": _l("共催・後援"), "data": _l("データ・情報の提供"), "advice": _l("助言・相談"),
    },
    # Who a proposal seeks as partners (proposals.models.PARTNER_KINDS).
    "partner_kind": {
        "city": _l("市（行政）"), "company": _l("企業"), "npo": _l("NPO・市民活動団体"),
        "neighborhood_assoc": _l("町内会・自治会"), "university": _l("大学・研究機関"), "school": _l("学校"),
        "social_welfare_council": _l("社会福祉協議会"),
    },
    "exit_strategy": {
        "policy": _l("制度化・施策化"), "business": _l("事業化・自走"), "national": _l("国・県の制度へ"),
        "time_limited": _l("期間限定で終了"), "undecided": _l("まだ決まっていない"),
    },
}


def label(kind: str, value) -> str:
    """The label of one value; an unknown value is shown as it is."""
    if value is None or value == "":
        return "-"
    key = getattr(value, "value", value)
    return str(LABELS.get(kind, {}).get(key, key))


def labels(kind: str, values) -> str:
    return "、".join(label(kind, v) for v in (values or [])) or "-"
