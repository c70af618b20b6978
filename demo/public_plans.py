"""What the public demo set holds: for each of its proposals, the draft the
organisation wrote (text from the Japanese fragments), when it was submitted
and the state its history ends in. Pure choices from the seeded random
generator; demo/public_history.py then plays each history through the
rooms' operations."""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from core.calendar import TOKYO, BusinessCalendar, fiscal_year_of
from core.models import Organisation, Theme, User
from demo.fragments import ACTIVITIES, PARTNER_CHOICES, SUPPORT_CHOICES, THEME_TEXT, WARDS
from proposals.models import Proposal, ProposalTheme, ProposalWard, State
from proposals.visibility import CURRENT_CONSENT_VERSION

PROPOSALS = 330
DRAFT_EVERY = 40  # one in forty was never submitted

# The states a history passes through after the triage desk, by the state it ends in.
PATHS: dict[State, list[State]] = {
    State.TRIAGE: [],
    State.MERGED: [State.MERGED],
    State.ASSIGNED: [State.ASSIGNED],
    State.INFO_REQUESTED: [State.ASSIGNED, State.INFO_REQUESTED],
    State.IN_CONSULTATION: [State.ASSIGNED, State.IN_CONSULTATION],
    State.ADOPTED: [State.ASSIGNED, State.IN_CONSULTATION, State.ADOPTED],
    State.NOT_ADOPTED: [State.ASSIGNED, State.NOT_ADOPTED],
    State.IN_PROGRESS: [State.ASSIGNED, State.IN_CONSULTATION, State.ADOPTED, State.IN_PROGRESS],
    State.COMPLETED: [State.ASSIGNED, State.IN_CONSULTATION, State.ADOPTED, State.IN_PROGRESS, State.COMPLETED],
    State.EVALUATED: [State.ASSIGNED, State.IN_CONSULTATION, State.ADOPTED, State.IN_PROGRESS, State.COMPLETED,
                      State.EVALUATED],
    State.WITHDRAWN: [State.ASSIGNED, State.WITHDRAWN],
}
DECIDED = frozenset({State.ADOPTED, State.NOT_ADOPTED, State.IN_PROGRESS, State.COMPLETED, State.EVALUATED})


def tokyo_at(day: date, hour: int, minute: int = 0) -> datetime:
    """A moment on a Tokyo calendar day, in UTC."""
    return datetime.combine(day, time(hour, minute), TOKYO).astimezone(UTC)


@dataclass
class Plan:
    proposal: Proposal  # the draft, in the session
    final: State  # DRAFT: never submitted
    themes: list[str]
    scope: str
    wards: list[str]
    member: User
    submitted_at: datetime | None
    merge_into: Proposal | None = None


def final_state(rng: random.Random, calendar: BusinessCalendar, submitted: date, today: date) -> State:
    """Older proposals have reached an outcome; open ones are recent enough that
    their deadlines are mostly still ahead (the sweep on `make run` finds a few
    late, as a real desk would, not hundreds)."""
    age = (today - submitted).days
    if calendar.business_days_between(submitted, today) <= 2:
        return rng.choice([State.TRIAGE, State.TRIAGE, State.ASSIGNED])
    if age < 25:
        return rng.choices(
            [State.ASSIGNED, State.INFO_REQUESTED, State.IN_CONSULTATION, State.ADOPTED, State.NOT_ADOPTED,
             State.WITHDRAWN, State.MERGED], [3, 2, 4, 1, 1, 1, 0.5])[0]
    if age < 90:
        return rng.choices(
            [State.INFO_REQUESTED, State.IN_CONSULTATION, State.ADOPTED, State.NOT_ADOPTED, State.IN_PROGRESS,
             State.WITHDRAWN, State.MERGED], [0.3, 0.7, 3, 3, 2, 1, 0.5])[0]
    if age < 400:
        return rng.choices([State.ADOPTED, State.IN_PROGRESS, State.NOT_ADOPTED, State.WITHDRAWN, State.MERGED],
                           [2, 5, 4, 1, 0.6])[0]
    if rng.random() < 0.04:
        return State.MERGED
    return rng.choices([State.IN_PROGRESS, State.COMPLETED, State.EVALUATED, State.NOT_ADOPTED, State.WITHDRAWN],
                       [2, 3, 4, 5, 1])[0]


def submission_days(rng: random.Random, today: date) -> list[date]:
    """PROPOSALS days spread over the last three fiscal years, up to the day before yesterday."""
    start = date(fiscal_year_of(today) - 2, 4, 1)
    span = (today - start).days - 2
    return sorted(start + timedelta(days=rng.randint(0, span)) for _ in range(PROPOSALS))


