"""Schemas of the webhooks resource (api/resources/webhooks.py): subscriptions and their deliveries."""

from __future__ import annotations

import marshmallow as ma
from marshmallow import fields as f
from marshmallow import validate as v

from api.models import WEBHOOK_EVENTS
from api.schemas import Str, Strict


class WebhookIn(Strict):
    url = f.Url(required=True, schemes={"http", "https"}, require_tld=False, validate=v.Length(max=500))
    events = f.List(Str(validate=v.OneOf(WEBHOOK_EVENTS)), required=True, validate=v.Length(min=1, max=5))
    organisation_id = f.Integer(validate=v.Range(min=1, max=2**31 - 1),
                                metadata={"description": "applicants: which of their organisations owns it"})


class WebhookOut(ma.Schema):
    id = f.Integer()
    url = Str()
    events = f.List(Str())
    owner = Str(metadata={"description": "department code or organisation:<id>"})
    paused = f.Boolean()
    failures_in_a_row = f.Integer()
    created_at = f.DateTime()
    secret = Str(metadata={"description": "shown once, when created"})


class WebhookList(ma.Schema):
    items = f.List(f.Nested(WebhookOut), required=True)


class DeliveryOut(ma.Schema):
    id = f.Integer()
    event = Str()
    status = Str()
    attempts = f.Integer()
    last_status_code = f.Integer(allow_none=True)
    last_error = Str(allow_none=True)
    created_at = f.DateTime()
    delivered_at = f.DateTime(allow_none=True)
    next_attempt_at = f.DateTime(allow_none=True)


class DeliveryPage(ma.Schema):
    items = f.List(f.Nested(DeliveryOut), required=True)
    next_cursor = Str(allow_none=True, required=True)
