"""The operations API: rerun a run, replay a function's runs, bulk cancel (Inngest's
``POST /v1/cancellations``), pause and resume a function. Every refusal is a 4xx that says why
and changed nothing."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Annotated, Any, TypeVar

from fastapi import APIRouter, Body, Path

from .._errors import OperationError
from ._auth import NoStore, SigningKeyAuth
from ._errors import ApiError, error_responses
from ._models import Envelope
from ._ops_models import (
    CancellationIn,
    CancellationOut,
    PauseIn,
    PauseOut,
    Progress,
    ReplayIn,
    ReplayOut,
    RerunIn,
    RerunOut,
    op_times,
)

if TYPE_CHECKING:
    from .._app import Stepstream

Id = Annotated[str, Path(min_length=1, max_length=256)]
T = TypeVar("T")
_STATUS = {"not_found": 404, "invalid": 422, "conflict": 409}


def _refusing(call: Callable[[], T]) -> T:
    try:
        return call()
    except OperationError as exc:
        raise ApiError(_STATUS.get(exc.reason, 400), str(exc)) from None


def ops_router(app: Stepstream) -> APIRouter:
    router = APIRouter(prefix="/v1", dependencies=[SigningKeyAuth, NoStore])
    ops = app.operations

    @router.post(
        "/runs/{run_id}/rerun",
        tags=["operations"],
        response_model=Envelope[RerunOut],
        responses=error_responses(401, 404, 409, 422),
    )
    def rerun(run_id: Id, body: Annotated[RerunIn | None, Body()] = None) -> Envelope[RerunOut]:
        """A new run of the same function with the same event, linked by ``rerun_of``. With
        ``from_step`` it keeps the memo of the steps before that step and runs from there."""
        from_step = body.from_step if body else None
        run = _refusing(lambda: ops.rerun(run_id, from_step))
        return Envelope(
            data=RerunOut(
                run_id=run.run_id, rerun_of=run_id, function_id=run.function_id, from_step=from_step
            )
        )

    @router.post(
        "/replays",
        tags=["operations"],
        response_model=Envelope[ReplayOut],
        responses=error_responses(401, 404, 422),
    )
    def replay(body: ReplayIn) -> Envelope[ReplayOut]:
        """Rerun a function's runs created in a range (at most 31 days) with the given statuses
        (default: failed); answers how many it started. ``dry_run`` only counts them."""
        statuses = [str(s) for s in body.statuses]
        common: dict[str, Any] = {
            "function_id": body.function_id,
            "started_after": body.started_after,
            "started_before": body.started_before,
            "statuses": statuses,
        }
        if body.dry_run:
            count = _refusing(
                lambda: ops.replay_count(
                    body.function_id, body.started_after, body.started_before, statuses
                )
            )
            return Envelope(data=ReplayOut(id=None, count=count, **common))
        op = _refusing(
            lambda: ops.replay(body.function_id, body.started_after, body.started_before, statuses)
        )
        return Envelope(
            data=ReplayOut(id=op.op_id, count=len(op.run_ids), run_ids=op.run_ids, **common)
        )

    @router.get(
        "/replays/{replay_id}",
        tags=["operations"],
        response_model=Envelope[ReplayOut],
        responses=error_responses(401, 404),
    )
    def get_replay(replay_id: Id) -> Envelope[ReplayOut]:
        """A replay and the progress of the runs it started."""
        op, progress = _refusing(lambda: ops.get(replay_id, "replay"))
        after, before = op_times(op.request)
        return Envelope(
            data=ReplayOut(
                id=op.op_id,
                function_id=op.request["function_id"],
                started_after=after,
                started_before=before,
                statuses=op.request["statuses"],
                count=len(op.run_ids),
                run_ids=op.run_ids,
                progress=Progress(**progress),
            )
        )

    @router.post(
        "/cancellations",
        tags=["operations"],
        response_model=Envelope[CancellationOut],
        response_model_by_alias=True,
        responses=error_responses(401, 404, 422),
    )
    def cancel_many(body: CancellationIn) -> Envelope[CancellationOut]:
        """Inngest's bulk cancellation: cancel the queued, running, sleeping and waiting runs
        of a function created between ``started_after`` and ``started_before`` whose event
        matches ``if`` (CEL over ``event``). Finished runs are left as they are."""
        if body.app_id not in (None, app.id):
            raise ApiError(404, f"no app {body.app_id!r} here; this API serves app {app.id!r}")
        op = _refusing(
            lambda: ops.cancel_many(
                app.id,
                body.function_id,
                body.started_after,
                body.started_before,
                body.if_exp,
            )
        )
        return Envelope(data=_cancellation_out(op.op_id, op.request, op.run_ids))

    @router.get(
        "/cancellations/{cancellation_id}",
        tags=["operations"],
        response_model=Envelope[CancellationOut],
        response_model_by_alias=True,
        responses=error_responses(401, 404),
    )
    def get_cancellation(cancellation_id: Id) -> Envelope[CancellationOut]:
        """A bulk cancellation and how many runs it cancelled."""
        op, _ = _refusing(lambda: ops.get(cancellation_id, "cancellation"))
        return Envelope(data=_cancellation_out(op.op_id, op.request, op.run_ids))

    @router.post(
        "/functions/{function_id}/pause",
        tags=["operations"],
        response_model=Envelope[PauseOut],
        responses=error_responses(401, 404, 422),
    )
    def pause(
        function_id: Id, body: Annotated[PauseIn | None, Body()] = None
    ) -> Envelope[PauseOut]:
        """Start no new runs of the function; runs in flight finish. ``hold`` (default) keeps
        the runs its events start and starts them on resume; ``skip`` starts none."""
        mode = body.mode if body else "hold"
        _refusing(lambda: ops.pause(function_id, mode))
        return Envelope(data=PauseOut(function_id=function_id, paused=mode))

    @router.post(
        "/functions/{function_id}/resume",
        tags=["operations"],
        response_model=Envelope[PauseOut],
        responses=error_responses(401, 404),
    )
    def resume(function_id: Id) -> Envelope[PauseOut]:
        """Unpause the function and start the runs it held."""
        started = _refusing(lambda: ops.resume(function_id))
        return Envelope(data=PauseOut(function_id=function_id, paused=None, started=started))

    @router.get(
        "/pauses",
        tags=["operations"],
        response_model=Envelope[dict[str, str]],
        responses=error_responses(401),
    )
    def pauses() -> Envelope[dict[str, str]]:
        """The paused functions and their modes."""
        return Envelope(data=ops.pauses())

    return router


def _cancellation_out(op_id: str, request: dict[str, Any], run_ids: list[str]) -> CancellationOut:
    after, before = op_times(request)
    return CancellationOut(
        id=op_id,
        app_id=request["app_id"],
        function_id=request["function_id"],
        started_after=after,
        started_before=before,
        if_exp=request.get("if"),
        cancelled=len(run_ids),
        run_ids=run_ids,
    )
