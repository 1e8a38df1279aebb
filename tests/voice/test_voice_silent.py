"""No engine, no Mandarin voice, no loudspeaker: the kiosk runs on and says why."""

from __future__ import annotations

import shutil
import sys
import threading
from pathlib import Path

import pytest

from kiosk.voice import SilentSpeaker, SpeechWorker, VoiceSettings, open_speaker
from kiosk.voice.audio_out import CommandAudioOut, NoAudioOut
from kiosk.voice.engine import EngineUnavailable, EspeakNgEngine

pytestmark = pytest.mark.timeout(120)
needs_espeak = pytest.mark.skipif(shutil.which("espeak-ng") is None, reason="no espeak-ng")


def test_missing_driver_turns_the_worker_silent_without_crashing(tmp_path: Path) -> None:
    worker = SpeechWorker(VoiceSettings(driver="nonexistent", audio_out="none", data_dir=tmp_path))
    try:
        assert worker.wait_ready(30)
        assert worker.available is False
        assert "nonexistent" in worker.status_text
        worker.say("请选择业务")
        worker.announce_call("A012", 2)
        worker.stop()
        assert worker.repeat() is True
        assert worker.wait_idle(5)
        assert [u.kind for u in worker.said] == ["prompt", "call", "prompt"]
        assert worker.spoken == []
    finally:
        worker.close()


def test_open_speaker_falls_back_to_silent_speaker_with_the_reason() -> None:
    speaker = open_speaker(VoiceSettings(driver="nonexistent", audio_out="none"), wait=30)
    assert isinstance(speaker, SilentSpeaker)
    assert not speaker.available
    assert "nonexistent" in speaker.status_text
    speaker.say("取号", kind="tap")
    assert speaker.said[-1].spoken == "取号"
    speaker.close()


@needs_espeak
def test_unknown_voice_is_unavailable(tmp_path: Path) -> None:
    speaker = open_speaker(VoiceSettings(voice="klingon", audio_out="none"), wait=30)
    assert isinstance(speaker, SilentSpeaker)
    assert "klingon" in speaker.status_text
    with pytest.raises(EngineUnavailable, match="klingon"):
        EspeakNgEngine(voice="klingon", timeout=10)


def test_speech_switched_off_is_silent_at_once() -> None:
    speaker = open_speaker(VoiceSettings(enabled=False))
    assert isinstance(speaker, SilentSpeaker)
    assert speaker.status_text
    speaker.close()


@needs_espeak
def test_broken_loudspeaker_falls_back_to_no_audio_and_says_so(tmp_path: Path) -> None:
    broken = CommandAudioOut("broken-player", [sys.executable, "-c", "import sys; sys.exit(3)"])
    worker = SpeechWorker(VoiceSettings(rate=450, data_dir=tmp_path), audio_out=broken)
    try:
        assert worker.wait_ready(30) and worker.available
        worker.say("取号", kind="tap")
        assert worker.wait_idle(60)
        assert [s.completed for s in worker.spoken] == [True]
        assert "broken-player exit 3" in worker.status_text
    finally:
        worker.close()


def test_player_process_is_killed_when_cut(tmp_path: Path) -> None:
    wav = tmp_path / "x.wav"
    from kiosk.voice.chime import write_chime

    write_chime(wav)
    slow_player = CommandAudioOut("slow", [sys.executable, "-c", "import time; time.sleep(60)"])
    cut = threading.Event()
    result: list[bool] = []
    runner = threading.Thread(target=lambda: result.append(slow_player.play(wav, cut)))
    runner.start()
    cut.set()
    runner.join(30)
    assert result == [False]
    assert NoAudioOut("test").play(wav, threading.Event()) is True
