"""The demo's first proposals: a handful in each state of the lifecycle,
submitted by the demo applicant and moved on by the staff who would."""

from __future__ import annotations

from datetime import date

import sqlalchemy as sa

from core.audit import Actor
from core.auth import hash_password
from core.extensions import db
from core.models import Department, Membership, Organisation, OrganisationKind, Role, Theme, User
from core.seed import department
from demo.accounts import DEMO_APPLICANT, DEMO_PASSWORD
from intake.operations import withdraw
from proposals import operations as proposal_ops
from proposals.models import Proposal, ProposalTheme, ProposalWard
from proposals.visibility import CURRENT_CONSENT_VERSION
from responses.operations import (
    NextSteps,
    adopt,
    lead_assignment,
    not_adopt,
    not_ours,
    propose_meeting,
    request_information,
)
from routing.operations import TRIAGE_STATES, change_routing, confirm, proposed_routing

DEMO_ORGANISATIONS = [
    dict(name="NPO法人みやまえ寄り合い", name_kana="みやまえよりあい", kind=OrganisationKind.NPO_CORP,
         city="川崎市宮前区", corporate_number="9234567890123", representative="寄合 一子"),
    dict(name="株式会社かわさきテック", name_kana="かわさきてっく", kind=OrganisationKind.COMPANY,
         city="川崎市中原区", representative="技術 太郎"),
    dict(name="麻生区たちばな町内会", name_kana="あさおくたちばなちょうないかい", kind=OrganisationKind.NEIGHBORHOOD_ASSOC,
         city="川崎市麻生区", representative="橘 会長"),
]

# (title, organisation index, themes, scope, wards, stage, final state, summary)
DEMO_PROPOSALS = [
    ("宮前区の高齢者サロンとスマホ相談会", 0, ["welfare-elderly", "digital"], "ward", ["ward-miyamae"], "established",
     "assigned", "地域の高齢者が集うサロンで、スマートフォンの使い方を学生ボランティアが教える相談会を開きます。"),
    ("多摩川河川敷の清掃と外来植物の調査", 1, ["environment", "parks-greenery"], "multi_ward",
     ["ward-tama", "ward-takatsu"], "established", "triage",
     "社員ボランティアと市民で河川敷を清掃し、外来植物の分布を調べて地図にします。"),
    ("こども食堂と学習支援のネットワークづくり", 0, ["child-poverty", "youth"], "citywide", [], "seed", "info_requested",
     "市内のこども食堂をつなぎ、食材の融通と学習支援ボランティアの共有を進めます。"),
    ("町内会の防災マップづくり", 2, ["disaster", "community"], "ward", ["ward-asao"], "established", "in_consultation",
     "町内会の住民と大学生が歩いて危険箇所を調べ、防災マップを作って全戸に配ります。"),
    ("商店街の空き店舗を使ったコワーキング", 1, ["industry"], "ward", ["ward-nakahara"], "established", "adopted",
     "商店街の空き店舗をコワーキングスペースにし、創業相談と地域イベントを行います。"),
    ("外国につながる子どもの日本語教室", 0, ["multicultural", "school-education"], "ward", ["ward-kawasaki"],
     "established", "not_adopted", "放課後に外国につながる子どもの日本語と教科学習を支える教室を開きます。"),
    ("ごみ分別アプリの多言語化", 1, ["waste", "digital"], "citywide", [], "seed", "withdrawn",
     "ごみ分別アプリを多言語にして、外国人住民にも分かりやすくします。"),
    ("公園に高齢者向けの健康遊具を置き、体操教室を開く", 2, ["welfare-elderly", "parks-greenery"], "citywide", [],
     "established", "handed_back",
     "市内の公園に高齢者向けの健康遊具を置き、町内会と大学が週1回の体操教室を開きます。"),
]

# The demo's hand-back: the department says why it is not theirs and which one is.
DEMO_HAND_BACK = ("遊具の設置は公園を管理する部署の所管です。体操教室は協力できます。", "parks-greenery")

# How each demo proposal gets to its state, one transition at a time.
_PATHS = {
    "triage": [],
    "assigned": ["assigned"],
    "info_requested": ["assigned", "info_requested"],
    "in_consultation": ["assigned", "in_consultation"],
    "adopted": ["assigned", "in_consultation", "adopted"],
    "not_adopted": ["assigned", "not_adopted"],
    "withdrawn": ["withdrawn"],
    "handed_back": ["assigned", "not_ours"],  # back in triage: the desk shows who refused and why
}


def seed_demo_proposals() -> int:
    if db.session.scalar(sa.select(sa.func.count()).select_from(Proposal)):
        return 0  # demo proposals exist already (or real ones: leave them alone)
    applicant = _demo_applicant()
    organisations = [_organisation(spec, applicant) for spec in DEMO_ORGANISATIONS]
    for spec in DEMO_PROPOSALS:
        _demo_proposal(spec, organisations, applicant)
    return len(DEMO_PROPOSALS)


