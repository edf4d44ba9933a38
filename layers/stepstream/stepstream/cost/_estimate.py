"""A ledger's counters in dollars, line by line, from the price table."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ._ledger import TOKEN_PREFIXES
from ._prices import PRICES_DATE, bedrock_price, prices_for


def estimate(counts: Mapping[str, float], region: str | None) -> dict[str, Any]:
    """``{"usd": total, "lines": {service: usd}, "region_priced", "region_fallback",
    "prices_date", "unpriced_models"}`` for a ledger's ``counts`` in ``region``."""
    priced, p = prices_for(region)
    c = counts.get
    lines = {
        "dynamodb": c("dynamodb_read_units", 0) * p["dynamodb_read_unit"]
        + c("dynamodb_write_units", 0) * p["dynamodb_write_unit"],
        "sqs": c("sqs_billed_requests", 0) * p["sqs_request"],
        "s3": c("s3_put_requests", 0) * p["s3_put"] + c("s3_get_requests", 0) * p["s3_get"],
        "websocket": c("websocket_units", 0) * p["websocket_message"],
        "lambda": c("lambda_invocations", 0) * p["lambda_request"]
        + c("lambda_gb_seconds", 0) * p["lambda_gb_second_arm64"],
    }
    bedrock, unpriced = 0.0, set()
    for name, amount in counts.items():
        if not name.startswith(TOKEN_PREFIXES):
            continue
        model = name.partition("#")[2]
        price = bedrock_price(model)
        if price is None:
            unpriced.add(model)
            continue
        bedrock += amount * (price[0] if name.startswith(TOKEN_PREFIXES[0]) else price[1])
    if bedrock:
        lines["bedrock"] = bedrock
    return {
        "usd": sum(lines.values()),
        "lines": lines,
        "region_priced": priced,
        "region_fallback": priced != region,
        "prices_date": PRICES_DATE,
        "unpriced_models": sorted(unpriced),
    }
