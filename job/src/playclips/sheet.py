"""A contact sheet per game: one thumbnail per play x angle, for people checking footage.

`manifests/{game}/contact_sheet.png` has one row per play (in manifest order) and one column
per angle; each tile is the play's first frame, fitted into a fixed box, captioned with the
play id, label and its start and end on the game clock. `contact_sheet.json` beside it says
where each tile is and which clip version (spec hash) it shows.

Thumbnails are decoded with PyAV from the clip bytes while they are still in memory (copy
mode: at the play's offset inside the clip; encode mode: the first frame), so making them reads
nothing more from storage. A clip skipped on a rerun keeps its tile: it is cropped from the
previous sheet when that sheet's layout shows the same clip version (one read of the old PNG,
instead of one per clip); only a clip with no such tile is read again, by ranged reads of its
first frames. Labels are drawn afresh on every run, so a relabelled play shows its new label.
"""

from __future__ import annotations

import io
import json
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, BinaryIO

import av
import av.error
from PIL import Image, ImageDraw, ImageFont

from .storage import Storage, StorageError

SHEET_CONTENT_TYPE = "image/png"
LAYOUT_CONTENT_TYPE = "application/json"
TILE = (192, 108)  # thumbnail box (16:9); other aspect ratios are letterboxed into it
CAPTION_H = 30
GAP = 6
MARGIN = 10
HEADER_H = 44
BACKGROUND = (24, 24, 24)
LETTERBOX = (0, 0, 0)
TEXT = (235, 235, 235)
MUTED = (160, 160, 160)
_EPS = 1e-6


def sheet_key(game_id: str) -> str:
    """Where a game's contact sheet lives below the output root (next to its manifest)."""
    return f"manifests/{game_id}/contact_sheet.png"


def layout_key(game_id: str) -> str:
    """Where the sheet's tile layout (and the clip version each tile shows) lives."""
    return f"manifests/{game_id}/contact_sheet.json"


def fit_to_tile(image: Image.Image) -> Image.Image:
    """`image` scaled to fit the tile box, keeping its aspect ratio, centred on black."""
    image = image.convert("RGB")
    scale = min(TILE[0] / image.width, TILE[1] / image.height)
    size = (max(1, round(image.width * scale)), max(1, round(image.height * scale)))
    tile = Image.new("RGB", TILE, LETTERBOX)
    tile.paste(image.resize(size, Image.Resampling.LANCZOS), _centre(size))
    return tile


def play_frame(source: bytes | BinaryIO, offset_s: float) -> Image.Image:
    """The first frame shown at or after `offset_s` from the clip's first frame; raise ValueError.

    `source` is the clip's bytes or a seekable file over it. Decodes from the clip's start
    (a keyframe), so only the frames up to the play's start are read.
    """
    fileobj = io.BytesIO(source) if isinstance(source, bytes | bytearray) else source
    try:
        with av.open(fileobj, mode="r") as clip:
            stream = clip.streams.video[0]
            stream.thread_type = "AUTO"
            first = None
            last = None
            for frame in clip.decode(stream):
                if frame.pts is None:
                    continue
                t = float(frame.pts * frame.time_base)
                first = t if first is None else min(first, t)
                last = frame
                if t - first >= offset_s - _EPS:
                    return frame.to_image()
    except (av.error.FFmpegError, IndexError) as exc:
        raise ValueError(f"cannot decode the clip's first frame ({exc})") from None
    if last is None:
        raise ValueError("the clip has no video frame")
    return last.to_image()


def thumbnail(source: bytes | BinaryIO, offset_s: float) -> Image.Image:
    """The tile for a clip: its play's first frame fitted into the tile box."""
    return fit_to_tile(play_frame(source, offset_s))


@dataclass
class _Tile:
    spec: str  # the clip version (spec hash) it shows
    image: Image.Image | None


class Tiles:
    """Thumbnails gathered while a game's clips are made; thread-safe (angles run at once)."""

    def __init__(self) -> None:
        self._tiles: dict[str, _Tile] = {}
        self._lock = threading.Lock()

    def add(self, key: str, spec: str, image: Image.Image | None) -> None:
        """Record the tile of clip `key` (version `spec`); None: find it when the sheet is made."""
        with self._lock:
            self._tiles[key] = _Tile(spec, image)

    def get(self, key: str) -> _Tile | None:
        with self._lock:
            return self._tiles.get(key)


def sheet_size(rows: int, columns: int) -> tuple[int, int]:
    """Pixel size of a sheet with `rows` plays and `columns` angles."""
    width = 2 * MARGIN + columns * TILE[0] + (columns - 1) * GAP
    height = HEADER_H + MARGIN + rows * (TILE[1] + CAPTION_H + GAP) - GAP + MARGIN
    return max(width, 2 * MARGIN + TILE[0]), height


def tile_box(row: int, column: int) -> tuple[int, int, int, int]:
    """(x, y, width, height) of the thumbnail at `row`, `column` (caption below it)."""
    x = MARGIN + column * (TILE[0] + GAP)
    y = HEADER_H + MARGIN + row * (TILE[1] + CAPTION_H + GAP)
    return x, y, TILE[0], TILE[1]


