"""Demo data for the public pages: a few hundred proposals over three fiscal
years, across every ward, theme and organisation kind, in every state.

Text is put together from Japanese fragments with a fixed random seed, so
every run produces the same data. Called from demo.seed_demo (window/seed.py); it is
idempotent (a marker event says the set is loaded) and fast.

Choice: the history of these proposals lies in the past (submitted up to
three fiscal years ago), which proposals.operations cannot write — it
stamps every change with the current time. So this module writes the
historical rows directly, in bulk, but keeps each proposal consistent: its
state is the end of a path of moves that all exist in the lifecycle table
(proposals.lifecycle.TRANSITIONS), each move has its `state_changed` event
with the right actor, time, public flag and comment, assignments carry
assigned / acknowledged / answered times that agree with those events, and
publication approvals and evaluations have their audit events.
"""

from __future__ import annotations

import random
from datetime import UTC, date, datetime, time, timedelta

import sqlalchemy as sa
from flask import current_app

from core.auth import hash_password
from core.calendar import TOKYO, BusinessCalendar, fiscal_year_of, local_today
from core.extensions import db
from core.models import (
    ActorKind,
    Department,
    Event,
    Membership,
    Organisation,
    OrganisationKind,
    Role,
    Theme,
    User,
)
from demo.accounts import DEMO_APPLICANT, DEMO_PASSWORD
from proposals.audiences import PARTNER_STATES
from proposals.lifecycle import find_transition
from proposals.models import (
    Assignment,
    AssignmentRole,
    AssignmentStatus,
    Proposal,
    ProposalTheme,
    ProposalWard,
    ReferenceCounter,
    State,
)
from public.models import Evaluation, ExitReached, InterestStatus, PartnerInterest, ReviewDecision
from public.queries import published

MARKER_KIND = "demo_public_loaded"
SEED = 20260401
PROPOSALS = 330

WARDS = {
    "ward-kawasaki": ("川崎区", ["大師", "渡田", "観音", "藤崎", "小田"]),
    "ward-saiwai": ("幸区", ["鹿島田", "南加瀬", "小倉", "古市場", "戸手"]),
    "ward-nakahara": ("中原区", ["小杉", "木月", "丸子", "新城", "上平間"]),
    "ward-takatsu": ("高津区", ["溝口", "久地", "梶ヶ谷", "末長", "二子"]),
    "ward-miyamae": ("宮前区", ["鷺沼", "有馬", "宮崎", "菅生", "犬蔵"]),
    "ward-tama": ("多摩区", ["登戸", "生田", "菅", "宿河原", "南生田"]),
    "ward-asao": ("麻生区", ["百合丘", "柿生", "王禅寺", "岡上", "片平"]),
}

