"""config.py: a setting's bad value is refused in one line that names its flag or environment
variable; defaults hold when nothing is set."""

from __future__ import annotations

import re

import pytest

from playclips.config import (
    LIMITS,
    SETTINGS,
    ConfigError,
    check_limits,
    check_plays,
    check_run_id,
    default_run_id,
    find_setting,
    limit,
    one_task,
    parse_angles,
    task_shard,
)

MAX_PLAYS = LIMITS["plays_file_bytes"]


def test_angles_parse_in_the_order_given() -> None:
    assert parse_angles(" NEAR_LEFT, FAR_LEFT ,") == ("NEAR_LEFT", "FAR_LEFT")
    assert parse_angles("") == parse_angles(" , ") == ()  # every angle the game has


@pytest.mark.parametrize(
    ("text", "why"),
    [("FAR_LEFT,far_right", "invalid angle 'far_right'"), ("A,B,A", "an angle is listed twice")],
)
def test_bad_angles_name_the_flag(text: str, why: str) -> None:
    with pytest.raises(ConfigError) as raised:
        parse_angles(text)
    assert str(raised.value).startswith(f"{SETTINGS['angles'].flag}: ")
    assert why in str(raised.value)


def test_a_bad_run_id_names_the_flag() -> None:
    assert check_run_id("r-2024.09") == "r-2024.09"
    with pytest.raises(ConfigError, match=r"^--run-id: invalid run id 'a/b'"):
        check_run_id("a/b")


def test_run_ids_are_the_cloud_execution_or_a_timestamp() -> None:
    assert default_run_id({"CLOUD_RUN_EXECUTION": "clip-job-x7k2p"}) == "clip-job-x7k2p"
    made = default_run_id({})
    assert re.fullmatch(r"\d{8}T\d{6}Z-[0-9a-f]{4}", made)
    assert check_run_id(made) == made


@pytest.mark.parametrize("raw", ["abc", "0", "-5", "1.5", "1e9"])
def test_a_bad_limit_names_its_variable(raw: str) -> None:
    with pytest.raises(ConfigError) as raised:
        limit("plays_file_bytes", {MAX_PLAYS.env: raw})
    message = str(raised.value)
    assert message.startswith(f"{MAX_PLAYS.env} must be a positive whole number")
    assert repr(raw) in message
    with pytest.raises(ConfigError):
        check_limits({MAX_PLAYS.env: raw})  # before any game starts


def test_limits_default_when_unset_or_blank() -> None:
    assert limit("plays_file_bytes", {}) == MAX_PLAYS.default
    assert limit("plays_file_bytes", {MAX_PLAYS.env: " "}) == MAX_PLAYS.default
    assert check_limits({MAX_PLAYS.env: "4096"}) == {"plays_file_bytes": 4096}


def test_supabase_plays_need_both_variables_and_say_which_is_missing() -> None:
    assert check_plays("plays.csv", {}) == "plays.csv"
    with pytest.raises(ConfigError, match="needs SUPABASE_URL and SUPABASE_SERVICE_KEY"):
        check_plays("supabase", {})
    with pytest.raises(ConfigError, match=r"needs SUPABASE_SERVICE_KEY in the environment"):
        check_plays(
            "supabase", {"SUPABASE_URL": "https://x.supabase.co", "SUPABASE_SERVICE_KEY": " "}
        )
    both = {"SUPABASE_URL": "https://x.supabase.co", "SUPABASE_SERVICE_KEY": "k"}
    assert check_plays("supabase", both) == "supabase"


def test_each_cloud_run_task_takes_every_nth_game() -> None:
    games = [f"g{i}" for i in range(7)]
    assert task_shard(games, {}) == games
    env = {"CLOUD_RUN_TASK_COUNT": "3"}
    shares = [task_shard(games, {**env, "CLOUD_RUN_TASK_INDEX": str(i)}) for i in range(3)]
    assert shares == [["g0", "g3", "g6"], ["g1", "g4"], ["g2", "g5"]]
    assert one_task({}) and not one_task(env)


@pytest.mark.parametrize(
    ("index", "count", "why"),
    [("x", "2", "must be integers"), ("2", "2", "outside 0..1"), ("0", "0", "outside")],
)
def test_a_bad_task_index_or_count_is_refused(index: str, count: str, why: str) -> None:
    env = {"CLOUD_RUN_TASK_INDEX": index, "CLOUD_RUN_TASK_COUNT": count}
    with pytest.raises(ConfigError, match=why):
        task_shard(["g1"], env)


def test_every_setting_has_a_flag_a_variable_and_help() -> None:
    assert find_setting("plays") is SETTINGS["plays"]
    assert find_setting("reference").flag == "--reference"  # the sync table too
    with pytest.raises(KeyError):
        find_setting("no_such_setting")
    for name, setting in SETTINGS.items():
        assert setting.flag.startswith("--") and setting.env.isupper() and setting.help, name
