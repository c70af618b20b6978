"""The rule editor: drafts, the form-based condition builder, preview,
backtest, publish, history and roll back; published versions never change."""

from __future__ import annotations

import json

import pytest
import sqlalchemy as sa

from core.audit import Actor
from core.extensions import db
from core.models import Event
from routing import operations, ruleset_operations
from routing.models import ImmutableRuleset, Keyword, Rule, RulesetStatus, RulesetVersion
from routing.seed import seed_routing
from routing.store import get_version

PASSWORD = "correct horse battery"


@pytest.fixture
def admin(client, make_user):
    seed_routing()
    db.session.commit()
    user = make_user("admin", name="管理 太郎")
    client.post("/staff/login", data={"email": user.email, "password": PASSWORD})
    return client


def _new_rule_form(**overrides):
    data = {"name": "宮前区の高齢者は健康福祉局へ", "description": "試行", "priority": "1", "combinator": "all",
            "cond-0-type": "ward", "cond-0-value": "宮前区", "cond-1-type": "inferred_theme",
            "cond-1-value": "高齢者福祉・介護", "cond-2-type": "scope", "cond-2-negate": "1",
            "cond-2-value": "citywide", "cond-3-type": "", "act-0-type": "set_lead", "act-0-target": "kenko-fukushi",
            "act-1-type": "add_tag", "act-1-value": "試行", "act-2-type": "", "stop": "y"}
    data.update(overrides)
    return data


def test_seed_is_idempotent_and_publishes_version_1():
    first = seed_routing()
    db.session.commit()
    again = seed_routing()
    assert first["rulesets"] == 1 and first["keywords"] > 400
    assert again == {"keywords": 0, "rulesets": 0}
    assert get_version("published").version == 1


def test_only_administrators_reach_the_editor(client, make_user):
    client.post("/staff/login", data={"email": make_user("window").email, "password": PASSWORD})
    assert client.get("/admin/routing/").status_code == 403
    assert client.get("/admin/routing/keywords").status_code == 403


