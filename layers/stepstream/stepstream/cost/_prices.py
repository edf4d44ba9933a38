"""AWS list prices the cost ledger turns units into dollars with: on-demand, no free tier.

Copied 2026-11-25 from AWS's pricing pages: aws.amazon.com/dynamodb/pricing/on-demand/,
/sqs/pricing/, /s3/pricing/, /api-gateway/pricing/ (WebSocket APIs), /lambda/pricing/ (arm64)
and /bedrock/pricing/ (Amazon Nova). us-east-1 is the table ``bench/cost.py`` used since its
first run; eu-west-1 differs from it only where those pages list a different price. A region
not in the table is priced as us-east-1 and the estimate says so (``region_priced``,
``region_fallback``).
"""

from __future__ import annotations

from types import MappingProxyType
from typing import Final

PRICES_DATE: Final = "2026-11-25"
DEFAULT_REGION: Final = "us-east-1"

_US_EAST_1: dict[str, float] = {
    "lambda_request": 0.20 / 1e6,
    "lambda_gb_second_arm64": 0.0000133334,
    "http_api_request": 1.00 / 1e6,
    "websocket_message": 1.00 / 1e6,
    "dynamodb_write_unit": 0.625 / 1e6,
    "dynamodb_read_unit": 0.125 / 1e6,
    "sqs_request": 0.40 / 1e6,
    "s3_put": 0.005 / 1000,
    "s3_get": 0.0004 / 1000,
    "s3_gb_month": 0.023,
}
_EU_WEST_1 = {
    **_US_EAST_1,
    "websocket_message": 1.14 / 1e6,
    "dynamodb_write_unit": 0.7063 / 1e6,
    "dynamodb_read_unit": 0.1413 / 1e6,
}
PRICES: Final = MappingProxyType(
    {
        "us-east-1": MappingProxyType(_US_EAST_1),
        "eu-west-1": MappingProxyType(_EU_WEST_1),
    }
)
"""Dollars per unit, by region: per request, per GB-second, per GB-month."""

BEDROCK_PER_TOKEN: Final = MappingProxyType(
    {
        # model id prefix → (input, output) dollars per token, us-east-1 on-demand
        "amazon.nova-micro-v1": (0.000035 / 1000, 0.00014 / 1000),
        "amazon.nova-lite-v1": (0.00006 / 1000, 0.00024 / 1000),
        "amazon.nova-pro-v1": (0.0008 / 1000, 0.0032 / 1000),
    }
)
"""Models whose tokens the estimate prices; tokens of other models are counted, not priced."""


def prices_for(region: str | None) -> tuple[str, MappingProxyType[str, float]]:
    """The region whose prices apply to ``region`` (itself, or us-east-1) and those prices."""
    if region in PRICES:
        return str(region), PRICES[str(region)]
    return DEFAULT_REGION, PRICES[DEFAULT_REGION]


def bedrock_price(model_id: str) -> tuple[float, float] | None:
    """(input, output) dollars per token of ``model_id`` (a cross-region profile such as
    ``us.amazon.nova-micro-v1:0`` is priced as its model), or None if the table lacks it."""
    bare = model_id.split("/")[-1]
    for prefix in ("us.", "eu.", "apac.", "global."):
        bare = bare.removeprefix(prefix)
    for known, price in BEDROCK_PER_TOKEN.items():
        if bare.startswith(known):
            return price
    return None
