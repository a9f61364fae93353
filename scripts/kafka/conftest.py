"""Fixtures of the Kafka suite: whatever a test starts (brokers, servers) is stopped after it."""

import pytest


@pytest.fixture
def started():
    """`started(thing)` returns `thing` (a broker or a server) and stops it after the test, the
    last started first."""
    running = []

    def keep(thing):
        running.append(thing)
        return thing

    yield keep
    for thing in reversed(running):
        thing.stop()
