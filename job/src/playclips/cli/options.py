"""Shared Click options, built from config.SETTINGS, and the parsing of what they give."""

from __future__ import annotations

from typing import Any

import click

from ..config import (
    ConfigError,
    Settings,
    check_limits,
    check_plays,
    check_run_id,
    default_run_id,
    find_setting,
    parse_angles,
)
from ..run.inputs import check_root

LOG_FORMATS = click.Choice(["auto", "text", "json"])
PRESETS = click.Choice(
    ["ultrafast", "superfast", "veryfast", "faster", "fast", "medium", "slow", "slower"]
)


def setting_option(name: str, **kwargs: Any) -> Any:
    """A Click option for one entry of the settings tables in config."""
    s = find_setting(name)
    if s.default is not None and "default" not in kwargs:
        kwargs["default"] = s.default
        kwargs["show_default"] = True
    text = kwargs.pop("help", s.help)
    return click.option(s.flag, name, envvar=s.env, help=f"{text} [env: {s.env}]", **kwargs)


def run_settings(options: dict[str, Any]) -> Settings:
    """`playclips run`'s options as Settings, checked; raise ConfigError."""
    if options["height"] and options["height"] % 2:
        raise ConfigError(
            f"{find_setting('height').flag}: {options['height']} is odd; encoded clips are "
            "yuv420p, which needs an even height"
        )
    check_limits()
    return Settings(
        plays=check_plays(options["plays"]),
        videos=check_root("videos", options["videos"]),
        out=check_root("out", options["out"]),
        angles=parse_angles(options["angles"]),
        workers=options["workers"],
        angles_in_flight=options["angles_in_flight"],
        angle_processes=options["angle_processes"],
        run_id=check_run_id(options["run_id"] or default_run_id()),
        mode=options["mode"],
        height=options["height"],
        fps=options["fps"],
        crf=options["crf"],
        preset=options["preset"],
        log_format=options["log_format"],
        max_preroll_s=options["max_preroll_s"],
        max_clip_bytes=options["max_clip_bytes"],
        max_frame_pixels=options["max_frame_pixels"],
        max_index_entries=options["max_index_entries"],
    )


def dataset_options(options: dict[str, Any]) -> dict[str, Any]:
    """finalize's dataset settings, checked (unset ones take their defaults); raise ConfigError."""
    from ..outputs.dataset import DatasetError, check_prompt, parse_splits

    def get(name: str) -> Any:
        value = options.get(name)
        return find_setting(name).default if value is None else value

    try:
        return {
            "shares": parse_splits(get("splits")),
            "prompt": check_prompt(get("prompt")),
            "max_labels": int(get("prompt_max_labels")),
            "vertex_validation": get("vertex_validation"),
        }
    except DatasetError as exc:
        raise ConfigError(str(exc)) from None
