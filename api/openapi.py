"""The OpenAPI document of /api/v1 (served at /api/v1/openapi.json)."""

from __future__ import annotations

PROPOSAL = {
    "type": "object",
    "description": "A proposal in the shape of docs/proposal.md in the repository.",
    "properties": {
        "title": {"type": "string"}, "summary": {"type": "string"}, "issue": {"type": "string"},
        "activities": {"type": "string"}, "outcomes": {"type": "string"},
        "organisation": {"type": "object", "properties": {"name": {"type": "string"}, "kind": {"type": "string"}}},
        "area": {"type": "object", "properties": {
            "scope": {"type": "string", "enum": ["ward", "multi_ward", "citywide", "undecided"]},
            "wards": {"type": "array", "items": {"type": "string"}}}},
        "themes": {"type": "array", "items": {"type": "string"}, "maxItems": 3},
        "stage": {"type": "string", "enum": ["seed", "established"]},
        "support_requested": {"type": "array", "items": {"type": "string"}},
        "budget": {"type": "object", "properties": {"total_yen": {"type": "integer"},
                                                    "requested_yen": {"type": "integer"}}},
    },
}

DECISION = {
    "type": "object",
    "properties": {
        "lead": {"type": "string"}, "co": {"type": "array", "items": {"type": "string"}},
        "needs_triage": {"type": "boolean"}, "themes": {"type": "array", "items": {"type": "string"}},
        "confidence": {"type": "number"}, "ruleset_version": {"type": "integer"},
        "rules": {"type": "array", "items": {"type": "object", "properties": {
            "id": {"type": "integer"}, "name": {"type": "string"}, "matched": {"type": "boolean"},
            "why": {"type": "string"}}}},
        "inferred": {"type": "array", "items": {"type": "object", "properties": {
            "theme": {"type": "string"}, "score": {"type": "number"},
            "words": {"type": "array", "items": {"type": "string"}}}}},
    },
}

ERROR = {"type": "object", "properties": {"error": {"type": "string"}, "status": {"type": "integer"},
                                          "detail": {"type": "string"}}}


def document(base_url: str) -> dict:
    return {
        "openapi": "3.1.0",
        "info": {"title": "協働・連携の窓口 API", "version": "1"},
        "servers": [{"url": base_url + "/api/v1"}],
        "components": {
            "securitySchemes": {"token": {"type": "http", "scheme": "bearer",
                                          "description": "A staff token created by an administrator"}},
            "schemas": {"Proposal": PROPOSAL, "Decision": DECISION, "Error": ERROR},
        },
        "security": [{"token": []}],
        "paths": {
            "/routing/preview": {"post": {
                "summary": "Route one proposal without saving anything",
                "parameters": [{"name": "ruleset", "in": "query", "required": False,
                                "description": "draft, published (default) or a version number",
                                "schema": {"type": "string"}}],
                "requestBody": {"required": True, "content": {"application/json": {
                    "schema": {"$ref": "#/components/schemas/Proposal"}}}},
                "responses": {
                    "200": {"description": "The decision", "content": {"application/json": {
                        "schema": {"$ref": "#/components/schemas/Decision"}}}},
                    "400": {"description": "Not a proposal", "content": {"application/json": {
                        "schema": {"$ref": "#/components/schemas/Error"}}}},
                    "401": {"description": "No or unknown token"},
                    "404": {"description": "No such ruleset"},
                },
            }},
        },
    }
