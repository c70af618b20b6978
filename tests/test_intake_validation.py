"""Forgiving validation: every rule of the proposal form, through the real
pages. Full-width input is normalised, never rejected; each mistake gets an
error under the field, naming it, and a summary at the top; nothing typed
is lost."""

from __future__ import annotations

from datetime import date

import pytest
from intake_helpers import VALID_STEPS, errors_in, sign_in

from core.extensions import db
from intake import normalise as n
from proposals.models import Proposal

# --- the parsers -------------------------------------------------------------------------------------


@pytest.mark.parametrize("typed, expected", [
    ("300000", 300000), ("300,000", 300000), ("３０万円", 300000), ("30万円", 300000), ("３００，０００円", 300000),
    ("¥300,000", 300000), ("￥３０００００", 300000), ("1.5万", 15000), ("1億2000万円", 120000000), ("5千円", 5000),
    ("約30万円", 300000), ("0", 0), ("", None), ("  ", None),
])
def test_amounts_are_read_as_people_write_them(typed, expected):
    assert n.parse_amount(typed) == expected


@pytest.mark.parametrize("typed", ["三十万円", "abc", "1.23456万", "-300", "30万円くらい？"])
def test_amounts_that_cannot_be_read_are_refused(typed):
    with pytest.raises(ValueError):
        n.parse_amount(typed)


@pytest.mark.parametrize("typed", ["2160001", "216-0001", "２１６－０００１", "〒216-0001", "216 0001", "２１６ー０００１"])
def test_postal_codes_with_or_without_hyphen(typed):
    assert n.parse_postal_code(typed) == "216-0001"


@pytest.mark.parametrize("typed", ["216-001", "21600011", "abc-defg", ""])
def test_bad_postal_codes(typed):
    with pytest.raises(ValueError):
        n.parse_postal_code(typed)


@pytest.mark.parametrize("typed, expected", [
    ("044-200-0000", "044-200-0000"), ("0442000000", "044-200-0000"), ("(044)200-0000", "044-200-0000"),
    ("０４４（２００）００００", "044-200-0000"), ("09012345678", "090-1234-5678"), ("０９０ー１２３４ー５６７８", "090-1234-5678"),
    ("+81 90 1234 5678", "090-1234-5678"), ("+81-44-200-0000", "044-200-0000"), ("0312345678", "03-1234-5678"),
    ("0120123456", "0120-123-456"), ("0466-12-3456", "0466-12-3456"),
    # Grouped by Japan's numbering plan, whatever the person typed: Odawara's area code is 0465.
    ("0465123456", "0465-12-3456"), ("046-512-3456", "0465-12-3456"), ("０４６５１２３４５６", "0465-12-3456"),
    ("03-12-345678", "03-1234-5678"), ("0612345678", "06-1234-5678"), ("08012345678", "080-1234-5678"),
    ("05012345678", "050-1234-5678"), ("0120-12-3456", "0120-123-456"), ("0570123456", "0570-123-456"),
])
def test_japanese_phone_formats(typed, expected):
    assert n.parse_phone(typed) == expected


@pytest.mark.parametrize("typed, kind", [
    ("12345", "phone"), ("044-200-000", "phone"), ("090123456789", "phone"), ("電話", "phone"),
    ("1442000000", "phone"),
    # Ten or eleven digits from 0, but no such number in the plan: 050 (IP phones) has eleven digits.
    ("0501234567", "phone_unassigned"), ("0012345678", "phone_unassigned"),
])
def test_bad_phone_numbers(typed, kind):
    with pytest.raises(ValueError) as raised:
        n.parse_phone(typed)
    assert raised.value.args == (kind,)


def test_corporate_number_check_digit_follows_the_national_tax_agency_rule():
    # 国税庁's own number, and the demo organisation's.
    assert n.corporate_number_check_digit("000012050002") == 7
    assert n.parse_corporate_number("7000012050002") == "7000012050002"
    assert n.parse_corporate_number("７０００－０１２０－５０００２") == "7000012050002"
    assert n.parse_corporate_number("9234567890123") == "9234567890123"
    assert n.parse_corporate_number("") is None
    for wrong in ("1000012050002", "700001205000", "70000120500021", "700001205000X"):
        with pytest.raises(ValueError):
            n.parse_corporate_number(wrong)


