"""Routing measured on labelled proposals (issue 10).

tests/data/routing_eval.jsonl: 215 labelled proposals written apart from the
keyword list, 73 of them paraphrased from public descriptions of real
citizen–city collaboration projects, most with no theme picked. Its old
dev/test split was committed before any tuning; the test split has since been
looked at three times, so both are tuning data now (docs/routing.md). So is
tests/data/routing_fresh.jsonl (split "fresh", 144 rows), scored once by the
lead: the 359 rows together are the `tuning` split. The test is
tests/data/routing_fresh2.jsonl (split "fresh2"), written by someone who
never saw the dictionary or the rules, scored by the lead with
`bench/routing_eval.py fresh2`. The floors below guard the tuning data against
regressions: a little under what the engine meets (docs/routing.md), well
above both baselines measured in the same run (bench/routing_baseline.py)."""

from __future__ import annotations

import importlib.util
import json
import sys
from pathlib import Path

import pytest

from routing.defaults import file_ruleset
from routing.engine import evaluate

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "tests" / "data" / "routing_eval.jsonl"


def _bench(name: str):
    sys.path.insert(0, str(ROOT / "bench"))
    try:
        spec = importlib.util.spec_from_file_location(name, ROOT / "bench" / f"{name}.py")
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        return module
    finally:
        sys.path.remove(str(ROOT / "bench"))


@pytest.fixture(scope="module")
def reports():
    return {r.name: r for r in _bench("routing_eval").run("test", with_model=True)}


def test_the_set_is_large_real_and_split_before_tuning():
    rows = [json.loads(line) for line in DATA.read_text(encoding="utf-8").splitlines()]
    assert len(rows) >= 200
    assert sum(r["real"] for r in rows) >= 60
    assert sum(not r["themes"] for r in rows) > len(rows) * 0.6  # most leave the theme empty
    test = [r for r in rows if r["split"] == "test"]
    assert len(test) >= 80 and sum(r["real"] for r in test) >= 25
    assert len({r["expected_lead"] for r in test}) >= 15


def test_the_engine_beats_both_baselines_on_the_test_split(reports, capsys):
    engine = reports["engine (rules)"]
    pick = reports["baseline: first pick + area"]
    previous = reports["baseline: previous engine"]
    with capsys.disabled():
        print()
        for report in reports.values():
            print(report.line())
    f = engine.figures
    assert f["lead"] >= 0.87
    assert f["lead_clear"] >= 0.87
    assert f["reached"] >= 0.93
    assert f["reached_real"] >= 0.90  # the real projects' handler, lead or co
    assert f["co_recall"] >= 0.72
    assert f["triage"] >= 0.92
    assert f["lead"] >= previous.figures["lead"] + 0.08
    assert f["reached_real"] >= previous.figures["reached_real"] + 0.20
    assert f["lead"] >= pick.figures["lead"] + 0.5
    # The model, trained on dev only, never lowers what the rules get right.
    assert reports["engine (rules + model)"].figures["lead"] >= f["lead"]


@pytest.fixture(scope="module")
def all_reports():
    return {r.name: r for r in _bench("routing_eval").run("all", with_model=True)}


def test_all_215_tuning_rows_are_scored_with_the_model_out_of_fold(all_reports):
    engine, assisted = all_reports["engine (rules)"], all_reports["engine (rules + model)"]
    assert engine.n == assisted.n == 215
    f = engine.figures
    assert f["lead"] >= 0.92 and f["lead_clear"] >= 0.93
    assert f["reached"] >= 0.95 and f["reached_real"] >= 0.94
    assert f["co_recall"] >= 0.72 and f["triage"] >= 0.95
    assert f["lead"] >= all_reports["baseline: previous engine"].figures["lead"] + 0.15
    assert assisted.figures["lead"] >= f["lead"]
    assert sum(engine.kinds.values()) > 0  # the misses are sorted into kinds


