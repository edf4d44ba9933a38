"""The executor with module-level state: how many invocations this import of the module has
served, recorded in a list shared by the process (the app module is imported once)."""

import uuid
from typing import Any

from stepstream.handlers import executor_handler
from tests.fidelity import fidelity_app

ENVIRONMENT = uuid.uuid4().hex
INVOCATIONS = 0
_execute = executor_handler()


def handler(event: dict[str, Any], context: Any) -> Any:
    global INVOCATIONS
    INVOCATIONS += 1
    fidelity_app.ENVIRONMENTS.append((ENVIRONMENT, INVOCATIONS))
    return _execute(event, context)
