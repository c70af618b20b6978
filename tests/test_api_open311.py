"""The Open311 GeoReport v2 feed: published proposals only, in the shapes
GeoReport v2 clients expect (required fields with their types)."""

from __future__ import annotations

from datetime import datetime

from core.audit import Actor
from core.extensions import db
from proposals import operations
from proposals.models import State

SERVICE_FIELDS = {"service_code": str, "service_name": str, "description": str, "metadata": bool, "type": str,
                  "keywords": str, "group": str}
REQUEST_FIELDS = {  # field: allowed types (GeoReport v2, "Get service requests")
    "service_request_id": (str,), "status": (str,), "status_notes": (str, type(None)),
    "service_name": (str,), "service_code": (str,), "description": (str, type(None)),
    "agency_responsible": (str, type(None)), "service_notice": (str, type(None)),
    "requested_datetime": (str,), "updated_datetime": (str, type(None)), "expected_datetime": (str, type(None)),
    "address": (str, type(None)), "address_id": (str, type(None)), "zipcode": (str, type(None)),
    "lat": (float, type(None)), "long": (float, type(None)), "media_url": (str, type(None)),
}


def _assert_request_shape(item: dict) -> None:
    assert set(item) == set(REQUEST_FIELDS)
    for name, types in REQUEST_FIELDS.items():
        assert isinstance(item[name], types), (name, item[name])
    assert item["status"] in ("open", "closed")
    assert datetime.fromisoformat(item["requested_datetime"]).utcoffset() is not None  # W3C datetime with offset
    assert item["address"] or (item["lat"] is not None and item["long"] is not None)


def test_services_are_the_themes(client):
    services = client.get("/open311/v2/services.json")
    assert services.status_code == 200 and services.mimetype == "application/json"
    body = services.get_json()
    assert isinstance(body, list) and body
    for service in body:
        assert set(service) == set(SERVICE_FIELDS)
        for name, kind in SERVICE_FIELDS.items():
            assert isinstance(service[name], kind), (name, service[name])
        assert service["type"] in ("realtime", "batch", "blackbox")
    assert "welfare-elderly" in {s["service_code"] for s in body}


def test_requests_are_the_published_proposals(client, make_proposal, make_user):
    published = make_proposal("triage", consent_publish=True, publication_approved=True)
    hidden = make_proposal("triage", consent_publish=True)  # not approved by staff: never in the feed
    closed = make_proposal("triage", consent_publish=True, publication_approved=True, themes=(),
                           wards=(), scope="citywide")
    operations.transition(closed, State.WITHDRAWN, Actor.of_user(closed.created_by))
    db.session.commit()

    feed = client.get("/open311/v2/requests.json").get_json()
    assert isinstance(feed, list)
    assert {item["service_request_id"] for item in feed} == {published.reference, closed.reference}
    for item in feed:
        _assert_request_shape(item)
        assert "contact" not in str(item) and published.contact_email not in str(item)
    by_id = {item["service_request_id"]: item for item in feed}
    assert by_id[published.reference]["status"] == "open"
    assert by_id[published.reference]["service_code"] == "welfare-elderly"
    assert by_id[published.reference]["address"] == "川崎市宮前区"
    assert by_id[closed.reference]["status"] == "closed" and by_id[closed.reference]["service_code"] == "unspecified"
    assert by_id[closed.reference]["address"] == "川崎市全域"

    assert [i["service_request_id"] for i in client.get("/open311/v2/requests.json?status=closed").get_json()] \
        == [closed.reference]
    assert [i["service_request_id"] for i in
            client.get("/open311/v2/requests.json?service_code=welfare-elderly").get_json()] == [published.reference]
    assert client.get("/open311/v2/requests.json?start_date=2999-01-01").get_json() == []
    assert client.get("/open311/v2/requests.json?start_date=yesterday").status_code == 400

    one = client.get(f"/open311/v2/requests/{published.reference}.json")
    assert one.status_code == 200 and len(one.get_json()) == 1
    _assert_request_shape(one.get_json()[0])
    missing = client.get(f"/open311/v2/requests/{hidden.reference}.json")
    assert missing.status_code == 404
    assert missing.get_json()[0]["code"] == 404 and isinstance(missing.get_json()[0]["description"], str)
