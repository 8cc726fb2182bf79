"""A contact sheet per game: one thumbnail per play x angle, for people checking footage.

The sheet is paged, PLAYS_PER_PAGE plays a page, so a long game gives several images of a
readable size rather than one very tall one: `manifests/{game}/contact_sheet.png` is page 1,
`contact_sheet-2.png`, `-3.png`... the next ones. Each page has one row per play (in manifest
order) and one column per angle (the run's --angles order); each tile is the play's first
frame, fitted into a fixed box, captioned with the play id, label and its start and end on the
game clock. A tile whose clip does not cover its play (the manifest line has a note, e.g. the
play ran past the end of the video, or the play ends after the clip) gets an amber frame and a
"!" before its caption. `contact_sheet.json` beside it lists the pages and says where each
tile is, on which page, and which clip version (spec hash) it shows. A rerun with fewer plays
leaves older extra pages in place; the layout's `pages` lists the current ones.

Bounded work whatever the input: a caption is fitted to its tile by a binary search over the
text's length (a few measurements, even for a label of thousands of characters), and a clip
whose frames are larger than MAX_THUMBNAIL_PIXELS gets no thumbnail (its tile says so): a
decoded 8192x8192 frame alone is 100 MB, and the decoder holds several.

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
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, BinaryIO

import av
import av.error
from PIL import Image, ImageDraw, ImageFont

from ..layout import clip_key, layout_key, sheet_key
from ..storage import Storage, StorageError

SHEET_CONTENT_TYPE = "image/png"
LAYOUT_CONTENT_TYPE = "application/json"
TILE = (192, 108)  # thumbnail box (16:9); other aspect ratios are letterboxed into it
CAPTION_H = 30
GAP = 6
MARGIN = 10
HEADER_H = 60
BACKGROUND = (24, 24, 24)
LETTERBOX = (0, 0, 0)
TEXT = (235, 235, 235)
MUTED = (160, 160, 160)
WARN = (240, 170, 40)  # the frame of a tile whose clip does not cover its play
PLAYS_PER_PAGE = 25
# Largest frame decoded for a thumbnail: DCI 4K (4096x2160) and UHD fit; 8K does not.
MAX_THUMBNAIL_PIXELS = 4096 * 2304
# A caption longer than this is cut before fitting (a tile shows ~40 characters).
_CAPTION_MAX_CHARS = 256
_EPS = 1e-6


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
    (a keyframe), so only the frames up to the play's start are read, and of those only the
    ones later frames reference (B-frames before the play are skipped).
    """
    fileobj = io.BytesIO(source) if isinstance(source, bytes | bytearray) else source
    try:
        # max_pixels stops the decoder allocating larger frames, including the one that
        # probing the container decodes, before the size check below can run.
        options = {"max_pixels": str(MAX_THUMBNAIL_PIXELS)}
        with av.open(fileobj, mode="r", options=options) as clip:
            stream = clip.streams.video[0]
            pixels = stream.codec_context.width * stream.codec_context.height
            if pixels > MAX_THUMBNAIL_PIXELS:
                raise ValueError(
                    f"frames of {stream.codec_context.width}x{stream.codec_context.height} are "
                    f"over {MAX_THUMBNAIL_PIXELS} pixels: no thumbnail"
                )
            # Slice threads only: frame threads decode frames ahead that are never shown and
            # hold a frame each; the same pixels for a third less CPU (bench.thumbnail_cpu).
            stream.thread_type = "SLICE"
            codec = stream.codec_context
            first = None
            last = None
            origin = None  # the pts of the clip's first packet: its keyframe, shown first
            for packet in clip.demux(stream):
                if packet.pts is not None:
                    origin = packet.pts if origin is None else origin
                    # A frame shown before the play that no other frame references is never
                    # needed: the decoder skips it (the play's frame is decoded as before).
                    early = float((packet.pts - origin) * packet.time_base) < offset_s - _EPS
                    codec.skip_frame = "NONREF" if early else "DEFAULT"
                for frame in codec.decode(packet):
                    if frame.pts is None:
                        continue
                    t = float(frame.pts * frame.time_base)
                    first = t if first is None else min(first, t)
                    last = frame
                    if t - first >= offset_s - _EPS:
                        return _small_image(frame)
    except (av.error.FFmpegError, IndexError) as exc:
        raise ValueError(f"cannot decode the clip's first frame ({exc})") from None
    if last is None:
        raise ValueError("the clip has no video frame")
    return _small_image(last)


