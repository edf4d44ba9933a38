"""GIVEN the embedded moto's patches installed (``list_services_once``)
WHEN moto's server looks up the backend of a request (``backends.list_of_moto_modules``)
THEN it gets the same service list as moto lists, without listing moto's package directory again.

moto 5.2.5 lists the directory and stats each of its ~150 entries on every request."""

from __future__ import annotations

import os
from typing import Any

import pytest
from moto import backends

from stepstream.local._moto_server import list_services_once


def test_the_service_list_is_read_once_and_unchanged(monkeypatch: pytest.MonkeyPatch) -> None:
    listed = list(backends.list_of_moto_modules())
    list_services_once()
    list_services_once()  # a second install keeps the first
    listings = 0
    real_listdir = os.listdir

    def counted(path: Any) -> list[str]:
        nonlocal listings
        listings += 1
        return real_listdir(path)

    monkeypatch.setattr(os, "listdir", counted)
    assert list(backends.list_of_moto_modules()) == listed
    assert "dynamodb" in listed
    assert "sqs" in listed
    assert listings == 0
