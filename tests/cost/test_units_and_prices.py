"""GIVEN the ledger's pieces WHEN they see known items, requests, regions and bad input THEN
DynamoDB units follow the on-demand billing rules, SQS and @connections payloads are charged
by their chunks, the estimate prices a region it knows and flags one it does not, and input
that is not a counter changes nothing."""

from __future__ import annotations

from typing import Any

import pytest

from stepstream.aws import client
from stepstream.cost import (
    PRICES,
    Ledger,
    charging,
    current_ledger,
    estimate,
    is_unit,
    prices_for,
    record_tokens,
)
from stepstream.cost._meter import after_call, before_call
from stepstream.cost._units import item_bytes, read_units, request_write_units, write_units

KB = 1024


def test_item_sizes_follow_the_attribute_name_plus_value_rule() -> None:
    assert item_bytes({"pk": {"S": "abc"}}) == 2 + 3
    assert item_bytes({"n": {"N": "12345"}}) == 1 + 4  # 5 digits: 3 bytes + 1
    assert item_bytes({"b": {"BOOL": True}, "z": {"NULL": True}}) == 4
    assert item_bytes({"m": {"M": {"k": {"S": "v"}}}}) == 1 + 3 + 1 + 1 + 1
    assert item_bytes({"l": {"L": [{"S": "ab"}]}}) == 1 + 3 + 1 + 2


def test_units_round_up_per_kb_and_transactions_cost_double() -> None:
    assert write_units(1) == 1
    assert write_units(KB) == 1
    assert write_units(KB + 1) == 2
    assert write_units(10, transactional=True) == 2
    assert read_units(4 * KB, consistent=True) == 1
    assert read_units(4 * KB + 1, consistent=True) == 2
    assert read_units(100, consistent=False) == 0.5
    assert read_units(0, consistent=True) == 1  # a miss still reads one unit


def test_write_requests_are_charged_by_what_they_write() -> None:
    big = {"pk": {"S": "p"}, "sk": {"S": "s"}, "output": {"S": "x" * (3 * KB)}}
    assert request_write_units("PutItem", {"Item": big}) == 4
    transaction = {
        "TransactItems": [
            {"Put": {"Item": {"pk": {"S": "p"}}}},
            {"ConditionCheck": {"Key": {"pk": {"S": "p"}}}},
        ]
    }
    assert request_write_units("TransactWriteItems", transaction) == 4
    batch = {"RequestItems": {"t": [{"PutRequest": {"Item": big}}, {"DeleteRequest": {}}]}}
    assert request_write_units("BatchWriteItem", batch) == 5
    assert request_write_units("GetItem", {}) == 0


def _call(service: str, operation: str, params: dict[str, Any], parsed: Any = None) -> None:
    model = client(service).meta.service_model.operation_model(operation)
    context: dict[str, Any] = {}
    before_call(model=model, params=params, context=context)
    after_call(model=model, parsed=parsed or {}, context=context, http_response=None)


def test_payloads_are_charged_by_their_billing_chunks() -> None:
    with charging(Ledger("r")) as ledger:
        assert ledger is not None
        _call("sqs", "SendMessage", {"QueueUrl": "q", "MessageBody": "x" * (64 * KB + 1)})
        _call("apigatewaymanagementapi", "PostToConnection", {"Data": b"y" * (32 * KB + 1)})
        _call("s3", "PutObject", {"Bucket": "b", "Key": "k", "Body": b"z" * 10})
        _call("s3", "GetObject", {"Bucket": "b", "Key": "k"}, {"ContentLength": 10})
        _call("s3", "DeleteObject", {"Bucket": "b", "Key": "k"})
    assert ledger.counts() == {
        "sqs_requests": 1,
        "sqs_billed_requests": 2,
        "websocket_messages": 1,
        "websocket_units": 2,
        "s3_put_requests": 1,
        "s3_bytes_in": 10,
        "s3_get_requests": 1,
        "s3_bytes_out": 10,
    }


def test_bedrock_tokens_come_from_converse_usage_and_record_tokens() -> None:
    with charging(Ledger("r")) as ledger:
        assert ledger is not None
        _call(
            "bedrock-runtime",
            "Converse",
            {"modelId": "amazon.nova-micro-v1:0", "messages": []},
            {"usage": {"inputTokens": 50, "outputTokens": 500}},
        )
        record_tokens("us.amazon.nova-micro-v1:0", 5, 7)
    counts = ledger.counts()
    assert counts["bedrock_input_tokens#amazon.nova-micro-v1:0"] == 50
    assert counts["bedrock_output_tokens#us.amazon.nova-micro-v1:0"] == 7
    priced = estimate(counts, "us-east-1")
    assert priced["lines"]["bedrock"] == pytest.approx((55 * 0.000035 + 507 * 0.00014) / 1000)


def test_nothing_is_counted_outside_a_run() -> None:
    assert current_ledger() is None
    record_tokens("m", 1, 1)  # no run: nothing to add to, and no error
    with charging(None):
        _call("sqs", "SendMessage", {"QueueUrl": "q", "MessageBody": "x"})


def test_a_known_region_is_priced_as_itself_and_another_as_us_east_1_with_a_flag() -> None:
    counts = {"dynamodb_write_units": 1e6, "unknown-thing": 5.0}
    ireland = estimate(counts, "eu-west-1")
    assert ireland["region_priced"] == "eu-west-1"
    assert ireland["region_fallback"] is False
    assert ireland["usd"] == pytest.approx(PRICES["eu-west-1"]["dynamodb_write_unit"] * 1e6)
    elsewhere = estimate(counts, "ap-south-2")
    assert elsewhere["region_priced"] == "us-east-1"
    assert elsewhere["region_fallback"] is True
    assert estimate(counts, None)["region_fallback"] is True
    assert prices_for("nowhere")[0] == "us-east-1"


def test_an_unpriced_model_is_counted_and_named_not_priced() -> None:
    priced = estimate({"bedrock_input_tokens#acme.model": 1000}, "us-east-1")
    assert priced["usd"] == 0
    assert priced["unpriced_models"] == ["acme.model"]


@pytest.mark.parametrize(
    "bad",
    [{"nope": 1}, {"sqs_requests": "3"}, {"bedrock_input_tokens#": 4}, {1: 2}],
)
def test_merging_what_is_not_a_counter_changes_nothing(bad: dict[Any, Any]) -> None:
    ledger = Ledger("r")
    ledger.merge(bad)
    assert ledger.counts() == {}


def test_only_the_ledgers_counters_are_units() -> None:
    assert is_unit("sqs_requests")
    assert is_unit("bedrock_output_tokens#amazon.nova-pro-v1:0")
    assert not is_unit("cost#sqs_requests")
    assert not is_unit(None)
    assert not is_unit("bedrock_input_tokens#" + "m" * 201)
