"""``render_to_wav`` and ``kiosk say``: real speech in a WAV, of a plausible length."""

from __future__ import annotations

import array
import math
import shutil
import subprocess
import sys
import wave
from pathlib import Path

import pytest

from kiosk.core.speech import say_call, say_ticket
from kiosk.voice import VoiceSettings, render_to_wav
from kiosk.voice.chime import write_chime
from kiosk.voice.cli import say_main
from kiosk.voice.engine import EngineUnavailable, EspeakNgEngine

pytestmark = [
    pytest.mark.timeout(120),
    pytest.mark.skipif(shutil.which("espeak-ng") is None, reason="espeak-ng not installed"),
]


def measure(path: Path) -> tuple[float, float]:
    """(seconds, RMS of the samples as a fraction of full scale)."""
    with wave.open(str(path), "rb") as wav:
        assert wav.getsampwidth() == 2 and wav.getnchannels() == 1
        seconds = wav.getnframes() / wav.getframerate()
        samples = array.array("h", wav.readframes(wav.getnframes()))
    rms = math.sqrt(sum(s * s for s in samples) / max(1, len(samples))) / 32768
    return seconds, rms


def test_ticket_readout_is_speech_of_plausible_length(tmp_path: Path) -> None:
    text = f"您的号码是 {say_ticket('A012')}，前面还有 3 人"
    seconds, rms = measure(render_to_wav(text, tmp_path / "ticket.wav"))
    assert 1.0 <= seconds <= 15.0
    assert rms > 0.02


def test_call_has_chime_and_two_readings(tmp_path: Path) -> None:
    once, _ = measure(render_to_wav(say_call("A012", 2), tmp_path / "once.wav"))
    seconds, rms = measure(render_to_wav(say_call("A012", 2), tmp_path / "call.wav", kind="call"))
    assert 1.0 <= seconds <= 15.0
    assert seconds > 2 * once + 0.9  # the chime (1.1 s) and two readings
    assert rms > 0.02
    chime, chime_rms = measure(write_chime(tmp_path / "chime.wav"))
    assert 0.5 < chime < 2.0 and chime_rms > 0.02


def test_elder_mode_and_rate_slow_the_speech_down(tmp_path: Path) -> None:
    text = "请到二号窗口办理"
    normal, _ = measure(render_to_wav(text, tmp_path / "n.wav"))
    slow, _ = measure(render_to_wav(text, tmp_path / "s.wav", settings=VoiceSettings(slow=True)))
    fast, _ = measure(render_to_wav(text, tmp_path / "f.wav", rate=400))
    assert fast < normal < slow


def test_espeak_ng_engine_renders_the_same_way(tmp_path: Path) -> None:
    settings = VoiceSettings(engine="espeak-ng")
    seconds, rms = measure(render_to_wav("请 A012 号", tmp_path / "e.wav", settings=settings))
    assert 0.5 <= seconds <= 15.0 and rms > 0.02


def test_render_refuses_empty_text_and_reports_a_missing_engine(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="empty"):
        render_to_wav("  ", tmp_path / "x.wav")
    with pytest.raises(EngineUnavailable, match="nonexistent"):
        render_to_wav("你好", tmp_path / "x.wav", settings=VoiceSettings(driver="nonexistent"))
    assert not (tmp_path / "x.wav").exists()
    with pytest.raises(EngineUnavailable):
        EspeakNgEngine(voice="klingon", timeout=10)


def test_say_command_writes_the_wav(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "call.wav"
    assert say_main(["请 A012 号到 2 号窗口办理", "--out", str(out), "--call"]) == 0
    assert str(out) in capsys.readouterr().out
    seconds, rms = measure(out)
    assert 1.0 <= seconds <= 15.0 and rms > 0.02
    assert say_main(["你好", "--out", str(tmp_path / "y.wav"), "--driver", "nonexistent"]) == 1
    assert "nonexistent" in capsys.readouterr().err
    with pytest.raises(SystemExit) as usage:
        say_main(["你好"])  # --out is required
    assert usage.value.code == 2


def test_python_dash_m_runs_the_say_command(tmp_path: Path) -> None:
    out = tmp_path / "m.wav"
    done = subprocess.run(
        [sys.executable, "-m", "kiosk.voice", "say", "上午 09:30 开门", "--out", str(out)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert measure(out)[1] > 0.02


def test_volume_setting_scales_the_speech(tmp_path: Path) -> None:
    text = "请到二号窗口办理"
    _, loud = measure(render_to_wav(text, tmp_path / "l.wav"))
    _, quiet = measure(render_to_wav(text, tmp_path / "q.wav", settings=VoiceSettings(volume=0.25)))
    assert quiet < loud * 0.6


def test_kiosk_console_script_say_sub_command_writes_ticket_and_call(tmp_path: Path) -> None:
    """``kiosk say`` is a sub-command of the installed ``kiosk`` console script."""
    script = Path(sys.executable).parent / "kiosk"
    if not script.exists():
        pytest.skip("the kiosk console script is not installed (pip install -e .)")
    lengths = {}
    for name, args in {
        "ticket": ["您的号码是 A012 号，前面还有 3 人"],
        "call": ["请 A012 号到 2 号窗口办理", "--call"],
    }.items():
        out = tmp_path / f"{name}.wav"
        done = subprocess.run(
            [str(script), "say", *args, "--out", str(out)],
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
        assert done.returncode == 0, done.stderr
        assert str(out) in done.stdout
        seconds, rms = measure(out)
        assert rms > 0.02, f"{name}: silent WAV"
        lengths[name] = seconds
    assert 1.5 < lengths["ticket"] < 15, lengths
    # chime (1.1 s) + the call twice: longer than one reading, not absurdly long
    assert 4.0 < lengths["call"] < 30, lengths
    bad = subprocess.run(
        [str(script), "say", "", "--out", str(tmp_path / "empty.wav")],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert bad.returncode == 1 and "kiosk say" in bad.stderr
