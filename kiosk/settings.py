"""The kiosk's settings: a TOML file in ``config/`` with command-line overrides.

:func:`load_settings` builds one frozen :class:`KioskSettings` and refuses values that
would leave a hall with a broken kiosk (a PIN that is not 4–8 digits, an idle time too
short to read a page, a server URL that is not http(s)), with a message saying which
setting is wrong.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import re
import tomllib
from collections.abc import Callable
from pathlib import Path
from typing import Any

from kiosk.core.clock import DEFAULT_TIMEZONE, hall_zone, now

__all__ = ["KioskSettings", "SettingsError", "load_settings"]

_ORIENTATIONS = ("auto", "landscape", "portrait")
_MODES = ("kiosk", "display", "rating")
_LANGUAGES = ("zh_CN", "en")


class SettingsError(ValueError):
    """A setting with a value the kiosk cannot run with; the message names it."""


@dataclasses.dataclass(frozen=True)
class KioskSettings:
    server_url: str = ""
    """The hall server's base URL; empty: show the built-in demo content."""
    token: str = ""
    """This device's bearer token (bound to one hall on the server)."""
    data_dir: Path = Path("data/kiosk")
    """Content cache and ticket outbox live here."""
    orientation: str = "auto"
    """"auto", "landscape" or "portrait"."""
    idle_seconds: float = 90.0
    """Quiet time before the warning and the return to home."""
    maintenance_pin: str = "2468"
    """4–8 digits; opens the hidden maintenance screen."""
    language: str = "zh_CN"
    hall_timezone: str = DEFAULT_TIMEZONE
    """The hall's time zone (an IANA name) for the clock before any content has arrived;
    content names the zone from then on. "": the system's zone."""
    fallback_hall_name: str = "居民之家"
    """Header text while the kiosk has no content at all."""
    demo_hall: str = ""
    """With no server: which demo hall to show ("" = the first)."""
    mode: str = "kiosk"
    """"kiosk" (touch screen), "display" (the hall's call board, :mod:`kiosk.display`) or
    "rating" (a window's 好差评 device, :mod:`kiosk.rating`)."""
    counter: int = 0
    """With mode "rating": the id of the counter (service window) the device faces."""
    windowed: bool = False
    """Development: a normal window with cursor, Escape and close working."""
    size: tuple[int, int] | None = None
    """Window size in px for windowed mode; None: a default for the orientation."""
    printer: dict[str, Any] = dataclasses.field(default_factory=dict)
    """The receipt printer, table ``[kiosk.printer]`` (see ``kiosk.printer.PrinterSettings``);
    empty: none."""
    voice: dict[str, Any] = dataclasses.field(default_factory=dict)
    """Speech, table ``[kiosk.voice]`` (see ``kiosk.voice.VoiceSettings``); empty: defaults."""
    elder_default: bool = False
    """Start (and return after the idle reset) in elder mode (长辈模式), for halls whose
    visitors are mostly elderly."""

    @property
    def demo(self) -> bool:
        """True when no server is configured: the kiosk shows the demo content."""
        return not self.server_url

    def zone(self) -> dt.tzinfo:
        """The zone of ``hall_timezone``, else the system's."""
        if self.hall_timezone:
            return hall_zone(self.hall_timezone)
        system = now().astimezone().tzinfo  # the offset only, not the hour
        return system if system is not None else dt.UTC

    def window_size(self) -> tuple[int, int]:
        """The windowed-mode size: ``size``, else a half-HD window in the orientation."""
        if self.size is not None:
            return self.size
        return (540, 960) if self.orientation == "portrait" else (960, 540)


_FIELDS = {f.name for f in dataclasses.fields(KioskSettings)}


def _section(
    out: dict[str, Any], name: str, check: Callable[[dict[str, Any]], object]
) -> dict[str, Any]:
    """The ``[kiosk.<name>]`` table, refused with its name when ``check`` rejects it."""
    table = out.get(name) or {}
    if not isinstance(table, dict):
        raise SettingsError(f"{name}：应为一节设置 [kiosk.{name}]")
    try:
        check(table)
    except (TypeError, ValueError) as exc:
        raise SettingsError(f"{name}：{exc}") from None
    return dict(table)


def _parse_size(value: Any) -> tuple[int, int] | None:
    if value is None or value == "":
        return None
    if isinstance(value, tuple | list) and len(value) == 2:
        w, h = value
    else:
        match = re.fullmatch(r"\s*(\d{2,5})\s*[xX×]\s*(\d{2,5})\s*", str(value))
        if match is None:
            raise SettingsError(f"size：应为 宽x高，例如 1920x1080，而不是 {value!r}")
        w, h = match.groups()
    return (int(w), int(h))


