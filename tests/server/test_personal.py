"""Personal data sealing (kiosk/server/personal.py): ciphertext only, every key checked,
rotation by key id, the keyed lookup hash, and no key → no storing (never plaintext)."""

from __future__ import annotations

import base64
import subprocess
import sys
from pathlib import Path

import pytest
from pydantic import ValidationError

from kiosk.server import personal
from kiosk.server.settings import ServerSettings, build_settings
from tests.utils.servers import REPO

SECRET = "x" * 32


def _settings(key: str | None = None, old: list[str] | None = None) -> ServerSettings:
    return build_settings(
        secret_key=SECRET, data_key=key or personal.new_data_key(), old_data_keys=old or []
    )


def test_seal_opens_back_and_never_holds_the_text() -> None:
    settings = _settings()
    blob = personal.seal(settings, "张秀英 13812341234")
    assert b"13812341234" not in blob and "张秀英".encode() not in blob
    assert personal.open_(settings, blob) == "张秀英 13812341234"
    # A fresh nonce each time: the same text never seals alike (no equality leak).
    assert personal.seal(settings, "13812341234") != personal.seal(settings, "13812341234")


def test_another_key_or_damaged_bytes_do_not_open() -> None:
    settings, other = _settings(), _settings()
    blob = personal.seal(settings, "13812341234")
    with pytest.raises(personal.SealBroken):
        personal.open_(other, blob)
    damaged = blob[:-1] + bytes([blob[-1] ^ 1])
    with pytest.raises(personal.SealBroken):
        personal.open_(settings, damaged)
    with pytest.raises(personal.SealBroken):
        personal.open_(settings, b"\x01abc")


def test_rotation_opens_old_seals_and_seals_new_with_the_new_key() -> None:
    old_key, new_key = personal.new_data_key(), personal.new_data_key()
    old = _settings(old_key)
    sealed_before = personal.seal(old, "13800000001")
    rotated = _settings(new_key, old=[old_key])
    assert personal.open_(rotated, sealed_before) == "13800000001"
    sealed_after = personal.seal(rotated, "13800000002")
    assert sealed_after[0] != sealed_before[0] or old_key == new_key
    with pytest.raises(personal.SealBroken):
        personal.open_(old, sealed_after)


def test_lookup_hash_is_stable_per_key_and_differs_across_keys() -> None:
    settings, other = _settings(), _settings()
    one = personal.lookup_hash(settings, "13812341234")
    assert one == personal.lookup_hash(settings, "13812341234")
    assert one != personal.lookup_hash(other, "13812341234")
    assert one != personal.lookup_hash(settings, "13812341235")
    assert "13812341234" not in one and len(one) == 64


def test_no_key_outside_demo_mode_refuses_rather_than_storing_in_clear() -> None:
    settings = build_settings(secret_key=SECRET)
    with pytest.raises(personal.DataKeyMissing, match="KIOSK_SERVER_DATA_KEY"):
        personal.seal(settings, "13812341234")
    with pytest.raises(personal.DataKeyMissing):
        personal.require_key(settings)


def test_demo_mode_without_a_key_derives_one_from_the_demo_secret() -> None:
    demo = build_settings(demo_mode=True)
    blob = personal.seal(demo, "13812341234")
    assert personal.open_(build_settings(demo_mode=True), blob) == "13812341234"


@pytest.mark.parametrize(
    "bad", ["short", base64.b64encode(b"x" * 16).decode(), "not base64 !!!" * 4]
)
def test_settings_refuse_a_key_that_is_not_32_bytes_of_base64(bad: str) -> None:
    with pytest.raises(ValidationError, match="data_key"):
        build_settings(secret_key=SECRET, data_key=bad)
    with pytest.raises(ValidationError, match="old_data_keys"):
        build_settings(secret_key=SECRET, data_key=personal.new_data_key(), old_data_keys=[bad])


def test_serve_without_a_data_key_is_a_clear_startup_error(tmp_path: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "kiosk.server.cli", "serve", "--data-dir", str(tmp_path)],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=REPO,
        env={"PATH": "/usr/bin:/bin", "HOME": str(tmp_path), "KIOSK_SERVER_SECRET_KEY": SECRET},
    )
    assert done.returncode != 0
    assert "data_key is not set" in done.stderr and "Traceback" not in done.stderr
    assert not (tmp_path / "kiosk.sqlite3").exists()


def test_the_demo_keeps_its_generated_key_in_the_data_dir(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from kiosk.server.cli import _demo_data_key

    monkeypatch.setenv("KIOSK_SERVER_DATA_KEY", "")  # _demo_data_key sets it; undone after

    first = _demo_data_key(build_settings(demo_mode=True, data_dir=tmp_path))
    again = _demo_data_key(build_settings(demo_mode=True, data_dir=tmp_path))
    assert first.data_key and first.data_key == again.data_key
    assert (tmp_path / "demo-data-key").stat().st_mode & 0o077 == 0
