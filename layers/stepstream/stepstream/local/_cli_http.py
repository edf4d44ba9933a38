"""The CLI's view of a stepstream HTTP API: one small client, errors a person can act on.

The CLI talks to the same HTTP API as every other client (the dashboard, the Inngest SDKs), so
``--url`` can point at ``make dev`` or at a deployed stack alike.
"""

from __future__ import annotations

import contextlib
import json
import os
import urllib.parse
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import httpx

from .._config import DEV_EVENT_KEY, DEV_SIGNING_KEY

DEFAULT_URL = "http://127.0.0.1:8288"
TOKEN_PATH = "/v1/realtime/token"
TIMEOUT_SECONDS = 30.0


class CliError(Exception):
    """A failure to report in one readable line (exit code 1), never a traceback."""


@dataclass(frozen=True)
class Target:
    """Where the API is and the keys to present to it."""

    url: str
    event_key: str
    signing_key: str

    @classmethod
    def resolve(cls, url: str | None, event_key: str | None, signing_key: str | None) -> Target:
        """Flags first, then ``STEPSTREAM_URL`` / ``STEPSTREAM_EVENT_KEY`` /
        ``STEPSTREAM_SIGNING_KEY``, then the development defaults ``make dev`` uses."""
        env = os.environ.get
        base = (url or env("STEPSTREAM_URL") or DEFAULT_URL).rstrip("/")
        if not base.startswith(("http://", "https://")):
            raise CliError(f"--url {base!r} is not an http(s) URL; e.g. --url {DEFAULT_URL}")
        return cls(
            url=base,
            event_key=event_key or env("STEPSTREAM_EVENT_KEY") or DEV_EVENT_KEY,
            signing_key=signing_key or env("STEPSTREAM_SIGNING_KEY") or DEV_SIGNING_KEY,
        )

    @property
    def ws_url(self) -> str:
        return "ws" + self.url[len("http") :]


class ApiClient:
    """Synchronous calls to the stepstream HTTP API."""

    def __init__(self, target: Target, *, timeout: float = TIMEOUT_SECONDS) -> None:
        self.target = target
        self._timeout = timeout
        self._http = httpx.Client(base_url=target.url, timeout=timeout)

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> ApiClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def send(self, event: dict[str, Any]) -> list[str]:
        body = self._request("POST", f"/e/{self.target.event_key}", json_body=event)
        ids = body.get("ids") if isinstance(body, dict) else None
        if not isinstance(ids, list):
            raise CliError(f"{self.target.url} answered without event ids: {_short(body)}")
        return [str(i) for i in ids]

    def token(self, channel: str, topics: list[str]) -> str:
        body = self._request(
            "POST", TOKEN_PATH, json_body=_token_request(channel, topics), signed=True
        )
        return self._jwt(body)

    async def token_async(self, channel: str, topics: list[str]) -> str:
        """:meth:`token` without blocking the event loop, and cancelled at once by a Ctrl-C
        (a worker thread would hold the process until its request timed out)."""
        async with httpx.AsyncClient(base_url=self.target.url, timeout=self._timeout) as http:
            with self._http_errors(TOKEN_PATH):
                response = await http.post(
                    TOKEN_PATH,
                    json=_token_request(channel, topics),
                    headers=self._auth(signed=True),
                )
        return self._jwt(_decode(response, self.target.url))

    def _jwt(self, body: Any) -> str:
        jwt = body.get("jwt") if isinstance(body, dict) else None
        if not isinstance(jwt, str):
            raise CliError(f"{self.target.url} answered without a token: {_short(body)}")
        return jwt

    def runs(self, limit: int, function_id: str | None) -> list[dict[str, Any]]:
        params: dict[str, str | int] = {"limit": limit}
        if function_id:
            params["function_id"] = function_id
        return list(_data(self._request("GET", "/v1/runs", params=params, signed=True)))

    def pending(self, limit: int, function_id: str | None) -> list[dict[str, Any]]:
        params: dict[str, str | int] = {"limit": limit}
        if function_id:
            params["function_id"] = function_id
        return list(_data(self._request("GET", "/v1/pending", params=params, signed=True)))

    def run(self, run_id: str) -> dict[str, Any]:
        data = _data(self._request("GET", f"/v1/runs/{_segment(run_id)}", signed=True))
        return dict(data)

    def call(self, method: str, path: str, body: Any = None) -> Any:
        """A signed request to a ``/v1`` route; its ``data``."""
        return _data(self._request(method, path, json_body=body, signed=True))

    def _request(
        self,
        method: str,
        path: str,
        *,
        json_body: Any = None,
        params: dict[str, str | int] | None = None,
        signed: bool = False,
    ) -> Any:
        with self._http_errors(path):
            response = self._http.request(
                method, path, json=json_body, params=params, headers=self._auth(signed)
            )
        return _decode(response, self.target.url)

    def _auth(self, signed: bool) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.target.signing_key}"} if signed else {}

    @contextlib.contextmanager
    def _http_errors(self, path: str) -> Iterator[None]:
        """httpx's failures as one readable line each."""
        try:
            yield
        except httpx.ConnectError as exc:
            raise CliError(unreachable(self.target.url, exc)) from exc
        except httpx.TimeoutException as exc:
            raise CliError(
                f"{self.target.url} did not answer within {self._timeout:.0f} s ({exc}); "
                "is the stack overloaded or the URL wrong?"
            ) from exc
        except httpx.HTTPError as exc:
            raise CliError(f"request to {self.target.url}{path} failed: {exc}") from exc


