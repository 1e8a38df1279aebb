"""Voice settings refuse bad values and compute elder mode's slower rate."""

from __future__ import annotations

import pytest

from kiosk.voice.settings import VoiceSettings


def test_defaults_are_valid_and_elder_mode_is_slower() -> None:
    settings = VoiceSettings()
    assert settings.effective_rate == settings.rate
    slow = settings.replace(slow=True)
    assert slow.effective_rate < settings.rate
    assert VoiceSettings(rate=90, slow=True).effective_rate == 80  # never below the minimum


@pytest.mark.parametrize(
    "changes",
    [
        {"volume": 1.5},
        {"volume": -0.1},
        {"rate": 20},
        {"rate": 1000},
        {"engine": "festival"},
        {"audio_out": "speakers"},
        {"slow_factor": 2.0},
        {"engine_timeout": 0},
    ],
)
def test_bad_values_are_refused(changes: dict[str, object]) -> None:
    with pytest.raises(ValueError):
        VoiceSettings().replace(**changes)


def test_from_mapping_refuses_unknown_keys() -> None:
    with pytest.raises(ValueError, match="unknown voice settings: speed"):
        VoiceSettings.from_mapping({"speed": 3})
    settings = VoiceSettings.from_mapping({"rate": 200, "data_dir": "/tmp/x", "slow": True})
    assert settings.rate == 200 and settings.slow and str(settings.data_dir) == "/tmp/x"
