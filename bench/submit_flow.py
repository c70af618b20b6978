"""The applicant's eight requests, as the form posts them: start a draft
for their organisation, the five steps, the files step, the review."""

from __future__ import annotations

STEPS = {
    1: {"name": "ＮＰＯ法人たかつ子ども応援団", "name_kana": "タカツコドモオウエンダン", "kind": "npo_corp",
        "corporate_number": "７０００－０１２０－５０００２", "representative": "理事長 高津 花子",
        "postal_code": "２１３０００１", "address": "川崎市高津区溝口１－２－３", "phone": "（０４４）８１２－３４５６",
        "website": "takatsu-kodomo.example.jp", "founded_year": "平成２７年", "member_count": "約２５人"},
    2: {"contact_name": "高津 一郎", "contact_email": "ＩＣＨＩＲＯ@Example.JP", "contact_phone": "０９０ー１２３４ー５６７８",
        "past_collaboration": "2024年に高津区役所と子ども食堂の広報で協働しました。"},
    3: {"title": "高津区の子ども食堂と学習支援", "summary": "放課後の子どもに食事と学習の場を用意します。",
        "issue": "共働き家庭が増え、放課後にひとりで過ごす子どもが増えています。",
        "activities": "週2回、地域の集会所で夕食と宿題の時間を用意します。", "outcomes": "参加人数と保護者アンケートで測ります。"},
    4: {"scope": "ward", "wards": ["ward-takatsu"], "themes": ["child-poverty", "youth"], "stage": "established"},
    5: {"support_requested": ["venue", "publicity"], "partners_wanted": ["university"], "budget_total": "８０万円",
        "budget_requested": "300,000", "period_start": "2027-04-01", "period_end": "2028-03-31",
        "exit_strategy": "business", "exit_note": "2年目以降は参加費と企業協賛で自走する"},
}


class Submit:
    """A job for http_load.throughput: each loop submits one proposal."""

    def __init__(self, applicants: list[tuple[int, int]]):
        self.applicants = applicants  # (user id, organisation id), one per client

    def setup(self, client, index: int):
        user_id, organisation_id = self.applicants[index % len(self.applicants)]
        client.get(f"/_bench/signin/{user_id}")
        return organisation_id

    def run(self, client, organisation_id) -> tuple[int, int]:
        status, headers, _ = client.request("POST", "/proposals/new", {"organisation": str(organisation_id)})
        location = headers.get("Location", "")
        if status != 302 or "/step/" not in location:
            return 1, 0
        draft = location.split("/proposals/")[1].split("/")[0]
        requests = 1
        for step in range(1, 6):
            requests += 1
            if client.request("POST", f"/proposals/{draft}/step/{step}", STEPS[step])[0] != 302:
                return requests, 0
        requests += 1
        client.request("POST", f"/proposals/{draft}/step/6", {"action": "next"})
        requests += 1
        status, headers, _ = client.request("POST", f"/proposals/{draft}/review",
                                            {"consent_privacy": "y", "consent_publish": "y"})
        return requests, int(status == 302 and "/submitted" in headers.get("Location", ""))
