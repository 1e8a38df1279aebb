"""A resident's voice note on a request: checked before it is stored.

A mono PCM WAV (8 or 16 bit), at most :data:`MAX_SECONDS` long and :data:`MAX_BYTES`
big, read with the standard library's :mod:`wave` (nothing else parses it).
"""

from __future__ import annotations

import datetime as dt
import io
import wave

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from kiosk.server import models as m
from kiosk.server.domain_errors import Invalid, NotFound

__all__ = ["MAX_BYTES", "MAX_SECONDS", "check_voice_note", "read_voice_note", "store_voice_note"]

MAX_BYTES = 2_000_000
MAX_SECONDS = 60
MIME = "audio/wav"


def check_voice_note(data: bytes) -> float:
    """The note's length in seconds, or :class:`Invalid` saying what is wrong."""
    if not data:
        raise Invalid("invalid_voice_note", "录音是空的", field="body")
    if len(data) > MAX_BYTES:
        raise Invalid("invalid_voice_note", "录音太大（最多 2 MB）", field="body")
    try:
        with wave.open(io.BytesIO(data), "rb") as wav:
            channels, width, rate = wav.getnchannels(), wav.getsampwidth(), wav.getframerate()
            frames, kind = wav.getnframes(), wav.getcomptype()
    except (wave.Error, EOFError):
        raise Invalid("invalid_voice_note", "录音不是有效的 WAV 文件", field="body") from None
    if kind != "NONE" or width not in (1, 2):
        raise Invalid("invalid_voice_note", "录音应为 8 或 16 位 PCM 格式", field="body")
    if channels != 1:
        raise Invalid("invalid_voice_note", "录音应为单声道", field="body")
    if not 8000 <= rate <= 48000:
        raise Invalid("invalid_voice_note", "录音的采样率应在 8–48 kHz 之间", field="body")
    seconds = frames / rate
    if seconds > MAX_SECONDS:
        raise Invalid("invalid_voice_note", f"录音太长（最多 {MAX_SECONDS} 秒）", field="body")
    if frames * width > len(data):
        raise Invalid("invalid_voice_note", "录音文件不完整", field="body")
    return seconds


def store_voice_note(conn: Connection, request_id: str, data: bytes, at: dt.datetime) -> None:
    """Keep ``data`` (checked) as the request's one voice note, replacing an earlier one."""
    check_voice_note(data)
    t = m.request_media
    conn.execute(sa.delete(t).where(t.c.request_id == request_id, t.c.kind == "voice"))
    conn.execute(
        sa.insert(t).values(
            request_id=request_id,
            kind="voice",
            mime=MIME,
            data=data,
            created_at=at.astimezone(dt.UTC),
        )
    )
    conn.execute(
        sa.update(m.service_requests)
        .where(m.service_requests.c.id == request_id)
        .values(voice_note=True)
    )


def read_voice_note(conn: Connection, request_id: str) -> bytes:
    t = m.request_media
    data = conn.execute(
        sa.select(t.c.data).where(t.c.request_id == request_id, t.c.kind == "voice")
    ).scalar()
    if data is None:
        raise NotFound("no_voice_note", "这条诉求没有录音", field="id")
    return bytes(data)
