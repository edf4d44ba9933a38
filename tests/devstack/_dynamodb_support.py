"""A fresh table on the session's embedded moto, keyed as the stack's tables are."""

from __future__ import annotations

import uuid
from typing import Any


def pk_sk_table(db: Any, prefix: str) -> str:
    """Create an on-demand table with string keys ``pk`` (hash) and ``sk`` (range); its name."""
    name = f"{prefix}{uuid.uuid4().hex[:10]}"
    db.create_table(
        TableName=name,
        KeySchema=[
            {"AttributeName": "pk", "KeyType": "HASH"},
            {"AttributeName": "sk", "KeyType": "RANGE"},
        ],
        AttributeDefinitions=[
            {"AttributeName": "pk", "AttributeType": "S"},
            {"AttributeName": "sk", "AttributeType": "S"},
        ],
        BillingMode="PAY_PER_REQUEST",
    )
    return name