@pytest.mark.parametrize("typed, expected", [
    ("2015", 2015), ("２０１５年", 2015), ("平成27年", 2015), ("H27", 2015), ("令和元年", 2019), ("昭和60年", 1985), ("", None),
])
def test_years_western_or_japanese_era(typed, expected):
    assert n.parse_year(typed) == expected


@pytest.mark.parametrize("typed", ["平成32年", "昭和65年", "H32", "令和0年"])
def test_an_era_year_the_era_never_had_is_refused(typed):
    with pytest.raises(ValueError) as raised:
        n.parse_year(typed)
    assert raised.value.args == ("era",)


@pytest.mark.parametrize("typed, expected", [
    ("2027-04-01", date(2027, 4, 1)), ("2027/4/1", date(2027, 4, 1)), ("２０２７年４月１日", date(2027, 4, 1)),
    ("令和9年4月1日", date(2027, 4, 1)), ("", None),
])
def test_dates(typed, expected):
    assert n.parse_date(typed) == expected


@pytest.mark.parametrize("typed, expected", [
    ("令和元年5月1日", date(2019, 5, 1)), ("平成31年4月30日", date(2019, 4, 30)), ("平成元年1月8日", date(1989, 1, 8)),
    ("昭和64年1月7日", date(1989, 1, 7)), ("昭和元年12月25日", date(1926, 12, 25)),
])
def test_each_eras_first_and_last_days(typed, expected):
    assert n.parse_date(typed) == expected


@pytest.mark.parametrize("typed", [
    "令和元年4月1日",  # still 平成: 令和 began on 2019-05-01
    "平成31年5月1日",  # already 令和
    "平成元年1月7日",  # still 昭和: 平成 began on 1989-01-08
    "昭和64年1月8日",  # already 平成
    "昭和元年12月24日",  # still 大正
])
def test_an_era_date_outside_its_era_is_refused(typed):
    with pytest.raises(ValueError) as raised:
        n.parse_date(typed)
    assert raised.value.args == ("era",)


def test_nfkc_and_kana():
    assert n.one_line("ＮＰＯ法人　みやまえ\n寄り合い ") == "NPO法人 みやまえ 寄り合い"
    assert n.to_hiragana("ミヤマエヨリアイ") == "みやまえよりあい"
    assert n.parse_url("example.jp/about") == "https://example.jp/about"
    with pytest.raises(ValueError):
        n.parse_url("not a url")


# --- the form, through the pages ----------------------------------------------------------------------


@pytest.fixture
def applicant(make_user):
    return make_user("applicant", email="applicant@example.jp")


@pytest.fixture
def draft(client, applicant):
    sign_in(client, applicant)
    response = client.post("/proposals/new", data={"organisation": "new"})
    assert response.status_code == 302
    return int(response.headers["Location"].split("/")[2])


def post_step(client, draft, step, **changes):
    data = {**VALID_STEPS[step], **changes}
    return client.post(f"/proposals/{draft}/step/{step}", data=data)


def test_every_step_accepts_full_width_input_and_stores_it_normalised(client, draft):
    for step in range(1, 6):
        response = post_step(client, draft, step)
        assert response.status_code == 302, (step, errors_in(response.get_data(as_text=True)))
    proposal = db.session.get(Proposal, draft)
    org = proposal.organisation
    assert (org.name, org.name_kana, org.corporate_number) == ("NPO法人たかつ子ども応援団", "たかつこどもおうえんだん",
                                                               "7000012050002")
    assert (org.postal_code, org.phone, org.founded_year, org.member_count) == ("213-0001", "044-812-3456", 2015, 25)
    assert org.city == "川崎市高津区" and org.website == "https://takatsu-kodomo.example.jp"
    assert (proposal.contact_email, proposal.contact_phone) == ("ichiro@example.jp", "090-1234-5678")
    assert (proposal.budget_total_yen, proposal.budget_requested_yen) == (800000, 300000)
    assert proposal.period_start == date(2027, 4, 1) and proposal.ward_codes == ["ward-takatsu"]
    assert proposal.theme_codes == ["child-poverty", "youth"]


