"""pytest fixtures for folders whose tests read or write a bucket: one fake-gcs-server per test
module, holding the bucket the module names in its BUCKET.

A folder's conftest.py imports them (`from ..support.gcs_fixtures import fake_gcs, gcs_env`).
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import requests

from .fake_gcs import FakeGcs, start_fake_gcs


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


def put(fake_gcs: FakeGcs, bucket: str, key: str, data: bytes) -> str:
    """Upload `data` as gs://bucket/key through the JSON API (no client needed); its URI."""
    response = requests.post(
        f"{fake_gcs.url}/upload/storage/v1/b/{bucket}/o",
        params={"uploadType": "media", "name": key},
        data=data,
        timeout=10,
    )
    response.raise_for_status()
    return f"gs://{bucket}/{key}"
