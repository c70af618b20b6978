"""The pure engine: Japanese text reading and docs/routing-policy.md, without HTTP
or the database (the ruleset comes from the shipped data files)."""

from __future__ import annotations

import pytest

from routing.defaults import file_ruleset
from routing.engine import InputError, evaluate
from routing.facts import RuleData
from routing.text import Entry, Matcher, normalise


@pytest.fixture(scope="module")
def ruleset():
    return file_ruleset()


def proposal(**fields):
    base = {"title": "", "summary": "", "issue": "", "activities": "", "themes": [], "stage": "established",
            "area": {"scope": "undecided", "wards": []}, "organisation": {"kind": "npo_corp"}}
    base.update(fields)
    return base


def test_normalise_folds_width_kana_and_kanji_variants():
    assert normalise("子供") == normalise("子ども") == normalise("こども") == normalise("コドモ")
    assert normalise("ＡＥＤ講習") == normalise("aed講習")
    assert normalise("ｺﾞﾐ") == normalise("ゴミ") == normalise("ごみ")
    assert normalise("障がい者") == normalise("障害者")


def test_longest_match_first_and_city_name_is_not_a_ward():
    matcher = Matcher([Entry("川崎区", ward="ward-kawasaki"), Entry("川崎", ward="ward-kawasaki"),
                       Entry("川崎市", ward=None), Entry("宮前区", ward="ward-miyamae"), Entry("宮前", ward="x")])
    found = [key for key, _ in matcher.find("川崎市宮前区で、川崎市全域に広げる")]
    assert found == ["川崎市", "宮前区", "川崎市"]
    assert [key for key, _ in matcher.find("川崎区の川崎大師")] == ["川崎区", "川崎"]


def test_inferred_themes_come_with_their_words(ruleset):
    decision = evaluate(proposal(title="子供食堂と学習支援", summary="ひとり親の家庭のこどもに無料塾を開く",
                                 area={"scope": "citywide", "wards": []}), ruleset)
    top = decision.inferred[0]
    assert top["theme"] == "child-poverty"
    assert {"こども食堂", "学習支援", "無料塾"} <= set(top["words"])
    assert decision.lead == "kodomo-mirai" and decision.primary_theme == "child-poverty"


def test_policy_2_one_ward_and_ward_level_theme_goes_to_the_ward(ruleset):
    decision = evaluate(proposal(title="高齢者サロン", summary="介護予防の体操", themes=["welfare-elderly"],
                                 area={"scope": "ward", "wards": ["ward-miyamae"]}), ruleset)
    assert decision.lead == "ward-miyamae" and decision.co == ["kenko-fukushi"]
    assert not decision.needs_triage and decision.confidence > 0.8
    matched = [r.name for r in decision.rules if r.matched]
    assert matched == ["1区の区レベルのテーマ"]


def test_policy_3_one_ward_bureau_level_theme_goes_to_the_bureau(ruleset):
    decision = evaluate(proposal(title="中学校で出前授業", summary="授業で職業講話", themes=["school-education"],
                                 area={"scope": "ward", "wards": ["ward-nakahara"]}), ruleset)
    assert decision.lead == "kyoiku" and decision.co == ["ward-nakahara"]


def test_policy_4_citywide_goes_to_the_bureau_with_other_bureaus_not_wards(ruleset):
    decision = evaluate(proposal(title="ごみ減量とリサイクル", summary="分別アプリとオープンデータ",
                                 themes=["waste", "digital"], area={"scope": "citywide", "wards": []}), ruleset)
    assert decision.lead == "kankyo" and decision.co == ["somu-kikaku"]


def test_policy_5_three_bureaus_go_to_the_window(ruleset):
    decision = evaluate(proposal(title="こども食堂と高齢者の見守りと防災", summary="こども食堂、高齢者サロン、防災訓練",
                                 themes=["child-poverty", "welfare-elderly", "disaster"],
                                 area={"scope": "multi_ward", "wards": ["ward-kawasaki", "ward-saiwai"]}), ruleset)
    assert decision.lead == "jichi"
    assert set(decision.co) == {"kodomo-mirai", "kenko-fukushi", "kiki-kanri"}
    assert "庁内調整" in decision.tags