@pytest.mark.parametrize("step, field, message", [
    (1, "name", "団体名を入力してください"),
    (1, "kind", "団体の種類を選んでください"),
    (2, "contact_name", "担当者のお名前を入力してください"),
    (2, "contact_email", "担当者のメールアドレスを入力してください"),
    (3, "title", "提案のタイトルを入力してください"),
    (3, "summary", "提案の概要を入力してください"),
    (3, "issue", "地域の課題・背景を入力してください"),
    (3, "activities", "事業の内容を入力してください"),
    (3, "outcomes", "期待される成果を入力してください"),
    (4, "scope", "活動する地域の範囲を選んでください"),
    (4, "stage", "取り組みの段階を選んでください"),
    (5, "exit_strategy", "出口戦略を選んでください"),
])
def test_required_fields(client, draft, step, field, message):
    response = post_step(client, draft, step, **{field: "" if step != 4 or field not in ("wards",) else []})
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert any(message in e for e in errors_in(html)), errors_in(html)
    # A radio or checkbox group is linked by its first choice (a fieldset cannot take focus).
    assert 'class="error-summary"' in html and (f'href="#{field}"' in html or f'href="#{field}-0"' in html)


@pytest.mark.parametrize("step, field, limit", [(3, "title", 200), (3, "summary", 400), (1, "name", 200)])
def test_lengths(client, draft, step, field, limit):
    response = post_step(client, draft, step, **{field: "あ" * (limit + 1)})
    assert any(f"{limit}文字以内" in e and f"{limit + 1}文字" in e for e in errors_in(response.get_data(as_text=True)))
    assert post_step(client, draft, step, **{field: "あ" * limit}).status_code == 302


@pytest.mark.parametrize("step, field, typed, message", [
    (1, "corporate_number", "1000012050002", "チェック用の数字が合いません"),
    (1, "corporate_number", "12345", "13桁の数字"),
    (1, "postal_code", "216-001", "郵便番号は7桁"),
    (1, "phone", "12345", "団体の電話番号は市外局番から"),
    (1, "phone", "0501234567", "団体の電話番号は、日本で使われている番号ではありません"),
    (1, "website", "ホームページ", "ウェブサイトのアドレス"),
    (1, "founded_year", "昔", "設立年は西暦4桁"),
    (1, "founded_year", "2999", "今年までの年"),
    (1, "founded_year", "平成32年", "設立年の和暦がその元号にない年です"),
    (1, "member_count", "たくさん", "人数は数字で"),
    (1, "name_kana", "NPO Takatsu", "ひらがなかカタカナ"),
    (2, "contact_email", "ichiro@", "メールアドレスの形式"),
    (2, "contact_phone", "0901234", "担当者の電話番号は市外局番から"),
    (2, "contact_phone", "0012345678", "担当者の電話番号は、日本で使われている番号ではありません"),
    (5, "budget_total", "たくさん", "金額は円単位"),
    (5, "budget_requested", "900000", "総額を超えています"),
    (5, "period_start", "来年", "開始日を"),
    (5, "period_start", "令和元年4月1日", "開始日の和暦の日付が、その元号の期間にありません（令和は2019年5月1日から"),
    (5, "period_end", "平成31年5月1日", "終了日の和暦の日付が、その元号の期間にありません"),
    (5, "period_end", "2027-03-31", "終了日は開始日以降"),
])
def test_each_check_names_the_field_and_the_fix(client, draft, step, field, typed, message):
    response = post_step(client, draft, step, **{field: typed})
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert any(message in e for e in errors_in(html)), errors_in(html)
    assert f'id="{field}-error"' in html or f'id="{field}-error"' in html.replace("'", '"')
    assert typed in html  # what was typed is shown back, not lost


def test_at_most_three_themes(client, draft):
    four = ["child-poverty", "youth", "childcare", "community"]
    response = post_step(client, draft, 4, themes=four)
    assert any("3つまで" in e and "4個" in e for e in errors_in(response.get_data(as_text=True)))
    assert post_step(client, draft, 4, themes=four[:3]).status_code == 302
    assert post_step(client, draft, 4, themes=[]).status_code == 302  # themes may be empty