def _token_request(channel: str, topics: list[str]) -> list[dict[str, str]]:
    return [{"channel": channel, "name": t, "kind": "run"} for t in topics]


def unreachable(url: str, exc: BaseException) -> str:
    reason = str(exc) or type(exc).__name__
    if "refused" in reason.lower() or _refused(exc):
        reason = "connection refused"
    return (
        f"cannot reach {url}: {reason}. Is `make dev` running? Start it with `make dev`, "
        "or point --url / STEPSTREAM_URL at a running stack."
    )


def _refused(exc: BaseException | None) -> bool:
    """A refused connection anywhere in the chain (async httpx words it "All connection attempts
    failed" and keeps the ``ConnectionRefusedError`` underneath)."""
    while exc is not None:
        if isinstance(exc, ConnectionRefusedError):
            return True
        exc = exc.__cause__ or exc.__context__
    return False


def _decode(response: httpx.Response, url: str) -> Any:
    try:
        body = response.json()
    except (json.JSONDecodeError, UnicodeDecodeError):
        body = None
    if response.is_success:
        if body is None:
            raise CliError(
                f"{url} answered {response.status_code} with a body that is not JSON; "
                "is --url a stepstream API?"
            )
        return body
    message = body.get("error") if isinstance(body, dict) else None
    if not isinstance(message, str):
        message = (body or {}).get("detail") if isinstance(body, dict) else None
    if not isinstance(message, str):
        message = _short(response.text) or response.reason_phrase
    hint = ""
    if response.status_code == 401:
        hint = (
            " (check --event-key / --signing-key or STEPSTREAM_EVENT_KEY / STEPSTREAM_SIGNING_KEY)"
        )
    elif response.status_code == 404 and body is None:
        hint = " (is --url a stepstream API?)"
    raise CliError(f"{response.status_code} from {url}: {message}{hint}")


def _data(body: Any) -> Any:
    """Unwrap Inngest's REST ``{"data": ...}`` envelope."""
    if isinstance(body, dict) and "data" in body:
        return body["data"]
    return body


def _segment(value: str) -> str:
    return urllib.parse.quote(value, safe="")


def _short(value: Any, limit: int = 200) -> str:
    text = value if isinstance(value, str) else json.dumps(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."
