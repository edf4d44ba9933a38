"""GIVEN template.yaml WHEN `sam build` runs (no Docker, no python3.13) THEN the arm64 layer is
built for the deployed runtime and stays small, and each built handler, imported only from the
build output, handles its sample event against moto.

arm64 wheels hold aarch64 machine code that cannot load here, so the handlers run from a second
build of the same template with x86_64 wheels for this Python (LAYER_ARCH / LAYER_PYTHON_VERSION,
see layers/stepstream/Makefile)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from stepstream.local import Provisioned

from ._template_support import EVENTS, HANDLERS, ROOT, Build

RUNNER = Path(__file__).with_name("_lambda_runner.py")
LAYER_LIMIT_BYTES = 250 * 1024 * 1024
# What the Lambda runtime itself provides next to /var/task and /opt/python.
RUNTIME_PACKAGES = ("boto3", "botocore", "s3transfer", "urllib3", "jmespath", "dateutil", "six")


def tree_size(path: Path) -> int:
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file())


def test_arm64_layer_is_built_for_the_deployed_runtime(arm64_build: Build) -> None:
    site = arm64_build.layer_site
    native = [p.name for p in site.rglob("*.so")]
    assert native, "expected compiled extensions (pydantic_core, re2)"
    assert all("x86_64" not in name for name in native), native
    assert any("cpython-313-aarch64" in name for name in native), native
    assert (site / "stepstream" / "__init__.py").is_file()


def test_layer_holds_runtime_dependencies_only_and_fits_lambda(arm64_build: Build) -> None:
    site = arm64_build.layer_site
    top = {p.name for p in site.iterdir()}
    # uvicorn is a runtime dependency: the streaming function serves through it.
    for dev_only in ("moto", "httpx", "pytest", "boto3", "botocore"):
        assert dev_only not in top, f"{dev_only} is not a runtime dependency"
    assert not (site / "stepstream" / "local").exists(), "the local dev stack ships only locally"
    assert tree_size(site) < LAYER_LIMIT_BYTES // 5


@pytest.fixture(scope="session")
def runtime_packages(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A directory holding only what the Lambda runtime adds to sys.path: boto3 and its deps."""
    root = tmp_path_factory.mktemp("lambda-runtime")
    for name in RUNTIME_PACKAGES:
        module = __import__(name)
        source = Path(module.__file__ or "")
        source = source.parent if source.name == "__init__.py" else source
        (root / source.name).symlink_to(source)
    return root


