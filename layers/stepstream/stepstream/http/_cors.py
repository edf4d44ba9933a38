"""Which browser origins may call the HTTP API, and the one CORS policy every app serving it uses
(the API and the token function answer browsers alike, so a preflight answered by one fits a
request served by the other)."""

from __future__ import annotations

import os
from collections.abc import Sequence

from fastapi import FastAPI
from fastapi.middleware.cors import CORSMiddleware

CORS_ENV = "STEPSTREAM_CORS_ORIGINS"
LOOPBACK = "loopback"
"""In an origin list: any page served from this machine (``localhost``, ``*.localhost``,
``127.x.x.x``, ``[::1]``, any port)."""
LOOPBACK_ORIGIN_REGEX = (
    r"https?://(localhost|[a-z0-9-]+\.localhost|127\.\d{1,3}\.\d{1,3}\.\d{1,3}|\[::1\])(:\d{1,5})?"
)


def cors_origins_from_env() -> list[str]:
    """Origins allowed to call from a browser: ``STEPSTREAM_CORS_ORIGINS`` (comma-separated;
    ``*`` for any, ``loopback`` for this machine's pages). Unset means ``loopback`` locally (a
    page on any other site may not send the ``Authorization`` header to a dev stack) and none
    on Lambda."""
    raw = os.environ.get(CORS_ENV)
    if raw is None:
        return [] if os.environ.get("AWS_LAMBDA_FUNCTION_NAME") else [LOOPBACK]
    return [origin.strip() for origin in raw.split(",") if origin.strip()]


def add_cors(api: FastAPI, origins: Sequence[str]) -> None:
    """Answer preflights and tag responses for ``origins`` (nothing when there are none).
    Browsers authenticate with keys in the path or the ``Authorization`` header, never cookies,
    so credentials are not allowed."""
    if not origins:
        return
    api.add_middleware(
        CORSMiddleware,
        allow_origins=[origin for origin in origins if origin != LOOPBACK],
        allow_origin_regex=LOOPBACK_ORIGIN_REGEX if LOOPBACK in origins else None,
        allow_methods=["GET", "POST", "DELETE", "OPTIONS"],
        allow_headers=["*"],  # the Inngest SDKs send several x-inngest-* headers
        allow_credentials=False,
        max_age=600,
    )
