"""fake-gcs-server on loopback for the GCS tests: one server for this folder, fresh buckets
per test.

The real google-cloud-storage client talks to it through STORAGE_EMULATOR_HOST and
GOOGLE_CLOUD_PROJECT, set while these tests run and restored afterwards (package scope, so
tests elsewhere never see them).
"""

from __future__ import annotations

import itertools
import os
from collections.abc import Callable, Iterator

import pytest
from google.cloud.storage.retry import DEFAULT_RETRY

from playclips.storage.gcs import GcsStorage

from ..support.fake_gcs import FakeGcs, start_fake_gcs

# Transient errors are retried with the client's policy; tests shorten its waits.
FAST_RETRY = DEFAULT_RETRY.with_delay(initial=0.01, maximum=0.05, multiplier=2).with_timeout(5)

_names = itertools.count()


@pytest.fixture(scope="package")
def fake_gcs() -> Iterator[FakeGcs]:
    server = start_fake_gcs()
    saved = {k: os.environ.get(k) for k in server.env()}
    os.environ.update(server.env())
    try:
        yield server
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value
        server.stop()


@pytest.fixture
def new_bucket(fake_gcs: FakeGcs) -> Callable[[str], str]:
    """Create a fresh, uniquely named bucket; returns its name."""

    def make(stem: str = "b") -> str:
        name = f"{stem}-{os.getpid()}-{next(_names)}"
        fake_gcs.create_bucket(name)
        return name

    return make


@pytest.fixture
def gcs(new_bucket: Callable[[str], str]) -> GcsStorage:
    """A storage root at gs://<fresh bucket>/root with fast retries."""
    return GcsStorage.from_uri(f"gs://{new_bucket('t')}/root", retry=FAST_RETRY)
