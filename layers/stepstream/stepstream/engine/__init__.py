"""The durable execution engine: replay, the step memo, interrupts, retries, timers, ingestion.

No boto3 here: everything that touches AWS goes through ``stepstream.store``."""