def text(rng: random.Random, theme_code: str, ward_code: str | None) -> dict:
    subjects, _ = THEME_TEXT.get(theme_code, THEME_TEXT["other"])
    subject = rng.choice(subjects)
    place = WARDS[ward_code][0] if ward_code else "市内"
    town = rng.choice(WARDS[ward_code][1]) if ward_code else rng.choice(["各区", "駅周辺", "市内全域"])
    title = f"{place}{'・' + town if ward_code and rng.random() < 0.4 else ''}の{subject}{rng.choice(ACTIVITIES)}"
    where = f"{town}を中心に" if ward_code else "市内の各地で"
    summary = (f"{where}、{subject}に取り組みます。地域の住民や関係団体と協力し、"
               f"{rng.choice(['月2回', '毎週', '年4回', '毎月'])}の活動を通じて、"
               f"{rng.choice(['身近な場所での参加の機会', '世代をこえたつながり', '困りごとの早期発見', '新しい担い手'])}をつくります。")
    issue = (f"{place}では{rng.choice(['高齢化が進み', '子育て世帯が増え', '外国人住民が増え', '空き店舗が増え'])}、"
             f"{subject}への関心が高まっていますが、{rng.choice(['情報が届いていない', '担い手が不足している', '活動の場所が足りない', '関係者の連携が弱い'])}のが現状です。")
    activities = (f"1. {subject}の準備会を開き、参加者を募ります。\n"
                  f"2. {town}の{rng.choice(['市民館', 'こども文化センター', '町内会館', '商店街の空き店舗', '公園'])}で定期的に活動します。\n"
                  f"3. 活動の記録を公開し、ほかの地域にも広げます。")
    outcomes = f"参加者数とアンケートの満足度で成果を測ります。初年度は延べ{rng.randint(5, 60) * 10}人の参加を目指します。"
    return {"title": title[:200], "summary": summary[:400], "issue": issue, "activities": activities,
            "outcomes": outcomes}


def draft(rng: random.Random, organisation: Organisation, member: User, themes: dict[str, Theme],
          departments: dict, chosen: list[str], scope: str, wards: list[str], fy: int) -> Proposal:
    """The draft as the organisation filled in the form."""
    proposal = Proposal(
        organisation=organisation, created_by=member, scope=scope, stage=rng.choice(["seed", "established"]),
        support_requested=rng.sample(SUPPORT_CHOICES, rng.randint(1, 3)),
        partners_wanted=rng.sample(PARTNER_CHOICES, rng.choice([0, 1, 1, 2, 3])),
        budget_total_yen=rng.randint(2, 80) * 50_000, exit_strategy=rng.choice(
            ["policy", "business", "business", "national", "time_limited", "undecided"]),
        exit_note=rng.choice(["2年目以降は参加費と協賛金で自走します。", "区の事業として制度化を目指します。",
                              "3年間の期間限定で実施し、成果を報告します。", "国の補助制度の活用を検討します。"]),
        period_start=date(fy + 1, 4, 1), period_end=date(fy + 2 + rng.choice([0, 1, 2]), 3, 31),
        contact_name=member.name, contact_email=member.email,
        contact_phone=f"090-{rng.randint(1000, 9999)}-{rng.randint(1000, 9999)}",
        consent_privacy=True, consent_publish=rng.random() < 0.8, **text(rng, chosen[0], wards[0] if wards else None),
    )
    proposal.consent_version = CURRENT_CONSENT_VERSION if proposal.consent_publish else None
    proposal.budget_requested_yen = proposal.budget_total_yen // rng.choice([2, 3, 4])
    proposal.theme_links = [ProposalTheme(theme=themes[c], position=i) for i, c in enumerate(chosen)]
    proposal.ward_links = [ProposalWard(ward=departments[c]) for c in wards]
    return proposal


def choose(rng: random.Random, n: int, day: date, today: date, calendar: BusinessCalendar,
           organisations: list[tuple[Organisation, str, User]], theme_codes: list[str], last: bool) -> dict:
    """The n-th proposal's themes, scope, wards and final state (before its draft is written)."""
    organisation, home_ward, member = organisations[n % len(organisations)]
    ward_codes = list(WARDS)
    primary = theme_codes[n % len(theme_codes)]
    extra = rng.sample(theme_codes, rng.choice([0, 0, 1, 2]))
    chosen = [primary] + [c for c in extra if c != primary][:2]
    scope = rng.choices(["ward", "multi_ward", "citywide"], [65, 15, 20])[0]
    if scope == "ward":
        wards = [ward_codes[(n // 3) % len(ward_codes)] if rng.random() < 0.5 else home_ward]
    elif scope == "multi_ward":
        wards = sorted(set(rng.sample(ward_codes, 2)))
    else:
        wards = []
    final = final_state(rng, calendar, day, today) if n % DRAFT_EVERY else State.DRAFT
    if last:
        final = State.TRIAGE  # the newest one waits at the triage desk
    return {"organisation": organisation, "member": member, "chosen": chosen, "scope": scope, "wards": wards,
            "final": final}
