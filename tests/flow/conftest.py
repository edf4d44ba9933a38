"""Flow-control scenarios run like the engine's: on the in-memory backends, and on DynamoDB/SQS
in moto over HTTP where marked ``also_on_aws`` (the engine tests' fixtures, reused)."""

from __future__ import annotations

from tests.engine.conftest import engine_env, pytest_configure, pytest_generate_tests

__all__ = ["engine_env", "pytest_configure", "pytest_generate_tests"]
