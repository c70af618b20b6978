"""Open data: stable URLs, the documented schema, the licence note."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

from public_helpers import place

from core.extensions import db
from public.exports import FIELD_NAMES, FIELDS

DOC = Path(__file__).resolve().parent.parent / "docs" / "open-data.md"


def test_the_document_lists_every_field_of_the_export():
    text = DOC.read_text(encoding="utf-8")
    for name, *_ in FIELDS:
        assert f"| `{name}` |" in text, f"docs/open-data.md lacks {name}"


def test_csv_and_json_follow_the_schema(client, make_proposal):
    place(make_proposal, "adopted", title="公開する提案", themes=("disaster", "community"), wards=("ward-asao", "ward-tama"),
          scope="multi_ward", partners_wanted=["company", "university"])
    place(make_proposal, "adopted", title="非公開の提案", published=False)
    response = client.get("/open-data/proposals.json")
    assert response.status_code == 200 and response.mimetype == "application/json"
    assert response.headers["X-Licence"] == "CC BY 4.0"
    document = json.loads(response.get_data(as_text=True))
    assert document["schema_version"] == 1 and document["licence"] == "CC BY 4.0"
    assert [p["title"] for p in document["proposals"]] == ["公開する提案"]
    record = document["proposals"][0]
    assert list(record) == FIELD_NAMES
    assert record["themes"] == ["disaster", "community"] and sorted(record["wards"]) == ["ward-asao", "ward-tama"]
    assert record["status"] == "adopted" and record["url"].endswith(f"/catalogue/{record['reference']}")
    response = client.get("/open-data/proposals.csv")
    assert response.mimetype == "text/csv"
    text = response.get_data(as_text=True)
    assert text.startswith("\ufeff")
    rows = list(csv.DictReader(io.StringIO(text.lstrip("\ufeff"))))
    assert list(rows[0]) == FIELD_NAMES and len(rows) == 1
    assert rows[0]["themes"] == "disaster;community" and rows[0]["partners_wanted"] == "company;university"
    assert rows[0]["evaluation_indicators"] == ""


def test_licence_is_configurable(app, client, make_proposal):
    place(make_proposal)
    app.config["OPEN_DATA_LICENCE"] = "CC0 1.0"
    try:
        assert "CC0 1.0" in client.get("/open-data").get_data(as_text=True)
        assert json.loads(client.get("/open-data/proposals.json").data)["licence"] == "CC0 1.0"
    finally:
        app.config["OPEN_DATA_LICENCE"] = "CC BY 4.0"
    page = client.get("/open-data").get_data(as_text=True)
    assert "CC BY 4.0" in page and "/open-data/proposals.csv" in page and "evaluation_review_decision" in page
    db.session.rollback()


def test_csv_cells_cannot_run_as_formulas_in_a_spreadsheet(client, make_proposal):
    """Issue 13, finding 6 (OWASP CSV injection): text that a spreadsheet
    would read as a formula gets a leading apostrophe in the CSV; the JSON
    keeps the text as it was written; numbers stay numbers."""
    proposal = place(make_proposal, "adopted", title="=HYPERLINK(\"http://evil.example/\",\"詳細\")",
                     summary="+81 44 200 2111", issue="-1+2", activities="@SUM(A1:A9)", outcomes="\t=1+1",
                     exit_note="\r=1+1", budget_total_yen=800000)
    proposal.organisation.name = "＝HYPERLINK(\"http://evil.example/\")"
    db.session.commit()
    text = client.get("/open-data/proposals.csv").get_data(as_text=True)
    [row] = list(csv.DictReader(io.StringIO(text.lstrip("\ufeff"))))
    assert row["title"] == "'=HYPERLINK(\"http://evil.example/\",\"詳細\")"
    assert row["summary"] == "'+81 44 200 2111" and row["issue"] == "'-1+2" and row["activities"] == "'@SUM(A1:A9)"
    assert row["outcomes"] == "'\t=1+1" and row["exit_note"].startswith("'")
    assert row["organisation_name"] == "'＝HYPERLINK(\"http://evil.example/\")"
    assert row["budget_total_yen"] == "800000" and row["reference"].startswith("KW-")
    assert not [name for name, value in row.items() if value[:1] in ("=", "+", "-", "@", "\t", "\r")]
    record = json.loads(client.get("/open-data/proposals.json").data)["proposals"][0]
    assert record["title"].startswith("=HYPERLINK")  # JSON is data, not a spreadsheet: unchanged


def test_statistics_csv_cells_are_neutralised_too():
    from public.exports import table_csv

    text = table_csv(["name", "count"], [["=1+1", 3], ["-5", -5], ["宮前区", None]])
    assert text.splitlines()[1:] == ["'=1+1,3", "'-5,-5", "宮前区,"]
