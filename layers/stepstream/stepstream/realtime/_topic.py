"""Topics: a name, the type its data must have, and whether its messages are kept for replay.

A topic's type is a pydantic model or any type pydantic can validate (``str``, ``dict``,
``list[int]``, a ``TypedDict`` ...). Data is checked against it before anything is sent, so a
subscriber never sees a message its topic does not allow.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field, replace
from typing import Any

from pydantic import BaseModel, TypeAdapter, ValidationError

from .._errors import NonRetriableError

TOPIC_NAME_PATTERN = r"^[A-Za-z0-9_][A-Za-z0-9_.:\-]{0,127}$"
"""What a topic name may be (as a JSON Schema ``pattern`` too)."""
_NAME = re.compile(TOPIC_NAME_PATTERN)


class PublishValidationError(NonRetriableError):
    """Data does not match its topic's type; nothing was sent. Non-retriable: the same data
    would fail the same way, so a step that raises it fails at once."""

    def __init__(self, channel: str, topic: str, error: ValidationError | str) -> None:
        detail = error if isinstance(error, str) else _describe(error)
        super().__init__(
            f"data for channel {channel!r} topic {topic!r} does not match the topic's type: "
            f"{detail}; nothing was published"
        )
        self.channel = channel
        self.topic = topic


def _describe(error: ValidationError) -> str:
    parts = []
    for item in error.errors(include_url=False):
        where = ".".join(str(p) for p in item["loc"]) or "data"
        parts.append(f"{where}: {item['msg']}")
    return "; ".join(parts)


def check_name(name: str, what: str) -> str:
    if not isinstance(name, str) or not _NAME.fullmatch(name):
        raise ValueError(
            f"{what} name {name!r} is not allowed; use 1-128 characters of letters, digits "
            "and _ . : - (not starting with a punctuation mark)"
        )
    return name


@dataclass(frozen=True)
class Topic:
    """A named topic of a channel. Build it with :func:`topic`."""

    name: str
    """What subscribers ask for and what ``msg.topic`` says."""
    data_type: Any = Any
    """The type data must validate against (``Any`` until ``.type()`` is called)."""
    history: bool = False
    """Keep this topic's messages so clients can resume with ``since``."""
    _adapter: TypeAdapter[Any] = field(
        default_factory=lambda: TypeAdapter(Any), compare=False, repr=False
    )

    def type(self, data_type: Any) -> Topic:
        """A copy of this topic whose data must be of ``data_type``."""
        return replace(self, data_type=data_type, _adapter=TypeAdapter(data_type))

    schema = type
    """Alias of :meth:`type`, as in Inngest's ``topic(...).schema(zodSchema)``."""

    def keep_history(self, history: bool = True) -> Topic:
        """A copy of this topic whose messages are kept for replay."""
        return replace(self, history=history)

    def validate(self, channel: str, data: Any) -> Any:
        """``data`` checked and converted to JSON values; :class:`PublishValidationError` if bad."""
        where = _non_finite(data)
        if where is not None:
            # pydantic would quietly send null in its place
            raise PublishValidationError(
                channel, self.name, f"{where} is not a finite number (JSON has no NaN/Infinity)"
            )
        try:
            value = self._adapter.validate_python(data)
            return self._adapter.dump_python(value, mode="json")
        except ValidationError as exc:
            raise PublishValidationError(channel, self.name, exc) from exc
        except (TypeError, ValueError) as exc:  # e.g. a value with no JSON form
            raise PublishValidationError(channel, self.name, str(exc)) from exc
        except RecursionError as exc:
            raise PublishValidationError(channel, self.name, "data nests too deeply") from exc


def _non_finite(data: Any) -> str | None:
    """Where in ``data`` a NaN or infinity sits, if anywhere."""
    stack: list[tuple[Any, str]] = [(data, "data")]
    while stack:
        node, path = stack.pop()
        if isinstance(node, float) and not math.isfinite(node):
            return path
        if isinstance(node, BaseModel):
            node = node.model_dump()
        if isinstance(node, dict):
            stack.extend((v, f"{path}.{k}") for k, v in node.items())
        elif isinstance(node, list | tuple):
            stack.extend((v, f"{path}[{i}]") for i, v in enumerate(node))
    return None


def topic(name: str, *, history: bool = False) -> Topic:
    """A topic named ``name``; chain ``.type(Model)`` to type its data."""
    return Topic(check_name(name, "topic"), history=history)


@dataclass(frozen=True)
class TopicRef:
    """One topic of one concrete channel: what ``publish`` takes."""

    channel: str
    """The channel name, e.g. ``ai:3f2c``."""
    topic: str
    """The topic name, e.g. ``tokens``."""
    spec: Topic = field(compare=False, repr=False)
    """The topic's definition (type, history)."""

    @property
    def history(self) -> bool:
        return self.spec.history

    def validate(self, data: Any) -> Any:
        """``data`` as JSON values if it fits the topic's type; raises
        :class:`PublishValidationError` naming channel and topic otherwise."""
        return self.spec.validate(self.channel, data)
