"""fake-gcs-server for the orchestration tests: one server per test module, holding the bucket
the module names in its BUCKET."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from ..support.fake_gcs import FakeGcs, start_fake_gcs


@pytest.fixture(scope="module")
def fake_gcs(request: pytest.FixtureRequest) -> Iterator[FakeGcs]:
    server = start_fake_gcs()
    server.create_bucket(request.module.BUCKET)
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def gcs_env(fake_gcs: FakeGcs, monkeypatch: pytest.MonkeyPatch) -> FakeGcs:
    """Storage clients made in the test (the trigger's, the job's reader) talk to the server."""
    for name, value in fake_gcs.env().items():
        monkeypatch.setenv(name, value)
    return fake_gcs
