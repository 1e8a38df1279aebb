"""Which installed voice the engine picks: Mandarin first, never Cantonese or zh-TW by default."""

from __future__ import annotations

import shutil
import subprocess
from dataclasses import dataclass, field

import pytest

from kiosk.voice.engine_host import mandarin_score, pick_voice


@dataclass
class Voice:  # the attributes pyttsx3's Voice has
    id: str
    name: str
    languages: list[str | bytes] = field(default_factory=list)


ESPEAK = [
    Voice("gmw/en", "English", ["en"]),
    Voice("sit/yue", "Chinese_(Cantonese)", ["yue"]),
    Voice("sit/cmn-latn-pinyin", "Chinese_(Mandarin,_latin_as_Pinyin)", ["cmn-latn-pinyin"]),
    Voice("sit/cmn", "Chinese_(Mandarin,_latin_as_English)", ["cmn"]),
]
SAPI = [
    Voice(r"HKEY_LOCAL_MACHINE\...\TTS_MS_EN-US_ZIRA_11.0", "Microsoft Zira Desktop", ["en-US"]),
    Voice(r"HKEY_LOCAL_MACHINE\...\TTS_MS_ZH-HK_TRACY_11.0", "Microsoft Tracy Desktop", ["zh-HK"]),
    Voice(
        r"HKEY_LOCAL_MACHINE\...\TTS_MS_ZH-TW_HANHAN_11.0", "Microsoft Hanhan Desktop", ["zh-TW"]
    ),
    Voice(
        r"HKEY_LOCAL_MACHINE\...\TTS_MS_ZH-CN_HUIHUI_11.0", "Microsoft Huihui Desktop", ["zh-CN"]
    ),
]


@pytest.mark.parametrize(
    ("voices", "expected"),
    [
        (ESPEAK, "sit/cmn-latn-pinyin"),  # plain cmn reads pinyin as English
        ([v for v in ESPEAK if "pinyin" not in v.id], "sit/cmn"),
        (SAPI, r"HKEY_LOCAL_MACHINE\...\TTS_MS_ZH-CN_HUIHUI_11.0"),
        ([Voice("x", "Ting-Ting", [b"\x05zh_CN"])], "x"),  # macOS, bytes languages
        (ESPEAK[:3], "sit/cmn-latn-pinyin"),  # second best is still Mandarin
    ],
)
def test_best_mandarin_voice_is_picked(voices: list[Voice], expected: str) -> None:
    voice = pick_voice(voices, None)
    assert voice is not None and voice.id == expected


def test_no_mandarin_voice_means_none() -> None:
    assert pick_voice(ESPEAK[:2], None) is None  # English and Cantonese only
    assert pick_voice(SAPI[:3], None) is None
    assert pick_voice([], None) is None


def test_a_named_voice_wins_or_is_missing() -> None:
    chosen = pick_voice(SAPI, "Microsoft Tracy Desktop")
    assert chosen is not None and chosen.name == "Microsoft Tracy Desktop"
    assert pick_voice(ESPEAK, "sit/yue") is ESPEAK[1]
    assert pick_voice(ESPEAK, "klingon") is None


def test_scores() -> None:
    assert mandarin_score("sit/cmn-latn-pinyin", "Chinese", ["cmn-latn-pinyin"]) == 4
    assert mandarin_score("sit/cmn", "Chinese", ["cmn"]) == 3
    assert mandarin_score("v", "Microsoft Huihui", ["zh-CN"]) == 3
    assert mandarin_score("sit/yue", "Chinese_(Cantonese)", ["yue"]) == 0
    assert mandarin_score("gmw/en", "English", ["en"]) == 0


@pytest.mark.skipif(shutil.which("espeak-ng") is None, reason="espeak-ng is not installed")
def test_the_chosen_espeak_voice_reads_hanzi_as_mandarin() -> None:
    """espeak-ng marks a switch to English phonemes with "(en)"; a call must have none."""
    listing = subprocess.run(
        ["espeak-ng", "--voices=cmn"], capture_output=True, text=True, check=True
    ).stdout
    voice = "cmn-latn-pinyin" if "cmn-latn-pinyin" in listing else "cmn"
    phonemes = subprocess.run(
        ["espeak-ng", "-v", voice, "-q", "-x", "请 A 零 一 二 号 到 二 号窗口办理"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert phonemes.strip()
    assert "(en)" not in phonemes
