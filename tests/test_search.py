"""Search and similar proposals (issue 11, part 1): spellings find each other,
one-character queries, public fields only for the public, staff see what
they may see, similar proposals, `flask similar rank`, the weekly digest."""

from __future__ import annotations

import json
import re
from pathlib import Path

import sqlalchemy as sa
from intake_helpers import sign_in
from public_helpers import place

from core.extensions import db
from core.models import OutboxEmail
from proposals.audiences import published
from proposals.models import Proposal
from search import digest, query
from search.models import SearchDocument

LABELLED = Path(__file__).resolve().parent / "data" / "similar_labelled.jsonl"


def _titles(client, url):
    response = client.get(url)
    assert response.status_code == 200
    return re.sub(r"</?mark>", "", response.get_data(as_text=True))


def _ids(text, *, public=False):
    results = query.search(text, sa.select(Proposal.id), public=public)
    return results.ids


def test_submitted_proposals_are_indexed_after_commit_drafts_are_not(make_proposal):
    submitted = make_proposal(title="子ども食堂の定期開催")
    draft = make_proposal(state="draft", title="こども食堂の下書き")
    indexed = set(db.session.scalars(sa.select(SearchDocument.proposal_id)))
    assert submitted.id in indexed and draft.id not in indexed


def test_spelling_variants_find_each_other(make_proposal):
    a = make_proposal(title="子ども食堂の定期開催", summary="子ども食堂を開きます。")
    b = make_proposal(title="こども食堂でみんなとごはん", summary="地域の食堂です。")
    c = make_proposal(title="子供の居場所づくり", summary="放課後の居場所です。", issue="ごみひろいもします")
    d = make_proposal(title="多摩川のごみ拾い", summary="河川敷で清掃します。")
    for spelling in ("子ども食堂", "こども食堂", "子供食堂"):
        assert set(_ids(spelling)) == {a.id, b.id}, spelling
    for spelling in ("子ども", "子供", "こども"):
        assert {a.id, c.id} <= set(_ids(spelling)), spelling
    for spelling in ("ごみ拾い", "ごみひろい"):
        assert set(_ids(spelling)) == {c.id, d.id}, spelling


def test_one_character_queries_use_the_character_fallback(make_proposal):
    sea = make_proposal(title="海岸の清掃活動", summary="海辺のごみを拾います。")
    cat = make_proposal(title="地域猫の見守り", summary="猫の不妊手術を支えます。")
    make_proposal(title="商店街のにぎわい", summary="夜市を開きます。")
    assert _ids("海") == [sea.id]
    assert _ids("猫") == [cat.id]


def test_ranked_title_matches_first_and_the_same_order_on_both_databases(make_proposal):
    body = make_proposal(title="地域の居場所", summary="高齢者サロンで認知症カフェも開きます。")
    title = make_proposal(title="認知症カフェの開設", summary="家族が集える場です。")
    assert _ids("認知症カフェ") == [title.id, body.id]


def test_public_search_reads_public_fields_of_published_proposals_only(client, make_proposal):
    shown = place(make_proposal, title="竹林の整備", summary="里山を守ります。")
    place(make_proposal, title="竹灯籠まつり", summary="夏祭りです。", published=False)
    hidden_field = place(make_proposal, title="公園の花壇", summary="花を植えます。",
                         past_collaboration="以前は竹林の整備をしました")
    page = _titles(client, "/catalogue?q=竹林")
    assert "竹林の整備" in page and "竹灯籠まつり" not in page and "公園の花壇" not in page
    assert hidden_field.id in _ids("竹林", public=False)  # staff search reads every field
    assert shown.id in _ids("竹林", public=True) and hidden_field.id not in _ids("竹林", public=True)
    marked = client.get("/catalogue?q=竹林").get_data(as_text=True)
    assert "<mark>竹林</mark>" in marked


