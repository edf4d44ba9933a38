"""The runops scenarios run on the engine tests' backends: memory by default, moto over HTTP
for tests marked ``also_on_aws`` (see tests/engine/conftest.py)."""

from tests.engine.conftest import engine_env, pytest_configure, pytest_generate_tests

__all__ = ["engine_env", "pytest_configure", "pytest_generate_tests"]