def test_draft_edit_preview_backtest_publish_and_roll_back(admin, make_proposal):
    proposal = make_proposal()  # routed by v1 to ward-miyamae
    assert "振り分けルール" in admin.get("/admin/routing/").get_data(as_text=True)
    response = admin.post("/admin/routing/draft")
    assert response.status_code == 302 and response.location.endswith("/admin/routing/versions/2")
    page = admin.get("/admin/routing/versions/2").get_data(as_text=True)
    assert "1区の区レベルのテーマ" in page and "下書き" in page
    # the form-based builder: names or codes, full-width accepted, errors per row
    bad = admin.post("/admin/routing/versions/2/rules/new", data=_new_rule_form(**{"cond-0-value": "火星区"}))
    assert bad.status_code == 400 and "火星区" in bad.get_data(as_text=True)
    ok = admin.post("/admin/routing/versions/2/rules/new", data=_new_rule_form())
    assert ok.status_code == 302
    rule = db.session.scalar(sa.select(Rule).where(Rule.name == "宮前区の高齢者は健康福祉局へ"))
    assert rule.condition == {"all": [{"type": "ward", "value": ["ward-miyamae"]},
                                      {"type": "inferred_theme", "value": ["welfare-elderly"]},
                                      {"not": {"type": "scope", "value": ["citywide"]}}]}
    assert rule.actions == [{"type": "set_lead", "target": "kenko-fukushi"}, {"type": "add_tag", "value": "試行"}]
    edit_page = admin.get(f"/admin/routing/versions/2/rules/{rule.id}").get_data(as_text=True)
    assert 'value="ward-miyamae"' in edit_page
    preview = admin.post("/admin/routing/versions/2/preview", data={"reference": proposal.reference})
    text = preview.get_data(as_text=True)
    assert preview.status_code == 200 and "この版での判定" in text and "健康福祉局" in text
    pasted = admin.post("/admin/routing/versions/2/preview", data={"proposal_json": json.dumps(
        {"title": "宮前平の高齢者の見守り", "themes": ["welfare-elderly"], "area": {"scope": "ward", "wards": []}},
        ensure_ascii=False)})
    assert pasted.status_code == 200 and "健康福祉局" in pasted.get_data(as_text=True)
    broken = admin.post("/admin/routing/versions/2/preview", data={"proposal_json": "{oops"})
    assert broken.status_code == 400 and "JSONとして読めません" in broken.get_data(as_text=True)
    assert admin.post("/admin/routing/versions/2/preview", data={}).status_code == 400
    backtest = admin.post("/admin/routing/versions/2/backtest", data={"last": "50"}).get_data(as_text=True)
    assert "直近1件のうち1件で主担当が変わります" in backtest and proposal.reference in backtest
    assert admin.post("/admin/routing/versions/2/backtest", data={"last": "abc"}).status_code == 400
    # publishing needs a note
    admin.post("/admin/routing/versions/2/publish", data={"note": ""})
    assert get_version("published").version == 1
    admin.post("/admin/routing/versions/2/publish", data={"note": "宮前区の試行ルールを追加"})
    assert get_version("published").version == 2
    assert db.session.scalar(sa.select(RulesetVersion.status).where(RulesetVersion.version == 1)) == \
        RulesetStatus.RETIRED
    # a new submission uses v2
    routed = make_proposal()
    assert routed.ruleset_version == 2 and routed.routing_decision["lead"] == "kenko-fukushi"
    # published versions cannot be edited through the editor
    assert admin.get(f"/admin/routing/versions/2/rules/{rule.id}").status_code == 302
    # roll back = publish a copy of v1 as v3
    admin.post("/admin/routing/versions/1/rollback")
    current = get_version("published")
    assert current.version == 3 and current.based_on_version == 1 and "v1" in current.note
    assert [r.name for r in current.rules] == [r.name for r in db.session.scalar(
        sa.select(RulesetVersion).where(RulesetVersion.version == 1)).rules]
    history = admin.get("/admin/routing/").get_data(as_text=True)
    assert "v3" in history and "宮前区の試行ルールを追加" in history
    kinds = set(db.session.scalars(sa.select(Event.kind).where(Event.proposal_id.is_(None))))
    assert {"ruleset_draft_created", "rule_saved", "ruleset_published"} <= kinds


def test_published_rules_are_immutable_in_the_model(make_user):
    seed_routing()
    db.session.commit()
    rule = get_version("published").rules[0]
    rule.name = "書き換え"
    with pytest.raises(ImmutableRuleset):
        db.session.flush()
    db.session.rollback()
    version = get_version("published")
    version.rules.append(Rule(name="追加", priority=1, condition={"all": []}, actions=[]))
    with pytest.raises(ImmutableRuleset):
        db.session.flush()
    db.session.rollback()
    with pytest.raises(operations.RoutingError):
        ruleset_operations.save_rule(get_version("published"), Actor.system("test"),
                             {"name": "x", "description": "", "priority": 1, "condition": {"all": []},
                              "actions": [], "stop": False})


def test_one_draft_at_a_time_and_discard(admin):
    admin.post("/admin/routing/draft")
    again = admin.post("/admin/routing/draft", follow_redirects=True)
    assert "下書きはすでにあります" in again.get_data(as_text=True)
    admin.post("/admin/routing/versions/2/discard")
    assert get_version("draft") is None and get_version("published").version == 1


