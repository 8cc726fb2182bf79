"""`--plays gs://...`: a plays file in a bucket reads as the same file on disk, and every
refusal names the object's gs:// URI, never the temporary file it was parsed from."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from playclips.plays import PlaysError, open_plays_source

from ..support.fake_gcs import FakeGcs
from ..support.gcs_fixtures import put
from .test_push import PLAYS_JSON, write

BUCKET = "plays-bucket"
pytestmark = pytest.mark.timeout(60)


def test_plays_from_a_bucket_read_as_the_same_file_on_disk(
    gcs_env: FakeGcs, tmp_path: Path
) -> None:
    data = json.dumps(PLAYS_JSON).encode()
    uri = put(gcs_env, BUCKET, "plays/season.json", data)
    local = open_plays_source(str(write(tmp_path / "season.json", PLAYS_JSON)))
    remote = open_plays_source(uri)
    assert remote.path == uri
    assert remote.game_ids() == local.game_ids() == ["g1", "g2"]
    assert remote.load_game("g1") == local.load_game("g1")
    csv_uri = put(gcs_env, BUCKET, "plays/one.csv", b"game_id,play_id,start_s,end_s\ng9,a,1,2\n")
    assert [p.play_id for p in open_plays_source(csv_uri).load_game("g9").plays] == ["a"]


def test_a_plays_object_over_the_plays_file_limit_is_refused(
    gcs_env: FakeGcs, monkeypatch: pytest.MonkeyPatch
) -> None:
    uri = put(gcs_env, BUCKET, "plays/big.json", json.dumps(PLAYS_JSON).encode())
    monkeypatch.setenv("PLAYCLIPS_MAX_PLAYS_FILE_BYTES", "100")
    with pytest.raises(PlaysError, match="over the 100-byte limit for a plays file"):
        open_plays_source(uri)


@pytest.mark.parametrize(
    ("key", "data", "message"),
    [
        (None, b"", "plays file gs://plays-bucket/plays/absent.json does not exist"),
        ("plays/broken.json", b"{not json", "plays file gs://plays-bucket/plays/broken.json is"),
        ("plays/cols.csv", b"game_id,start_s\ng1,1\n", "gs://plays-bucket/plays/cols.csv lacks"),
    ],
    ids=["missing", "bad-json", "csv-columns"],
)
def test_a_bad_plays_object_names_its_uri(
    gcs_env: FakeGcs, key: str | None, data: bytes, message: str
) -> None:
    uri = put(gcs_env, BUCKET, key, data) if key else f"gs://{BUCKET}/plays/absent.json"
    with pytest.raises(PlaysError) as raised:
        open_plays_source(uri)
    assert message in str(raised.value)
    assert "playclips-plays-" not in str(raised.value)  # never the temporary file