def test_a_field_the_consent_did_not_name_is_found_by_staff_only(client, make_proposal):
    """Consent version 1 named the title, summary, themes, wards and result only (proposals/visibility.py):
    a word of its activities must not find the proposal in public, nor appear as a shared word."""
    older = place(make_proposal, title="公園の花壇", summary="花を植えます。", activities="竹林の整備も手伝います",
                  consent_version=1)
    assert older.id in _ids("竹林", public=False)
    assert older.id not in _ids("竹林", public=True)
    assert "公園の花壇" not in _titles(client, "/catalogue?q=竹林")
    assert older.id in _ids("花壇", public=True)  # the title was named
    draft = make_proposal(state="draft", title="公園の花壇づくり", summary="花を植えて竹林の整備もします。")
    from search.pages import similar_published

    assert older.id not in [s.proposal.id for s in similar_published(draft)]


def test_catalogue_search_combines_with_filters(client, make_proposal):
    place(make_proposal, title="子ども食堂 宮前", wards=("ward-miyamae",))
    place(make_proposal, title="子ども食堂 麻生", wards=("ward-asao",))
    page = _titles(client, "/catalogue?q=こども食堂&ward=ward-asao")
    assert "子ども食堂 麻生" in page and "子ども食堂 宮前" not in page


def test_staff_search_shows_only_what_the_department_may_see(client, make_proposal, make_user):
    from conftest import department_id

    from core.audit import Actor
    from proposals import operations

    window = make_user("window")
    theirs = make_proposal(title="子ども食堂の運営")
    mine = make_proposal(title="こども食堂の拡大")
    operations.assign(mine, department_id("ward-miyamae"), [], Actor.of_user(window))
    db.session.commit()
    staff = make_user("department_staff", department="ward-miyamae")
    sign_in(client, staff)
    page = _titles(client, "/search?q=子供食堂")
    assert "こども食堂の拡大" in page and "子ども食堂の運営" not in page
    sign_in(client, window)
    page = _titles(client, "/search?q=子供食堂")
    assert "こども食堂の拡大" in page and "子ども食堂の運営" in page
    inbox = client.get("/triage/?q=子ども食堂&state=all").get_data(as_text=True)
    assert theirs.reference in inbox and mine.reference in inbox


def test_similar_published_proposals_with_score_and_shared_words(make_proposal):
    place(make_proposal, title="高齢者のスマホ相談会", summary="シニアにスマホの使い方を教えます。")
    place(make_proposal, title="竹林の整備", summary="里山を守ります。")
    unpublished = place(make_proposal, title="お年寄りのスマホ教室", summary="スマホの使い方を教えます。",
                        published=False)
    draft = make_proposal(state="draft", title="シニア向けスマホ講座", summary="スマホの操作を学びます。")
    from search.pages import similar_published

    found = similar_published(draft)
    assert [s.proposal.title for s in found][:1] == ["高齢者のスマホ相談会"]
    assert "スマホ" in found[0].shared and 0 < found[0].score <= 1
    assert all(len(word) > 1 for match in found for word in match.shared)  # no lone 者 or 会
    assert unpublished.id not in [s.proposal.id for s in found]
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Proposal).where(published())) == 2


def test_flask_similar_rank_prints_one_line_per_input_ranked_within_the_file(app, tmp_path):
    rows = [json.loads(line) for line in LABELLED.read_text(encoding="utf-8").splitlines()][:8]
    path = tmp_path / "in.jsonl"
    path.write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in rows), encoding="utf-8")
    result = app.test_cli_runner().invoke(args=["similar", "rank", str(path), "--k", "3"])
    assert result.exit_code == 0, result.output
    lines = [json.loads(line) for line in result.output.splitlines()]
    assert [line["id"] for line in lines] == [r["id"] for r in rows]
    ids = {r["id"] for r in rows}
    for line in lines:
        assert len(line["similar"]) <= 3 and {s["id"] for s in line["similar"]} <= ids - {line["id"]}
        scores = [s["score"] for s in line["similar"]]
        assert scores == sorted(scores, reverse=True)
    cluster = {r["id"]: r["cluster"] for r in rows}
    first = lines[0]
    assert cluster[first["similar"][0]["id"]] == cluster[first["id"]]  # a 子ども食堂 finds a こども食堂