# theme -> (subjects, outcome indicators)
THEME_TEXT = {
    "welfare-elderly": (["一人暮らし高齢者の見守り", "高齢者サロン", "認知症カフェ", "シニアのスマホ教室"], ["参加者数", "見守り訪問件数"]),
    "welfare-disability": (["障害のある人の就労体験", "バリアフリー情報マップ", "手話で楽しむ交流会"], ["参加者数", "就労体験の受け入れ先数"]),
    "community-care": (["地域の支え合い拠点", "ごみ出し支援ボランティア", "多世代の居場所"], ["支援件数", "登録ボランティア数"]),
    "health": (["ウォーキングで健康づくり", "フレイル予防の体操教室", "子育て世代の健康相談"], ["参加者数", "継続参加率"]),
    "childcare": (["子育てひろば", "父親の育児参加講座", "多胎児家庭の交流会"], ["利用組数", "満足度"]),
    "youth": (["中高生の放課後の居場所", "子ども食堂", "若者の地域活動"], ["延べ利用者数", "ボランティア参加者数"]),
    "child-poverty": (["無料の学習支援教室", "フードパントリー", "ひとり親家庭の相談会"], ["利用世帯数", "学習支援の参加者数"]),
    "school-education": (["学校と地域の連携授業", "理科実験の出前授業", "外国につながる子の学習支援"], ["実施校数", "参加児童数"]),
    "lifelong-learning": (["市民館の市民講座", "シニアの学び直し", "地域の歴史を学ぶ講座"], ["講座数", "受講者数"]),
    "environment": (["省エネ家電の相談会", "緑のカーテン", "環境学習プログラム"], ["参加者数", "CO2削減量（推計）"]),
    "waste": (["食品ロス削減", "リユース品の交換会", "ごみ分別の多言語案内"], ["回収量", "参加世帯数"]),
    "disaster": (["防災マップづくり", "避難所運営訓練", "要配慮者の避難支援"], ["訓練参加者数", "マップ配布世帯数"]),
    "safety": (["通学路の見守り", "自転車の交通安全教室", "防犯パトロール"], ["見守り活動日数", "参加者数"]),
    "community": (["町内会の担い手づくり", "回覧板のデジタル化", "地域の夏祭り"], ["新規加入世帯数", "参加者数"]),
    "civic-activity": (["NPOの運営相談", "ボランティアと団体のマッチング", "市民活動の情報発信"], ["相談件数", "マッチング件数"]),
    "human-rights": (["人権を考えるワークショップ", "平和について学ぶ展示"], ["参加者数", "アンケート回答数"]),
    "gender-equality": (["女性の再就職支援セミナー", "男性の家事・育児講座"], ["受講者数", "再就職者数"]),
    "multicultural": (["日本語教室", "外国人住民の生活相談", "多文化交流イベント"], ["参加者数", "相談件数"]),
    "culture-arts": (["まちなか音楽祭", "地域の伝統芸能の継承", "アートで商店街を彩る企画"], ["来場者数", "出演団体数"]),
    "sports": (["誰でも参加できるスポーツ教室", "パラスポーツの体験会", "地域の運動会"], ["参加者数", "実施回数"]),
    "industry": (["商店街の空き店舗活用", "地元産品のマルシェ", "創業支援の相談会"], ["出店数", "来場者数"]),
    "employment": (["若者の就労体験", "シニアの仕事探し支援"], ["就労者数", "相談件数"]),
    "agriculture": (["都市農業の体験農園", "地場野菜の直売会"], ["参加者数", "販売額"]),
    "tourism": (["工場夜景ツアー", "地域の魅力を伝えるまち歩き"], ["参加者数", "ツアー実施回数"]),
    "consumer": (["消費者トラブル防止の出前講座", "高齢者の詐欺被害防止"], ["受講者数", "相談件数"]),
    "urban-planning": (["空き家の活用", "駅前広場のにぎわいづくり", "団地の再生"], ["活用件数", "来訪者数"]),
    "transport": (["地域のコミュニティバス", "乗り合い送迎の実証"], ["利用者数", "運行日数"]),
    "parks-greenery": (["公園の花壇づくり", "多摩川河川敷の清掃", "里山の保全"], ["活動回数", "参加者数"]),
    "roads": (["自転車の走りやすい道", "歩道の安全点検"], ["点検箇所数", "参加者数"]),
    "port-waterfront": (["臨海部の見学会", "運河の水辺を活かした交流"], ["参加者数", "実施回数"]),
    "digital": (["行政手続きのオンライン化支援", "地域データの活用", "スマホ相談会"], ["相談件数", "利用者数"]),
    "city-promotion": (["川崎の魅力発信", "地域の情報誌づくり"], ["発行部数", "閲覧数"]),
    "fire-emergency": (["救命講習の普及", "住宅用火災警報器の設置支援"], ["受講者数", "設置件数"]),
    "water": (["水道の仕組みを学ぶ見学会", "下水道の出前授業"], ["参加者数", "実施回数"]),
    "other": (["地域の困りごと相談", "新しい協働のかたちの実験"], ["相談件数", "参加者数"]),
}

ACTIVITIES = ["のネットワークづくり", "の拠点づくり", "の講座と交流会", "のモデル事業", "の担い手養成", "の実証プロジェクト"]
SURNAMES = ["佐藤", "鈴木", "高橋", "田中", "伊藤", "渡辺", "山本", "中村", "小林", "加藤", "吉田", "山田", "松本", "井上"]
GIVEN = ["陽子", "健一", "美咲", "大輔", "恵美", "翔太", "由美", "拓也", "真理子", "誠", "さくら", "直樹"]

ORG_PATTERNS = {
    OrganisationKind.NPO_CORP: ["NPO法人{area}{word}ネット", "NPO法人{area}{word}の会", "特定非営利活動法人{area}{word}"],
    OrganisationKind.CIVIC_GROUP: ["{area}{word}の会", "{area}{word}サークル", "{area}{word}ボランティアの会"],
    OrganisationKind.COMPANY: ["株式会社{area}{word}", "{area}{word}株式会社", "合同会社{word}ラボ"],
    OrganisationKind.NEIGHBORHOOD_ASSOC: ["{town}町内会", "{town}自治会", "{town}連合町内会"],
    OrganisationKind.UNIVERSITY: ["{word}大学 地域連携センター", "{area}{word}大学 研究室", "{word}工科大学"],
    OrganisationKind.SCHOOL: ["川崎市立{town}小学校", "川崎市立{town}中学校", "{town}高等学校"],
    OrganisationKind.SOCIAL_WELFARE_COUNCIL: ["{ward}社会福祉協議会", "{town}地区社会福祉協議会"],
    OrganisationKind.INTERMEDIARY: ["{ward}市民活動サポートセンター", "かわさき{word}支援センター"],
    OrganisationKind.OTHER: ["{town}商店会有志", "{town}のPTA有志", "{area}{word}実行委員会"],
}
ORG_WORDS = ["みらい", "つながり", "ひだまり", "あおぞら", "ささえあい", "こもれび", "わかば", "ともに", "まちづくり", "いきいき"]
PARTNER_CHOICES = ["company", "university", "npo", "neighborhood_assoc", "school", "social_welfare_council", "city"]
SUPPORT_CHOICES = ["funding", "venue", "publicity", "coordination", "co_hosting", "data", "advice"]

