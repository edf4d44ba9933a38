"""Executor Lambda: one SQS record per run message → ``app.execute``; partial batch failures are
reported so only failed messages come back."""

from stepstream.handlers import executor_handler

handler = executor_handler()