def test_policy_6_no_signal_goes_to_the_window_with_triage(ruleset):
    decision = evaluate(proposal(title="相談したい", summary="何か一緒にできないか", themes=["other"], stage="seed"),
                        ruleset)
    assert decision.lead == "jichi" and decision.needs_triage and decision.primary_theme is None
    assert decision.confidence < 0.5


def test_wrong_pick_is_corrected_by_a_dominant_text(ruleset):
    decision = evaluate(proposal(title="公園の花壇づくり", summary="公園愛護会で花壇と緑化", activities="公園の清掃と植樹",
                                 themes=["culture-arts"], area={"scope": "ward", "wards": ["ward-saiwai"]}), ruleset)
    assert decision.primary_theme == "parks-greenery" and decision.lead == "ward-saiwai"


def test_pick_and_text_disagreeing_without_a_winner_needs_triage(ruleset):
    decision = evaluate(proposal(title="防犯の取り組み", themes=["agriculture"], area={"scope": "ward", "wards": ["ward-tama"]}),
                        ruleset)
    assert decision.conflict and decision.needs_triage
    assert decision.primary_theme == "agriculture"
    assert "テーマ要確認" in decision.tags


def test_ward_names_in_the_text_count_when_the_fields_are_empty(ruleset):
    decision = evaluate(proposal(title="登戸駅の子育てひろば", summary="親子の子育て相談", themes=["childcare"]), ruleset)
    assert decision.wards == ["ward-tama"] and decision.ward_source == "text"
    assert decision.lead == "ward-tama"
    city = evaluate(proposal(title="川崎市全域で子育てひろば", summary="親子の子育て相談", themes=["childcare"]), ruleset)
    assert city.wards == [] and city.lead == "kodomo-mirai"


def test_every_rule_reports_matched_and_a_reason(ruleset):
    decision = evaluate(proposal(title="高齢者サロン", themes=["welfare-elderly"],
                                 area={"scope": "ward", "wards": ["ward-asao"]}), ruleset)
    assert len(decision.rules) == len(ruleset.rules)
    assert all(r.why for r in decision.rules)
    out = decision.to_json()
    assert set(out) >= {"lead", "co", "needs_triage", "themes", "confidence", "ruleset_version", "rules"}
    assert set(out["rules"][0]) == {"id", "name", "matched", "why", "reasons", "applied"}


def test_condition_types_all_any_not_and_budget(ruleset):
    rules = [RuleData(1, "big budget to the window", 1,
                      {"all": [{"type": "budget_range", "value": {"min": 1000000}},
                               {"not": {"type": "organisation_kind", "value": ["company"]}},
                               {"any": [{"type": "support_requested", "value": ["funding"]},
                                        {"type": "text_contains", "value": ["補助"]}]}]},
                      [{"type": "set_lead", "target": "@window"}, {"type": "set_priority", "value": "high"}], True)]
    custom = file_ruleset()
    custom.rules = rules
    big = evaluate(proposal(title="補助が欲しい", budget={"requested_yen": 2000000}), custom)
    assert big.lead == "jichi" and big.priority == "high" and big.rules[0].matched
    small = evaluate(proposal(title="補助が欲しい", budget={"requested_yen": 1000}), custom)
    assert not small.rules[0].matched and "希望額" in small.rules[0].why


@pytest.mark.parametrize("bad", [[], "x", {"themes": 3}, {"area": "ward"}, {"title": 5},
                                 {"budget": {"requested_yen": "many"}}])
def test_bad_input_is_an_input_error(ruleset, bad):
    with pytest.raises(InputError):
        evaluate(bad, ruleset)


# --- policy 6, second half: a pioneering idea no bureau owns is taken up by the window ---------------------

def _matched(decision) -> list[str]:
    return [r.name for r in decision.rules if r.matched]


