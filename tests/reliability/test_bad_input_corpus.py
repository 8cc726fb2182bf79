"""The bad-input corpus (bad_inputs.yaml): hostile and broken input, one case at a time.

Every case changes one thing about a clean two-game run, runs `playclips run` in this process
under a time limit, and is held to the same rules:
- the exit code it states, and no traceback;
- the one line that says what is wrong (or as many as it states: one per angle, per game),
  with every line of output on one line (a line break in an id, a path or a server message
  never forges a line of its own);
- nothing outside the output root changed (the videos, the plays file, the rest of the tree);
- nothing made earlier lost (cases marked `earlier` start from the clean run's output);
- the Supabase service key, set in the environment of every case, in no output stream and no
  file written, raw or escaped (repr, JSON, URL-encoded), not even half of it;
- how far the process's peak RSS (VmHWM, reset before each case) rose while the case ran;
- the other game and the other angle exactly as a clean run makes them.
"""

from __future__ import annotations

import contextlib
import functools
import json
import os
import resource
import shutil
import signal
import stat
import subprocess
import threading
import time
import urllib.parse
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
import yaml
from click.testing import CliRunner

from playclips.cli import main

from ..support.oracle import between, frames
from ..support.sources import make_source
from .badmedia import bad_video
from .conftest import tree_bytes, write_plays

CASES: list[dict[str, Any]] = yaml.safe_load(
    (Path(__file__).parent / "bad_inputs.yaml").read_text(encoding="utf-8")
)
ANGLES = "FAR_LEFT,NEAR_LEFT"
RUN_ID = "c"
LONG = "x" * 1024
# (play_id, start_s, end_s) of both games
PLAYS = (("p1", 2.0, 4.0), ("p2", 6.0, 9.5), ("p3", 12.0, 13.0), ("p4", 16.0, 18.0))
# Settings from the environment that would change what a case runs.
NEUTRAL_ENV: dict[str, str | None] = {
    k: None
    for k in os.environ
    if k.startswith(("PLAYCLIPS_", "CLOUD_RUN_", "SUPABASE_", "STORAGE_EMULATOR_HOST"))
}
# In every case's environment; it must never come out, in any form.
SECRET = "sb_secret_CORPUS+key/3c9d1e7f=NEVER-PRINTED"
WRAPPED = SECRET[:22] + "\n" + SECRET[22:]  # a key pasted with a line break in it
NON_ASCII = SECRET[:22] + "é" + SECRET[22:]
SPACED = SECRET[:22] + " " + SECRET[22:]
KEYS = {"secret": SECRET, "wrapped": WRAPPED, "non_ascii": NON_ASCII, "spaced": SPACED}
TIME_LIMIT_S = 60.0  # per case, generous for a loaded 2-core machine; a hang is what it catches
# How far the process's resident memory may rise above where it stood when the case began
# (peak RSS, VmHWM, reset per case): what the run itself held, whatever the suite held before.
RSS_LIMIT_MIB = 300
FORGED = "FORGED"  # what a line-break injection would try to print at the start of a line


def _long(value: Any) -> Any:
    return LONG if value == "LONG1K" else value


def _rows(game: str) -> list[dict[str, Any]]:
    return [
        {"game_id": game, "play_id": p, "start_s": s, "end_s": e, "label": "run"}
        for p, s, e in PLAYS
    ]


def _csv_rows(game: str) -> str:
    return "".join(f"{game},{p},{s},{e},run\n" for p, s, e in PLAYS)


def _expand(text: str) -> str:
    """Placeholders for what a YAML file cannot hold comfortably."""
    swaps = {
        "{GOOD_CSV}": _csv_rows("good"),
        "{G1_CSV}": _csv_rows("g1"),
        "{GOOD_JSON}": json.dumps(_rows("good"))[1:-1],
        "{G1_JSON}": json.dumps(_rows("g1"))[1:-1],
        "{DIGITS400}": "1" * 400,
        "{FIELD200K}": "x" * 200_000,
        "{DEEP5000}": "[" * 5000 + "]" * 5000,
        "{DEEP40}": '{"a":' * 40 + "1" + "}" * 40,
        "{SECRET}": SECRET,
    }
    for token, value in swaps.items():
        text = text.replace(token, value)
    return text