def _parse_counter(value: Any, mode: str) -> int:
    if isinstance(value, bool):
        raise SettingsError("counter：应为窗口编号（正整数）")
    try:
        counter = int(value or 0)
    except (TypeError, ValueError):
        raise SettingsError(f"counter：应为窗口编号（正整数），而不是 {value!r}") from None
    if counter < 0 or counter > 1_000_000:
        raise SettingsError("counter：应为窗口编号（正整数）")
    if mode == "rating" and counter == 0:
        raise SettingsError("counter：评价器模式（--mode rating）须指定窗口，例如 --counter 3")
    return counter


def load_settings(path: Path | None = None, **overrides: Any) -> KioskSettings:
    """Settings from the TOML file ``path`` (section ``[kiosk]``), then ``overrides``.

    Overrides whose value is None are ignored, so argparse results can be passed as is.
    A relative ``data_dir`` in the file is taken relative to the file's folder.
    """
    values: dict[str, Any] = {}
    if path is not None:
        try:
            with Path(path).open("rb") as fh:
                doc = tomllib.load(fh)
        except FileNotFoundError:
            raise SettingsError(f"找不到设置文件 {path}") from None
        except tomllib.TOMLDecodeError as exc:
            raise SettingsError(f"设置文件 {path} 格式不对：{exc}") from None
        section = doc.get("kiosk", {})
        if not isinstance(section, dict):
            raise SettingsError(f"设置文件 {path}：[kiosk] 应为一节设置")
        unknown = sorted(set(section) - _FIELDS)
        if unknown:
            raise SettingsError(f"设置文件 {path}：不认识的设置 {', '.join(unknown)}")
        values.update(section)
        if "data_dir" in section:
            data_dir = Path(str(section["data_dir"]))
            if not data_dir.is_absolute():
                data_dir = Path(path).resolve().parent / data_dir
            values["data_dir"] = data_dir
    for key, value in overrides.items():
        if key not in _FIELDS:
            raise TypeError(f"unknown kiosk setting {key!r}")
        if value is not None:
            values[key] = value
    return _checked(values)


def _checked(values: dict[str, Any]) -> KioskSettings:
    out = dict(values)
    url = str(out.get("server_url", "") or "").strip().rstrip("/")
    if url and not re.fullmatch(r"https?://[^\s/]+(/[^\s]*)?", url):
        raise SettingsError(f"server_url：应以 http:// 或 https:// 开头，而不是 {url!r}")
    out["server_url"] = url
    out["token"] = str(out.get("token", "") or "").strip()
    if "data_dir" in out:
        out["data_dir"] = Path(out["data_dir"])
    orientation = str(out.get("orientation", "auto"))
    if orientation not in _ORIENTATIONS:
        raise SettingsError(f"orientation：应为 {' / '.join(_ORIENTATIONS)} 之一")
    out["orientation"] = orientation
    try:
        idle = float(out.get("idle_seconds", 90))
    except (TypeError, ValueError):
        raise SettingsError("idle_seconds：应为秒数") from None
    if not 1 <= idle <= 3600:
        raise SettingsError("idle_seconds：应在 1 到 3600 秒之间")
    out["idle_seconds"] = idle
    pin = str(out.get("maintenance_pin", "2468"))
    if not re.fullmatch(r"\d{4,8}", pin):
        raise SettingsError("maintenance_pin：应为 4 到 8 位数字")
    out["maintenance_pin"] = pin
    if out.get("language", "zh_CN") not in _LANGUAGES:
        raise SettingsError(f"language：应为 {' / '.join(_LANGUAGES)} 之一")
    if out.get("mode", "kiosk") not in _MODES:
        raise SettingsError(f"mode：应为 {' / '.join(_MODES)} 之一")
    out["counter"] = _parse_counter(out.get("counter", 0), str(out.get("mode", "kiosk")))
    out["size"] = _parse_size(out.get("size"))
    zone = str(out.get("hall_timezone", DEFAULT_TIMEZONE) or "").strip()
    if zone:
        try:
            hall_zone(zone)
        except ValueError:
            raise SettingsError(
                f"hall_timezone：不认识的时区 {zone!r}，应为例如 {DEFAULT_TIMEZONE}"
            ) from None
    out["hall_timezone"] = zone
    from kiosk.printer import PrinterSettings
    from kiosk.voice.settings import VoiceSettings

    out["printer"] = _section(out, "printer", PrinterSettings.from_mapping)
    out["voice"] = _section(out, "voice", VoiceSettings.from_mapping)
    out["elder_default"] = bool(out.get("elder_default", False))
    out["windowed"] = bool(out.get("windowed", False))
    return KioskSettings(**out)