def test_flask_search_reindex_rebuilds_the_index(app, make_proposal):
    proposal = make_proposal(title="認知症カフェ")
    db.session.execute(sa.delete(SearchDocument))
    db.session.commit()
    assert _ids("認知症") == []
    result = app.test_cli_runner().invoke(args=["search", "reindex"])
    assert result.exit_code == 0, result.output
    assert _ids("認知症") == [proposal.id]


def test_weekly_digest_emails_the_window_new_clusters_of_three_organisations(make_proposal, make_user):
    make_user("window")
    for title in ("子ども食堂の定期開催", "こども食堂で地域のごはん", "子供食堂の運営支援"):
        make_proposal(title=title, summary="子ども食堂で夕食を提供し、子どもの居場所をつくります。",
                      issue="子どもの孤食", activities="子ども食堂を開く")
    make_proposal(title="竹林の整備", summary="里山を守ります。", issue="竹林", activities="伐採")
    assert digest.send_weekly_digest() == 1
    emails = db.session.scalars(sa.select(OutboxEmail)).all()
    digests = [e for e in emails if e.idempotency_key.startswith("search-digest-")]
    assert len(digests) == 1 and "子供食堂の運営支援" in digests[0].body_text and "竹林" not in digests[0].body_text
    assert digest.send_weekly_digest() == 1  # the same week: no second email
    assert len([e for e in db.session.scalars(sa.select(OutboxEmail))
                if e.idempotency_key.startswith("search-digest-")]) == 1


def test_window_staff_may_gather_similar_proposals_into_a_group(client, make_proposal, make_user):
    """The staff panel links the window to the groups room's new-group form with this proposal and the similar
    ones filled in."""
    from urllib.parse import unquote

    from conftest import department_id

    from core.audit import Actor
    from proposals import operations

    first = make_proposal(title="高齢者のスマホ相談会", summary="シニアにスマホの使い方を教えます。")
    second = make_proposal(title="お年寄りのスマホ教室", summary="スマホの使い方を教えます。")
    make_proposal(title="竹林の整備", summary="里山を守ります。")
    window = make_user("window")
    sign_in(client, window)
    page = client.get(f"/triage/{first.reference}").get_data(as_text=True)
    link = re.search(r"href=\"(/window/groups\?refs=[^\"]*)\"", page)
    assert link and unquote(link.group(1)).startswith(f"/window/groups?refs={first.reference},{second.reference}")
    form = client.get(link.group(1).replace("&amp;", "&")).get_data(as_text=True)
    assert first.reference in form and second.reference in form  # the new group's members, filled in
    assert "似た提案をグループにまとめる" in page
    operations.assign(first, department_id("ward-miyamae"), [], Actor.of_user(window))
    db.session.commit()
    client.post("/signout")
    sign_in(client, make_user("department_staff", department="ward-miyamae"))
    inbox = client.get(f"/inbox/proposals/{first.id}").get_data(as_text=True)
    assert second.reference in inbox and "/window/groups" not in inbox  # a department does not group proposals


def test_the_public_search_index_predicate_selects_exactly_the_published_proposals(make_proposal):
    """ix_proposals_public_search (a partial index the public scope is read from) is written as SQL
    text: it must say what proposals.audiences.published says, on every combination that matters."""
    from proposals.models import PUBLISHED_PREDICATE

    place(make_proposal, title="公開")
    place(make_proposal, title="未承認", published=False)
    place(make_proposal, title="同意なし", consent_publish=False, published=False)
    place(make_proposal, title="版なし", consent_version=None)
    make_proposal(state="draft", title="下書き", consent_publish=True, consent_version=1, publication_approved=True)
    by_predicate = set(db.session.scalars(sa.select(Proposal.id).where(sa.text(PUBLISHED_PREDICATE))))
    by_published = set(db.session.scalars(sa.select(Proposal.id).where(published())))
    assert by_published and by_predicate == by_published
