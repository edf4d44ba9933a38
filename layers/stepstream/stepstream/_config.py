"""Settings read from the environment, once, in one place."""

from __future__ import annotations

import hashlib
import math
import os
from dataclasses import dataclass

DEV_EVENT_KEY = "dev-event-key"
DEV_SIGNING_KEY = "signkey-dev-" + "0" * 63 + "1"
DEFAULT_COALESCE_LINGER_MS = 0.0
"""Chosen for the lag goal (p99 <= 100 ms at 30 ms posts); docs/realtime.md, "Coalesced frames"."""
MAX_COALESCE_LINGER_MS = 1000.0


@dataclass(frozen=True)
class Settings:
    """Where stepstream's AWS resources are and which keys it accepts."""

    state_table: str = "StateTable"
    """DynamoDB table for runs, steps, events and waits."""
    realtime_table: str = "RealtimeTable"
    """DynamoDB table for connections, history and sequence numbers."""
    queue_url: str = ""
    """SQS queue that feeds the executor."""
    bucket: str = "stepstream-outputs"
    """S3 bucket for step outputs over the DynamoDB item limit."""
    event_key: str = DEV_EVENT_KEY
    """Key accepted by ``POST /e/{event_key}``."""
    signing_key: str = DEV_SIGNING_KEY
    """Inngest-style ``signkey-<env>-<hex>``; authorizes minting subscription tokens."""
    event_key_secret_arn: str = ""
    """Secrets Manager ARN holding the event key; read at run time, it wins over ``event_key``."""
    signing_key_secret_arn: str = ""
    """Secrets Manager ARN holding the signing key (or its hex part); wins over ``signing_key``."""
    signing_key_env: str = ""
    """The ``<env>`` of ``signkey-<env>-<hex>`` when the secret holds only the hex part."""
    run_retention_days: int = 30
    """Days a finished run's records and S3 objects are kept (the template's RunRetentionDays)."""
    jwt_secret_arn: str = ""
    """Secrets Manager ARN of the JWT signing secret."""
    jwt_secret_param: str = ""
    """SSM parameter name of the JWT signing secret (alternative to the ARN)."""
    jwt_secret: str = ""
    """The JWT secret itself; for local use only."""
    ws_management_url: str = ""
    """API Gateway ``@connections`` endpoint (``https://{api}.execute-api.{region}/{stage}``)."""
    app_ref: str = "app:app"
    """``module:attribute`` of the user's :class:`Stepstream` app."""
    handover_ms: int = 15_000
    """Remaining Lambda time below which the executor hands a run over to a new invocation."""
    max_timer_hop_seconds: int = 900
    """Longest single SQS delay used for a timer; SQS allows at most 900."""
    retry_base_seconds: float = 1.0
    """Base of the exponential retry backoff."""
    cost_ledger: bool = True
    """Charge each run's AWS requests to its cost ledger (``STEPSTREAM_COST_LEDGER=off``: not)."""
    coalesce_linger_ms: float = DEFAULT_COALESCE_LINGER_MS
    """Milliseconds a coalescing connection's lane waits after a post for more frames before its
    next post (``STEPSTREAM_COALESCE_LINGER_MS``): fewer messages, more lag."""

    @classmethod
    def from_env(cls) -> Settings:
        env = os.environ.get
        return cls(
            state_table=env("STEPSTREAM_STATE_TABLE", cls.state_table),
            realtime_table=env("STEPSTREAM_REALTIME_TABLE", cls.realtime_table),
            queue_url=env("STEPSTREAM_QUEUE_URL", cls.queue_url),
            bucket=env("STEPSTREAM_BUCKET", cls.bucket),
            event_key=env("STEPSTREAM_EVENT_KEY") or cls.event_key,
            signing_key=env("STEPSTREAM_SIGNING_KEY") or cls.signing_key,
            event_key_secret_arn=env("STEPSTREAM_EVENT_KEY_SECRET_ARN", ""),
            signing_key_secret_arn=env("STEPSTREAM_SIGNING_KEY_SECRET_ARN", ""),
            signing_key_env=env("STEPSTREAM_SIGNING_KEY_ENV", ""),
            run_retention_days=int(
                env("STEPSTREAM_RUN_RETENTION_DAYS", str(cls.run_retention_days))
            ),
            jwt_secret_arn=env("STEPSTREAM_JWT_SECRET_ARN", ""),
            jwt_secret_param=env("STEPSTREAM_JWT_SECRET_PARAM", ""),
            jwt_secret=env("STEPSTREAM_JWT_SECRET", ""),
            ws_management_url=env("STEPSTREAM_WS_MANAGEMENT_URL", ""),
            app_ref=env("STEPSTREAM_APP", cls.app_ref),
            handover_ms=int(env("STEPSTREAM_HANDOVER_MS", str(cls.handover_ms))),
            max_timer_hop_seconds=min(
                900, int(env("STEPSTREAM_MAX_TIMER_HOP_SECONDS", str(cls.max_timer_hop_seconds)))
            ),
            retry_base_seconds=float(
                env("STEPSTREAM_RETRY_BASE_SECONDS", str(cls.retry_base_seconds))
            ),
            cost_ledger=env("STEPSTREAM_COST_LEDGER", "on").lower() not in ("off", "0", "false"),
            coalesce_linger_ms=_linger_ms(env("STEPSTREAM_COALESCE_LINGER_MS", "")),
        )

    @property
    def local_jwt_secret(self) -> str:
        """The secret used when no Secrets Manager/SSM location is configured."""
        if self.jwt_secret:
            return self.jwt_secret
        return hashlib.sha256(("stepstream-jwt:" + self.signing_key).encode()).hexdigest()


def _linger_ms(raw: str) -> float:
    """``STEPSTREAM_COALESCE_LINGER_MS``: empty for the default, else 0 to 1,000 ms."""
    if not raw.strip():
        return DEFAULT_COALESCE_LINGER_MS
    try:
        value = float(raw)
    except ValueError:
        value = math.nan
    if not 0 <= value <= MAX_COALESCE_LINGER_MS:  # NaN fails too
        raise ValueError(
            f"STEPSTREAM_COALESCE_LINGER_MS={raw[:40]!r} must be a number of milliseconds "
            f"from 0 to {MAX_COALESCE_LINGER_MS:g}"
        )
    return value
