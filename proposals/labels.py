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
    # What happened, in the timelines and the audit log (core.models.Event.kind). A kind missing
    # here shows as a raw code, which tests/test_no_raw_codes.py catches.
    "event": {
        "state_changed": _l("状態の変更"),
        "draft_created": _l("下書きを作成"), "draft_claimed": _l("下書きを引き継ぎ"),
        "organisation_created": _l("団体を登録"), "organisation_updated": _l("団体の情報を更新"),
        "applicant_registered": _l("提案者を登録"),
        "attachment_added": _l("添付ファイルを追加"), "attachment_removed": _l("添付ファイルを削除"),
        "routed": _l("ルールによる振り分け"), "routing_confirmed": _l("振り分けを確認"),
        "routing_overridden": _l("振り分けを変更"), "proposal_linked": _l("関連する提案を登録"),
        "assigned": _l("担当部署に割当"), "assignment_acknowledged": _l("受領・検討開始"),
        "message_posted": _l("メッセージ"), "meeting_proposed": _l("協議の候補日時を送りました"),
        "co_opinion": _l("関係部署の意見"), "co_assignment_returned": _l("関係部署が関与不要と回答しました"),
        "deadline_reminder": _l("期限前のお知らせ"),
        "deadline_overdue": _l("期限超過の通知（部署の管理職・窓口）"),
        "deadline_second": _l("期限超過の上位報告（局長・区長・窓口の管理職）"),
        "applicant_wait_reminder": _l("提案者に回答の催促を送りました"),
        "applicant_wait_overdue": _l("提案者の回答がないことを部署と窓口に通知"),
        "applicant_wait_second": _l("提案者の回答がないことを上位に報告"),
        "triage_wait_reminder": _l("振り分けの期限が近いことを窓口に通知"),
        "triage_wait_overdue": _l("振り分けの期限超過を窓口に通知"),
        "triage_wait_second": _l("振り分けの期限超過を窓口の管理職・管理者に報告"),
        "publication_approved": _l("公開を承認"), "publication_withdrawn": _l("公開を取り下げ"),
        "evaluation_recorded": _l("評価を記録"), "evaluation_updated": _l("評価を更新"),
        "partners_wanted_changed": _l("連携先の募集を変更"),
        "partner_interest_expressed": _l("連携の申し出"), "partner_interest_withdrawn": _l("連携の申し出を取り下げ"),
        "partner_interest_accepted": _l("連携の申し出を受諾"), "partner_interest_declined": _l("連携の申し出を辞退"),
        "invitation_sent": _l("招待を送信"), "invitation_accepted": _l("招待を承諾"),
        "invitation_skipped": _l("招待を送らず（すでにメンバー）"),
        "notification_settings_changed": _l("メールの設定を変更"),
        "signed_in": _l("サインインしました"), "signin_link_refused": _l("サインインのリンクを拒否"),
        "user_locked_out": _l("アカウントを一時ロック"),
        "department_renamed": _l("部署名を変更"), "department_merged": _l("部署を統合"),
        "department_retired": _l("部署を廃止"), "department_deadlines_changed": _l("部署の期限を変更"),
        "department_head_added": _l("部署の管理職を追加"), "department_head_removed": _l("部署の管理職を削除"),
        "theme_owner_changed": _l("テーマの担当部署を変更"),
        "ruleset_draft_created": _l("ルールの下書きを作成"), "ruleset_draft_discarded": _l("ルールの下書きを破棄"),
        "ruleset_published": _l("ルールを公開"), "rule_saved": _l("ルールを保存"), "rule_deleted": _l("ルールを削除"),
        "keyword_saved": _l("キーワードを保存"), "keyword_removed": _l("キーワードを削除"),
        "closed_day_added": _l("閉庁日を追加"), "closed_day_removed": _l("閉庁日を削除"),
        "answer_template_saved": _l("回答のひな形を保存"), "answer_template_retired": _l("回答のひな形を廃止"),
        "api_token_created": _l("APIトークンを発行"), "api_token_revoked": _l("APIトークンを失効"),
        "demo_public_loaded": _l("デモデータを読み込み"),
        "routing_model_trained": _l("振り分けの学習モデルを更新"),
        "co_assignments_closed": _l("関係部署の担当を終了"),
        "outbox_resent": _l("メールを再送"),
        "password_changed": _l("パスワードを変更"), "signed_out": _l("サインアウトしました"),
        "repeated_login_failures": _l("サインインの失敗が続きました"),
        "personal_data_viewed": _l("個人情報を閲覧"), "personal_data_purged": _l("個人情報を削除"),
        "webhook_subscribed": _l("Webhookを登録"), "webhook_unsubscribed": _l("Webhookを解除"),
        "webhook_paused": _l("Webhookを一時停止"), "webhook_resumed": _l("Webhookを再開"),
        "webhook_redelivery": _l("Webhookを再送"),
        "group_created": _l("グループを作成"), "group_updated": _l("グループを編集"),
        "group_published": _l("グループを公開"), "group_unpublished": _l("グループの公開を取りやめ"),
        "group_closed": _l("グループを終了"), "group_reopened": _l("グループを再開"),
        "group_member_added": _l("グループに追加"), "group_member_removed": _l("グループから外す"),
        "group_consent_given": _l("グループでの紹介に同意"), "group_consent_declined": _l("グループでの紹介に同意しない"),
        "group_introduction": _l("グループの提案者どうしを紹介"),
        "search_digest_sent": _l("似た提案のまとめを送信"),
    },
    "department_kind": {"triage": _l("窓口"), "bureau": _l("局"), "ward": _l("区役所")},
    "role": {"applicant": _l("提案者"), "window": _l("窓口の職員"), "department_staff": _l("部署の職員"),
             "department_manager": _l("部署の管理職"), "admin": _l("管理者")},
    # Who or what did it (core.models.ActorKind).
    "actor_kind": {"user": _l("利用者"), "rule": _l("振り分けルール"), "scheduler": _l("定期処理"), "system": _l("システム")},
    # The machine actors' names (core.audit.Actor.system / scheduler); users are shown by email.
    "actor_label": {"seed": _l("初期データの読み込み"), "sign-in": _l("サインイン"), "intake": _l("受付"),
                    "simulation": _l("シミュレーション"), "deadline sweep": _l("期限の定期確認"),
                    "routing: no published ruleset": _l("振り分け（公開中のルールなし）")},
    # An email in the outbox (core.models.OutboxStatus).
    "outbox_status": {"pending": _l("送信待ち"), "sending": _l("送信中"), "sent": _l("送信済み"), "failed": _l("送信失敗")},
    # How it left: by SMTP, or kept in the outbox only (the embedded default has no mail server).
    "transport": {"smtp": _l("メールサーバーから送信"), "outbox": _l("送信箱に保存のみ（メールサーバー未設定）")},
}


