"""Small, valid hall snapshots made locally, with their media, for store tests."""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import json
from typing import Any


def photo(label: str) -> bytes:
    """A small real PNG standing in for a staff photo (it passes the media check the
    server and the kiosk run); distinct per label."""
    from PIL import Image

    seed = hashlib.sha256(label.encode()).digest()
    image = Image.frombytes("RGB", (8, 4), (seed * 3)[:96])
    out = io.BytesIO()
    image.save(out, "PNG")
    return out.getvalue()


def sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def snapshot_doc(
    version: int, *, hall_id: str = "test-hall", photos: dict[str, bytes] | None = None
) -> dict[str, Any]:
    """A snapshot envelope as the server publishes it; ``photos`` maps staff id → bytes."""
    photos = photos if photos is not None else {"wang-li": photo(f"wang-li v{version}")}
    staff = [
        {"id": sid, "name": f"工作人员{i}", "post": "社区干事", "photo": sha(data)}
        for i, (sid, data) in enumerate(sorted(photos.items()))
    ]
    return {
        "hall_id": hall_id,
        "version": version,
        "published_at": dt.datetime(2026, 11, 26, 8, version % 60, tzinfo=dt.UTC).isoformat(),
        "content": {
            "hall": {
                "id": hall_id,
                "name": f"测试居委会（第{version}版）",
                "short_name": "测试",
                "street": "姚家街道",
                "address": "测试路1号",
                "phone": "024-1234567",
                "brand": {"title": "一居一品牌"},
                "opening_hours": [{"weekdays": [1, 2, 3, 4, 5], "open": "08:30", "close": "17:00"}],
            },
            "queues": [{"code": "A", "category": "assistance", "name": "帮扶救助"}],
            "services": [
                {
                    "id": "low-income",
                    "category": "assistance",
                    "name": "低保申请",
                    "steps": [{"title": "提交材料", "actor": "居民"}],
                    "where": "1号窗口",
                    "queue": "A",
                }
            ],
            "staff": staff,
        },
    }


def snapshot_bytes(
    version: int, *, hall_id: str = "test-hall", photos: dict[str, bytes] | None = None
) -> tuple[bytes, dict[str, bytes]]:
    """(raw snapshot JSON, media by SHA-256) for :func:`snapshot_doc`."""
    photos = photos if photos is not None else {"wang-li": photo(f"wang-li v{version}")}
    doc = snapshot_doc(version, hall_id=hall_id, photos=photos)
    raw = json.dumps(doc, ensure_ascii=False).encode()
    return raw, {sha(data): data for data in photos.values()}
