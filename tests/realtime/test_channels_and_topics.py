"""Channels and typed topics: the Pythonic twin of Inngest's channel()/topic()."""

from __future__ import annotations

import pytest
from pydantic import BaseModel

from stepstream.realtime import Channel, PublishValidationError, TopicRef, channel, topic


class Status(BaseModel):
    message: str
    progress: int


def test_channel_from_a_function_gives_typed_topic_refs() -> None:
    # GIVEN a channel named by a function, with a typed topic
    ai = channel(lambda run_id: f"ai:{run_id}").add_topic(topic("status").type(Status))
    # WHEN it is called with a run id
    ch = ai("r1")
    # THEN its attribute is a reference to that topic of that channel
    assert isinstance(ch, Channel)
    ref = ch.status
    assert isinstance(ref, TopicRef)
    assert (ref.channel, ref.topic) == ("ai:r1", "status")
    assert ref.validate({"message": "hi", "progress": 3}) == {"message": "hi", "progress": 3}
    assert ref.validate(Status(message="m", progress=1)) == {"message": "m", "progress": 1}


def test_fixed_channel_and_plain_type_and_schema_alias() -> None:
    logs = channel("global").add_topic(topic("logs").schema(str))
    assert logs().logs.channel == "global"
    assert logs().logs.validate("hello") == "hello"
    with pytest.raises(TypeError, match="fixed name"):
        logs("x")


def test_bad_data_names_channel_topic_and_field() -> None:
    ch = channel("c").add_topic(topic("status").type(Status))()
    with pytest.raises(PublishValidationError) as caught:
        ch.status.validate({"message": "m", "progress": "lots"})
    text = str(caught.value)
    assert "'c'" in text
    assert "'status'" in text
    assert "progress" in text


def test_unknown_topic_lists_the_known_ones() -> None:
    ch = channel("c").add_topic(topic("a"))()
    with pytest.raises(AttributeError, match=r"no topic 'b'.*\['a'\]"):
        _ = ch.b
    with pytest.raises(KeyError):
        _ = ch["b"]


def test_history_flag_and_untyped_topic() -> None:
    ch = channel("c").add_topic(topic("kept", history=True)).add_topic(topic("any"))()
    assert ch.kept.history is True
    assert ch.any.history is False
    assert ch.any.validate({"x": [1, 2]}) == {"x": [1, 2]}


@pytest.mark.parametrize("name", ["", " x", "a" * 129, "with space", "ctl\x00"])
def test_bad_topic_names_are_refused(name: str) -> None:
    with pytest.raises(ValueError, match="topic name"):
        topic(name)


@pytest.mark.parametrize("name", ["", "x" * 257, "a\nb", 42, "lone\ud800"])
def test_bad_channel_names_are_refused(name: object) -> None:
    with pytest.raises(ValueError, match="channel name"):
        channel(lambda: name)()  # type: ignore[arg-type, return-value]


def test_data_without_a_json_form_is_refused() -> None:
    ch = channel("c").add_topic(topic("any"))()
    with pytest.raises(PublishValidationError):
        ch.any.validate({"x": object()})


def test_absurdly_deep_data_is_refused_not_a_crash() -> None:
    ch = channel("c").add_topic(topic("any"))()
    deep: list[object] = []
    node = deep
    for _ in range(100_000):
        child: list[object] = []
        node.append(child)
        node = child
    with pytest.raises(PublishValidationError, match=r"depth|deep"):
        ch.any.validate(deep)