def label(kind: str, value) -> str:
    """The label of one value; an unknown value is shown as it is (and caught by the raw-code test)."""
    if value is None or value == "":
        return "-"
    key = getattr(value, "value", value)
    if kind == "actor_label" and str(key).startswith("ruleset v"):
        return _rule_actor(str(key))
    if kind == "state":
        from proposals.lifecycle import STATE_LABELS  # lifecycle imports the models; labels stay import-light
        return str(STATE_LABELS.get(key, key))
    return str(LABELS.get(kind, {}).get(key, key))



def _rule_actor(text: str) -> str:
    """"ruleset v3 / rule name" (core.audit.Actor.rule) in the reader's language; a shipped
    rule's name has its English in the routing catalogue, one an administrator wrote reads as typed."""
    from flask_babel import gettext

    version, _, name = text.removeprefix("ruleset v").partition(" / ")
    words = gettext("ルールの版 v%(version)s", version=version)
    return f"{words} / {gettext(name)}" if name else words


def labels(kind: str, values) -> str:
    return "、".join(label(kind, v) for v in (values or [])) or "-"


def source_label(kind: str, value) -> str:
    """The Japanese label of one value whatever the reader's language (what is stored
    for later, as the routing engine's `why`); an unknown value as it is."""
    text = LABELS.get(kind, {}).get(getattr(value, "value", value))
    if text is None:
        return str(value)
    return text._args[0]  # a lazy_gettext string keeps its message id: the Japanese source