def test_policy_6_a_seed_idea_without_a_theme_is_taken_up_by_the_window_with_the_tag(ruleset):
    seed = evaluate(proposal(title="新しい地域の集まり方を考えたい", summary="まだ形になっていません", themes=["other"],
                             stage="seed"), ruleset)
    assert seed.lead == "jichi" and seed.needs_triage and "萌芽的" in seed.tags
    assert _matched(seed) == ["萌芽的で所管局のない提案"]
    rule = next(r for r in seed.rules if r.name == "萌芽的で所管局のない提案")
    assert "段階 萌芽的な提案（新しい試み）" in rule.why and "所管する局がない" in rule.why
    assert seed.lead_rule["name"] == "萌芽的で所管局のない提案"
    # The same text at the established stage: no theme, the window triages it, without the seed tag.
    established = evaluate(proposal(title="新しい地域の集まり方を考えたい", summary="まだ形になっていません",
                                    themes=["other"], stage="established"), ruleset)
    assert established.lead == "jichi" and established.needs_triage and "萌芽的" not in established.tags
    assert _matched(established) == ["テーマが判定できない"]


def test_policy_6_a_seed_idea_in_a_field_no_bureau_owns_goes_to_the_window(ruleset):
    from routing.facts import ThemeInfo

    custom = file_ruleset()
    # An administrator added a field that no bureau owns yet, with its words.
    custom.themes = {**custom.themes, "sharing": ThemeInfo("sharing", None, False, 99)}
    custom.matcher = Matcher([Entry("シェアリング", theme="sharing", weight=2.0),
                              Entry("共同所有", theme="sharing", weight=2.0)])
    custom.labels = {**custom.labels, "sharing": "シェアリングエコノミー"}
    text = dict(title="地域のシェアリングの仕組み", summary="道具の共同所有を試したい",
                area={"scope": "citywide", "wards": []})
    seed = evaluate(proposal(stage="seed", **text), custom)
    assert seed.primary_theme == "sharing"
    assert seed.lead == "jichi" and seed.needs_triage and "萌芽的" in seed.tags
    assert _matched(seed) == ["萌芽的で所管局のない提案"]
    assert "シェアリングエコノミー を所管する局がない" in next(r.why for r in seed.rules if r.matched)
    # Established, the same field: no bureau to lead it, so the window triages it (no seed tag).
    established = evaluate(proposal(stage="established", **text), custom)
    assert established.lead == "jichi" and established.needs_triage and "萌芽的" not in established.tags


def test_a_seed_idea_a_bureau_owns_goes_to_that_bureau(ruleset):
    decision = evaluate(proposal(title="高齢者サロン", summary="介護予防の体操", themes=["welfare-elderly"], stage="seed",
                                 area={"scope": "ward", "wards": ["ward-miyamae"]}), ruleset)
    assert decision.lead == "ward-miyamae" and "萌芽的" not in decision.tags
    assert "萌芽的で所管局のない提案" not in _matched(decision)


# --- ties, the title, spellings (the general changes measured in docs/routing.md) -------------

def test_a_tie_of_ward_level_themes_in_one_ward_goes_to_the_ward_without_triage(ruleset):
    # 保育園 (childcare) and 高齢者 (elderly care) weigh the same: either way policy 2 gives the ward the lead.
    tied = proposal(summary="保育園の子どもたちが近くの高齢者の家を訪ねます。",
                    area={"scope": "ward", "wards": ["ward-saiwai"]})
    decision = evaluate(tied, ruleset)
    scores = {row["theme"]: row["score"] for row in decision.inferred}
    assert scores["childcare"] == scores["welfare-elderly"]
    assert decision.lead == "ward-saiwai" and not decision.needs_triage
    assert decision.co and set(decision.co) <= {"kodomo-mirai", "kenko-fukushi"}  # the primary's bureau (policy 2)
    assert {"childcare", "welfare-elderly"} <= set(decision.themes)  # both tied themes are supported
    # The same tie city-wide is no clear signal (policy 6): the window, with triage.
    citywide = evaluate(dict(tied, area={"scope": "citywide", "wards": []}), ruleset)
    assert citywide.lead == "jichi" and citywide.needs_triage and citywide.primary_theme is None


def test_a_tie_of_a_ward_level_and_a_bureau_level_theme_in_one_ward_stays_undetermined(ruleset):
    tied = proposal(summary="授業で花壇を育てます。", area={"scope": "ward", "wards": ["ward-nakahara"]})
    decision = evaluate(tied, ruleset)
    scores = {row["theme"]: row["score"] for row in decision.inferred}
    assert scores["school-education"] == scores["parks-greenery"]
    assert decision.primary_theme is None and decision.lead == "ward-nakahara" and decision.needs_triage


