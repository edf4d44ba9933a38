"""Fan-out Lambda: posts one shard of a wide channel's subscribers per SQS FIFO message."""

from stepstream.handlers import fanout_handler

handler = fanout_handler()
