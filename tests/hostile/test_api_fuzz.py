"""GIVEN the HTTP API (events, runs, functions, realtime token) on moto, through ASGI
WHEN schemathesis sends it generated requests, valid and invalid, with a fixed seed and a bounded
number of examples, running every check it has (``--checks all``)
THEN no request gets a server error and no answer disagrees with the OpenAPI document: status
codes, headers, bodies, ``Allow``, and what is accepted or refused are all as documented."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from schemathesis import GenerationMode
from schemathesis.checks import CHECKS, load_all_checks

from stepstream import Stepstream
from stepstream.aws import reset_clients
from stepstream.http import create_api
from stepstream.http._limits import MAX_BODY_BYTES
from stepstream.http._realtime_routes import MAX_TOKEN_REQUEST_BYTES
from tests.http._http_support import AUTH, EVENT_KEY, make_app
from tests.support.aws import MotoEndpoint, use_local_aws

load_all_checks()
EVERY_CHECK = [CHECKS.get_one(name) for name in CHECKS.get_all_names()]
POSITIVE = CHECKS.get_one("positive_data_acceptance")
NEGATIVE = CHECKS.get_one("negative_data_rejection")
BODY_LIMITS = {"/v1/realtime/token": MAX_TOKEN_REQUEST_BYTES, "/e/{event_key}": MAX_BODY_BYTES}


def _headers_negated(case: Any) -> bool:
    """Whether this case's headers are the invalid part (then its Authorization, made invalid
    on purpose, is sent as generated instead of the signing key)."""
    components = case.meta.components if case.meta else {}
    return any(
        str(getattr(location, "value", location)) == "header"
        and info.mode == GenerationMode.NEGATIVE
        for location, info in components.items()
    )


def _bytes_sent(response: Any) -> int:
    return len(response.request.body or b"")


@pytest.fixture(scope="module")
def fuzzed_app(moto_endpoint: MotoEndpoint) -> Iterator[Stepstream]:
    with pytest.MonkeyPatch.context() as env:
        use_local_aws(env, moto_endpoint.aws, letter="f")
        env.delenv("STEPSTREAM_CORS_ORIGINS", raising=False)
        yield make_app()
    reset_clients()


@pytest.fixture(scope="module")
def api_schema(fuzzed_app: Stepstream) -> Any:
    return schemathesis.openapi.from_asgi("/openapi.json", create_api(fuzzed_app))


def _operations() -> list[tuple[str, str]]:
    document = create_api(Stepstream("openapi-only")).openapi()
    return sorted(
        (method.upper(), path)
        for path, item in document["paths"].items()
        for method in item
        if path != "/health"  # a user router may add its own; the built-in one is trivial
    )


def _one_channel(case: Any) -> bool:
    """A token request JSON Schema cannot refuse: Inngest's list naming several channels (a
    token covers one; the document says so in words and the server answers 400)."""
    body = case.body
    if not isinstance(body, list):
        return True
    return len({json.dumps(e.get("channel")) if isinstance(e, dict) else "" for e in body}) <= 1


@pytest.mark.parametrize(("method", "path"), _operations())
def test_the_api_answers_as_its_document_says(api_schema: Any, method: str, path: str) -> None:
    operation = api_schema[path][method]
    cases = operation.as_strategy(generation_mode=GenerationMode.POSITIVE) | operation.as_strategy(
        generation_mode=GenerationMode.NEGATIVE
    )

    @given(case=cases)
    @settings(
        max_examples=30,
        derandomize=True,  # a fixed seed: the same cases every run
        deadline=None,
        database=None,
        phases=[Phase.explicit, Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    def check(case: Any) -> None:
        if "event_key" in (case.path_parameters or {}):
            case.path_parameters["event_key"] = EVENT_KEY
        checks = EVERY_CHECK
        if path == "/v1/realtime/token" and not _one_channel(case):
            checks = [c for c in checks if c is not POSITIVE]
        auth = {} if _headers_negated(case) else AUTH
        response = case.call(headers=auth)
        if response.status_code == 413 and _bytes_sent(response) > BODY_LIMITS[path]:
            # Over the documented byte limit: refused whatever the schema says of its shape.
            checks = [c for c in checks if c not in (POSITIVE, NEGATIVE)]
        case.validate_response(response, headers=auth, checks=checks)

    check()
