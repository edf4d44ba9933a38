"""Which browser origins may call the HTTP API, and the one CORS policy every app serving it uses
(the API and the token function answer browsers alike, so a preflight answered by one fits a
request served by the other)."""

from __future__ import annotations

import os
from collections.abc import Sequence

from fastapi import FastAPI
from fastapi.middleware.cors import CORSMiddleware

CORS_ENV = "STEPSTREAM_CORS_ORIGINS"


def cors_origins_from_env() -> list[str]:
    """Origins allowed to call from a browser: ``STEPSTREAM_CORS_ORIGINS`` (comma-separated,
    ``*`` for any). Unset means any origin locally and none on Lambda."""
    raw = os.environ.get(CORS_ENV)
    if raw is None:
        return [] if os.environ.get("AWS_LAMBDA_FUNCTION_NAME") else ["*"]
    return [origin.strip() for origin in raw.split(",") if origin.strip()]


def add_cors(api: FastAPI, origins: Sequence[str]) -> None:
    """Answer preflights and tag responses for ``origins`` (nothing when there are none).
    Browsers authenticate with keys in the path or the ``Authorization`` header, never cookies,
    so credentials are not allowed."""
    if not origins:
        return
    api.add_middleware(
        CORSMiddleware,
        allow_origins=list(origins),
        allow_methods=["GET", "POST", "DELETE", "OPTIONS"],
        allow_headers=["*"],  # the Inngest SDKs send several x-inngest-* headers
        allow_credentials=False,
        max_age=600,
    )
