"""The OpenAPI document says exactly what the server answers.

FastAPI documents a 422 ``HTTPValidationError`` on every route with parameters, but this API
answers every invalid request with 400 and :class:`ErrorBody` (``_errors``); every route can
answer 500 with the same body; and the routes behind the body limit can answer 413. The
document is rewritten once, on first request, to say so. ``tests/hostile/test_api_fuzz.py``
holds the document to the server with schemathesis.
"""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI

_ERROR_REF = {"$ref": "#/components/schemas/ErrorBody"}
_DESCRIPTIONS = {
    "400": "The request is malformed; `error` names the field and what is wrong.",
    "413": "The body is larger than the limit.",
    "500": "An unexpected error; the server log has details. Retry.",
}


def _error(status: str) -> dict[str, Any]:
    return {
        "description": _DESCRIPTIONS[status],
        "content": {"application/json": {"schema": _ERROR_REF}},
    }


def exact_document(document: dict[str, Any], *, body_limit: bool) -> dict[str, Any]:
    """``document`` with FastAPI's 422s replaced by our 400s, and 500 (and 413 where a body
    limit applies) on every operation."""
    for path_item in document.get("paths", {}).values():
        for operation in path_item.values():
            if not isinstance(operation, dict) or "responses" not in operation:
                continue
            responses = operation["responses"]
            if responses.pop("422", None) is not None:
                responses.setdefault("400", _error("400"))
            if body_limit:
                responses.setdefault("413", _error("413"))
            responses.setdefault("500", _error("500"))
    schemas = document.get("components", {}).get("schemas", {})
    schemas.pop("HTTPValidationError", None)
    schemas.pop("ValidationError", None)
    return document


def make_exact(api: FastAPI, *, body_limit: bool = True) -> None:
    """Serve :func:`exact_document` of ``api``'s own document at ``/openapi.json``."""
    generate = api.openapi

    def openapi() -> dict[str, Any]:
        if api.openapi_schema is None:
            api.openapi_schema = exact_document(generate(), body_limit=body_limit)
        return api.openapi_schema

    api.openapi = openapi  # type: ignore[method-assign]
