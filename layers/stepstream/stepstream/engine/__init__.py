"""The durable execution engine: replay, the step memo, interrupts, retries, timers, ingestion.

No boto3 here: everything that touches AWS goes through ``stepstream.store``. What the engine
needs of the app is named in ``_ports.py`` (it never imports ``Stepstream``), and ``async def``
code reaches the store only through ``_io.offload``."""
