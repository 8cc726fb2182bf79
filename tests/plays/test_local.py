"""Local plays files, read the way the csv and json modules read them, strictly.

Whole-file problems are one PlaysError naming the line; a bad row skips only its play, with
the line (CSV) or row index (JSON) in the reason; nothing that would make a manifest invalid
JSON gets through.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from playclips.plays import LocalPlaysFile, PlaysError
from playclips.plays.supabase import scrub

HEADER = "game_id,play_id,start_s,end_s,label"


def _load(path: Path, text: str | bytes, game: str = "g1"):
    if isinstance(text, str):
        path.write_text(text, encoding="utf-8")
    else:
        path.write_bytes(text)
    return LocalPlaysFile(str(path)).load_game(game)


def _error(path: Path, text: str | bytes) -> str:
    with pytest.raises(PlaysError) as info:
        _load(path, text)
    message = str(info.value)
    assert "\n" not in message
    return message


def test_a_line_break_in_a_quoted_field_is_kept(tmp_path: Path) -> None:
    game = _load(tmp_path / "p.csv", f'{HEADER}\ng1,p1,1,2,"run\nright"\ng1,p2,3,4,pass\n')
    assert [(p.play_id, p.label) for p in game.plays] == [("p1", "run\nright"), ("p2", "pass")]


def test_u2028_and_crlf_do_not_split_rows(tmp_path: Path) -> None:
    text = f"{HEADER}\r\ng1,p1,1,2,a\u2028b\r\ng1,p2,3,4,c\u2029d\r\n"
    game = _load(tmp_path / "p.csv", text)
    assert [p.label for p in game.plays] == ["a\u2028b", "c\u2029d"]


@pytest.mark.parametrize(
    ("text", "wanted"),
    [
        (f'{HEADER}\ng1,p1,1,2,ok\ng1,p2,3,4,"never closed\ng1,p3,5,6,x\n', "starts on line 3"),
        (f"{HEADER},label\n", "line 1: the header names column(s) label more than once"),
        ("game_id,play_id,start_s\n", "lacks column(s) end_s"),
        (f"{HEADER}\ng1,p1,1,2,{'x' * 140_000}\n", "line 2 has a field over 131072"),
        ("", "is empty"),
        ("game_id,play_id,start_s,end_s,,label\ng1,p1,1,2,oops,x\n", "line 2: a value in a"),
    ],
    ids=["unterminated", "duplicate-header", "missing-column", "huge-field", "empty", "unnamed"],
)
def test_a_malformed_csv_is_one_error_naming_its_line(
    tmp_path: Path, text: str, wanted: str
) -> None:
    assert wanted in _error(tmp_path / "p.csv", text)


def test_latin1_is_refused_with_its_line_and_byte(tmp_path: Path) -> None:
    data = f"{HEADER}\ng1,p1,1,2,run\ng1,p2,3,4,pass\u00e9\n".encode("latin-1")
    message = _error(tmp_path / "p.csv", data)
    assert "is not UTF-8 (line 3, byte 0xe9): save it as UTF-8" in message


def test_rows_with_the_wrong_number_of_fields_skip_only_their_play(tmp_path: Path) -> None:
    text = f"{HEADER}\ng1,p1,1,2,run,extra\ng1,p2,3\ng1,p3,5,6,ok\n"
    game = _load(tmp_path / "p.csv", text)
    assert [p.play_id for p in game.plays] == ["p3"]
    reasons = {i.play_id: i.reason for i in game.issues}
    assert reasons == {
        "p1": "line 2: 6 fields, but the header (line 1) has 5",
        "p2": "line 3: 3 fields, but the header (line 1) has 5",
    }


def test_csv_attribute_columns_of_numbers_become_numbers(tmp_path: Path) -> None:
    text = (
        "game_id,play_id,start_s,end_s,quarter,yards,jersey,mixed,huge\n"
        "g1,p1,1,2,1,2.5,007,1,1e999\n"
        "g1,p2,3,4,2,,10,x,1\n"
        "g1,p3,5,6,3,-1e2,12,2,2\n"
    )
    attrs = [p.attributes for p in _load(tmp_path / "p.csv", text).plays]
    assert [a["quarter"] for a in attrs] == [1, 2, 3]
    assert all(type(a["quarter"]) is int for a in attrs)
    assert [a["yards"] for a in attrs] == [2.5, None, -100.0]
    assert [a["jersey"] for a in attrs] == ["007", "10", "12"]  # a leading zero keeps text
    assert [a["mixed"] for a in attrs] == ["1", "x", "2"]
    assert [a["huge"] for a in attrs] == ["1e999", "1", "2"]  # no finite number: text


def test_an_attributes_column_holds_a_json_object(tmp_path: Path) -> None:
    text = 'game_id,play_id,start_s,end_s,attributes\ng1,p1,1,2,"{""down"": 3}"\ng1,p2,3,4,[1]\n'
    game = _load(tmp_path / "p.csv", text)
    assert [p.attributes for p in game.plays] == [{"down": 3}]
    assert game.issues[0].reason == "line 3: attributes must be a JSON object, got list"


def test_exact_repeats_are_one_play_and_conflicts_are_kept_for_the_planner(
    tmp_path: Path,
) -> None:
    rows = [{"game_id": "g1", "play_id": "p1", "start_s": 1, "end_s": 2}]
    game = _load(tmp_path / "p.json", json.dumps(rows * 3))
    assert [p.play_id for p in game.plays] == ["p1"] and game.issues == ()
    rows.append({"game_id": "g1", "play_id": "p1", "start_s": 5, "end_s": 6})
    game = _load(tmp_path / "p.json", json.dumps(rows))
    assert [p.start_s for p in game.plays] == [1.0, 5.0]  # plan.py rejects both


@pytest.mark.parametrize(
    ("fragment", "reason"),
    [
        ('"start_s": NaN', "start_s NaN is not a finite number of seconds"),
        ('"start_s": -Infinity', "start_s -Infinity is not a finite number"),
        ('"start_s": 1e400', "start_s 1e400 is not a finite number of seconds"),
        (f'"start_s": {"9" * 400}', "start_s 999999999999...(400 characters) is not a finite"),
        ('"start_s": true', "start_s True is not a finite number of seconds"),
        ('"start_s": 1, "x": NaN', "attributes.x is NaN, not a finite JSON number"),
        (f'"start_s": 1, "x": {"9" * 400}', "x is 999999999999...(400 characters), an integer"),
        ('"start_s": 1, "x": 99999999999999999999', "x is 99999999999999999999, an integer beyond"),
        ('"start_s": 1, "attributes": [1]', "attributes must be a JSON object, got list"),
        ('"start_s": 1, "attributes": "{}"', "attributes must be a JSON object, got str"),
        ('"start_s": 1, "label": {"en": "run"}', "label must be text, not dict"),
        ('"start_s": 1, "x": ' + '{"a":' * 40 + "1" + "}" * 40, "nest deeper than 32 levels"),
        ('"start_s": 1, "start_s": 3', "the play's object has the key(s) 'start_s' more than"),
        ('"start_s": 1, "x": {"a": 1, "a": 2}', "the play's object.x has the key(s) 'a' more"),
    ],
    ids=[
        "nan",
        "-infinity",
        "1e400",
        "400-digits",
        "bool",
        "nan-attr",
        "400-digit-attr",
        "int-over-64-bits",
        "attrs-list",
        "attrs-str",
        "label-object",
        "deep",
        "repeated-key",
        "repeated-nested-key",
    ],
)
def test_json_values_that_cannot_be_written_back_skip_only_their_play(
    tmp_path: Path, fragment: str, reason: str
) -> None:
    good = '{"game_id": "g1", "play_id": "ok", "start_s": 3, "end_s": 4, "x": 1.5}'
    bad = '{"game_id": "g1", "play_id": "bad", "end_s": 2, ' + fragment + "}"
    game = _load(tmp_path / "p.json", f"[{good}, {bad}]")
    assert [p.play_id for p in game.plays] == ["ok"]
    [issue] = game.issues
    assert issue.play_id == "bad" and issue.reason.startswith("plays[1]: ")
    assert reason in issue.reason, issue.reason
    json.dumps([p.attributes for p in game.plays], allow_nan=False)  # strict JSON out


@pytest.mark.parametrize(
    ("text", "wanted"),
    [
        ('{"plays": ' + "[" * 5000 + "]" * 5000 + "}", "nests too deeply"),
        ('{"plays": [], "vidoes": []}', "unknown key(s) 'vidoes'"),
        ('[{"game_id": "g1", "play_id": "p", "start_s": 1, "end_s": 2}, 3]', "plays[1] is a int"),
        ('[{"game_id": "g1", "play_id": "p1", "start_s": 1}]', "plays[0] (play p1) lacks end_s"),
        ("[1,", "is not valid JSON"),
        ('{"plays": [], "videos": [], "videos": []}', 'names "plays" or "videos" more than'),
    ],
    ids=["deep", "unknown-key", "not-an-object", "missing-field", "invalid", "repeated-key"],
)
def test_a_malformed_json_file_is_one_error(tmp_path: Path, text: str, wanted: str) -> None:
    assert wanted in _error(tmp_path / "p.json", text)


@pytest.mark.parametrize(
    ("video", "wanted"),
    [
        ({"uri": "g1/a.mp4\nerror: forged"}, "uri contains a control character or line break"),
        ({"uri": "g1/a.mp4", "offset_s": "NaN"}, "offset_s nan is not a finite number"),
        ({"uri": "g1/a.mp4", "offset_s": True}, "offset_s True is not a finite number"),
        ({"uri": 5}, "uri must be text"),
    ],
    ids=["uri-newline", "nan-offset", "bool-offset", "uri-number"],
)
def test_a_bad_video_row_fails_its_game_on_one_line(
    tmp_path: Path, video: dict, wanted: str
) -> None:
    rows = [{"game_id": "g1", "play_id": "p1", "start_s": 1, "end_s": 2}]
    data = {"plays": rows, "videos": [{"game_id": "g1", "angle": "NEAR_LEFT", **video}]}
    assert wanted in _error(tmp_path / "p.json", json.dumps(data))


def test_a_nan_offset_token_is_refused(tmp_path: Path) -> None:
    text = (
        '{"plays": [{"game_id": "g1", "play_id": "p1", "start_s": 1, "end_s": 2}], '
        '"videos": [{"game_id": "g1", "angle": "FAR_LEFT", "uri": "x.mp4", "offset_s": NaN}]}'
    )
    assert "offset_s NaN is not a finite number of seconds" in _error(tmp_path / "p.json", text)


@pytest.mark.parametrize("kind", ["fifo", "dir", "loop", "missing"])
def test_only_a_regular_plays_file_is_opened(tmp_path: Path, kind: str) -> None:
    path = tmp_path / "p.csv"
    if kind == "fifo":
        os.mkfifo(path)  # opening it for reading would wait for a writer for ever
    elif kind == "dir":
        path.mkdir()
    elif kind == "loop":
        path.symlink_to(path.name)
    with pytest.raises(PlaysError) as info:
        LocalPlaysFile(str(path))
    wanted = {
        "fifo": "is not a regular file",
        "dir": "is a folder",
        "loop": "cannot open plays file",
        "missing": "does not exist",
    }[kind]
    assert wanted in str(info.value)


def test_the_key_is_scrubbed_in_every_form() -> None:
    key = "sb_secret_a+b/c=d\"e'f\\g"
    forms = [
        key,
        repr(key)[1:-1],
        json.dumps(key)[1:-1],
        "sb_secret_a%2Bb%2Fc%3Dd%22e%27f%5Cg",
        "sb_secret_a%2Bb/c%3Dd%22e%27f%5Cg",
    ]
    for form in forms:
        assert scrub(f"x {form} y", key) == "x [SUPABASE_SERVICE_KEY] y", form