ADOPTED_REASONS = [
    "地域の課題に合った提案で、区の事業計画とも方向が一致しているため採択します。協定の準備を進めます。",
    "既存の事業と組み合わせることで効果が見込めるため、来年度から協働で実施します。",
    "関係部署と協議し、会場の提供と広報で協力することとしました。",
]
NOT_ADOPTED_REASONS = [
    "同様の事業を市がすでに実施しているため、今回は見送ります。既存事業への参加をご案内します。",
    "予算の確保が難しいため今回は見送ります。次年度の募集で改めてご相談ください。",
    "実施体制と安全管理について確認が必要なため、今回は見送ります。内容を見直した再提案を歓迎します。",
]
EVALUATION_SUMMARIES = [
    "目標を上回る参加があり、地域の担い手も育ちました。提案団体が中心となって自走する見通しです。",
    "参加者は目標に届きませんでしたが、関係団体とのつながりができ、次年度の改善点が明確になりました。",
    "活動は定着し、区の事業として制度化する方向で検討しています。",
]


def seed_public_demo() -> int:
    """Load the demo set once; returns the number of proposals added."""
    if db.session.scalar(sa.select(Event.id).where(Event.kind == MARKER_KIND).limit(1)) is not None:
        return 0
    builder = _Builder(random.Random(SEED))
    count = builder.run()
    builder.partner_interests()
    db.session.add(Event(kind=MARKER_KIND, actor_kind=ActorKind.SYSTEM, actor_label="seed",
                         data={"proposals": count, "seed": SEED}))
    db.session.flush()
    return count


def _at(day: date, hour: int, minute: int = 0) -> datetime:
    """A moment on a Tokyo calendar day, in UTC."""
    return datetime.combine(day, time(hour, minute), TOKYO).astimezone(UTC)


