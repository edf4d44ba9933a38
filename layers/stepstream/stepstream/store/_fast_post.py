"""``PostToConnection`` on a keep-alive connection per thread, through the boto3 client's hooks.

Why: a fan-out of 1,000 subscribers is 1,000 posts, and botocore's request pipeline costs about
0.5 ms of CPU per post on a quiet core (more under GIL contention): building the user agent,
endpoint rules, serializing, urllib3, parsing. On a Lambda with a fraction of a core that, not
the 30 ms round trip, is what caps one invocation's posts per second. A post is one signed
``POST {endpoint}/@connections/{id}`` whose body is the frame, so it is cheap to make directly.

What stays botocore's: the client (from ``stepstream.aws``) is still made and asked for its
operation model and its event hooks, and they fire as botocore fires them, with the same
arguments: ``before-parameter-build`` (the local IAM emulation refuses a function without
``execute-api:ManageConnections`` there; the cost ledger counts messages and 32 KB units),
``before-call`` (request counters; a handler that answers, as botocore's ``Stubber`` does,
replaces the request), ``before-send`` (a handler that answers replaces the HTTP exchange) and
``after-call``. Signing is botocore's ``SigV4Auth`` (service ``execute-api``) with the session's
credentials, refreshed as botocore refreshes them; TLS verifies against the CA bundle botocore
would use. Retries are botocore's standard mode: 5 attempts, on 429, 500/502/503/504,
throttling codes and connection errors, with its jittered exponential backoff (without its
client-wide retry quota). Errors are the client's own exception classes (``GoneException`` ...).

Where this is not used (``usable``): with tracing on (X-Ray's botocore patch makes each post a
subsegment) or behind an HTTP proxy, posts take botocore's path.
"""

from __future__ import annotations

import http.client
import json
import random
import ssl
import threading
import time
import urllib.request
import weakref
from typing import Any, cast
from urllib.parse import quote, urlsplit

import botocore
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSPreparedRequest, AWSRequest, AWSResponse
from botocore.exceptions import EndpointConnectionError, NoCredentialsError
from botocore.httpsession import get_cert_path

from .. import _tracing
from .. import aws as _aws
from ._http1 import Http1

OPERATION = "PostToConnection"
MAX_ATTEMPTS = 5
MAX_BACKOFF = 20.0
CONNECT_TIMEOUT = 5.0
READ_TIMEOUT = 30.0
_RETRY_STATUS = frozenset({429, 500, 502, 503, 504})
# botocore's standard mode (botocore.retries.standard): throttling and transient error codes.
_RETRY_CODES = frozenset(
    {
        "Throttling",
        "ThrottlingException",
        "ThrottledException",
        "RequestThrottledException",
        "TooManyRequestsException",
        "ProvisionedThroughputExceededException",
        "TransactionInProgressException",
        "RequestLimitExceeded",
        "BandwidthLimitExceeded",
        "LimitExceededException",
        "RequestThrottled",
        "SlowDown",
        "PriorRequestNotComplete",
        "EC2ThrottledException",
        "RequestTimeout",
        "RequestTimeoutException",
    }
)
_CONNECTION_ERRORS = (OSError, http.client.HTTPException)  # socket errors, timeouts, bad status
_USER_AGENT = f"stepstream Botocore/{botocore.__version__}"


def usable(endpoint_url: str) -> bool:
    """Whether posts to ``endpoint_url`` may skip botocore's pipeline (see the module doc)."""
    if _tracing.enabled():
        return False
    host = urlsplit(endpoint_url).hostname or ""
    proxies = urllib.request.getproxies()
    scheme = urlsplit(endpoint_url).scheme
    return not (proxies.get(scheme) and not urllib.request.proxy_bypass(host))


