"""Refuse query parameters a route does not take, or given twice: ``?limt=5`` answers 400 naming
the ones it takes instead of silently returning the default 50, and ``?function_id=a&function_id=b``
is not quietly read as ``b`` (the OpenAPI document, which lists every parameter once, stays
exact)."""

from __future__ import annotations

from typing import Any

from fastapi import Depends, Request
from fastapi.routing import APIRoute

from ._errors import ApiError


def _query_names(dependant: Any) -> set[str]:
    names = {str(param.alias) for param in dependant.query_params}
    for sub in dependant.dependencies:
        names |= _query_names(sub)
    return names


def _known_query_only(request: Request) -> None:
    route = request.scope.get("route")
    if not isinstance(route, APIRoute):
        return
    known = _query_names(route.dependant)
    unknown = sorted(set(request.query_params) - known)
    if unknown:
        takes = ", ".join(sorted(known)) or "none"
        shown = ", ".join(repr(name[:40]) for name in unknown[:5])
        raise ApiError(400, f"unknown query parameter(s) {shown}; this route takes: {takes}")
    repeated = sorted(
        {name for name in request.query_params if len(request.query_params.getlist(name)) > 1}
    )
    if repeated:
        raise ApiError(
            400, f"query parameter {repeated[0]!r} is given more than once; give it once"
        )


KnownQueryOnly = Depends(_known_query_only)
