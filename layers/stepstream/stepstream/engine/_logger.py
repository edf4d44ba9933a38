"""``ctx.logger``: drops lines while the invocation is replaying, so a resumed run does not log
again what it already logged before its memoized steps."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

_base = logging.getLogger("stepstream.run")


class ReplayAwareLogger:
    def __init__(self, run_id: str, function_id: str, replaying: Callable[[], bool]) -> None:
        self._extra = {"run_id": run_id, "function_id": function_id}
        self._replaying = replaying
        self.logger = _base

    def _log(self, level: int, msg: object, *args: Any, **kwargs: Any) -> None:
        if self._replaying():
            return
        kwargs.setdefault("extra", self._extra)
        kwargs.setdefault("stacklevel", 3)
        self.logger.log(level, msg, *args, **kwargs)

    def debug(self, msg: object, *args: Any, **kwargs: Any) -> None:
        self._log(logging.DEBUG, msg, *args, **kwargs)

    def info(self, msg: object, *args: Any, **kwargs: Any) -> None:
        self._log(logging.INFO, msg, *args, **kwargs)

    def warning(self, msg: object, *args: Any, **kwargs: Any) -> None:
        self._log(logging.WARNING, msg, *args, **kwargs)

    def error(self, msg: object, *args: Any, **kwargs: Any) -> None:
        self._log(logging.ERROR, msg, *args, **kwargs)

    def exception(self, msg: object, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("exc_info", True)
        self._log(logging.ERROR, msg, *args, **kwargs)
