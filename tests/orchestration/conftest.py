"""fake-gcs-server for the orchestration tests: one server per test module, holding the bucket
the module names in its BUCKET."""

from __future__ import annotations

from ..support.gcs_fixtures import fake_gcs, gcs_env

__all__ = ["fake_gcs", "gcs_env"]