def invoke(
    build: Build, logical_id: str, event: dict[str, Any], runtime: Path, tmp_path: Path
) -> dict[str, Any]:
    module = HANDLERS[logical_id].split(".")[0]
    function_dir = build.function_dir(logical_id)
    event_file = tmp_path / f"{logical_id}.json"
    event_file.write_text(json.dumps(event), encoding="utf-8")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTHON", "VIRTUAL_ENV"))}
    env["PYTHONPATH"] = os.pathsep.join([str(build.layer_site), str(runtime)])
    env["PYTHONNOUSERSITE"] = "1"
    # Replies to a connection go to moto's @connections API, as they would to API Gateway's.
    env["STEPSTREAM_WS_MANAGEMENT_URL"] = env["AWS_ENDPOINT_URL"]
    # The function's sample keys, as `sam local invoke --env-vars events/env.json` gives them
    # (its "Parameters" are the deployed stack's resource names; here moto's stand in).
    env.update(SAMPLE_ENV.get(logical_id, {}))
    result = subprocess.run(
        [
            sys.executable,
            "-S",
            "-P",
            "-c",
            RUNNER.read_text(encoding="utf-8"),
            module,
            str(event_file),
        ],
        cwd=function_dir,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr[-4000:]
    output: dict[str, Any] = json.loads(result.stdout.strip().splitlines()[-1])
    assert output["foreign"] == [], f"imported from outside the build: {output['foreign']}"
    return output


SAMPLE_ENV: dict[str, dict[str, str]] = json.loads(
    (EVENTS / "env.json").read_text(encoding="utf-8")
)


def sample(name: str) -> dict[str, Any]:
    event: dict[str, Any] = json.loads((EVENTS / name).read_text(encoding="utf-8"))
    return event


def require_handler(build: Build, logical_id: str) -> None:
    module = HANDLERS[logical_id].split(".")[0]
    if not (ROOT / "functions" / f"{module}.py").is_file():
        pytest.skip(f"functions/{module}.py is not written yet")
    assert (build.function_dir(logical_id) / f"{module}.py").is_file(), "sam build dropped it"


def returned(output: dict[str, Any]) -> Any:
    assert "raised" not in output, output["traceback"]
    return output["result"]


@pytest.fixture
def run(x86_64_build: Build, runtime_packages: Path, aws: Provisioned, tmp_path: Path) -> Any:
    def call(logical_id: str, event: dict[str, Any]) -> dict[str, Any]:
        require_handler(x86_64_build, logical_id)
        return invoke(x86_64_build, logical_id, event, runtime_packages, tmp_path)

    return call


def test_api_answers_health(run: Any) -> None:
    response = returned(run("ApiFunction", sample("api.json")))
    assert response["statusCode"] == 200, response


def test_api_accepts_the_sample_event(run: Any) -> None:
    response = returned(run("ApiFunction", sample("api_send_event.json")))
    assert response["statusCode"] == 200, response
    assert len(json.loads(response["body"])["ids"]) == 1


def test_token_function_mints_a_token(run: Any) -> None:
    response = returned(run("TokenFunction", sample("realtime_token.json")))
    assert response["statusCode"] == 201, response
    assert json.loads(response["body"])["jwt"].count(".") == 2


def test_executor_reports_batch_item_failures(run: Any) -> None:
    response = returned(run("ExecutorFunction", sample("executor.json")))
    assert isinstance(response["batchItemFailures"], list), response


def test_scheduler_ticks(run: Any) -> None:
    returned(run("SchedulerFunction", sample("scheduler.json")))


def test_authorizer_refuses_the_samples_unsigned_token(run: Any) -> None:
    output = run("WsAuthorizerFunction", sample("ws_authorizer.json"))
    if "raised" in output:  # API Gateway's way to answer 401
        assert output["message"] == "Unauthorized", output
    else:
        statement = output["result"]["policyDocument"]["Statement"][0]
        assert statement["Effect"] == "Deny", output


def authorize_with_a_real_token(run: Any) -> dict[str, Any]:
    from stepstream.realtime._secrets import parse_key_ring
    from stepstream.realtime._tokens import mint_token

    event = sample("ws_authorizer.json")
    ring = parse_key_ring(SAMPLE_ENV["WsAuthorizerFunction"]["STEPSTREAM_JWT_SECRET"])
    token = mint_token(app_id="stepstream-demo", channel="demo", topics=["messages"], ring=ring)
    event["queryStringParameters"]["token"] = token
    event["multiValueQueryStringParameters"]["token"] = [token]
    policy: dict[str, Any] = returned(run("WsAuthorizerFunction", event))
    assert policy["policyDocument"]["Statement"][0]["Effect"] == "Allow", policy
    return policy


def test_authorizer_allows_a_genuine_token(run: Any) -> None:
    authorize_with_a_real_token(run)


def test_connect_message_disconnect_with_the_authorizers_context(run: Any) -> None:
    # As API Gateway does: the authorizer's context (and principal) reach the route handlers.
    policy = authorize_with_a_real_token(run)
    authorizer = {**policy.get("context", {}), "principalId": policy["principalId"]}
    connect = sample("ws_connect.json")
    connect["requestContext"]["authorizer"] = authorizer
    assert returned(run("WsConnectFunction", connect))["statusCode"] == 200
    message = sample("ws_default.json")
    message["requestContext"]["authorizer"] = authorizer
    assert returned(run("WsDefaultFunction", message))["statusCode"] == 200
    assert returned(run("WsDisconnectFunction", sample("ws_disconnect.json")))["statusCode"] == 200


def http_event(method: str, path: str, body: dict[str, Any] | None = None) -> dict[str, Any]:
    """The api.json sample re-aimed at another route, signed with the sample signing key."""
    event = sample("api.json")
    event["rawPath"] = event["requestContext"]["http"]["path"] = path
    event["requestContext"]["http"]["method"] = method
    signing_key = SAMPLE_ENV["ApiFunction"]["STEPSTREAM_SIGNING_KEY"]
    event["headers"]["authorization"] = f"Bearer {signing_key}"
    if body is not None:
        event["body"] = json.dumps(body)
        event["headers"]["content-type"] = "application/json"
    return event


def next_executor_event(aws: Provisioned) -> dict[str, Any]:
    """The next executor message, as the SQS event source hands it to the function (and, as it
    does after a success, deleted from the queue)."""
    from stepstream.aws import client

    sqs = client("sqs")
    url = aws.queues["ExecutorQueue"]
    received = sqs.receive_message(
        QueueUrl=url, MaxNumberOfMessages=1, WaitTimeSeconds=10, AttributeNames=["All"]
    )
    (message,) = received["Messages"]
    sqs.delete_message(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"])
    record = {
        "messageId": message["MessageId"],
        "receiptHandle": message["ReceiptHandle"],
        "body": message["Body"],
        "attributes": message["Attributes"],
        "messageAttributes": {},
        "md5OfBody": message["MD5OfBody"],
        "eventSource": "aws:sqs",
        "eventSourceARN": aws.queue_arns["ExecutorQueue"],
        "awsRegion": "us-east-1",
    }
    return {"Records": [record]}


def test_built_api_and_executor_run_a_function_to_completion(run: Any, aws: Provisioned) -> None:
    # GIVEN the demo app's `hello` function (one step, a 1 s sleep), built and deployed as-is
    sent = returned(
        run(
            "ApiFunction",
            http_event(
                "POST",
                f"/e/{SAMPLE_ENV['ApiFunction']['STEPSTREAM_EVENT_KEY']}",
                {"name": "app/hello", "data": {"name": "smoke"}},
            ),
        )
    )
    (event_id,) = json.loads(sent["body"])["ids"]
    # WHEN the executor takes the start message, then the sleep's timer message
    for _ in range(2):
        answer = returned(run("ExecutorFunction", next_executor_event(aws)))
        assert answer == {"batchItemFailures": []}
    # THEN the runs API, from the built API function, shows the run completed with its output
    runs = returned(run("ApiFunction", http_event("GET", f"/v1/events/{event_id}/runs")))
    (listed,) = json.loads(runs["body"])["data"]
    shown = returned(run("ApiFunction", http_event("GET", f"/v1/runs/{listed['run_id']}")))
    view = json.loads(shown["body"])["data"]
    assert view["state"] == "completed", view
    assert view["status"] == "Completed"
    assert view["output"] == {"greeting": "Hello, smoke!"}