def test_keywords_are_editable_and_used_at_once(admin, make_proposal):
    page = admin.get("/admin/routing/keywords").get_data(as_text=True)
    assert "こども食堂" in page and "宮前平" in page
    bad = admin.post("/admin/routing/keywords", data={"phrase": "", "target": "", "weight": "x"})
    assert bad.status_code == 400 and "語句を入力してください" in bad.get_data(as_text=True)
    admin.post("/admin/routing/keywords", data={"phrase": "ｅスポーツ大会", "target": "theme:sports", "weight": "3"})
    keyword = db.session.scalar(sa.select(Keyword).where(Keyword.phrase == "eスポーツ大会"))
    assert keyword is not None and keyword.weight == 3
    proposal = make_proposal(title="eスポーツ大会", summary="", issue="", activities="", themes=(), wards=(),
                             scope="citywide")
    assert proposal.routing_decision["primary_theme"] == "sports"
    admin.post(f"/admin/routing/keywords/{keyword.id}/remove")
    db.session.refresh(keyword)
    assert not keyword.active
    assert seed_routing()["keywords"] == 0  # a removed shipped word stays removed after seeding again


def test_theme_owners_are_data_the_rules_read(admin, make_proposal):
    page = admin.get("/admin/routing/themes").get_data(as_text=True)
    assert "高齢者福祉・介護" in page
    admin.post("/admin/routing/themes", data={"theme": "welfare-elderly", "owner": "kenko-fukushi"})  # ward_level off
    proposal = make_proposal()
    assert proposal.routing_decision["lead"] == "kenko-fukushi"
    assert proposal.routing_decision["co"] == ["ward-miyamae"]
    assert admin.post("/admin/routing/themes", data={"theme": "welfare-elderly", "owner": "nope"}).status_code == 302
    assert admin.post("/admin/routing/themes", data={"theme": "nope"}).status_code == 404
    event = db.session.scalar(sa.select(Event).where(Event.kind == "theme_owner_changed"))
    assert event.data["from"]["ward_level"] is True and event.data["to"]["ward_level"] is False


def test_editor_bad_input_never_gives_a_server_error(admin):
    admin.post("/admin/routing/draft")
    posts = [
        ("/admin/routing/versions/2/rules/new", _new_rule_form(priority="abc")),
        ("/admin/routing/versions/2/rules/new", _new_rule_form(**{"cond-0-type": "no-such-type"})),
        ("/admin/routing/versions/2/rules/new", _new_rule_form(**{"cond-0-type": "ward_count", "cond-0-min": "x"})),
        ("/admin/routing/versions/2/rules/new", _new_rule_form(**{"act-0-type": "set_lead", "act-0-target": "mars"})),
        ("/admin/routing/versions/2/rules/new", _new_rule_form(**{"act-0-type": "", "act-1-type": ""})),
        ("/admin/routing/versions/2/rules/new", _new_rule_form(**{"act-1-type": "set_priority", "act-1-value": "urgent"})),
        ("/admin/routing/versions/2/rules/99999", _new_rule_form()),
        ("/admin/routing/versions/99/publish", {"note": "x"}),
        ("/admin/routing/versions/1/rollback", {}),
        ("/admin/routing/versions/2/preview", {"reference": "ＫＷ-nothing"}),
        ("/admin/routing/keywords", {"phrase": "x", "target": "theme:nope", "weight": "0"}),
        ("/admin/routing/keywords/99999/remove", {}),
        ("/admin/routing/draft", {"from": "abc"}),
    ]
    for url, data in posts:
        response = admin.post(url, data=data)
        assert response.status_code in (302, 400, 404), (url, response.status_code)
    page = admin.post("/admin/routing/versions/2/rules/new",
                      data=_new_rule_form(**{"cond-0-type": "ward_count", "cond-0-min": "x"})).get_data(as_text=True)
    assert "条件1: 最小・最大は数字で入力してください" in page and "宮前区の高齢者は健康福祉局へ" in page
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Rule).join(RulesetVersion)
                             .where(RulesetVersion.version == 2)) == 10  # the default ruleset


