"""GIVEN template.yaml
WHEN the dev stack reads which handler serves which trigger
THEN it finds them the way AWS wires them (event source mapping, schedule, WebSocket routes and
authorizer), imports each handler from CodeUri by path, and explains a broken template."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from stepstream.local._ticker import scheduled_event
from stepstream.local._wiring import WiringError, read_wiring

ROOT = Path(__file__).resolve().parents[2]


def test_repository_template_wires_every_trigger() -> None:
    wiring = read_wiring(ROOT / "template.yaml")
    assert [(q.queue, q.handler.handler, q.batch_size) for q in wiring.queues] == [
        ("ExecutorQueue", "executor.handler", 1),
        ("FanoutQueue", "fanout.handler", 10),
    ]
    assert [s.handler for s in wiring.schedules] == ["scheduler.handler"]
    routes = {key: ref.handler for key, ref in wiring.websocket_routes.items()}
    assert routes == {
        "$connect": "ws_connect.handler",
        "$disconnect": "ws_disconnect.handler",
        "$default": "ws_default.handler",
    }
    assert wiring.websocket_authorizer is not None
    assert wiring.websocket_authorizer.handler == "ws_authorizer.handler"
    assert wiring.queues[0].handler.code_dir == ROOT / "functions"
    assert wiring.queues[0].handler.timeout_seconds >= 30


def _template(tmp_path: Path, handler: str) -> Path:
    (tmp_path / "src").mkdir()
    (tmp_path / "template.yaml").write_text(
        textwrap.dedent(
            f"""
            Resources:
              Queue:
                Type: AWS::SQS::Queue
              Worker:
                Type: AWS::Serverless::Function
                Properties:
                  CodeUri: src/
                  Handler: {handler}
                  Events:
                    Jobs:
                      Type: SQS
                      Properties:
                        Queue: !GetAtt Queue.Arn
                        BatchSize: 5
            """
        )
    )
    return tmp_path / "template.yaml"


def test_handler_named_like_a_stdlib_module_is_loaded_from_codeuri(tmp_path: Path) -> None:
    template = _template(tmp_path, "token.handler")
    (tmp_path / "src" / "token.py").write_text("def handler(event, context):\n    return 'mine'\n")
    (trigger,) = read_wiring(template).queues
    assert trigger.batch_size == 5
    assert trigger.handler.load()({}, None) == "mine"


def test_missing_handler_file_is_explained(tmp_path: Path) -> None:
    template = _template(tmp_path, "nowhere.handler")
    (trigger,) = read_wiring(template).queues
    with pytest.raises(WiringError, match=r"Worker: .*nowhere\.py does not exist"):
        trigger.handler.load()


def test_missing_attribute_is_explained(tmp_path: Path) -> None:
    template = _template(tmp_path, "worker.handle")
    (tmp_path / "src" / "worker.py").write_text("def handler(event, context):\n    return 1\n")
    (trigger,) = read_wiring(template).queues
    with pytest.raises(WiringError, match="no callable 'handle'"):
        trigger.handler.load()


def test_missing_websocket_route_is_explained(tmp_path: Path) -> None:
    wiring = read_wiring(_template(tmp_path, "worker.handler"))
    with pytest.raises(WiringError, match=r"no WebSocket route '\$connect'"):
        wiring.route("$connect")


def test_scheduled_event_is_what_eventbridge_sends() -> None:
    from datetime import UTC, datetime

    from aws_lambda_powertools.utilities.parser.models import EventBridgeModel

    event = scheduled_event(datetime(2026, 1, 2, 3, 4, tzinfo=UTC), "SchedulerFunction")
    parsed = EventBridgeModel.model_validate(event)
    assert parsed.detail_type == "Scheduled Event"
    assert event["time"] == "2026-01-02T03:04:00Z"