def _demo_applicant() -> User:
    user = db.session.scalar(sa.select(User).where(User.email == DEMO_APPLICANT))
    if user is None:
        user = User(email=DEMO_APPLICANT, name="寄合 一子", role=Role.APPLICANT)
        db.session.add(user)
        db.session.flush()
    return user


def _organisation(spec: dict, member: User) -> Organisation:
    organisation = db.session.scalar(sa.select(Organisation).where(Organisation.name == spec["name"]))
    if organisation is None:
        organisation = Organisation(**spec)
        organisation.memberships.append(Membership(user=member))
        db.session.add(organisation)
        db.session.flush()
    return organisation


def _demo_proposal(spec, organisations, applicant) -> None:
    """The applicant submits (the routing room routes it, as for any
    submission); the window assigns, the lead department answers and the
    applicant withdraws through the operations their pages call."""
    title, org_index, theme_codes, scope, ward_codes, stage, final_state, summary = spec
    proposal = Proposal(
        title=title, summary=summary, issue="地域の課題として、" + summary, activities=summary,
        outcomes="参加者数と満足度アンケートで測ります。", organisation=organisations[org_index],
        created_by=applicant, scope=scope, stage=stage, support_requested=["venue", "publicity"],
        partners_wanted=["university"], budget_total_yen=800000, budget_requested_yen=300000,
        period_start=date(2027, 4, 1), period_end=date(2028, 3, 31), exit_strategy="business",
        exit_note="2年目以降は参加費と企業協賛で自走する", contact_name=applicant.name,
        contact_email=applicant.email, contact_phone="044-000-0000", consent_privacy=True, consent_publish=True,
        consent_version=CURRENT_CONSENT_VERSION,
    )
    themes = {t.code: t for t in db.session.scalars(sa.select(Theme))}
    proposal.theme_links = [ProposalTheme(theme=themes[c], position=i) for i, c in enumerate(theme_codes)]
    proposal.ward_links = [ProposalWard(ward=department(c)) for c in ward_codes]
    db.session.add(proposal)
    db.session.flush()
    proposal_ops.submit(proposal, Actor.of_user(applicant))
    window = Actor.of_user(db.session.scalar(sa.select(User).where(User.email == "window@city.example.jp")))
    lead = department(ward_codes[0]) if scope == "ward" else themes[theme_codes[0]].owner
    staff = _department_actor(lead)
    for target in _PATHS[final_state]:
        if target == "assigned":
            _assign(proposal, lead, window)
        elif target == "not_ours":
            not_ours(lead_assignment(proposal.id), staff, DEMO_HAND_BACK[0], themes[DEMO_HAND_BACK[1]].owner.id)
        elif target == "withdrawn":
            withdraw(proposal, applicant, "別の助成制度で実施することになりました。", expected_version=None)
        elif target == "info_requested":
            request_information(lead_assignment(proposal.id), staff, "参加予定の団体の一覧を教えてください。")
        elif target == "in_consultation":
            propose_meeting(lead_assignment(proposal.id), staff, ["来週火曜 14:00", "来週木曜 10:00"],
                            "進め方を一度ご相談させてください。")
        elif target == "adopted":
            adopt(lead_assignment(proposal.id), staff, "来年度予算で実施します。協定の準備を進めます。",
                  NextSteps(budget_year=2027, agreement=True, agreement_note="協働事業に関する協定",
                            next_steps="協定書の案をお送りします。"), without_opinions=True)
        elif target == "not_adopted":
            not_adopt(lead_assignment(proposal.id), staff, "類似事業と重複するため（内部メモ）",
                      "同様の事業を市が既に実施しているため、今回は見送ります。", without_opinions=True)


def _assign(proposal: Proposal, lead: Department, window: Actor) -> None:
    """The triage desk: confirm the engine's lead when it is the demo's,
    otherwise choose the demo's lead with a reason (as staff would)."""
    if proposal.state not in TRIAGE_STATES:
        return  # the engine assigned it on its own (AUTO_ROUTE_CONFIDENCE)
    proposed_lead, _co = proposed_routing(proposal)
    if proposed_lead == lead.id:
        confirm(proposal, window, expected_version=None)
    else:
        change_routing(proposal, window, lead.id, [], "デモデータ：主担当をこの部署にします。", expected_version=None)


def _department_actor(lead: Department) -> Actor:
    """A member of the lead department's staff (created for the demo if none)."""
    staff = db.session.scalar(sa.select(User).where(User.department_id == lead.id).order_by(User.id))
    if staff is None:
        staff = User(email=f"{lead.code}@city.example.jp", name=lead.name_ja + " 担当", role=Role.DEPARTMENT_STAFF,
                     department=lead, password_hash=hash_password(DEMO_PASSWORD))
        db.session.add(staff)
        db.session.flush()
    return Actor.of_user(staff)