# --- a loopback stand-in for Supabase's REST API (PostgREST), misbehaving on request
class Supabase:
    """Serves games/game_videos/plays for g1 and good; `mode` decides how it misbehaves."""

    def __init__(self, mode: str) -> None:
        self.mode = mode
        stub = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args: object) -> None:
                pass

            def do_GET(self) -> None:
                stub.answer(self)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def answer(self, h: BaseHTTPRequestHandler) -> None:
        parts = urlsplit(h.path)
        table = parts.path.rsplit("/", 1)[-1]
        query = parse_qs(parts.query)
        game = query.get("game_id", query.get("id", ["eq.?"]))[0].removeprefix("eq.")
        echo = f"{h.headers.get('apikey')} {h.headers.get('Authorization')}"
        if self.mode == "reject_401":  # echoes the key back, as a careless gateway would
            body = {"message": f"bad key {echo}", "code": "PGRST301", "hint": echo}
            return self._send(h, 401, json.dumps(body).encode(), {"X-Echo": SECRET})
        rows: list[Any]
        if table == "games":
            rows = [{"id": game}] if game in ("g1", "good") else []
        elif table == "game_videos":
            rows = []
            if self.mode == "video_uri_newline" and game == "g1":
                uri = f"g1/NEAR_LEFT.mp4\nerror: {FORGED} line"
                rows = [{"game_id": "g1", "angle": "NEAR_LEFT", "uri": uri, "offset_s": 0}]
        else:
            rows = [
                {
                    "id": r["play_id"],
                    "game_id": game,
                    "play_number": i + 1,
                    "start_s": r["start_s"],
                    "end_s": r["end_s"],
                    "label": "run",
                    "description": "",
                    "attributes": {},
                }
                for i, r in enumerate(_rows(game))
            ]
            if self.mode == "rows_not_objects":
                rows = ["p1", 2, None]
        start = int(query.get("offset", ["0"])[0])
        page = rows[start:]
        body = json.dumps(page).encode()
        if self.mode == "nan_attribute" and table == "plays" and game == "g1":
            body = body.replace(b'"attributes": {}', b'"attributes": {"x": NaN}', 1)
        content_range = f"{start}-{start + len(page) - 1}/{len(rows)}"
        if self.mode == "range_echo":
            content_range = f"{start}-{start + len(page) - 1}/{echo}"
        return self._send(h, 200, body, {"Content-Range": content_range})

    @staticmethod
    def _send(h: BaseHTTPRequestHandler, status: int, body: bytes, headers: dict) -> None:
        h.send_response(status)
        h.send_header("Content-Type", "application/json")
        for k, v in headers.items():
            h.send_header(k, v)
        h.send_header("Content-Length", str(len(body)))
        h.end_headers()
        h.wfile.write(body)

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


# --- setting a case up
def _special(path: Path, kind: str) -> None:
    """Make `path` a FIFO, a folder, a symlink loop or a dangling symlink."""
    path.parent.mkdir(parents=True, exist_ok=True)
    if kind == "fifo":
        os.mkfifo(path)
    elif kind == "dir":
        path.mkdir()
    elif kind == "loop":
        path.symlink_to(path.name)
    elif kind == "dangling":
        path.symlink_to(path.parent / "gone.mp4")
    elif kind == "sparse":  # 300 MB that take no disk: refused by size before any read
        with path.open("wb") as f:
            f.truncate(300 * 1024 * 1024)
    else:
        raise KeyError(kind)