def test_a_place_format_or_tool_weighs_less_than_the_field_when_the_primary_is_chosen(ruleset):
    # 小学校 (where) and 花壇 (what) weigh the same in the dictionary; the school is only the place.
    garden = evaluate(proposal(summary="小学校の花壇で育てます。", area={"scope": "ward", "wards": ["ward-nakahara"]}), ruleset)
    scores = {row["theme"]: row["score"] for row in garden.inferred}
    assert scores["school-education"] == scores["parks-greenery"]  # the scores shown stay whole
    assert garden.primary_theme == "parks-greenery" and garden.lead == "ward-nakahara" and not garden.needs_triage
    # A tool: AI in elderly care is elderly care (the ward leads), not digital government.
    care = evaluate(proposal(title="AIで介護記録を楽に", summary="介護の現場で記録の手間を減らします。",
                             area={"scope": "ward", "wards": ["ward-miyamae"]}), ruleset)
    assert care.primary_theme == "welfare-elderly" and care.lead == "ward-miyamae"
    # A place alone does not say what the proposal is: no clear theme, the ward with triage.
    square = evaluate(proposal(title="区役所前の広場の利用", summary="月に1回使わせてほしいです。",
                               area={"scope": "ward", "wards": ["ward-asao"]}), ruleset)
    assert square.primary_theme is None and square.lead == "ward-asao" and square.needs_triage
    # The place still counts for the co-departments: a festival in a park.
    fete = evaluate(proposal(title="公園で夏祭り", summary="町内会の夏祭りを公園でひらき、盆踊りをします。",
                             area={"scope": "citywide", "wards": []}), ruleset)
    assert fete.primary_theme == "community" and fete.lead == "shimin-bunka"


def test_the_title_breaks_a_tie_between_bureaus(ruleset):
    # 工場見学 (industry) in the title, 音楽 and 歴史 (arts) in the body: 3 and 3.
    decision = evaluate(proposal(title="工場見学の会", summary="音楽と歴史を楽しみます。",
                                 area={"scope": "citywide", "wards": []}), ruleset)
    scores = {row["theme"]: row["score"] for row in decision.inferred}
    assert scores["industry"] == scores["culture-arts"]
    assert decision.primary_theme == "industry" and decision.lead == "keizai-rodo" and not decision.needs_triage


def test_two_spellings_of_one_word_for_a_theme_count_once():
    matcher = Matcher([Entry("車いす", theme="welfare-disability", weight=2),
                       Entry("車椅子", theme="welfare-disability", weight=1),
                       Entry("車いす", theme="roads", weight=1)])
    (_, entries), = matcher.find("車いすで外出します")
    assert sorted((e.theme, e.weight) for e in entries) == [("roads", 1), ("welfare-disability", 2)]


def test_english_proposals_are_read_on_word_boundaries(ruleset):
    decision = evaluate(proposal(title="English storytelling", summary="Volunteers read picture books to children at the library.",
                                 area={"scope": "ward", "wards": ["ward-takatsu"]}), ruleset)
    assert decision.primary_theme == "lifelong-learning" and decision.lead == "ward-takatsu"
    for text in ("Our parkour team meets on Sundays.", "The librarian talks about schooling and firewood."):
        assert evaluate(proposal(summary=text), ruleset).inferred == []


def test_formats_do_not_make_three_bureaus_but_their_bureaus_are_told(ruleset):
    # A tour and a school visit are how the water utility explains its work: they do
    # not make tourism and school education fields of the proposal (no three bureaus,
    # policy 5), yet both bureaus are told as co-departments.
    tour = evaluate(proposal(title="浄水場の見学ツアー",
                             summary="水道水ができるまでを学ぶ見学ツアーと、小学校での出前授業をひらきます。",
                             area={"scope": "citywide", "wards": []}), ruleset)
    assert tour.lead == "jogesuido" and tour.themes == ["water"]
    assert set(tour.co) == {"keizai-rodo", "kyoiku"}