def test_the_editor_shows_misroute_counts_per_rule(admin, make_proposal, make_user):
    import re

    from conftest import department_id

    from proposals import operations as proposal_ops
    from proposals.models import State

    window = Actor.of_user(make_user("window"))
    ward = Actor.of_user(make_user("department_staff", "ward-miyamae"))
    for reason in ("介護予防は健康福祉局の事業です", "高齢者福祉は局で扱います"):
        proposal = make_proposal()  # v1: 1区の区レベルのテーマ → ward-miyamae
        operations.confirm(proposal, window, expected_version=proposal.lock_version)
        db.session.commit()
        proposal_ops.transition(proposal, State.TRIAGE, ward, comment=reason)
        db.session.commit()
    # A lead chosen by staff is not charged to a rule.
    overridden = make_proposal()
    operations.change_routing(overridden, window, department_id("kenko-fukushi"), [], "局の事業として扱う",
                              expected_version=overridden.lock_version)
    db.session.commit()
    proposal_ops.transition(overridden, State.TRIAGE, Actor.of_user(make_user("department_staff", "kenko-fukushi")),
                            comment="区の事業です")
    db.session.commit()

    page = admin.get("/admin/routing/").get_data(as_text=True)
    counts = dict(re.findall(r'<tr><td>([^<]+)</td><td class="misroute-count">(\d+)</td></tr>', page))
    assert counts["1区の区レベルのテーマ"] == "2"
    assert set(counts.values()) == {"2", "0"} and len(counts) == len(get_version("published").rules)
    recent = page[page.index("最近の差し戻し"):]
    assert "介護予防は健康福祉局の事業です" in recent and "高齢者福祉は局で扱います" in recent
    assert "職員による変更" in recent and "区の事業です" in recent

    def version_counts(number):
        text = admin.get(f"/admin/routing/versions/{number}").get_data(as_text=True)
        rows = re.findall(r"<tr>\s*<td>\d+</td>\s*<td><strong>([^<]+)</strong>.*?</ul></td>\s*<td>(\d+)</td>", text, re.S)
        return dict(rows)

    assert version_counts(1)["1区の区レベルのテーマ"] == "2"
    # Rules keep their key in a new draft, and with it their misroute count.
    assert admin.post("/admin/routing/draft").status_code == 302
    draft = version_counts(2)
    assert draft["1区の区レベルのテーマ"] == "2" and draft["3局以上にまたがる"] == "0"


def test_each_row_of_the_rule_editor_says_what_is_wrong_with_it(admin):
    """The rows are a WTForms form (routing.rule_rows): each row with a problem
    gets its own Japanese message beside it and in the summary; what was
    typed stays in the form; nothing is saved."""
    admin.post("/admin/routing/draft")
    page = admin.post("/admin/routing/versions/2/rules/new", data=_new_rule_form(**{
        "cond-0-value": "火星区", "cond-1-type": "budget_range", "cond-1-min": "たくさん", "cond-1-value": "",
        "act-0-type": "set_lead", "act-0-target": "no-such-department", "act-1-type": ""}))
    html = page.get_data(as_text=True)
    assert page.status_code == 400
    assert 'id="cond-0-error">条件1: 「火星区」は使えない値です' in html
    assert 'id="cond-1-error">条件2: 最小・最大は数字で入力してください。' in html
    assert 'id="act-0-error">処理1: 対象の部署を選んでください。' in html
    assert "処理を1つ以上選んでください。" in html and "条件・処理に4件の問題があります" in html
    assert 'id="cond-2-error"' not in html  # the valid row has no message
    assert 'name="cond-0-value" value="火星区"' in html and 'value="たくさん"' in html
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Rule).where(
        Rule.name == "宮前区の高齢者は健康福祉局へ")) == 0
    # Full-width digits are read as numbers; a range needs at least one end.
    ok = admin.post("/admin/routing/versions/2/rules/new", data=_new_rule_form(**{
        "cond-1-type": "budget_range", "cond-1-min": "１０００", "cond-1-max": "", "cond-1-value": ""}))
    assert ok.status_code == 302
    rule = db.session.scalar(sa.select(Rule).where(Rule.name == "宮前区の高齢者は健康福祉局へ"))
    assert rule.condition["all"][1] == {"type": "budget_range", "value": {"min": 1000}}