def _setup(root: Path, case: dict[str, Any]) -> None:
    source = make_source("bframes")
    for game in ("g1", "good"):
        folder = root / "videos" / game
        folder.mkdir(parents=True, exist_ok=True)
        (folder / "FAR_LEFT.mp4").symlink_to(source)
        if game == "good":
            (folder / "NEAR_LEFT.mp4").symlink_to(source)
    video = case.get("video", {})
    content = video.get("content", "good")
    near = root / "videos" / "g1" / f"NEAR_LEFT.{video.get('ext', 'mp4')}"
    if content == "good":
        near.symlink_to(source)
    elif content == "twice":
        near.symlink_to(source)
        near.with_suffix(".mov").symlink_to(source)
    elif content in ("fifo", "dir", "loop", "dangling"):
        _special(near, content)
    elif content == "text":
        near.write_text(_expand(video["text"]).replace("{ROOT}", str(root)))
    elif content != "missing":
        data = bad_video(content)
        near.write_bytes(data if isinstance(data, bytes) else data.read_bytes())
    plays = _plays_path(root, case)
    plays.parent.mkdir(exist_ok=True)
    if "plays_kind" in case:
        _special(plays, case["plays_kind"])
    elif "plays_csv" in case or "plays_text" in case:
        text = _expand(case.get("plays_csv", case.get("plays_text", "")))
        plays.write_bytes(text.encode(case.get("encoding", "utf-8")))
    else:
        rows = _rows("g1") if "g1_plays" not in case else []
        rows += [{"game_id": "g1", **r} for r in case.get("g1_plays", [])]
        rows += _rows("good")
        rows += [{k: _long(v) for k, v in row.items()} for row in case.get("extra_plays", [])]
        rows *= case.get("repeat", 1)
        write_plays(plays, rows, case.get("video_rows"))
    games = case.get("games_file")
    if games:
        target = root / "games.json"
        if games.get("kind"):
            _special(target, games["kind"])
        elif "text" in games:
            target.write_text(_expand(games["text"]))


def _plays_path(root: Path, case: dict[str, Any]) -> Path:
    default = "plays.csv" if "plays_csv" in case else "plays.json"
    return root / "plays" / case.get("plays_name", default)


def _invoke(root: Path, case: dict[str, Any], env_extra: dict[str, str]) -> Any:
    games = [_long(g) for g in case.get("games", ["g1", "good"])]
    args = [
        "--plays",
        str(_plays_path(root, case)),
        "--videos",
        str(root / "videos"),
        "--out",
        str(root / "out"),
    ]
    extra = [a.replace("{ROOT}", str(root)) for a in case.get("args", [])]
    for flag in ("--plays", "--videos", "--out"):
        if flag in extra:  # the case's value replaces the default
            i = args.index(flag)
            del args[i : i + 2]
    env = {**NEUTRAL_ENV, "SUPABASE_SERVICE_KEY": SECRET}
    env.update({k: _expand(v).replace("{ROOT}", str(root)) for k, v in case.get("env", {}).items()})
    env.update(env_extra)
    if "games_file" in case:
        env["PLAYCLIPS_GAMES_URI"] = str(root / "games.json")
    argv = ["run", *games, *args, "--angles", ANGLES, "--run-id", RUN_ID, "--log-format", "text"]
    return CliRunner().invoke(main, [*argv, *extra], env=env, catch_exceptions=True)


@functools.cache
def _clean(tmp: str) -> Path:
    """A clean run of both games (made once per session)."""
    root = Path(tmp)
    _setup(root, {})
    result = _invoke(root, {}, {})
    assert result.exit_code == 0, result.output
    return root