def write_contact_sheet(
    out: Storage,
    game_id: str,
    angles: Sequence[str],
    records: Sequence[dict[str, Any]],
    tiles: Tiles,
) -> str:
    """Compose and put the game's contact sheet and its layout; return the sheet's URI.

    `records` are the manifest lines (one per clip); a tile missing from `tiles` is taken from
    the previous sheet when it shows the same clip version, else decoded from the clip object.
    Raises StorageError when the sheet cannot be written.
    """
    plays: list[dict[str, Any]] = []
    for r in sorted(records, key=lambda r: (r["play_start_s"], r["play_id"])):
        if not plays or plays[-1]["play_id"] != r["play_id"]:
            plays.append(r)
    columns = [a for a in angles if any(r["angle"] == a for r in records)] or list(angles)
    cell = {(r["play_id"], r["angle"]): r for r in records}
    previous = _Previous(out, game_id)
    sheet = Image.new("RGB", sheet_size(len(plays), len(columns)), BACKGROUND)
    draw = ImageDraw.Draw(sheet)
    title, small = _font(15), _font(12)
    draw.text((MARGIN, 8), f"{game_id}: {len(records)} clips", fill=TEXT, font=title)
    for c, angle in enumerate(columns):
        x, _, _, _ = tile_box(0, c)
        draw.text((x, HEADER_H - 18), angle, fill=MUTED, font=small)
    placed: list[dict[str, Any]] = []
    for row, play in enumerate(plays):
        for c, angle in enumerate(columns):
            record = cell.get((play["play_id"], angle))
            if record is None:
                continue
            key = _key(record)
            box = tile_box(row, c)
            known = tiles.get(key)
            spec = known.spec if known else ""
            image = known.image if known else None
            if image is None:
                image = previous.tile(key, spec) or _decode_existing(out, key, record)
            if image is not None:
                sheet.paste(image, box[:2])
            _caption(draw, box, record, small)
            placed.append(
                {"play_id": record["play_id"], "angle": angle, "key": key, "spec": spec}
                | {"box": list(box), "shown": image is not None}
            )
    png = io.BytesIO()
    sheet.save(png, format="PNG", optimize=False, compress_level=6)
    layout = {"game_id": game_id, "tile": list(TILE), "size": list(sheet.size), "tiles": placed}
    out.put(layout_key(game_id), _json(layout), content_type=LAYOUT_CONTENT_TYPE)
    out.put(sheet_key(game_id), png.getvalue(), content_type=SHEET_CONTENT_TYPE)
    return out.uri(sheet_key(game_id))


def _key(record: dict[str, Any]) -> str:
    return f"clips/{record['game_id']}/{record['angle']}/{record['play_id']}.mp4"


def _caption(
    draw: ImageDraw.ImageDraw, box: tuple[int, int, int, int], record: dict[str, Any], font: Any
) -> None:
    x, y, w, h = box
    name = f"{record['play_id']} · {record.get('label') or '-'}"
    times = f"{record['play_start_s']:.2f} - {record['play_end_s']:.2f} s"
    draw.text((x, y + h + 2), _fit(draw, name, font, w), fill=TEXT, font=font)
    draw.text((x, y + h + 15), _fit(draw, times, font, w), fill=MUTED, font=font)


def _fit(draw: ImageDraw.ImageDraw, text: str, font: Any, width: int) -> str:
    if draw.textlength(text, font=font) <= width:
        return text
    while text and draw.textlength(text + "…", font=font) > width:
        text = text[:-1]
    return text + "…"


def _font(size: int) -> Any:
    return ImageFont.load_default(size=size)


def _centre(size: tuple[int, int]) -> tuple[int, int]:
    return (TILE[0] - size[0]) // 2, (TILE[1] - size[1]) // 2


def _json(data: Any) -> bytes:
    return (json.dumps(data, indent=1, sort_keys=True) + "\n").encode()


def _decode_existing(out: Storage, key: str, record: dict[str, Any]) -> Image.Image | None:
    """The tile of a clip made by an earlier run, from ranged reads of its first frames."""
    try:
        with out.open_read(key) as clip:
            return thumbnail(clip, float(record.get("play_start_offset_s", 0.0)))
    except (StorageError, ValueError, OSError):
        return None  # the tile stays blank; the sheet is still worth writing


class _Previous:
    """The previous sheet of a game and its layout, read once, only if a tile is needed."""

    def __init__(self, out: Storage, game_id: str) -> None:
        self._out, self._game = out, game_id
        self._loaded = False
        self._sheet: Image.Image | None = None
        self._boxes: dict[str, tuple[str, tuple[int, int, int, int]]] = {}

    def tile(self, key: str, spec: str) -> Image.Image | None:
        if not spec:
            return None
        self._load()
        found = self._boxes.get(key)
        if self._sheet is None or found is None or found[0] != spec:
            return None
        x, y, w, h = found[1]
        return self._sheet.crop((x, y, x + w, y + h))

    def _load(self) -> None:
        if self._loaded:
            return
        self._loaded = True
        try:
            with self._out.open_read(layout_key(self._game)) as f:
                layout = json.loads(f.read())
            if tuple(layout.get("tile", ())) != TILE:
                return
            with self._out.open_read(sheet_key(self._game)) as f:
                sheet = Image.open(io.BytesIO(f.read()))
                sheet.load()
        except (StorageError, OSError, ValueError):
            return
        self._sheet = sheet.convert("RGB")
        self._boxes = {
            t["key"]: (t["spec"], tuple(t["box"])) for t in layout.get("tiles", []) if t["shown"]
        }
