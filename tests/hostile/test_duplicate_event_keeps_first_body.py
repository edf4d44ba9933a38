"""GIVEN an event too large for a DynamoDB item (its body goes to the blob store)
WHEN someone re-sends its id with another body
THEN the API says "duplicate" and the stored event is still the first body: a claim that fails
leaves at most an orphan blob, never an overwritten one."""

from __future__ import annotations

from stepstream import Stepstream
from stepstream.local import Provisioned
from stepstream.store import DynamoState, S3Blobs

app = Stepstream(id="test-hostile-duplicate")


def test_a_large_duplicate_does_not_rewrite_the_stored_body(engine_env: Provisioned) -> None:
    first = {"name": "test/ev", "id": "evt-large-1", "data": {"who": "first", "pad": "a" * 400_000}}
    second = {
        "name": "test/ev",
        "id": "evt-large-1",
        "data": {"who": "second", "pad": "b" * 400_000},
    }
    assert app.send(first) == ["evt-large-1"]
    app.send(second)
    stored = DynamoState(blobs=S3Blobs()).get_event("evt-large-1")
    assert stored is not None
    assert stored["data"]["who"] == "first"
    assert stored["data"]["pad"] == "a" * 400_000


def test_a_large_trigger_of_a_wait_is_not_shared_between_writes(engine_env: Provisioned) -> None:
    # The by-name index and the claim both hold the body; they must agree after a duplicate.
    first = {
        "name": "test/ev2",
        "id": "evt-large-2",
        "data": {"who": "first", "pad": "a" * 400_000},
    }
    second = {
        "name": "test/ev2",
        "id": "evt-large-2",
        "data": {"who": "second", "pad": "c" * 400_000},
    }
    app.send(first)
    app.send(second)
    state = DynamoState(blobs=S3Blobs())
    [by_name] = [e for e in state.events_between("test/ev2", 0, 2**41) if e["id"] == "evt-large-2"]
    assert by_name["data"]["who"] == "first"
