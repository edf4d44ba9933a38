"""The OpenAPI schema is valid OpenAPI 3.1 and describes the real contract."""

from __future__ import annotations

import httpx
from openapi_spec_validator import validate


def test_the_schema_is_valid_and_complete(shared_client: httpx.Client) -> None:
    # WHEN the schema is fetched
    schema = shared_client.get("/openapi.json").json()
    # THEN it validates as OpenAPI
    validate(schema)
    paths = schema["paths"]
    # AND lists every route with its methods
    assert set(paths) >= {
        "/e/{event_key}",
        "/v1/events",
        "/v1/events/{event_id}",
        "/v1/events/{event_id}/runs",
        "/v1/runs",
        "/v1/runs/{run_id}",
        "/v1/runs/{run_id}/cancel",
        "/v1/functions",
        "/health",
    }
    assert set(paths["/v1/runs/{run_id}"]) == {"get", "delete"}
    # AND the event body is one event or a non-empty list of them
    send = paths["/e/{event_key}"]["post"]
    body = send["requestBody"]["content"]["application/json"]["schema"]["oneOf"]
    assert body[0]["required"] == ["name"]
    assert body[1]["type"] == "array"
    assert body[1]["minItems"] == 1
    # AND the refusals are documented with the error shape
    assert set(send["responses"]) >= {"200", "400", "401", "413", "415"}
    error = send["responses"]["400"]["content"]["application/json"]["schema"]
    assert error == {"$ref": "#/components/schemas/ErrorBody"}
    # AND runs carry steps with timings
    run = schema["components"]["schemas"]["RunOut"]["properties"]
    assert {"run_id", "status", "output", "steps", "run_started_at", "ended_at"} <= set(run)
    step = schema["components"]["schemas"]["StepOut"]["properties"]
    assert {"started_at", "ended_at", "duration_ms"} <= set(step)


def test_the_schema_declares_bearer_auth_on_v1_routes(shared_client: httpx.Client) -> None:
    schema = shared_client.get("/openapi.json").json()
    schemes = schema["components"]["securitySchemes"]
    [(name, scheme)] = schemes.items()
    assert (scheme["type"], scheme["scheme"]) == ("http", "bearer")
    assert schema["paths"]["/v1/runs"]["get"]["security"] == [{name: []}]
    assert "security" not in schema["paths"]["/e/{event_key}"]["post"]
    assert "security" not in schema["paths"]["/health"]["get"]
