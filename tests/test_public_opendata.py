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
    for name, _ in FIELDS:
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