@pytest.fixture(scope="module")
def clean(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return _clean(str(tmp_path_factory.mktemp("clean")))


def _manifest(root: Path, game: str) -> list[dict[str, Any]] | None:
    path = root / "out" / "manifests" / game / "clips.jsonl"
    if not path.is_file():
        return None
    records = [json.loads(line) for line in path.read_text().splitlines()]
    for r in records:  # an earlier run's lines name its own output root
        r["uri"] = "OUT/clips/" + r["uri"].rpartition("/out/clips/")[2]
    return records


def _report(root: Path, game: str) -> dict[str, Any] | None:
    path = root / "out" / "reports" / RUN_ID / f"{game}.json"
    return json.loads(path.read_text()) if path.is_file() else None


def _snapshot(root: Path, skip: str = "out") -> dict[str, tuple]:
    """Every entry below root except `skip`: its type, size, mtime and link target."""
    seen: dict[str, tuple] = {}
    for dirpath, dirnames, filenames in os.walk(root):
        if Path(dirpath) == root:
            dirnames[:] = [d for d in dirnames if d != skip]
            filenames = [f for f in filenames if f != skip]
        for name in dirnames + filenames:
            path = Path(dirpath, name)
            st = path.lstat()
            target = os.readlink(path) if stat.S_ISLNK(st.st_mode) else ""
            seen[str(path.relative_to(root))] = (st.st_mode, st.st_size, st.st_mtime_ns, target)
    return seen


def _leaks(text: str) -> list[str]:
    """The forms of any corpus key found in `text` (raw, escaped, encoded, or half of it)."""
    found = []
    for key in KEYS.values():
        forms = {
            key,
            repr(key)[1:-1],
            json.dumps(key)[1:-1],
            urllib.parse.quote(key, safe=""),
            urllib.parse.quote_plus(key),
            key[:22],
            key[-22:],
        }
        found += [f for f in forms if f in text]
    return found


def _rss_mib(field: str) -> float:
    """VmHWM (peak) or VmRSS (now) of this process, in MiB."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(f"{field}:"):
            return int(line.split()[1]) / 1024
    return 0.0


def _reset_peak_rss() -> bool:
    try:
        Path("/proc/self/clear_refs").write_text("5")
    except OSError:
        return False
    return True


class CaseTimeout(Exception):
    pass


@contextlib.contextmanager
def _time_limit(seconds: float) -> Iterator[None]:
    def expired(signum: int, frame: Any) -> None:
        raise CaseTimeout(f"over {seconds} s")

    previous = signal.signal(signal.SIGALRM, expired)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def _earlier(case: dict[str, Any]) -> bool:
    """Whether the case starts from the clean run's output: by default it does, so that every
    case also checks that nothing made before is lost; a case about the output root itself
    (a file, a tiny disk, a path blocked) starts empty."""
    return case.get("earlier", not (case.get("out") or case.get("block")))


@contextlib.contextmanager
def _out_root(root: Path, case: dict[str, Any], clean: Path) -> Iterator[None]:
    """The output root as the case wants it: earlier output, a file, a tiny disk, a size cap."""
    out = root / "out"
    kind = case.get("out")
    if _earlier(case):  # hard links keep the inodes the metadata sidecars are named by
        subprocess.run(["cp", "-al", str(clean / "out"), str(out)], check=True)
    for blocked in case.get("block", []):  # a folder where the run must write a file
        (out / blocked).mkdir(parents=True)
    if kind == "file":
        out.write_text("not a folder\n")
    if kind == "full":
        out.mkdir()
        mounted = subprocess.run(
            ["mount", "-t", "tmpfs", "-o", "size=600k", "tmpfs", str(out)],
            capture_output=True,
        )
        if mounted.returncode:
            pytest.skip("a full disk needs a small tmpfs, and mount is not permitted here")
        try:
            yield
        finally:
            subprocess.run(["umount", str(out)], check=False)
        return
    if kind == "fsize":  # writes past 100 kB fail with EFBIG, as on a capped file system
        limits = resource.getrlimit(resource.RLIMIT_FSIZE)
        previous = signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
        resource.setrlimit(resource.RLIMIT_FSIZE, (100_000, limits[1]))
        try:
            yield
        finally:
            resource.setrlimit(resource.RLIMIT_FSIZE, limits)
            signal.signal(signal.SIGXFSZ, previous)
        return
    yield


def test_the_corpus_is_big_and_well_formed() -> None:
    ids = [c["id"] for c in CASES]
    assert len(ids) >= 90 and len(set(ids)) == len(ids)
    kinds = {i.split("-")[0] for i in ids}
    assert kinds == {"video", "plays", "csv", "json", "id", "config", "storage", "rerun", "sb"}
    for case in CASES:
        assert {"exit", "message", "g1"} <= set(case["expect"]), case["id"]


@pytest.mark.timeout(TIME_LIMIT_S * 3, method="thread")  # a hang no signal can break
@pytest.mark.parametrize("case", CASES, ids=[c["id"] for c in CASES])
def test_bad_input(case: dict[str, Any], tmp_path: Path, clean: Path) -> None:
    if case.get("needs"):
        pytest.skip(f"needs: {case['needs']} (the cutter does not refuse this input yet)")
    expect = case["expect"]
    _setup(tmp_path, case)
    env: dict[str, str] = {}
    stub = None
    if "supabase" in case:
        sb = case["supabase"]
        stub = Supabase(sb.get("mode", "ok"))
        env["SUPABASE_URL"] = _expand(sb.get("url", stub.url))
        env["SUPABASE_SERVICE_KEY"] = KEYS[sb.get("key", "secret")]
    before = _snapshot(tmp_path)
    rss_ok = _reset_peak_rss()
    baseline = _rss_mib("VmRSS")
    started = time.monotonic()
    try:
        with _out_root(tmp_path, case, clean), _time_limit(TIME_LIMIT_S):
            result = _invoke(tmp_path, case, env)
    finally:
        if stub:
            stub.close()
    seconds = time.monotonic() - started
    peak = _rss_mib("VmHWM") - baseline
    output = result.output
    out = tmp_path / "out"
    print(f"corpus {case['id']}: {seconds:.2f} s, peak RSS +{peak:.0f} MiB over {baseline:.0f}")
    if os.environ.get("CORPUS_SHOW"):
        print(output)

    # in time, no crash, the right exit code
    assert not isinstance(result.exception, CaseTimeout), f"{case['id']}: over {TIME_LIMIT_S} s"
    assert not isinstance(result.exception, Exception) or isinstance(
        result.exception, SystemExit
    ), f"{case['id']}: crashed: {result.exception!r}\n{output}"
    assert "Traceback" not in output
    assert result.exit_code == expect["exit"], output
    if rss_ok:
        assert peak <= case.get("rss_mib", RSS_LIMIT_MIB), f"peak RSS rose {peak:.0f} MiB"

    # one clear line (or the stated number: one per angle, per game); nothing forged
    said = [
        line for line in output.splitlines() if line.startswith(("error:", "warning:", "Error:"))
    ]
    for line in said:
        assert len(line) <= 400, f"{case['id']}: an over-long line: {line[:120]}..."
    assert not [
        line for line in output.splitlines() if line.startswith((FORGED, f"error: {FORGED}"))
    ], output
    if expect["message"] is None:
        assert not [line for line in said if line.startswith(("error:", "Error:"))], output
    else:
        carrying = [line for line in said if expect["message"] in line]
        if "min_lines" in expect:  # where a race decides which writes fail first
            assert len(carrying) >= expect["min_lines"], output
        else:
            assert len(carrying) == expect.get("lines", 1), output
        prefix = expect.get("prefix", "error:")
        assert all(line.startswith(prefix) for line in carrying), output

    # the key, in no stream and no file written, in any form
    assert not _leaks(output), f"the key leaked into the output: {_leaks(output)}"
    if out.is_dir() and case.get("out") != "file":
        for path in out.rglob("*"):
            if path.is_file() and not path.is_symlink():
                text = path.read_bytes().decode("utf-8", "replace")
                assert not _leaks(text), f"the key leaked into {path}"

    # nothing outside the output root changed, nothing half-written left inside it, and what
    # was written is readable as the umask allows (not mkstemp's 0600)
    assert _snapshot(tmp_path) == before
    if out.is_dir():
        assert not list(out.rglob(".playclips-tmp-*"))
        umask = os.umask(0o022)
        os.umask(umask)
        for path in out.rglob("*"):
            if path.is_file() and not path.is_symlink() and path.stat().st_nlink == 1:
                assert stat.S_IMODE(path.stat().st_mode) == 0o666 & ~umask, path

    # the game's report
    g1 = _report(tmp_path, "g1")
    if expect["g1"] == "any":
        pass
    elif expect["g1"] is None:
        assert g1 is None or _earlier(case)
    else:
        assert g1 is not None and g1["status"] == expect["g1"], g1
    if expect["exit"] == 2 and not _earlier(case) and out.is_dir():
        # refused before any game started: at most the games' reports (an unusable plays file)
        written = [p for p in out.rglob("*") if p.is_file() and "reports" not in p.parts]
        assert written == [], written

    if _earlier(case):
        _nothing_earlier_lost(tmp_path, clean, case)

    # the other game is untouched by g1's problem
    if expect.get("good_ok", True):
        good = _report(tmp_path, "good")
        assert good is not None and good["status"] == "ok", good
        assert _manifest(tmp_path, "good") == _manifest(clean, "good")
        assert tree_bytes(out, "clips/good") == tree_bytes(clean / "out", "clips/good")

    # so is g1's other angle
    if expect.get("far_left", "video" in case):
        assert [r for r in _manifest(tmp_path, "g1") or [] if r["angle"] == "FAR_LEFT"] == [
            r for r in _manifest(clean, "g1") or [] if r["angle"] == "FAR_LEFT"
        ]
        assert tree_bytes(out, "clips/g1/FAR_LEFT") == tree_bytes(
            clean / "out", "clips/g1/FAR_LEFT"
        )

    # the manifest carries what the plays said, exactly
    for want in case.get("manifest_has", []):
        lines = _manifest(tmp_path, "g1") or []
        assert any(all(r.get(k) == v for k, v in want.items()) for r in lines), (want, lines)

    # and whatever NEAR_LEFT clips were made from an unusual file are right, frame for frame
    ordinary = ("good", "twice", "missing", "fifo", "dir", "loop", "dangling", "text")
    unusual = case.get("video", {}).get("content", "good") not in ordinary
    if unusual and (out / "manifests" / "g1" / "clips.jsonl").exists():
        source = next((tmp_path / "videos" / "g1").glob("NEAR_LEFT.*"))
        for record in _manifest(tmp_path, "g1") or []:
            if record["angle"] == "NEAR_LEFT":
                clip = Path(record["uri"].replace("OUT", str(out)))
                _check_by_frame_index(source, clip, record)


def _nothing_earlier_lost(root: Path, clean: Path, case: dict[str, Any]) -> None:
    """Every clip of the clean run is still there, and so is every manifest line, but those
    the case says its change rightly drops (an angle whose video was replaced, a play that
    is no longer in the plays file)."""
    out = root / "out"
    for path in (clean / "out" / "clips").rglob("*.mp4"):
        assert (out / path.relative_to(clean / "out")).is_file(), f"{path.name} was lost"
    drops = set(case.get("drops", []))
    for game in ("g1", "good"):
        was = _manifest(clean, game) or []
        now = _manifest(root, game)
        assert now is not None, f"the manifest of {game} was lost"
        kept = [r for r in was if game != "g1" or not ({r["angle"], r["play_id"]} & drops)]
        if case.get("changes_lines"):  # e.g. a new label: compare what identifies a clip
            ident = ("play_id", "angle", "clip_start_s", "clip_end_s", "bytes")
            assert {tuple(r[k] for k in ident) for r in kept} <= {
                tuple(r[k] for k in ident) for r in now
            }
        else:
            missing = [r for r in kept if r not in now]
            assert not missing, f"{game}: earlier manifest lines lost: {missing[:2]}"
        if game == "g1":
            gone = {(r["play_id"], r["angle"]) for r in now}
            for r in was:
                if {r["angle"], r["play_id"]} & drops:
                    assert (r["play_id"], r["angle"]) not in gone or case.get("remade"), r


def _check_by_frame_index(source: Path, clip: Path, record: dict[str, Any]) -> None:
    """The clip is the source's frames over [clip_start, clip_end) on the player's timeline."""
    want = between(frames(str(source)), record["clip_start_s"], record["clip_end_s"])
    got = [f.md5 for f in frames(str(clip))]
    assert got == want, f"{clip} is not the source's frames from {record['clip_start_s']} s"
    assert len(got) == record["frames"]
    start = record["clip_start_s"] + record["play_start_offset_s"]
    end = record["clip_start_s"] + record["play_end_offset_s"]
    in_play = between(frames(str(clip)), record["play_start_offset_s"], record["play_end_offset_s"])
    assert in_play == between(frames(str(source)), start, end), record


def test_no_case_leaves_temporary_files(tmp_path: Path) -> None:
    case = next(c for c in CASES if c["id"] == "video-truncated-after-index")
    _setup(tmp_path, case)
    _invoke(tmp_path, case, {})
    assert not [p for p in (tmp_path / "out").rglob(".playclips-tmp-*")]
    shutil.rmtree(tmp_path / "out")
