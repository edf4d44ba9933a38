"""Channels: a name (fixed, or made from arguments) and the topics published on it.

``channel("global")`` and ``channel(lambda run_id: f"ai:{run_id}")`` define channels; calling the
definition gives a :class:`Channel` instance whose attributes are its topics' references::

    ai_channel = channel(lambda run_id: f"ai:{run_id}").add_topic(topic("tokens").type(Token))
    ai_channel(run_id).tokens      # TopicRef(channel="ai:<run_id>", topic="tokens")
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

from ._topic import Topic, TopicRef

MAX_CHANNEL_LENGTH = 256


def check_channel_name(name: Any) -> str:
    if not isinstance(name, str) or not name or len(name) > MAX_CHANNEL_LENGTH:
        raise ValueError(
            f"channel name {name!r} is not allowed; use a string of 1-{MAX_CHANNEL_LENGTH} "
            "characters"
        )
    if any(ord(c) < 0x20 or ord(c) == 0x7F or 0xD800 <= ord(c) <= 0xDFFF for c in name):
        raise ValueError(
            f"channel name {name!r} contains a control character or a lone surrogate; "
            "use printable text"
        )
    return name


@dataclass(frozen=True)
class Channel:
    """A concrete channel: its name and topics. Topic references are attributes
    (``ch.status``) and items (``ch["status"]``)."""

    name: str
    """The channel's name, e.g. ``post:123``."""
    topics: Mapping[str, Topic] = field(default_factory=dict)
    """Its topics by name."""

    def __getattr__(self, attribute: str) -> TopicRef:
        # Only called for names that are not real attributes: the topics.
        topics = object.__getattribute__(self, "topics")
        if attribute in topics:
            return TopicRef(self.name, attribute, topics[attribute])
        raise AttributeError(
            f"channel {self.name!r} has no topic {attribute!r}; its topics are "
            f"{sorted(topics) or 'none'} (add one with .add_topic(topic(...)))"
        )

    def __getitem__(self, name: str) -> TopicRef:
        try:
            return TopicRef(self.name, name, self.topics[name])
        except KeyError:
            raise KeyError(
                f"channel {self.name!r} has no topic {name!r}; its topics are {sorted(self.topics)}"
            ) from None

    def __iter__(self) -> Iterator[TopicRef]:
        return (TopicRef(self.name, n, t) for n, t in self.topics.items())

    def __str__(self) -> str:
        return self.name


@dataclass(frozen=True)
class ChannelDefinition:
    """What :func:`channel` returns: call it (with the name function's arguments) for a
    :class:`Channel`."""

    name: str | Callable[..., str]
    """The fixed name, or the function that makes one from arguments."""
    topics: Mapping[str, Topic] = field(default_factory=dict)
    """Its topics by name."""

    def add_topic(self, new: Topic) -> ChannelDefinition:
        """A copy of this definition with ``new`` added (replacing a topic of the same name)."""
        if not isinstance(new, Topic):
            raise TypeError(f"add_topic takes a topic(...), not {type(new).__name__}")
        return ChannelDefinition(self.name, MappingProxyType({**self.topics, new.name: new}))

    def __call__(self, *args: Any, **kwargs: Any) -> Channel:
        if callable(self.name):
            name = self.name(*args, **kwargs)
        elif args or kwargs:
            raise TypeError(f"channel {self.name!r} has a fixed name; call it with no arguments")
        else:
            name = self.name
        return Channel(check_channel_name(name), self.topics)


def channel(name: str | Callable[..., str]) -> ChannelDefinition:
    """A channel definition: a fixed name (``"global"``) or a function making one."""
    if not callable(name):
        check_channel_name(name)
    return ChannelDefinition(name)
