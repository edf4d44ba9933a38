"""The test suite, a package so test folders import shared helpers as ``tests.support``."""
