"""The runs API (Inngest's REST v1 shapes) and the function registry."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

from fastapi import APIRouter, Path, Query

from .._states import RunStatus
from ._auth import NoStore, SigningKeyAuth
from ._errors import ApiError, error_responses
from ._models import Envelope, FunctionOut, PendingOut, RunOut, UsageOut
from ._query import KnownQueryOnly
from ._views import function_out, pending_out, run_out, usage_out

if TYPE_CHECKING:
    from .._app import Stepstream

RunId = Annotated[str, Path(min_length=1, max_length=256)]
FunctionId = Annotated[str, Path(min_length=1, max_length=256)]


def _unknown_run(run_id: str) -> ApiError:
    return ApiError(404, f"no run with id {run_id!r}; run ids come from GET /v1/events/{{id}}/runs")


def run_router(app: Stepstream) -> APIRouter:
    router = APIRouter(prefix="/v1", dependencies=[SigningKeyAuth, NoStore, KnownQueryOnly])

    @router.get(
        "/runs",
        tags=["runs"],
        response_model=Envelope[list[RunOut]],
        responses=error_responses(400, 401),
    )
    def recent_runs(
        limit: Annotated[int, Query(ge=1, le=500)] = 50,
        function_id: Annotated[str | None, Query(min_length=1, max_length=256)] = None,
    ) -> Envelope[list[RunOut]]:
        """The most recently created runs, newest first, optionally of one function."""
        runs = app.runs.recent(limit=limit, function_id=function_id)
        return Envelope(data=[run_out(r) for r in runs])

    @router.get(
        "/pending",
        tags=["runs"],
        response_model=Envelope[list[PendingOut]],
        responses=error_responses(400, 401),
    )
    def pending(
        limit: Annotated[int, Query(ge=1, le=500)] = 50,
        function_id: Annotated[str | None, Query(min_length=1, max_length=256)] = None,
    ) -> Envelope[list[PendingOut]]:
        """Events a debounced or batched function has gathered for a run that does not exist
        yet, soonest start first: ``debounced until T (last event X)``, ``batch of N events,
        starts at T or at max_size``."""
        return Envelope(data=[pending_out(p) for p in app.runs.pending(function_id, limit)])

    @router.get(
        "/runs/{run_id}",
        tags=["runs"],
        response_model=Envelope[RunOut],
        responses=error_responses(400, 401, 404),
    )
    def get_run(run_id: RunId) -> Envelope[RunOut]:
        """A run: its status, output or error, and every step with its timings."""
        run = app.runs.get(run_id)
        if run is None:
            raise _unknown_run(run_id)
        return Envelope(data=run_out(run))

    def cancel(run_id: str) -> Envelope[RunOut]:
        before = app.runs.get(run_id)
        if before is None:
            raise _unknown_run(run_id)
        if RunStatus.is_terminal(before.status):
            raise ApiError(
                409,
                f"run {run_id!r} is {before.status} already; only queued, running, sleeping or "
                "waiting runs can be cancelled",
            )
        run = app.runs.cancel(run_id)
        if run is None:
            raise _unknown_run(run_id)
        return Envelope(data=run_out(run))

    @router.post(
        "/runs/{run_id}/cancel",
        tags=["runs"],
        response_model=Envelope[RunOut],
        responses=error_responses(400, 401, 404, 409),
    )
    def cancel_run(run_id: RunId) -> Envelope[RunOut]:
        """Cancel a run. A sleeping or waiting run stops at once, a running one at its next step
        boundary. Cancelling a finished run is refused (409) and changes nothing."""
        return cancel(run_id)

    @router.delete(
        "/runs/{run_id}",
        tags=["runs"],
        response_model=Envelope[RunOut],
        responses=error_responses(400, 401, 404, 409),
    )
    def delete_run(run_id: RunId) -> Envelope[RunOut]:
        """Inngest's verb for cancelling a run; the same as ``POST /v1/runs/{run_id}/cancel``."""
        return cancel(run_id)

    @router.get(
        "/functions",
        tags=["functions"],
        response_model=Envelope[list[FunctionOut]],
        responses=error_responses(400, 401),
    )
    def list_functions() -> Envelope[list[FunctionOut]]:
        """The functions this app registers, with their triggers and retry settings."""
        return Envelope(data=[function_out(f) for f in app.functions.values()])

    @router.get(
        "/functions/{function_id}/usage",
        tags=["functions"],
        response_model=Envelope[UsageOut],
        responses=error_responses(400, 401, 404),
    )
    def function_usage(function_id: FunctionId) -> Envelope[UsageOut]:
        """The function's current use of its flow-control limits: slots held and runs in line
        for its busiest concurrency keys, throttled keys with their next start, and open
        debounce or batch windows. A bounded number of reads (``reads``)."""
        view = app.runs.usage(function_id)
        if view is None:
            raise ApiError(404, f"no function {function_id!r}; GET /v1/functions lists them")
        return Envelope(data=usage_out(view))

    return router