@pytest.mark.parametrize("scope, wards, ok", [
    ("ward", ["ward-takatsu"], True), ("ward", [], False), ("ward", ["ward-takatsu", "ward-tama"], False),
    ("multi_ward", ["ward-takatsu", "ward-tama"], True), ("multi_ward", ["ward-tama"], False),
    ("citywide", [], True), ("citywide", ["ward-tama"], False),
    ("undecided", [], True), ("undecided", ["ward-tama"], True),
])
def test_wards_consistent_with_scope(client, draft, scope, wards, ok):
    response = post_step(client, draft, 4, scope=scope, wards=wards)
    assert (response.status_code == 302) == ok, errors_in(response.get_data(as_text=True))


def test_unknown_choices_are_dropped_not_a_crash(client, draft):
    response = post_step(client, draft, 4, themes=["no-such-theme", "youth"], wards=["ward-takatsu", "jichi"])
    assert response.status_code == 302
    assert db.session.get(Proposal, draft).theme_codes == ["youth"]


def test_an_invalid_step_keeps_everything_typed_on_the_server(client, draft, app):
    post_step(client, draft, 3, title="", summary="ここまで書いた概要")
    raw = db.session.get(Proposal, draft).draft_data["steps"]["3"]
    assert raw["summary"] == "ここまで書いた概要"
    page = client.get(f"/proposals/{draft}/step/3").get_data(as_text=True)  # e.g. after closing the tab
    assert "ここまで書いた概要" in page


def test_errors_are_in_english_for_english_users(client, draft):
    client.get("/lang/en")
    response = post_step(client, draft, 1, name="", postal_code="12")
    errors = errors_in(response.get_data(as_text=True))
    assert any("organisation" in e.lower() and "name" in e.lower() for e in errors), errors
    assert any("postal code" in e.lower() for e in errors), errors


@pytest.mark.parametrize("step", [1, 2, 3, 4, 5])
def test_garbage_never_gives_a_server_error(client, draft, step):
    from urllib.parse import quote_from_bytes

    junk = b"\xff\xfe\x00" + "９".encode() * 5000 + "\u202e".encode()
    body = "&".join(f"{key}={quote_from_bytes(junk)}&{key}=%ED%A0%80" for key in VALID_STEPS[step])
    response = client.post(f"/proposals/{draft}/step/{step}", data=body,
                           content_type="application/x-www-form-urlencoded")
    assert response.status_code in (200, 302)


def test_review_lists_unfinished_steps_and_refuses_to_submit(client, draft):
    post_step(client, draft, 1)
    response = client.post(f"/proposals/{draft}/review", data={"consent_privacy": "y"})
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    assert "直すところがあります" in html and "まだ入力されていません" in html
    assert db.session.get(Proposal, draft).state == "draft"


def test_privacy_consent_is_required(client, draft):
    for step in range(1, 6):
        post_step(client, draft, step)
    response = client.post(f"/proposals/{draft}/review", data={})
    assert response.status_code == 400
    assert any("個人情報の取り扱いへの同意" in e for e in errors_in(response.get_data(as_text=True)))


# --- numbers and texts that do not fit their columns: an error, never a 500 ----------------------------

HUGE = "100000000000000000000"  # 10**20: more than a 64-bit column holds


@pytest.mark.parametrize("step, field, typed, message", [
    (1, "member_count", HUGE, "会員・スタッフの人数は10,000,000人以下"),
    (1, "member_count", "１０００００００１人", "会員・スタッフの人数は10,000,000人以下"),
    (5, "budget_total", HUGE, "事業費の総額（円）は1,000,000,000,000円（1兆円）以下"),
    (5, "budget_total", "9" * 400 + "万円", "事業費の総額（円）は1,000,000,000,000円（1兆円）以下"),
    (5, "budget_requested", HUGE, "そのうち市に求める額（円）は1,000,000,000,000円（1兆円）以下"),
])
def test_numbers_too_large_for_their_column_get_an_error_naming_the_limit(client, draft, step, field, typed, message):
    response = post_step(client, draft, step, **{field: typed})
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert any(message in e for e in errors_in(html)), errors_in(html)
    assert typed in html  # shown back as typed
    assert db.session.get(Proposal, draft).draft_data["steps"][str(step)][field] == typed  # the step is kept


