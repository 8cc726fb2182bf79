"""CPU per ranged GET through google-cloud-storage, for each way the client can fetch a range.

    python -m bench.gcs_request_cpu [--requests N] [--size BYTES]

Runs fake-gcs-server on loopback, stores one random object and fetches N ranges of SIZE bytes
with each call below, on one thread. Reports this process's CPU seconds per request (user +
system, `time.process_time`); the server's CPU is not counted. Every call must return the
exact bytes, pinned to the object's generation.

- `download_as_bytes`: `Blob.download_as_bytes(start, end, raw_download=True, checksum=None)`,
  what the reader used before.
- `RawDownload`: the client's own media download (`google.resumable_media`), given the blob's
  download URL once (generation pinned in it) and the client's authorized session.
- `session.get`: the client's authorized session, a GET with a Range header.
- `session.get stream`: the same, the body read whole from the socket (`raw.read()`) instead
  of joined from 10 KiB chunks.
"""

from __future__ import annotations

import argparse
import io
import os
import random
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT / "job" / "src"), str(ROOT)]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=300)
    parser.add_argument("--size", type=int, default=1 << 20)
    args = parser.parse_args(argv)

    from google.cloud import storage
    from google.resumable_media.requests import RawDownload

    from tests.support.fake_gcs import start_fake_gcs

    server = start_fake_gcs()
    os.environ.update(server.env())
    try:
        client = storage.Client(project="bench")
        client.create_bucket("cpu")
        data = random.Random(1).randbytes(16 << 20)
        blob = client.bucket("cpu").blob("o")
        blob.upload_from_string(data)
        blob.reload()
        pinned = client.bucket("cpu").blob("o", generation=blob.generation)
        url = pinned._get_download_url(client)
        session = client._http
        rng = random.Random(2)
        starts = [rng.randrange(len(data) - args.size) for _ in range(args.requests)]

        def via_blob(a: int, b: int) -> bytes:
            return pinned.download_as_bytes(start=a, end=b - 1, raw_download=True, checksum=None)

        def via_raw(a: int, b: int) -> bytes:
            out = io.BytesIO()
            RawDownload(url, stream=out, start=a, end=b - 1, checksum=None).consume(session)
            return out.getvalue()

        def via_session(a: int, b: int) -> bytes:
            r = session.get(url, headers={"Range": f"bytes={a}-{b - 1}"})
            r.raise_for_status()
            return r.content

        def via_raw_read(a: int, b: int) -> bytes:
            r = session.get(url, headers={"Range": f"bytes={a}-{b - 1}"}, stream=True)
            try:
                r.raise_for_status()
                return r.raw.read(decode_content=False)
            finally:
                r.close()

        print(f"{args.requests} ranged GETs of {args.size} bytes, load {os.getloadavg()[0]:.1f}")
        for name, call in (
            ("download_as_bytes", via_blob),
            ("RawDownload", via_raw),
            ("session.get", via_session),
            ("session.get stream", via_raw_read),
        ):
            call(0, 10)  # warm the connection
            cpu0, wall0 = time.process_time(), time.monotonic()
            for a in starts:
                assert call(a, a + args.size) == data[a : a + args.size], name
            cpu = (time.process_time() - cpu0) / args.requests
            wall = (time.monotonic() - wall0) / args.requests
            print(f"  {name:<18} {cpu * 1e3:7.2f} ms CPU/request  {wall * 1e3:7.2f} ms wall")
    finally:
        server.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
