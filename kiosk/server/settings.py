"""The server's one typed settings object, built by :func:`build_settings`.

Sources, strongest first: keyword overrides, environment ``KIOSK_SERVER_*``, the TOML
file (``config/server.example.toml`` shows every key), the defaults below. Outside demo
mode a missing, short or default ``secret_key`` is refused.
"""

from __future__ import annotations

import base64
import binascii
import contextvars
import ipaddress
import os
from pathlib import Path
from typing import Any

from pydantic import Field, field_validator, model_validator
from pydantic_settings import (
    BaseSettings,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    TomlConfigSettingsSource,
)

__all__ = ["DEFAULT_SECRET", "ServerSettings", "build_settings"]

#: The placeholder secret of the example config; accepted only in demo mode.
DEFAULT_SECRET = "change-me"
#: Environment variable naming the TOML settings file (the CLI sets it for workers).
CONFIG_ENV = "KIOSK_SERVER_CONFIG"

_config_file: contextvars.ContextVar[Path | None] = contextvars.ContextVar(
    "kiosk_server_config_file", default=None
)


class ServerSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="KIOSK_SERVER_", extra="ignore")

    data_dir: Path = Path("data")
    #: SQLAlchemy URL; empty: SQLite file ``kiosk.sqlite3`` in ``data_dir``.
    database_url: str = ""
    secret_key: str = DEFAULT_SECRET
    demo_mode: bool = False
    host: str = "127.0.0.1"
    port: int = Field(default=8000, ge=0, le=65535)
    workers: int = Field(default=1, ge=1, le=64)
    #: What a resident's phone reaches (ticket QR codes); empty: http://host:port.
    public_base_url: str = ""
    #: Wait estimate per person before any service time of today is known.
    default_service_minutes: int = Field(default=5, ge=1, le=240)
    #: Largest request body accepted (bytes); larger → 413.
    max_body_bytes: int = Field(default=5_000_000, ge=1024)
    staff_token_hours: float = Field(default=12.0, gt=0)
    #: How long a token → device/account lookup is trusted in memory (revocation delay).
    auth_cache_seconds: float = Field(default=5.0, ge=0)
    #: How often each process looks for new events written by any process.
    event_poll_seconds: float = Field(default=0.05, gt=0, le=5)
    long_poll_max_seconds: float = Field(default=30.0, gt=0, le=120)
    #: How often each process looks for a job whose period has come (kiosk/server/jobs.py).
    jobs_poll_seconds: float = Field(default=30.0, gt=0, le=3600)
    #: Serve content polls and ticket issues on the plain-ASGI fast lane (hot_paths.py);
    #: false sends every request through the FastAPI routes (same answers, slower).
    fast_paths: bool = True
    log_level: str = "info"
    #: Reverse proxies whose ``X-Forwarded-For`` is believed (addresses or CIDRs, e.g.
    #: ``["127.0.0.1", "10.0.0.0/8"]``). Default none: the peer address is the client.
    trusted_proxies: list[str] = Field(default_factory=list)
    #: Tickets one kiosk token may deliver: a burst, then so many per minute (429 beyond).
    kiosk_ticket_burst: int = Field(default=120, ge=1, le=1_000_000)
    kiosk_tickets_per_minute: float = Field(default=20.0, gt=0, le=1_000_000)
    #: Numbers one kiosk may take from a queue's day counter (leases): the rest of the
    #: day's 999 stay for the others; past it the kiosk numbers from its fallback series.
    kiosk_numbers_per_queue_day: int = Field(default=300, ge=1, le=999)
    #: Fleet page: a kiosk whose screen has not changed for so many hours while the hall
    #: was open and something should have changed it is flagged 屏幕可能卡住.
    stuck_screen_hours: float = Field(default=3.0, gt=0, le=168)
    #: Fleet page: seconds between two remote-care commands to one kiosk (rate limit).
    care_command_seconds: float = Field(default=5.0, ge=0, le=3600)
    #: The key that seals personal data at rest (kiosk/server/personal.py): 32 random
    #: bytes, base64 (``kiosk-server new-data-key`` prints one). Required outside demo mode.
    data_key: str = ""
    #: Earlier data keys, still able to open what they sealed (key rotation, docs/PRIVACY.md).
    old_data_keys: list[str] = Field(default_factory=list)
    #: Days after a household moved away until its personal fields are erased.
    household_retention_days: int = Field(default=180, ge=1, le=3650)

    @model_validator(mode="after")
    def _refuse_default_secret(self) -> ServerSettings:
        if not self.demo_mode and (
            self.secret_key in ("", DEFAULT_SECRET) or len(self.secret_key) < 16
        ):
            raise ValueError(
                "secret_key must be set to a random value of at least 16 characters "
                "(KIOSK_SERVER_SECRET_KEY or secret_key in the config file) outside demo mode"
            )
        return self

    @field_validator("data_key")
    @classmethod
    def _data_key(cls, value: str) -> str:
        value = value.strip()
        if value:
            _check_key(value, "data_key")
        return value

    @field_validator("old_data_keys")
    @classmethod
    def _old_data_keys(cls, value: list[str]) -> list[str]:
        keys = [entry.strip() for entry in value if entry.strip()]
        for entry in keys:
            _check_key(entry, "old_data_keys")
        return keys

    @field_validator("trusted_proxies")
    @classmethod
    def _proxies(cls, value: list[str]) -> list[str]:
        for entry in value:
            try:
                ipaddress.ip_network(entry.strip(), strict=False)
            except ValueError:
                raise ValueError(f"trusted_proxies: {entry!r} is not an address or CIDR") from None
        return [entry.strip() for entry in value]

    @property
    def sqlalchemy_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite:///{(self.data_dir / 'kiosk.sqlite3').resolve()}"

    @property
    def base_url(self) -> str:
        if self.public_base_url:
            return self.public_base_url.rstrip("/")
        host = "127.0.0.1" if self.host in ("0.0.0.0", "::", "") else self.host
        return f"http://{host}:{self.port}"

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        path = _config_file.get()
        sources: list[PydanticBaseSettingsSource] = [init_settings, env_settings]
        if path is not None:
            sources.append(TomlConfigSettingsSource(settings_cls, toml_file=path))
        return tuple(sources)


def _check_key(value: str, name: str) -> None:
    try:
        raw = base64.b64decode(value, validate=True)
    except (binascii.Error, ValueError):
        raw = b""
    if len(raw) != 32:
        raise ValueError(f"{name} must be 32 random bytes in base64 (kiosk-server new-data-key)")


def build_settings(config_file: str | Path | None = None, **overrides: Any) -> ServerSettings:
    """Settings from ``config_file`` (or ``$KIOSK_SERVER_CONFIG``), env, and ``overrides``."""
    if config_file is None and os.environ.get(CONFIG_ENV):
        config_file = os.environ[CONFIG_ENV]
    path = Path(config_file) if config_file else None
    if path is not None and not path.is_file():
        raise FileNotFoundError(f"settings file not found: {path}")
    token = _config_file.set(path)
    try:
        return ServerSettings(**overrides)
    finally:
        _config_file.reset(token)
