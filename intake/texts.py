"""Plain-language words for states and timeline events, shown to applicants."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

from proposals.lifecycle import PUBLIC_STATE_LABELS, PublicState

STATE_LABELS = PUBLIC_STATE_LABELS

NEXT_STEPS = {
    PublicState.DRAFT: _l("まだ提出されていません。続きを入力して提出してください。"),
    PublicState.RECEIVED: _l("窓口（自治推進部）が内容を確認し、担当する部署を決めます。"),
    PublicState.UNDER_REVIEW: _l("担当部署が内容を検討しています。期限までにお返事します。"),
    PublicState.WAITING_FOR_YOU: _l("市から追加の情報をお願いしています。このページの「回答する」から答えてください。回答をいただくまで、部署の回答期限は止まっています。"),
    PublicState.ADOPTED: _l("採択されました。担当部署から、協定や実施の準備についてご連絡します。"),
    PublicState.NOT_ADOPTED: _l("今回は採択されませんでした。理由をご確認ください。内容を見直して、あらためて提案することもできます。"),
    PublicState.IN_PROGRESS: _l("市と協働で実施中です。"),
    PublicState.COMPLETED: _l("取り組みが完了しました。ご協力ありがとうございました。"),
    PublicState.WITHDRAWN: _l("この提案は取り下げられました。"),
    PublicState.MERGED: _l("似た内容の提案と一緒に検討することになりました。"),
}

# Emails: a subject that says what happened and what to do, by the public state reached.
EMAIL_SUBJECTS = {
    PublicState.RECEIVED: _l("【受付】窓口が担当部署を決めています（%(reference)s）"),
    PublicState.UNDER_REVIEW: _l("【検討中】担当部署が提案を検討しています（%(reference)s）"),
    PublicState.WAITING_FOR_YOU: _l("【回答のお願い】市からの質問に答えてください（%(reference)s）"),
    PublicState.ADOPTED: _l("【採択】提案が採択されました（%(reference)s）"),
    PublicState.NOT_ADOPTED: _l("【結果のお知らせ】今回は採択されませんでした。理由をご確認ください（%(reference)s）"),
    PublicState.IN_PROGRESS: _l("【実施中】市との協働が始まりました（%(reference)s）"),
    PublicState.COMPLETED: _l("【完了】取り組みが完了しました（%(reference)s）"),
    PublicState.WITHDRAWN: _l("【取り下げ】提案が取り下げられました（%(reference)s）"),
    PublicState.MERGED: _l("【お知らせ】似た提案と一緒に検討します（%(reference)s）"),
}
# Emails: what to do, naming the button on the page the email links to (a page says 「このページ」, an email cannot).
EMAIL_NEXT_STEPS = NEXT_STEPS | {
    PublicState.WAITING_FOR_YOU: _l("下のリンクから状況のページを開き、「回答を送る」ボタンで答えてください。"
                                    "回答をいただくまで、部署の回答期限は止まっています。"),
}
# Where the email's link lands on the status page.
EMAIL_ANCHORS = {PublicState.WAITING_FOR_YOU: "#answer"}

# Timeline: state changes, by the state reached.
STATE_EVENTS = {
    "submitted": _l("提案を受け付けました。"),
    "triage": _l("窓口が担当部署を検討しています。"),
    "assigned": _l("担当部署が決まりました。"),
    "info_requested": _l("市から追加情報の依頼がありました。"),
    "in_consultation": _l("担当部署との協議が始まりました。"),
    "adopted": _l("採択されました。"),
    "not_adopted": _l("採択されませんでした。"),
    "withdrawn": _l("提案を取り下げました。"),
    "in_progress": _l("実施が始まりました。"),
    "completed": _l("取り組みが完了しました。"),
    "evaluated": _l("取り組みの評価がまとまりました。"),
    "merged": _l("他の提案と統合されました。"),
}

# Timeline: other public events, by kind (rooms may add their own kinds).
EVENT_KINDS = {
    "message_posted": _l("メッセージが送られました。"),
    "attachment_added": _l("ファイルが追加されました。"),
    "acknowledged": _l("担当部署が提案を受け取り、検討を始めました。"),
    "assignment_acknowledged": _l("担当部署が提案を受け取り、検討を始めました。"),
    "response_recorded": _l("担当部署から回答がありました。"),
    "published": _l("提案の概要が公開カタログに掲載されました。"),
    "publication_approved": _l("提案の概要が公開カタログに掲載されました。"),
    "publication_withdrawn": _l("公開カタログへの掲載を取りやめました。"),
    "meeting_proposed": _l("担当部署から打ち合わせの提案がありました。"),
    "evaluation_recorded": _l("取り組みの評価が記録されました。"),
    "group_member_added": _l("同じ課題に取り組む提案の協働グループに加わりました。ほかの団体への紹介に同意するかどうかを、この画面で選べます。"),
}
GENERIC_EVENT = _l("提案が更新されました。")


RESUMED = _l("追加情報への回答を受け取り、検討を再開しました。")


def describe_event(event) -> str:
    if event.kind == "state_changed" and event.from_state == "info_requested" and event.to_state != "withdrawn":
        return RESUMED
    if event.kind == "state_changed" and event.to_state in STATE_EVENTS:
        return STATE_EVENTS[event.to_state]
    return EVENT_KINDS.get(event.kind, GENERIC_EVENT)