class _Builder:
    def __init__(self, rng: random.Random):
        self.rng = rng
        self.calendar = BusinessCalendar()
        self.today = local_today()
        self.now = datetime.now(UTC)
        self.current_fy = fiscal_year_of(self.today)
        self.departments = {d.code: d for d in db.session.scalars(sa.select(Department))}
        self.themes = {t.code: t for t in db.session.scalars(sa.select(Theme).order_by(Theme.position))}
        self.window_user = self._staff("window@city.example.jp", "jichi")
        self.staff: dict[int, User] = {}
        self.events: list[dict] = []
        self.password_hash: str | None = None
        # Each department answers at its own pace (days): stats are not all alike.
        self.pace = {code: rng.uniform(0.6, 1.8) for code in self.departments}

    # --- people and organisations ----------------------------------------------------------
    def _hash(self) -> str:
        if self.password_hash is None:
            self.password_hash = hash_password(DEMO_PASSWORD)
        return self.password_hash

    def _staff(self, email: str, dept_code: str, role: Role = Role.WINDOW) -> User:
        user = db.session.scalar(sa.select(User).where(User.email == email))
        if user is None:
            user = User(email=email, name="窓口 担当", role=role, department=self.departments[dept_code],
                        password_hash=self._hash())
            db.session.add(user)
            db.session.flush()
        return user

    def department_user(self, department: Department) -> User:
        if department.id not in self.staff:
            user = db.session.scalar(
                sa.select(User).where(User.department_id == department.id, User.role != Role.APPLICANT)
                .order_by(User.id).limit(1)
            )
            if user is None:
                user = User(email=f"{department.code}@city.example.jp", name=department.name_ja + " 担当",
                            role=Role.DEPARTMENT_STAFF, department=department, password_hash=self._hash())
                db.session.add(user)
                db.session.flush()
            self.staff[department.id] = user
        return self.staff[department.id]

    def person(self) -> str:
        return self.rng.choice(SURNAMES) + " " + self.rng.choice(GIVEN)

    def organisations(self) -> list[tuple[Organisation, str, User]]:
        rng = self.rng
        result = []
        ward_codes = list(WARDS)
        n = 0
        for kind in OrganisationKind:
            for i in range(7):
                n += 1
                ward_code = ward_codes[(i + n) % len(ward_codes)]
                ward_name, towns = WARDS[ward_code]
                town = rng.choice(towns)
                pattern = rng.choice(ORG_PATTERNS[kind])
                name = pattern.format(area=rng.choice(["かわさき", ward_name[:-1], town, ""]), word=rng.choice(ORG_WORDS),
                                      town=town, ward=ward_name)
                if any(o.name == name for o, _, _ in result):
                    name = f"{name}（{town}）"
                email = f"demo-org-{n:03d}@example.org"
                user = db.session.scalar(sa.select(User).where(User.email == email))
                if user is None:
                    user = User(email=email, name=self.person(), role=Role.APPLICANT)
                    db.session.add(user)
                organisation = Organisation(
                    name=name, kind=kind, city=f"川崎市{ward_name}", representative=self.person(),
                    postal_code=f"21{rng.randint(0, 9)}-{rng.randint(0, 9999):04d}",
                    address=f"川崎市{ward_name}{town}{rng.randint(1, 5)}-{rng.randint(1, 30)}-{rng.randint(1, 20)}",
                    phone=f"044-{rng.randint(200, 999)}-{rng.randint(0, 9999):04d}",
                    founded_year=rng.randint(1965, 2023), member_count=rng.randint(5, 300),
                )
                organisation.memberships.append(Membership(user=user))
                db.session.add(organisation)
                result.append((organisation, ward_code, user))
        db.session.flush()
        return result

    # --- the proposals -----------------------------------------------------------------------
    def final_state(self, submitted: date) -> State:
        """Older proposals have reached an outcome; recent ones are still open."""
        age = (self.today - submitted).days
        r = self.rng.random()
        if age < 12:
            return self.rng.choice([State.SUBMITTED, State.TRIAGE, State.TRIAGE, State.ASSIGNED])
        if age < 90:
            return self.rng.choices(
                [State.TRIAGE, State.ASSIGNED, State.INFO_REQUESTED, State.IN_CONSULTATION, State.ADOPTED,
                 State.NOT_ADOPTED, State.WITHDRAWN, State.MERGED],
                [1, 3, 2, 4, 2, 2, 1, 0.5])[0]
        if age < 400:
            return self.rng.choices(
                [State.IN_CONSULTATION, State.ADOPTED, State.IN_PROGRESS, State.NOT_ADOPTED, State.WITHDRAWN,
                 State.MERGED],
                [1, 2, 5, 4, 1, 0.6])[0]
        if r < 0.04:
            return State.MERGED
        return self.rng.choices(
            [State.IN_PROGRESS, State.COMPLETED, State.EVALUATED, State.NOT_ADOPTED, State.WITHDRAWN],
            [2, 3, 4, 5, 1])[0]

    @staticmethod
    def path(final: State) -> list[State]:
        S = State
        head = [S.SUBMITTED, S.TRIAGE]
        paths = {
            S.SUBMITTED: [S.SUBMITTED],
            S.TRIAGE: head,
            S.ASSIGNED: [*head, S.ASSIGNED],
            S.INFO_REQUESTED: [*head, S.ASSIGNED, S.INFO_REQUESTED],
            S.IN_CONSULTATION: [*head, S.ASSIGNED, S.IN_CONSULTATION],
            S.ADOPTED: [*head, S.ASSIGNED, S.IN_CONSULTATION, S.ADOPTED],
            S.NOT_ADOPTED: [*head, S.ASSIGNED, S.NOT_ADOPTED],
            S.IN_PROGRESS: [*head, S.ASSIGNED, S.IN_CONSULTATION, S.ADOPTED, S.IN_PROGRESS],
            S.COMPLETED: [*head, S.ASSIGNED, S.IN_CONSULTATION, S.ADOPTED, S.IN_PROGRESS, S.COMPLETED],
            S.EVALUATED: [*head, S.ASSIGNED, S.IN_CONSULTATION, S.ADOPTED, S.IN_PROGRESS, S.COMPLETED, S.EVALUATED],
            S.WITHDRAWN: [*head, S.ASSIGNED, S.WITHDRAWN],
            S.MERGED: [*head, S.MERGED],
        }
        return paths[final]

    def submission_days(self) -> list[date]:
        """PROPOSALS days spread over the last three fiscal years, up to today."""
        start = date(self.current_fy - 2, 4, 1)
        span = (self.today - start).days - 2  # up to the day before yesterday
        days = sorted(start + timedelta(days=self.rng.randint(0, span)) for _ in range(PROPOSALS))
        return days

    def text(self, theme_code: str, ward_code: str | None, kind: OrganisationKind) -> dict:
        rng = self.rng
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

    def lead_for(self, theme: Theme, scope: str, ward_code: str | None) -> Department:
        if scope == "ward" and ward_code and theme.ward_level:
            return self.departments[ward_code]
        if theme.owner_id is not None:
            return next(d for d in self.departments.values() if d.id == theme.owner_id)
        return self.departments["jichi"]

    def event(self, proposal: Proposal, at: datetime, kind: str, actor: User | None, *, public: bool = False,
              from_state: State | None = None, to_state: State | None = None, comment: str | None = None,
              department_id: int | None = None, data: dict | None = None, label: str | None = None) -> None:
        self.events.append({
            "proposal_id": proposal.id, "created_at": at, "kind": kind,
            "actor_kind": ActorKind.USER if actor is not None else ActorKind.SYSTEM,
            "actor_user_id": actor.id if actor is not None else None,
            "actor_label": actor.email if actor is not None else (label or "routing"),
            "department_id": department_id, "from_state": str(from_state) if from_state else None,
            "to_state": str(to_state) if to_state else None, "public": public, "comment": comment,
            "data": data or {},
        })

    def business_day_after(self, day: date, days: float) -> datetime:
        target = self.calendar.add_business_days(day, max(0, int(days)))
        return _at(target, self.rng.randint(9, 17), self.rng.randint(0, 59))

    def run(self) -> int:
        rng = self.rng
        organisations = self.organisations()
        self.members = organisations
        theme_codes = list(self.themes)
        ward_codes = list(WARDS)
        days = self.submission_days()
        counters = {c.fiscal_year: c for c in db.session.scalars(sa.select(ReferenceCounter))}
        prefix = current_app.config["REFERENCE_PREFIX"]
        plans = []
        by_theme_first: dict[str, Proposal] = {}
        for n, day in enumerate(days):
            organisation, home_ward, member = organisations[n % len(organisations)]
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
            text = self.text(primary, wards[0] if wards else None, organisation.kind)
            final = self.final_state(day) if n % 40 else State.DRAFT
            if n == len(days) - 1:
                final = State.SUBMITTED  # the newest one has just arrived
            fy = fiscal_year_of(day)
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
                consent_privacy=True, consent_publish=rng.random() < 0.8, **text,
            )
            proposal.budget_requested_yen = proposal.budget_total_yen // rng.choice([2, 3, 4])
            proposal.theme_links = [ProposalTheme(theme=self.themes[c], position=i) for i, c in enumerate(chosen)]
            proposal.ward_links = [ProposalWard(ward=self.departments[c]) for c in wards]
            proposal.created_at = _at(day - timedelta(days=rng.randint(0, 10)), 10)
            if final != State.DRAFT:
                counter = counters.get(fy)
                if counter is None:
                    counter = counters[fy] = ReferenceCounter(fiscal_year=fy, last_value=0)
                    db.session.add(counter)
                counter.last_value += 1
                proposal.reference = f"{prefix}-{fy}-{counter.last_value:06d}"
                proposal.fiscal_year = fy
                proposal.submitted_at = _at(day, rng.randint(8, 22), rng.randint(0, 59))
            if final == State.MERGED:
                target = by_theme_first.get(primary)
                if target is None:
                    final = State.WITHDRAWN
                else:
                    proposal.merged_into_id = target.id  # set after the target has an id (below)
                    proposal._merge_target = target
            db.session.add(proposal)
            plans.append((proposal, final, chosen, scope, wards, member))
            if final not in (State.DRAFT, State.MERGED) and primary not in by_theme_first:
                by_theme_first[primary] = proposal
                db.session.flush()
        db.session.flush()
        for proposal, final, chosen, scope, wards, member in plans:
            if final == State.MERGED:
                proposal.merged_into_id = proposal._merge_target.id
            if final != State.DRAFT:
                self.history(proposal, final, chosen, scope, wards, member)
        db.session.flush()
        db.session.execute(sa.insert(Event), self.events)
        db.session.flush()
        return len(plans)

    def history(self, proposal: Proposal, final: State, chosen, scope, wards, member) -> None:
        rng = self.rng
        theme = self.themes[chosen[0]]
        lead = self.lead_for(theme, scope, wards[0] if wards else None)
        lead_user = self.department_user(lead)
        pace = self.pace[lead.code]
        submitted = proposal.submitted_at
        moment = last = submitted - timedelta(minutes=1)
        previous = State.DRAFT
        path = self.path(final)
        lead_assignment = None
        decision_at = None
        horizon = self.now - timedelta(hours=2)
        for step in path:
            if step == State.SUBMITTED:
                moment, actor, comment = submitted, member, None
                data = {"reference": proposal.reference}
            elif step == State.TRIAGE:
                moment, actor, comment, data = submitted + timedelta(minutes=1), None, None, {}
            elif step == State.ASSIGNED:
                moment = max(self.business_day_after(submitted.astimezone(TOKYO).date(), rng.uniform(0.5, 4)),
                             submitted + timedelta(hours=rng.uniform(1, 30)))
                moment = min(moment, horizon - timedelta(hours=1))
                actor, comment = self.window_user, None
                co = self._co_department(chosen, lead)
                data = {"lead": lead.id, "co": [co.id] if co else []}
                lead_assignment = self._assign(proposal, lead, AssignmentRole.LEAD, moment, pace, final)
                if co is not None:
                    self._assign(proposal, co, AssignmentRole.CO, moment, self.pace[co.code], final)
                proposal.lead_department_id = lead.id
                proposal.needs_triage = False
                proposal.triage_confirmed_at = moment
            elif step == State.INFO_REQUESTED:
                moment = (lead_assignment.acknowledged_at or moment) + timedelta(days=rng.uniform(1, 6))
                actor, data = lead_user, {}
                comment = "活動の実施体制と、協力予定の団体について詳しく教えてください。"
                proposal.resume_state = previous
            elif step == State.IN_CONSULTATION:
                ack = lead_assignment.acknowledged_at or moment
                if lead_assignment.answered_at is not None:  # between acknowledgement and answer
                    moment = ack + (lead_assignment.answered_at - ack) * rng.uniform(0.2, 0.6)
                else:
                    moment = ack + timedelta(days=rng.uniform(1, 10) * pace)
                actor, comment, data = lead_user, None, {}
            elif step in (State.ADOPTED, State.NOT_ADOPTED):
                moment = lead_assignment.answered_at
                actor, data = lead_user, {}
                comment = rng.choice(ADOPTED_REASONS if step == State.ADOPTED else NOT_ADOPTED_REASONS)
                proposal.decided_at, proposal.decision_reason = moment, comment
                decision_at = moment
            elif step == State.IN_PROGRESS:
                # Work starts some weeks after the decision; the planned period follows the real start.
                start = (decision_at + timedelta(days=rng.uniform(14, 45))).astimezone(TOKYO).date()
                start = min(start, self.today - timedelta(days=1))
                proposal.period_start = start
                if final in (State.COMPLETED, State.EVALUATED):
                    end = min(start + timedelta(days=365 * rng.choice([1, 2, 3]) - 1), self.today - timedelta(days=45))
                    proposal.period_end = max(end, start + timedelta(days=60))
                elif proposal.period_end is None or proposal.period_end <= start:
                    proposal.period_end = start + timedelta(days=364)
                moment, actor, comment, data = _at(start, 9), lead_user, None, {}
            elif step == State.COMPLETED:
                moment, actor, comment, data = _at(proposal.period_end, 17), lead_user, None, {}
            elif step == State.EVALUATED:
                moment = _at(proposal.period_end + timedelta(days=rng.randint(30, 90)), 15)
                actor, data = lead_user, {}
                comment = "評価を確定しました。"
            elif step == State.WITHDRAWN:
                moment = moment + timedelta(days=rng.uniform(2, 20))
                actor, comment, data = member, None, {}
                for assignment in proposal.assignments:  # nobody acknowledges after the withdrawal
                    if assignment.acknowledged_at and assignment.acknowledged_at > moment:
                        assignment.acknowledged_at = None
                    assignment.answered_at = None
            elif step == State.MERGED:
                moment = moment + timedelta(days=rng.uniform(1, 5))
                actor, data = self.window_user, {"merged_into": proposal._merge_target.reference}
                comment = "同じ地域で同様の取り組みを提案している団体があるため、統合して検討します。"
            # Each move after the one before, never in the future.
            moment = min(max(moment, last + timedelta(minutes=1)), max(horizon, last + timedelta(seconds=1)))
            if step in (State.ADOPTED, State.NOT_ADOPTED):
                lead_assignment.answered_at = proposal.decided_at = decision_at = moment
                if lead_assignment.status == AssignmentStatus.CLOSED:
                    lead_assignment.closed_at = moment
            if step == State.IN_PROGRESS and moment.astimezone(TOKYO).date() > proposal.period_start:
                proposal.period_start = moment.astimezone(TOKYO).date()
                proposal.period_end = max(proposal.period_end, proposal.period_start + timedelta(days=60))
            last = moment
            move = find_transition(previous, step)
            assert move is not None, (previous, step)
            self.event(proposal, moment, "state_changed", actor, public=move.public, from_state=previous,
                       to_state=step, comment=comment, data=data, label="intake" if step == State.TRIAGE else None)
            previous = step
        for assignment in proposal.assignments:
            if assignment.acknowledged_at:
                self.event(proposal, assignment.acknowledged_at, "assignment_acknowledged",
                           self.department_user(assignment.department), public=True,
                           department_id=assignment.department_id, data={"role": assignment.role.value})
            if assignment.answered_at and assignment.role == AssignmentRole.CO:
                self.event(proposal, assignment.answered_at, "co_opinion", self.department_user(assignment.department),
                           department_id=assignment.department_id, comment="関係部署として協力できる内容を回答しました。")
        if final in (State.WITHDRAWN, State.NOT_ADOPTED, State.MERGED):
            for assignment in proposal.assignments:
                assignment.status = AssignmentStatus.CLOSED
                assignment.closed_at = proposal.decided_at or moment
        proposal.state = final
        proposal.lock_version = len(path) + 1
        proposal.updated_at = moment
        self._publication(proposal, final, moment)
        self._evaluation(proposal, final, chosen, lead_user)

    def _co_department(self, chosen, lead: Department) -> Department | None:
        for code in chosen[1:]:
            owner_id = self.themes[code].owner_id
            if owner_id and owner_id != lead.id:
                return next(d for d in self.departments.values() if d.id == owner_id)
        return None

    def _assign(self, proposal: Proposal, department: Department, role: AssignmentRole, at: datetime, pace: float,
                final: State) -> Assignment:
        rng = self.rng
        day = at.astimezone(TOKYO).date()
        assignment = Assignment(
            department=department, role=role, assigned_at=at, assigned_by_id=self.window_user.id,
            ack_due_on=self.calendar.add_business_days(day, 5),
            answer_due_on=self.calendar.add_business_days(day, 20),
        )
        horizon = self.now - timedelta(hours=3)
        decided = final in (State.ADOPTED, State.NOT_ADOPTED, State.IN_PROGRESS, State.COMPLETED, State.EVALUATED)
        ack = at + timedelta(days=rng.uniform(0.1, 5) * pace)
        if ack < horizon or decided:
            assignment.acknowledged_at = min(ack, horizon - timedelta(hours=1))
        if assignment.acknowledged_at and (decided or (role == AssignmentRole.CO and rng.random() < 0.7)):
            answered = ack + timedelta(days=rng.uniform(3, 40) * pace)
            assignment.answered_at = min(answered, horizon)
        if decided:
            assignment.status, assignment.closed_at = AssignmentStatus.CLOSED, assignment.answered_at
        proposal.assignments.append(assignment)
        return assignment

    def _publication(self, proposal: Proposal, final: State, last: datetime) -> None:
        if not proposal.consent_publish:
            return
        likely = 0.9 if final in (State.ADOPTED, State.IN_PROGRESS, State.COMPLETED, State.EVALUATED,
                                  State.NOT_ADOPTED) else 0.45
        if self.rng.random() >= likely:
            return
        proposal.publication_approved = True
        at = min(proposal.submitted_at + timedelta(days=self.rng.uniform(3, 14)), self.now - timedelta(hours=1))
        self.event(proposal, at, "publication_approved", self.window_user, public=True)

    def _evaluation(self, proposal: Proposal, final: State, chosen, lead_user: User) -> None:
        rng = self.rng
        if final not in (State.COMPLETED, State.EVALUATED) and not (final == State.IN_PROGRESS and rng.random() < 0.3):
            return
        _, indicator_names = THEME_TEXT.get(chosen[0], THEME_TEXT["other"])
        indicators = []
        for name in indicator_names:
            target = rng.randint(5, 50) * 10
            indicators.append({"name": name, "target": f"{target}", "actual": f"{int(target * rng.uniform(0.6, 1.4))}"})
        evaluated = final == State.EVALUATED
        reviewed_on = proposal.period_end + timedelta(days=rng.randint(20, 80)) if evaluated else None
        if reviewed_on and reviewed_on > self.today:
            reviewed_on = self.today
        evaluation = Evaluation(
            proposal_id=proposal.id,
            implementation_start=proposal.period_start,
            implementation_end=proposal.period_end if final != State.IN_PROGRESS else None,
            indicators=indicators,
            exit_reached=rng.choice([ExitReached.REACHED, ExitReached.NOT_REACHED]) if evaluated
            else ExitReached.UNDECIDED,
            exit_note="参加費と企業協賛で運営できる体制が整いました。" if evaluated else "",
            review_decision=rng.choice(list(ReviewDecision)) if evaluated else None,
            reviewed_on=reviewed_on,
            summary=rng.choice(EVALUATION_SUMMARIES),
            department_id=lead_user.department_id,
            updated_by_id=lead_user.id,
        )
        at = _at(reviewed_on or min(self.today, proposal.period_start + timedelta(days=120)), 14)
        at = min(at, self.now - timedelta(minutes=30))
        evaluation.created_at = evaluation.updated_at = at
        db.session.add(evaluation)
        self.event(proposal, at, "evaluation_recorded", lead_user, department_id=lead_user.department_id,
                   data={"demo": True})


    # --- partner interests ---------------------------------------------------------------------
    def partner_interests(self) -> int:
        """A few expressions of interest, so that /partners/interests has something to show for
        the demo applicant (npo@example.org): received on two of its organisations' proposals (which
        the window publishes for that: partners are sought through the public catalogue), one
        pending and one accepted, and sent to other organisations' published proposals, one pending
        and one accepted. Times lie after each proposal's publication and not in the future."""
        events_before = len(self.events)
        added: list[PartnerInterest] = []
        by_kind: dict[OrganisationKind, list[User]] = {}
        for organisation, _, user in self.members:
            by_kind.setdefault(organisation.kind, []).append(user)
        applicant = db.session.scalar(sa.select(User).where(User.email == DEMO_APPLICANT))
        own_ids = sorted(applicant.organisation_ids()) if applicant is not None else []
        if applicant is not None and own_ids:
            preference = [State.IN_CONSULTATION, State.ADOPTED, State.ASSIGNED, State.IN_PROGRESS]
            own = sorted(db.session.scalars(
                sa.select(Proposal).where(Proposal.organisation_id.in_(own_ids), Proposal.state.in_(preference),
                                          Proposal.consent_publish, Proposal.submitted_at.is_not(None))).all(),
                key=lambda p: (preference.index(p.state), p.id))[:2]
            offers = [
                (OrganisationKind.UNIVERSITY, "学生ボランティアの参加と、活動の成果を測る調査の設計で協力できます。",
                 InterestStatus.PENDING),
                (OrganisationKind.COMPANY, "社員ボランティアの派遣と、活動に使う備品の提供で協力できます。",
                 InterestStatus.ACCEPTED),
            ]
            for proposal, (kind, offer, status) in zip(own, offers, strict=False):
                proposal.partners_wanted = proposal.partners_wanted or [kind.value]
                start = proposal.submitted_at
                span = max(self.now - start, timedelta(0))
                if not proposal.publication_approved:
                    proposal.publication_approved = True
                    self.event(proposal, start + span / 4, "publication_approved", self.window_user, public=True)
                partner = by_kind[kind][0]
                added.append(self._interest(proposal, partner, kind, offer, status, start + span / 2,
                                            start + span * 3 / 4, applicant))
        # Sent by the demo applicant to other organisations' published proposals still looking for partners.
        if applicant is not None and own_ids:
            candidates = db.session.scalars(
                sa.select(Proposal).where(published(), Proposal.state.in_(PARTNER_STATES),
                                          Proposal.organisation_id.not_in(own_ids),
                                          Proposal.submitted_at < self.now - timedelta(days=30))
                .order_by(Proposal.id)).all()
            candidates = [p for p in candidates if p.partners_wanted][:2]
            sent = [(InterestStatus.PENDING, "高齢者サロンの運営で培った、見守りボランティアの仕組みを共有できます。"),
                    (InterestStatus.ACCEPTED, "地域の高齢者への声かけと、会場までの送迎の調整に協力できます。")]
            own_org = db.session.get(Organisation, own_ids[0])
            for proposal, (status, offer) in zip(candidates, sent, strict=False):
                at = self.now - timedelta(days=6 if status == InterestStatus.ACCEPTED else 2)
                added.append(self._interest(proposal, applicant, own_org.kind, offer, status, at,
                                            at + timedelta(days=2), proposal.created_by,
                                            organisation_name=own_org.name))
        db.session.flush()
        if len(self.events) > events_before:
            db.session.execute(sa.insert(Event), self.events[events_before:])
            db.session.flush()
        return len(added)

    def _interest(self, proposal: Proposal, user: User, kind: OrganisationKind, offer: str, status: InterestStatus,
                  at: datetime, answered_at: datetime, answered_by: User | None, *,
                  organisation_name: str | None = None) -> PartnerInterest:
        if organisation_name is None:
            membership = user.memberships[0] if user.memberships else None
            organisation_name = membership.organisation.name if membership else user.name
        interest = PartnerInterest(
            proposal_id=proposal.id, user_id=user.id, organisation_name=organisation_name, organisation_kind=kind,
            offer=offer, contact_name=user.name or self.person(), contact_email=user.email,
            contact_phone=f"044-{self.rng.randint(200, 999)}-{self.rng.randint(0, 9999):04d}", status=status,
            created_at=at,
        )
        if status != InterestStatus.PENDING:
            interest.responded_at = answered_at
            interest.responded_by_id = answered_by.id if answered_by is not None else None
        db.session.add(interest)
        db.session.flush()
        self.event(proposal, at, "partner_interest_expressed", user,
                   data={"interest_id": interest.id, "organisation_kind": kind.value, "demo": True})
        if status == InterestStatus.ACCEPTED:
            self.event(proposal, answered_at, "partner_interest_accepted", answered_by,
                       data={"interest_id": interest.id, "demo": True})
        return interest