def _small_image(frame: Any) -> Image.Image:
    """The frame as RGB, scaled down (by swscale) to at most twice the tile box.

    Converting a large frame to a full-size RGB image first would cost 3 bytes a pixel; twice
    the tile keeps enough detail for fit_to_tile's LANCZOS pass.
    """
    scale = min(1.0, 2 * TILE[0] / frame.width, 2 * TILE[1] / frame.height)
    if scale >= 1.0:
        return frame.to_image()
    width, height = max(2, round(frame.width * scale)), max(2, round(frame.height * scale))
    return frame.reformat(width=width, height=height, format="rgb24").to_image()


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

    def merge(self, other: Tiles) -> None:
        """Add every tile of `other` (an angle's, made in another process)."""
        with other._lock:
            tiles = dict(other._tiles)
        with self._lock:
            self._tiles.update(tiles)

    def __getstate__(self) -> dict[str, _Tile]:
        with self._lock:
            return dict(self._tiles)

    def __setstate__(self, tiles: dict[str, _Tile]) -> None:
        self._tiles, self._lock = tiles, threading.Lock()


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
    timing: Mapping[str, str] | None = None,
) -> str:
    """Compose and put the game's contact-sheet pages and its layout; return page 1's URI.

    `timing` is a short line per angle shown under its name (its offset, drift and last sync).

    `records` are the manifest lines (one per clip); a tile missing from `tiles` is taken from
    the previous sheet when it shows the same clip version, else decoded from the clip object.
    Raises StorageError when the sheet cannot be written.
    """
    plays: list[dict[str, Any]] = []
    for r in sorted(records, key=lambda r: (r["play_start_s"], r["play_id"])):
        if not plays or plays[-1]["play_id"] != r["play_id"]:
            plays.append(r)
    columns = [a for a in angles if any(r["angle"] == a for r in records)] or list(angles)
    page = _Page(out, game_id, columns, records, tiles, timing)
    pages = [plays[i : i + PLAYS_PER_PAGE] for i in range(0, len(plays), PLAYS_PER_PAGE)] or [[]]
    images: list[bytes] = []
    sizes: list[list[int]] = []
    for number, page_plays in enumerate(pages, 1):
        png, size = page.draw(number, len(pages), page_plays)
        images.append(png)
        sizes.append(size)
    keys = [sheet_key(game_id, n) for n in range(1, len(pages) + 1)]
    layout = {
        "game_id": game_id,
        "tile": list(TILE),
        "plays_per_page": PLAYS_PER_PAGE,
        "pages": keys,
        "size": sizes[0],
        "sizes": sizes,
        "tiles": page.placed,
    }
    for key, data in zip(keys, images, strict=True):
        out.put(key, data, content_type=SHEET_CONTENT_TYPE)
    # Last, so a layout never names a page that is not there yet.
    out.put(layout_key(game_id), _json(layout), content_type=LAYOUT_CONTENT_TYPE)
    return out.uri(keys[0])


class _Page:
    """Draws the sheet's pages one at a time; `placed` collects every tile drawn."""

    def __init__(
        self,
        out: Storage,
        game_id: str,
        columns: list[str],
        records: Sequence[dict[str, Any]],
        tiles: Tiles,
        timing: Mapping[str, str] | None,
    ) -> None:
        self.out, self.game_id, self.columns, self.records = out, game_id, columns, records
        self.tiles, self.timing = tiles, timing
        self.cell = {(r["play_id"], r["angle"]): r for r in records}
        self.previous = _Previous(out, game_id)
        self.title, self.small = _font(15), _font(12)
        self.placed: list[dict[str, Any]] = []

    def draw(
        self, number: int, count: int, page_plays: list[dict[str, Any]]
    ) -> tuple[bytes, list[int]]:
        """Page `number` of `count` as PNG bytes, and its size."""
        sheet = Image.new("RGB", sheet_size(len(page_plays), len(self.columns)), BACKGROUND)
        draw = ImageDraw.Draw(sheet)
        heading = f"{self.game_id}: {len(self.records)} clips"
        if count > 1:
            heading += f" · page {number} of {count}"
        draw.text((MARGIN, 8), heading, fill=TEXT, font=self.title)
        for c, angle in enumerate(self.columns):
            x, _, _, _ = tile_box(0, c)
            draw.text((x, HEADER_H - 32), angle, fill=MUTED, font=self.small)
            if self.timing and self.timing.get(angle):
                draw.text((x, HEADER_H - 17), self.timing[angle], fill=MUTED, font=self.small)
        for row, play in enumerate(page_plays):
            for c, angle in enumerate(self.columns):
                record = self.cell.get((play["play_id"], angle))
                if record is not None:
                    self._tile(sheet, draw, number, tile_box(row, c), record)
        png = io.BytesIO()
        sheet.save(png, format="PNG", optimize=False, compress_level=6)
        return png.getvalue(), list(sheet.size)

    def _tile(
        self,
        sheet: Image.Image,
        draw: ImageDraw.ImageDraw,
        number: int,
        box: tuple[int, int, int, int],
        record: dict[str, Any],
    ) -> None:
        key = _key(record)
        known = self.tiles.get(key)
        spec = known.spec if known else ""
        image = known.image if known else None
        if image is None:
            image = self.previous.tile(key, spec) or _decode_existing(self.out, key, record)
        if image is not None:
            sheet.paste(image, box[:2])
        else:
            draw.text((box[0] + 6, box[1] + 6), "no thumbnail", fill=MUTED, font=self.small)
        short = not covers_play(record)
        if short:
            x, y, w, h = box
            draw.rectangle((x, y, x + w - 1, y + h - 1), outline=WARN, width=3)
        _caption(draw, box, record, self.small, short)
        self.placed.append(
            {"play_id": record["play_id"], "angle": record["angle"], "key": key, "spec": spec}
            | {"page": number, "box": list(box), "shown": image is not None}
            | {"covers_play": not short}
        )


