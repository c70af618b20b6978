"""Rule names and reasons in the reader's language: the engine stores each reason
as a key and parameters (routing/reasons.py), pages write them out in Japanese or
English; reasons stored before keys (a Japanese `why` only) still read."""

from __future__ import annotations

import re

import pytest
import yaml

from core.extensions import db
from proposals.models import Proposal
from routing.defaults import file_ruleset
from routing.engine import evaluate
from routing.reasons import MESSAGES, SHIPPED, for_reader, result_text
from routing.seed import seed_routing

PASSWORD = "correct horse battery"
JAPANESE = re.compile(r"[\u3040-\u30ff\u4e00-\u9fff]")


def _seed_idea() -> dict:
    return {"title": "新しい地域の集まり方を考えたい", "summary": "まだ形になっていません", "themes": ["other"],
            "stage": "seed", "area": {"scope": "ward", "wards": []}}


def test_reasons_are_stored_as_keys_and_codes_and_written_once_in_japanese():
    decision = evaluate(_seed_idea(), file_ruleset())
    rule = next(r for r in decision.rules if r.matched)
    assert {"key": "stage", "params": {"stage": "seed"}} in rule.reasons
    assert {"key": "set_lead", "params": {"dept": "jichi"}} in rule.applied
    assert all(r["key"] in MESSAGES for result in decision.rules for r in result.reasons + result.applied)
    assert "段階 萌芽的な提案（新しい試み）" in rule.why and "seed" not in rule.why
    assert rule.to_json()["reasons"] == rule.reasons


def test_a_page_in_english_writes_the_reasons_in_english(app):
    from core.models import Department, Theme

    decision = evaluate(_seed_idea(), file_ruleset()).to_json()
    by_code = {d.code: d for d in db.session.scalars(db.select(Department))}
    themes = {t.code: t for t in db.session.scalars(db.select(Theme))}
    with app.test_request_context(headers={"Cookie": "lang=en"}):
        writer = for_reader(by_code, themes, "en")
        texts = [result_text(r, writer) for r in decision["rules"]]
    matched = texts[[r["matched"] for r in decision["rules"]].index(True)]
    assert "stage: " in matched and "lead " in matched and "seed" not in matched
    assert not [t for t in texts if JAPANESE.search(t)], texts


def test_a_reason_stored_before_keys_reads_as_it_was_stored():
    old = {"id": 1, "name": "1区の区レベルのテーマ", "matched": True, "why": "段階 seed、区 1件"}
    assert result_text(old, for_reader({}, {}, "ja")) == "段階 seed、区 1件"


def test_every_shipped_rule_name_description_and_tag_has_a_message():
    from core.config import PROJECT_ROOT

    spec = yaml.safe_load((PROJECT_ROOT / "routing" / "data" / "default_ruleset.yaml").read_text(encoding="utf-8"))
    texts = {rule["name"] for rule in spec["rules"]} | {rule["description"] for rule in spec["rules"]}
    texts |= {a["value"] for rule in spec["rules"] for a in rule["actions"] if a["type"] == "add_tag"}
    assert texts - SHIPPED == set()


@pytest.mark.parametrize("language", ["ja", "en"])
def test_the_why_here_panel_in_each_language(client, make_user, make_proposal, language):
    seed_routing()
    db.session.commit()
    proposal = make_proposal(stage="seed", themes=("other",), title="新しい地域の集まり方を考えたい",
                             summary="まだ形になっていません", issue="", activities="")
    client.get(f"/lang/{language}")
    client.post("/staff/login", data={"email": make_user("window").email, "password": PASSWORD})
    page = client.get(f"/triage/{proposal.reference}").get_data(as_text=True)
    panel = page[page.index('class="panel why-panel"'):page.index("</section>", page.index("why-panel"))]
    if language == "en":
        assert "New idea with no bureau in charge" in panel and "stage: Pioneering proposal" in panel
        assert "萌芽的で所管局のない提案" not in panel and "段階" not in panel
    else:
        assert "萌芽的で所管局のない提案" in panel and "段階 萌芽的な提案（新しい試み）" in panel
    assert db.session.get(Proposal, proposal.id).routing_decision["rules"][0]["reasons"]