def test_all_530_tuning_rows_are_scored_with_the_model_out_of_fold():
    evaluation = _bench("routing_eval")
    data = evaluation.rows("tuning")
    assert len(data) == 530 and len({r["id"] for r in data}) == 530
    assert {r["split"] for r in data} == {"dev", "test", "fresh", "fresh2"}
    reports = {r.name: r for r in evaluation.run("tuning", with_model=True)}
    engine, assisted = reports["engine (rules)"], reports["engine (rules + model)"]
    assert engine.n == assisted.n == 530
    f = engine.figures  # floors a little under the figures of 2026-12-03 (87.2 / 88.6 / 90.2 / 91.0 / 78.3 / 92.5 %)
    assert f["lead"] >= 0.86 and f["lead_clear"] >= 0.87
    assert f["reached"] >= 0.89 and f["reached_real"] >= 0.90
    assert f["co_recall"] >= 0.76 and f["triage"] >= 0.91
    assert f["lead"] >= reports["baseline: previous engine"].figures["lead"] + 0.12
    assert assisted.figures["lead"] >= f["lead"]


def test_the_folds_are_fixed_disjoint_and_cover_every_row():
    evaluation = _bench("routing_eval")
    data = evaluation.rows("all")
    folds = evaluation.folds(data)
    ids = [r["id"] for fold in folds for r in fold]
    assert len(folds) == 5 and sorted(ids) == sorted(r["id"] for r in data)
    assert [r["id"] for r in evaluation.folds(data)[0]] == [r["id"] for r in folds[0]]


def test_the_fresh_split_is_scored_with_a_model_trained_on_all_tuning_rows(tmp_path, monkeypatch):
    evaluation = _bench("routing_eval")
    fresh = tmp_path / "routing_fresh.jsonl"
    written = [dict(r, id=f"f{i}", split="fresh") for i, r in enumerate(evaluation.rows("test")[:6])]
    fresh.write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in written) + "\n", encoding="utf-8")
    monkeypatch.setattr(evaluation, "FRESH", fresh)
    assert [r["id"] for r in evaluation.rows("fresh")] == [r["id"] for r in written]
    assert len(evaluation.training_rows("fresh")) == 215
    assert evaluation.training_rows("test") == evaluation.rows("dev")
    reports = evaluation.run("fresh")
    assert [r.name for r in reports] == ["engine (rules)", "engine (rules + model)",
                                         "baseline: first pick + area", "baseline: previous engine"]
    assert all(r.n == 6 for r in reports)


def test_the_second_fresh_split_is_scored_with_a_model_trained_on_all_359_tuning_rows(tmp_path, monkeypatch):
    evaluation = _bench("routing_eval")
    fresh2 = tmp_path / "routing_fresh2.jsonl"
    written = [dict(r, id=f"g{i}", split="fresh2") for i, r in enumerate(evaluation.rows("test")[:5])]
    fresh2.write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in written) + "\n", encoding="utf-8")
    monkeypatch.setattr(evaluation, "FRESH2", fresh2)
    assert [r["id"] for r in evaluation.rows("fresh2")] == [r["id"] for r in written]
    assert len(evaluation.training_rows("fresh2")) == 359
    assert len(evaluation.training_rows("fresh")) == 215  # as when the fresh set was the test
    reports = evaluation.run("fresh2")
    assert all(r.n == 5 for r in reports)


@pytest.mark.parametrize("split, attribute, prefix, trained_on", [
    ("fresh3", "FRESH3", "h", 530), ("fresh4", "FRESH4", "k", 530 + 3)])
def test_a_later_sealed_set_is_scored_with_a_model_trained_on_every_row_written_before_it(
        tmp_path, monkeypatch, split, attribute, prefix, trained_on):
    evaluation = _bench("routing_eval")
    for name, file_prefix in (("FRESH3", "h"), ("FRESH4", "k")):  # stand-ins, three rows each
        path = tmp_path / f"{name}.jsonl"
        written = [dict(r, id=f"{file_prefix}{i}", split=name.lower()) for i, r in
                   enumerate(evaluation.rows("test")[:3])]
        path.write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in written) + "\n", encoding="utf-8")
        monkeypatch.setattr(evaluation, name, path)
    assert [r["id"] for r in evaluation.rows(split)] == [f"{prefix}{i}" for i in range(3)]
    trained = evaluation.training_rows(split)
    assert len(trained) == trained_on
    assert not {r["id"] for r in trained} & {r["id"] for r in evaluation.rows(split)}
    assert all(r.n == 3 for r in evaluation.run(split))


def test_a_missing_second_fresh_file_is_said_and_exits_2(tmp_path, monkeypatch, capsys):
    evaluation = _bench("routing_eval")
    monkeypatch.setattr(evaluation, "FRESH2", tmp_path / "routing_fresh2.jsonl")
    assert evaluation.main(["fresh2"]) == 2
    assert "routing_fresh2.jsonl does not exist" in capsys.readouterr().err


