"""Benchmarks: ``python -m bench`` (``make bench``) runs every ``bench/<name>.py`` and writes
``bench/results/<name>.json``. They count things (AWS requests, invocations) and report ratios
against a baseline measured in the same run; they are not timed tests."""