class FastPost:
    """Posts to one ``@connections`` endpoint; one keep-alive connection per calling thread."""

    def __init__(self, endpoint_url: str) -> None:
        parts = urlsplit(endpoint_url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ValueError(f"not an http(s) endpoint: {endpoint_url!r}")
        default_port = 443 if parts.scheme == "https" else 80
        self._url = endpoint_url.rstrip("/")
        self._path = parts.path.rstrip("/")
        self._host = parts.hostname
        self._port = parts.port or default_port
        self._host_header = parts.netloc.rsplit("@", 1)[-1].lower()
        if parts.port == default_port:
            self._host_header = self._host_header.rsplit(":", 1)[0]
        self._tls: ssl.SSLContext | None = None
        if parts.scheme == "https":
            bundle = _aws.session()._session.get_config_variable("ca_bundle")
            self._tls = ssl.create_default_context(cafile=bundle or get_cert_path(True))
        # One connection per thread, held here rather than in a threading.local: a pool
        # thread that ends would drop its connection unclosed. Connections of ended threads are
        # closed when the next one is made, and all of them when this object goes.
        self._conns: dict[threading.Thread, Http1] = {}
        self._lock = threading.Lock()
        weakref.finalize(self, _close_all, self._conns)
        self._made: tuple[Any, Any] | None = None  # (client, its PostToConnection model)

    def post(self, client: Any, connection_id: str, data: bytes) -> None:
        """``client.post_to_connection(ConnectionId=connection_id, Data=data)``, made here."""
        made = self._made
        if made is None or made[0] is not client:  # a remade client brings new hooks
            made = self._made = (client, client.meta.service_model.operation_model(OPERATION))
        model = made[1]
        events = client.meta.events
        context: dict[str, Any] = {"client_region": client.meta.region_name}
        params: dict[str, Any] = {"ConnectionId": connection_id, "Data": data}
        events.emit(
            f"before-parameter-build.apigatewaymanagementapi.{OPERATION}",
            params=params,
            model=model,
            context=context,
        )
        connection_id, data = params["ConnectionId"], params["Data"]
        url_path = f"{self._path}/@connections/{quote(connection_id, safe='')}"
        request_dict: dict[str, Any] = {
            "url_path": url_path,
            "query_string": {},
            "method": "POST",
            "headers": {},
            "body": data,
            "url": self._url + url_path[len(self._path) :],
            "context": context,
        }
        _, answered = events.emit_until_response(
            f"before-call.apigatewaymanagementapi.{OPERATION}",
            model=model,
            params=request_dict,
            request_signer=getattr(client, "_request_signer", None),
            context=context,
        )
        if answered is not None:
            http_response, parsed = answered
        else:
            http_response, parsed = self._send(client, model, request_dict)
        events.emit(
            f"after-call.apigatewaymanagementapi.{OPERATION}",
            http_response=http_response,
            parsed=parsed,
            model=model,
            context=context,
        )
        if http_response.status_code >= 300:
            code = parsed.get("Error", {}).get("Code")
            raise client.exceptions.from_code(code)(parsed, OPERATION)

    def _send(
        self, client: Any, model: Any, request_dict: dict[str, Any]
    ) -> tuple[AWSResponse, dict[str, Any]]:
        region = client.meta.region_name
        signing_name = model.service_model.signing_name or "execute-api"
        credentials = _aws.session().get_credentials()
        if credentials is None:
            raise NoCredentialsError()
        url, body = request_dict["url"], request_dict["body"]
        attempt = 0
        while True:
            attempt += 1
            request = _Signable(url, body, self._host_header, request_dict["headers"])
            request.headers["amz-sdk-request"] = f"attempt={attempt}; max={MAX_ATTEMPTS}"
            signer = _SigV4(credentials.get_frozen_credentials(), signing_name, region)
            signer.add_auth(cast(AWSRequest, request))
            prepared = AWSPreparedRequest("POST", url, cast(Any, request.headers), body, False)
            _, answered = client.meta.events.emit_until_response(
                f"before-send.apigatewaymanagementapi.{OPERATION}", request=prepared
            )
            try:
                if answered is not None:
                    status, headers, content = (
                        answered.status_code,
                        {k.lower(): v for k, v in answered.headers.items()},
                        answered.content,
                    )
                else:
                    status, headers, content = self._exchange(
                        request_dict["url_path"], request.headers, body
                    )
            except ssl.SSLCertVerificationError:
                raise
            except _CONNECTION_ERRORS as exc:
                if attempt >= MAX_ATTEMPTS:
                    raise EndpointConnectionError(endpoint_url=url) from exc
                time.sleep(_backoff(attempt))
                continue
            response = AWSResponse(url, status, cast(Any, headers), None)
            parsed = _parse(status, headers, content, attempt)
            code = parsed.get("Error", {}).get("Code")
            retry = status in _RETRY_STATUS or code in _RETRY_CODES
            if not retry or attempt >= MAX_ATTEMPTS:
                return response, parsed
            time.sleep(_backoff(attempt))

    def _exchange(
        self, path: str, headers: dict[str, str], body: bytes
    ) -> tuple[int, dict[str, str], bytes]:
        lines = [f"POST {path} HTTP/1.1"]
        lines.extend(f"{name}: {value}" for name, value in headers.items())
        lines.append(f"content-length: {len(body)}\r\n\r\n")
        head = "\r\n".join(lines).encode("latin-1")
        conn = self._connection()
        reused = conn.open and not conn.dropped()
        if conn.open and not reused:
            conn.close()
        try:
            return conn.request(head, body)
        except (ConnectionError, http.client.RemoteDisconnected):
            conn.close()
            if not reused:
                raise
            # The server closed the idle connection as this request went out: nothing was
            # served, so it is sent again at once on a new one, as urllib3 does.
            return conn.request(head, body)
        except BaseException:
            conn.close()
            raise

    def _connection(self) -> Http1:
        conn = self._conns.get(threading.current_thread())
        if conn is not None:
            return conn
        conn = Http1(
            self._host,
            self._port,
            self._tls,
            connect_timeout=CONNECT_TIMEOUT,
            read_timeout=READ_TIMEOUT,
        )
        with self._lock:
            for thread in [t for t in self._conns if not t.is_alive()]:
                self._conns.pop(thread).close()
            self._conns[threading.current_thread()] = conn
        return conn


class _SigV4(SigV4Auth):
    """botocore's SigV4, with the day's signing key derived once rather than per request (four
    HMACs, a fifth of a post's signing)."""

    _keys: dict[tuple[str, str, str, str], bytes] = {}

    def signature(self, string_to_sign: str, request: Any) -> str:
        me: Any = self  # botocore's private parts, untyped in its stubs
        secret = str(self.credentials.secret_key)
        day = str(request.context["timestamp"][0:8])
        found = (secret, day, str(me._region_name), str(me._service_name))
        key = self._keys.get(found)
        if key is None:
            key = me._sign(f"AWS4{secret}".encode(), day)
            for part in (*found[2:], "aws4_request"):
                key = me._sign(key, part)
            if len(self._keys) > 16:  # old days, rotated secrets
                self._keys.clear()
            self._keys[found] = key
        return str(me._sign(key, string_to_sign, hex=True))


class _Headers(dict[str, str]):
    """Header names in lower case, looked up in any case: what ``SigV4Auth`` reads and writes
    (``'Authorization' in headers``, ``headers['X-Amz-Date'] = ...``) without the ``email``
    machinery of botocore's ``HTTPHeaders``."""

    def __setitem__(self, name: str, value: str) -> None:
        super().__setitem__(name.lower(), value)

    def __getitem__(self, name: str) -> str:
        return super().__getitem__(name.lower())

    def __delitem__(self, name: str) -> None:
        super().__delitem__(name.lower())

    def __contains__(self, name: object) -> bool:
        return isinstance(name, str) and super().__contains__(name.lower())

    def get(self, name: str, default: Any = None) -> Any:
        return super().get(name.lower(), default)


class _Signable:
    """What ``SigV4Auth.add_auth`` reads of an ``AWSRequest``: method, url, params, body,
    context, headers."""

    method = "POST"
    stream_output = False

    def __init__(self, url: str, body: bytes, host: str, extra: dict[str, str]) -> None:
        self.url = url
        self.body = body
        self.data = body
        self.params: dict[str, str] = {}
        self.context: dict[str, Any] = {}
        self.headers = _Headers()
        self.headers["host"] = host
        self.headers["user-agent"] = _USER_AGENT
        for name, value in extra.items():
            self.headers[name] = value


def _close_all(conns: dict[threading.Thread, Http1]) -> None:
    for conn in list(conns.values()):
        conn.close()
    conns.clear()


def _parse(status: int, headers: dict[str, str], body: bytes, attempt: int) -> dict[str, Any]:
    """What botocore's rest-json parser makes of a PostToConnection answer."""
    metadata: dict[str, Any] = {
        "HTTPStatusCode": status,
        "HTTPHeaders": headers,
        "RetryAttempts": attempt - 1,
    }
    if "x-amzn-requestid" in headers:
        metadata["RequestId"] = headers["x-amzn-requestid"]
    if status < 300:
        return {"ResponseMetadata": metadata}
    code = headers.get("x-amzn-errortype", "").split(":")[0]
    message = ""
    try:
        decoded = json.loads(body) if body else {}
        if isinstance(decoded, dict):
            message = str(decoded.get("message") or decoded.get("Message") or "")
            code = code or str(decoded.get("__type", "")).rsplit("#", 1)[-1]
    except ValueError:
        message = body.decode("utf-8", "replace")
    return {
        "Error": {"Code": code or str(status), "Message": message},
        "ResponseMetadata": metadata,
    }


def _backoff(attempt: int) -> float:
    """botocore's standard mode: ``random() * min(20, 2 ** (attempt - 1))`` seconds."""
    return random.random() * min(MAX_BACKOFF, 2.0 ** (attempt - 1))