def test_a_missing_fresh_file_is_said_and_exits_2(tmp_path, monkeypatch, capsys):
    evaluation = _bench("routing_eval")
    monkeypatch.setattr(evaluation, "FRESH", tmp_path / "routing_fresh.jsonl")
    assert evaluation.main(["fresh"]) == 2
    assert "routing_fresh.jsonl does not exist" in capsys.readouterr().err


def test_the_model_is_never_trained_on_the_test_split():
    evaluation = _bench("routing_eval")
    model = evaluation.dev_model()
    test_ids = {r["id"] for r in evaluation.rows("test")}
    assert model.trained_on == len(evaluation.rows("dev"))
    assert not test_ids & set(model.neighbour_refs)


# --- the traps of issue 10: substring matches a reader would never make ------------------------

def proposal(text: str, **fields) -> dict:
    base = {"title": "", "summary": text, "issue": "", "activities": "", "themes": [], "stage": "established",
            "area": {"scope": "citywide", "wards": []}, "organisation": {"kind": "npo_corp"}}
    base.update(fields)
    return base


TRAPS = [  # (text, a theme it must NOT support)
    ("そのままのあなたでいい、わがままな気持ちも話せる会です。", "childcare"),  # ママ
    ("活動の期間を延ばすための寄付を集めます。", "transport"),  # バス
    ("みんなでがんばろうという気持ちの夜市です。", "health"),  # がん
    ("海外から来た留学生と料理をつくります。", "port-waterfront"),  # 海
    ("農家の高橋さんの畑で収穫を体験します。", "roads"),  # 橋
    ("A community meetup: we said we would maintain the print shop.", "digital"),  # it, ai inside words
    ("An approach to improve the neighbourhood.", "city-promotion"),  # pr inside words
    ("このイベントは高齢者向けではありません。", "welfare-elderly"),  # negation
    ("高齢者以外の方を対象にした交流会です。", "welfare-elderly"),
    ("高齢者を除く、20代と30代の集まりです。", "welfare-elderly"),
    ("高齢者は対象外です。", "welfare-elderly"),
]
FOUND = [  # (text, a theme it must support, the word shown)
    ("地域の坂道を歩いて、体力づくりをします。", "health", "歩く"),
    ("月に一度、みんなでごみひろいをします。", "waste", "ごみ拾い"),
    ("AI and IT for the city's open data.", "digital", "ai"),
]


@pytest.fixture(scope="module")
def ruleset():
    return file_ruleset()


def _supported(decision) -> set[str]:
    return {row["theme"] for row in decision.inferred}


@pytest.mark.parametrize("text, theme", TRAPS)
def test_no_trap_misfires(ruleset, text, theme):
    decision = evaluate(proposal(text), ruleset)
    assert theme not in _supported(decision), decision.inferred


@pytest.mark.parametrize("text, theme, word", FOUND)
def test_inflections_and_kana_spellings_are_found(ruleset, text, theme, word):
    decision = evaluate(proposal(text), ruleset)
    row = next(r for r in decision.inferred if r["theme"] == theme)
    assert word in row["words"]


def test_the_previous_engine_fell_into_the_traps():
    """The proof above can fail: the previous substring engine misfires on them."""
    previous = _bench("routing_baseline").previous_ruleset()
    misfires = [text for text, theme in TRAPS if theme in _supported(evaluate(proposal(text), previous))]
    assert len(misfires) >= 8


def test_a_negated_word_is_shown_struck_where_it_stands(ruleset):
    decision = evaluate(proposal("20代の交流会です。高齢者向けではありません。"), ruleset)
    row = next(e for e in decision.evidence if e["word"] == "高齢者")
    assert row["negated"] and row["field"] == "summary"
    assert row["before"].endswith("交流会です。") and row["after"].startswith("向けでは")


def test_a_one_ward_proposal_with_no_theme_goes_to_that_ward_with_triage(ruleset):
    decision = evaluate(proposal("区のよいところを住民で話し合う会を開きます。",
                                 area={"scope": "ward", "wards": ["ward-miyamae"]}), ruleset)
    assert decision.lead == "ward-miyamae" and decision.needs_triage
    assert decision.lead_rule["name"] == "テーマが判定できない1区の提案"
    citywide = evaluate(proposal("市のよいところを住民で話し合う会を開きます。"), ruleset)
    assert citywide.lead == "jichi" and citywide.needs_triage
