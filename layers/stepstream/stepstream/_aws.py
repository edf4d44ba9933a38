"""The library's old private name for :mod:`stepstream.aws`; internal modules still import it.

One object, not a copy: ``_aws.client is aws.client``, so one cache and one ``reset_clients``."""

from __future__ import annotations

from .aws import client, reset_clients, session

__all__ = ["client", "reset_clients", "session"]
