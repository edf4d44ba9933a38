"""Which backends the engine tests run on.

Every test that takes ``engine_env`` runs on the in-memory backends (``stepstream.store``'s
MemoryState/MemoryQueue/MemoryBlobs, which pass the same contract suite as DynamoDB/SQS/S3 in
tests/store). Two markers widen that:

- ``@pytest.mark.also_on_aws``: run it a second time on DynamoDB/SQS/S3 in moto over HTTP. Each
  scenario file marks a representative subset (at least one test), so every scenario still
  runs end to end against the AWS adapters.
- ``@pytest.mark.only_on_aws``: the test is about AWS itself (S3 offload sizes, the realtime
  store, SQS attributes) and runs on moto only.

The ids say which: ``test_x[memory]``, ``test_x[aws]``. ``engine_env`` binds every
``Stepstream`` defined at the test module's top level to its backends (tests send events with
``app.send`` directly); an app made inside a test is bound by ``Harness`` or
``engine_env.use(app)``. On ``memory`` the AWS endpoint points at a closed port, so a call that
bypasses the injected backends fails instead of reaching anything."""

from __future__ import annotations

import pytest

from stepstream import Backends, Stepstream
from stepstream.aws import reset_clients

from .harness import EngineEnv

MARKERS = {
    "also_on_aws": "run this engine test on moto (DynamoDB/SQS/S3 over HTTP) as well",
    "only_on_aws": "run this engine test on moto only: it checks the AWS adapters themselves",
}


def pytest_configure(config: pytest.Config) -> None:
    for name, text in MARKERS.items():
        config.addinivalue_line("markers", f"{name}: {text}")


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if "engine_env" not in metafunc.fixturenames:
        return
    if metafunc.definition.get_closest_marker("only_on_aws"):
        kinds = ["aws"]
    elif metafunc.definition.get_closest_marker("also_on_aws"):
        kinds = ["memory", "aws"]
    else:
        kinds = ["memory"]
    metafunc.parametrize("engine_env", kinds, indirect=True)


@pytest.fixture
def engine_env(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> EngineEnv:
    """Fast retries for tests (no backoff delay unless a test sets one) on the backends the
    parametrization names."""
    monkeypatch.setenv("STEPSTREAM_RETRY_BASE_SECONDS", "0")
    if request.param == "aws":
        env = EngineEnv("aws", monkeypatch, aws=request.getfixturevalue("aws"))
    else:
        monkeypatch.setenv("AWS_ENDPOINT_URL", "http://127.0.0.1:9")
        monkeypatch.setenv("AWS_ACCESS_KEY_ID", "memory-backends-only")
        monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "memory-backends-only")
        monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
        monkeypatch.delenv("AWS_PROFILE", raising=False)
        reset_clients()
        env = EngineEnv("memory", monkeypatch, memory=Backends.in_memory())
    for value in vars(request.module).values():
        if isinstance(value, Stepstream):
            env.use(value)
    return env
