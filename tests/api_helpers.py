"""Helpers shared by the API tests: personal tokens and authorised calls."""

from __future__ import annotations

from core.audit import Actor
from core.extensions import db


def token_for(user, scopes=("read", "act"), days: int = 30) -> str:
    from api.operations import create_token

    _, token = create_token(user, "test", Actor.system("test"), scopes=scopes, days=days)
    db.session.commit()
    return token


class Api:
    """A client that sends one token, JSON and the language asked for."""

    def __init__(self, client, token: str | None, language: str = "ja"):
        self.client, self.token, self.language = client, token, language

    def headers(self, extra: dict | None = None) -> dict:
        headers = {"Accept-Language": self.language}
        if self.token:
            headers["Authorization"] = f"Bearer {self.token}"
        return {**headers, **(extra or {})}

    def get(self, path: str, **kwargs):
        return self.client.get(path, headers=self.headers(kwargs.pop("headers", None)), **kwargs)

    def post(self, path: str, json=None, **kwargs):
        return self.client.post(path, json=json, headers=self.headers(kwargs.pop("headers", None)), **kwargs)

    def patch(self, path: str, json=None, **kwargs):
        return self.client.patch(path, json=json, headers=self.headers(kwargs.pop("headers", None)), **kwargs)

    def delete(self, path: str, **kwargs):
        return self.client.delete(path, headers=self.headers(kwargs.pop("headers", None)), **kwargs)

    def act(self, path: str, json=None, *, proposal_id: int):
        """A state change: read the proposal's ETag, then send it as If-Match."""
        etag = self.get(f"/api/v1/proposals/{proposal_id}").headers["ETag"]
        return self.post(path, json=json, headers={"If-Match": etag})


SECTIONS = {
    "organisation": {"name": "ＮＰＯ法人たかつ子ども応援団", "name_kana": "タカツコドモオウエンダン", "kind": "npo_corp",
                     "postal_code": "２１３０００１", "address": "川崎市高津区溝口１－２－３",
                     "phone": "（０４４）８１２－３４５６", "founded_year": "平成２７年", "member_count": "約２５人"},
    "contact": {"contact_name": "高津 一郎", "contact_email": "ichiro@example.jp"},
    "content": {"title": "高津区の子ども食堂と学習支援", "summary": "放課後の子どもに食事と学習の場を用意します。",
                "issue": "共働き家庭が増え、放課後にひとりで過ごす子どもが増えています。",
                "activities": "週2回、地域の集会所で夕食と宿題の時間を用意します。",
                "outcomes": "参加人数と保護者アンケートで測ります。"},
    "area": {"scope": "ward", "wards": ["ward-takatsu"], "themes": ["child-poverty", "youth"], "stage": "established"},
    "plan": {"support_requested": ["venue", "publicity"], "partners_wanted": ["university"], "budget_total": "８０万円",
             "budget_requested": "300,000", "period_start": "2027-04-01", "period_end": "2028-03-31",
             "exit_strategy": "business", "exit_note": "2年目以降は参加費と企業協賛で自走する"},
}