def test_the_largest_numbers_are_accepted(client, draft):
    assert post_step(client, draft, 1, member_count="10000000").status_code == 302
    assert post_step(client, draft, 5, budget_total="10000億円",
                     budget_requested="1000000000000").status_code == 302
    proposal = db.session.get(Proposal, draft)
    assert proposal.organisation.member_count == 10_000_000
    assert proposal.budget_total_yen == proposal.budget_requested_yen == 10**12


@pytest.mark.parametrize("step, field, limit", [
    (1, "name_kana", 200), (1, "representative", 200), (1, "address", 300), (2, "contact_name", 200),
    (2, "past_collaboration", 2000), (3, "issue", 4000), (5, "exit_note", 2000),
])
def test_more_lengths(client, draft, step, field, limit):
    response = post_step(client, draft, step, **{field: "あ" * (limit + 1)})
    assert response.status_code == 200
    assert any(f"{limit}文字以内" in e and f"{limit + 1}文字" in e for e in errors_in(response.get_data(as_text=True)))
    assert post_step(client, draft, step, **{field: "あ" * limit}).status_code == 302


def test_every_text_field_of_the_steps_is_limited_to_its_column(app):
    """Each free-text field has a length limit, no longer than the column it is stored in."""
    from wtforms import StringField, TextAreaField
    from wtforms.validators import Length

    from core.models import Organisation
    from intake.forms import STEPS, ParsedField

    tables = {1: Organisation.__table__, 2: Proposal.__table__, 3: Proposal.__table__, 5: Proposal.__table__}
    checked = []
    with app.test_request_context():
        for number, _key, _title, cls in STEPS:
            if cls is None:
                continue
            for field in cls(meta={"csrf": False}):
                if not isinstance(field, (StringField, TextAreaField)) or isinstance(field, ParsedField):
                    continue
                limits = [v.max for v in field.validators if isinstance(v, Length) and v.max != -1]
                assert limits, f"step {number}: {field.name} has no length limit"
                column = tables[number].c[field.name]
                length = getattr(column.type, "length", None)
                if length is not None:
                    assert min(limits) <= length, f"{field.name}: {min(limits)} > column {length}"
                checked.append(field.name)
    assert "name_kana" in checked and "exit_note" in checked


def test_a_long_address_does_not_overflow_the_city_column(client, draft):
    post_step(client, draft, 1, address="あ" * 250 + "市" + "い" * 40)
    organisation = db.session.get(Proposal, draft).organisation
    assert organisation.city is None or len(organisation.city) <= 200


@pytest.mark.parametrize("path", [
    "/proposals/{huge}/step/1", "/proposals/{draft}/step/{huge}", "/proposals/{huge}/resume",
    "/proposals/{huge}/review", "/proposals/{huge}/saved", "/attachments/{huge}",
    "/my/organisations/{huge}/invite",
])
@pytest.mark.parametrize("huge", [HUGE, str(2**31), str(2**63), "9" * 5000])
def test_ids_too_large_for_the_database_are_not_found(client, draft, path, huge):
    assert client.get(path.format(huge=huge, draft=draft)).status_code == 404


def test_ids_too_large_for_the_database_are_not_found_when_posting(client, draft):
    assert client.post(f"/proposals/{HUGE}/step/1", data=VALID_STEPS[1]).status_code == 404
    assert client.post(f"/proposals/{draft}/files/{HUGE}/delete").status_code == 404


def test_the_largest_id_is_looked_up_normally(client, draft):
    biggest = 2**31 - 1  # the largest INTEGER id on PostgreSQL
    assert client.get(f"/attachments/{biggest}").status_code == 404
    assert client.get(f"/proposals/{biggest}/step/1").status_code in (302, 404)


def test_an_end_date_on_the_start_date_is_accepted_and_the_message_says_so(client, draft):
    assert post_step(client, draft, 5, period_start="2027-04-01", period_end="2027-04-01").status_code == 302
    proposal = db.session.get(Proposal, draft)
    assert proposal.period_start == proposal.period_end == date(2027, 4, 1)
    response = post_step(client, draft, 5, period_start="2027-04-01", period_end="2027-03-31")
    [error] = errors_in(response.get_data(as_text=True))
    assert "開始日以降" in error and "より後" not in error