def covers_play(record: dict[str, Any]) -> bool:
    """Whether a clip holds its whole play: no note (such as a play cut at the video's end)
    and the play's end inside the clip."""
    if record.get("note"):
        return False
    end, length = record.get("play_end_offset_s"), record.get("duration_s")
    if isinstance(end, int | float) and isinstance(length, int | float):
        return end <= length + 0.05
    return True


def _key(record: dict[str, Any]) -> str:
    return clip_key(record["game_id"], record["angle"], record["play_id"])


def _caption(
    draw: ImageDraw.ImageDraw,
    box: tuple[int, int, int, int],
    record: dict[str, Any],
    font: Any,
    short: bool = False,
) -> None:
    x, y, w, h = box
    name = f"{'! ' if short else ''}{record['play_id']} · {record.get('label') or '-'}"
    times = f"{record['play_start_s']:.2f} - {record['play_end_s']:.2f} s"
    draw.text(
        (x, y + h + 2), fit_text(draw, name, font, w), fill=WARN if short else TEXT, font=font
    )
    draw.text((x, y + h + 15), fit_text(draw, times, font, w), fill=MUTED, font=font)


def fit_text(draw: ImageDraw.ImageDraw, text: str, font: Any, width: int) -> str:
    """`text`, or its longest prefix plus "…" that fits in `width` pixels.

    A binary search over the prefix length: O(log n) measurements of at most
    _CAPTION_MAX_CHARS characters, so a label of any length costs the same few milliseconds.
    """
    if len(text) <= _CAPTION_MAX_CHARS and draw.textlength(text, font=font) <= width:
        return text
    text = text[:_CAPTION_MAX_CHARS]
    low, high = 0, len(text)  # text[:low] + "…" fits; text[:high + 1] + "…" may not
    while low < high:
        mid = (low + high + 1) // 2
        if draw.textlength(text[:mid] + "…", font=font) <= width:
            low = mid
        else:
            high = mid - 1
    return text[:low] + "…"


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
        self._pages: list[str] = []
        self._sheets: dict[int, Image.Image | None] = {}
        self._boxes: dict[str, tuple[str, int, tuple[int, int, int, int]]] = {}

    def tile(self, key: str, spec: str) -> Image.Image | None:
        if not spec:
            return None
        self._load()
        found = self._boxes.get(key)
        if found is None or found[0] != spec:
            return None
        sheet = self._sheet(found[1])
        if sheet is None:
            return None
        x, y, w, h = found[2]
        return sheet.crop((x, y, x + w, y + h))

    def _sheet(self, page: int) -> Image.Image | None:
        if page not in self._sheets:
            self._sheets[page] = None
            try:
                with self._out.open_read(self._pages[page - 1]) as f:
                    sheet = Image.open(io.BytesIO(f.read()))
                    sheet.load()
                self._sheets[page] = sheet.convert("RGB")
            except (StorageError, OSError, ValueError, IndexError, Image.DecompressionBombError):
                pass
        return self._sheets[page]

    def _load(self) -> None:
        if self._loaded:
            return
        self._loaded = True
        try:
            with self._out.open_read(layout_key(self._game)) as f:
                layout = json.loads(f.read())
            if tuple(layout.get("tile", ())) != TILE:
                return
            # A layout from before the sheet was paged has one page and no "pages".
            self._pages = list(layout.get("pages") or [sheet_key(self._game)])
            self._boxes = {
                t["key"]: (t["spec"], int(t.get("page", 1)), tuple(t["box"]))
                for t in layout.get("tiles", [])
                if t["shown"]
            }
        except (StorageError, OSError, ValueError, AttributeError, KeyError, TypeError):
            self._boxes = {}
