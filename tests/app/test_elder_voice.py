"""Elder mode (长辈模式) and speech in the real app (Xvfb), with the real speech worker.

What each screen and tap says is checked on the speaker's queue (``speaker.said``), not
on sound: the session app's speaker is the real :class:`kiosk.voice.SpeechWorker`
(pyttsx3 + espeak-ng in its child process; no audio device here, so it waits each WAV's
length instead of playing it).
"""

from __future__ import annotations

import dataclasses
import itertools
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from kiosk.core import clock
from kiosk.core.speech import normalise, say_call, say_ticket
from kiosk.core.wire import EventPublic, EventType
from kiosk.desk import TicketDesk
from kiosk.read_aloud import screen_prompt
from kiosk.theme import theme
from kiosk.voice import SpeechWorker, VoiceSettings
from tests.app.test_take_number import hall_server, take_a_number, use_desk  # noqa: F401
from tests.utils.hall_clock import HALL_TIMES

pytestmark = pytest.mark.ui


def spoken_text(text: str) -> str:
    return " ".join(normalise(text).split())


@pytest.fixture
def elder(at_home: Any) -> Iterator[Any]:
    """The app on home in elder mode, switched on by touch; normal mode afterwards."""
    kiosk = at_home
    app = kiosk.app
    kiosk.tap(app.screen("home").ids.elder)
    kiosk.wait_until(lambda: theme.elder and app.nav.parent is not None, timeout=20)
    kiosk.settle()
    yield kiosk
    app.voice.set_elder(False, announce=False)
    kiosk.settle()


def said_since(app: Any, mark: int) -> list[Any]:
    return [u for u in app.speaker.said if u.seq > mark]


def last_seq(app: Any) -> int:
    said = app.speaker.said
    return said[-1].seq if said else 0


def test_speaker_is_the_real_worker_opened_from_settings(kiosk: Any) -> None:
    assert isinstance(kiosk.app.speaker, SpeechWorker)
    kiosk.app.speaker.wait_ready(30)
    assert kiosk.app.speaker.status_text


@pytest.mark.hall_clock
def test_elder_switch_on_home_big_slow_spoken_and_reset_by_idle(
    at_home: Any, hall_time: str
) -> None:
    kiosk = at_home
    app = kiosk.app
    assert not theme.elder and app.nav.parent is None  # normal home: no bottom bar
    normal_body = theme.font_body
    mark = last_seq(app)
    kiosk.tap(app.screen("home").ids.elder)
    kiosk.wait_until(lambda: theme.elder and app.nav.parent is not None, timeout=20)
    assert theme.font_body >= 1.5 * normal_body - 0.01
    assert app.speaker.settings.slow
    said = said_since(app, mark)
    # (normal mode echoes no taps; the switch says what it did)
    assert said[0].kind == "prompt" and said[0].text.startswith("长辈模式已打开")
    prompts = [u.text for u in said if u.kind == "prompt"]
    home_prompt = prompts[-1]
    assert home_prompt.startswith("您现在在：首页。")
    for title in ("服务指南", "在岗人员", "活动室", "公告", "关于本居", "取号"):
        assert title in home_prompt.split("您可以点：")[1], title
    # The facts on show are read too, in the very words on screen: the hours line with
    # its ideographic space while the hall is open (11:30), without it when closed.
    hours = app.screen("home").hours
    if hall_time == HALL_TIMES["open"]:
        assert hours.startswith("正在开放\u3000今天 "), hours
    elif hall_time in HALL_TIMES.values():
        assert hours.startswith("今天开放 "), hours
    assert f" {hours}。" in home_prompt, (hours, home_prompt)
    # On home the bar holds only 重复 and 停止.
    assert app.nav.shown() == ["again", "stop"]
    # The idle reset returns to normal mode (the hall's default) without a word.
    mark = last_seq(app)
    app.reset()
    kiosk.wait_until(lambda: not theme.elder and app.nav.parent is None, timeout=20)
    assert not app.speaker.settings.slow
    assert [u for u in said_since(app, mark) if u.kind == "prompt"] == []


def test_each_screen_says_where_you_are_and_each_tap_what_was_pressed(elder: Any) -> None:
    kiosk = elder
    app = kiosk.app
    content = app.content
    home = app.screen("home")
    expected = {
        "categories": "服务指南",
        "staff": "在岗人员",
        "rooms": "活动室",
        "notices": "公告",
        "about": "关于本居",
    }
    for name, title in expected.items():
        mark = last_seq(app)
        kiosk.tap(home.tiles[name])
        assert app.current_name == name
        said = said_since(app, mark)
        assert [u.kind for u in said] == ["tap", "prompt"], said
        assert said[0].text == title
        prompt = said[1]
        assert not prompt.interrupt  # waits for the echo instead of cutting it short
        assert prompt.text == screen_prompt(app.screen(name))
        assert prompt.text.startswith("您现在在：")
        if name == "staff":
            on_duty = [s for s in content.staff if s.status.value == "on_duty"]
            assert on_duty
            for member in on_duty:
                assert member.name in prompt.text
        if name == "about":
            assert content.hall.address in prompt.text.replace(" ", "")
        kiosk.tap(app.nav.buttons["home"])
        assert app.current_name == "home"
    # A service: its steps and materials are read, times and phones as words.
    service = max(content.services, key=lambda s: len(s.steps) + len(s.materials))
    mark = last_seq(app)
    app.open("service", service_id=service.id)
    kiosk.settle(ticks=20)
    prompt = [u for u in said_since(app, mark) if u.kind == "prompt"][-1]
    flat = prompt.text.replace(" ", "")
    assert service.name in flat
    for step in service.steps:
        assert step.title.replace(" ", "") in flat, step.title
    for material in service.materials:
        assert material.name.replace(" ", "") in flat, material.name
    assert prompt.spoken == spoken_text(prompt.text)
    app.home()


def test_repeat_and_stop_on_every_screen(elder: Any) -> None:
    kiosk = elder
    app = kiosk.app
    speaker = app.speaker
    for name, params in (("home", {}), ("rooms", {}), ("about", {})):
        if name != "home":
            app.open(name, **params)
        kiosk.settle(ticks=20)
        for button in ("again", "stop"):
            assert app.nav.buttons[button].parent is app.nav, (name, button)
        mark = last_seq(app)
        kiosk.tap(app.nav.buttons["again"])
        said = said_since(app, mark)
        assert [u.kind for u in said] == ["prompt"]  # 重复 itself is not echoed
        assert said[0].text == screen_prompt(app.screen(name))
        kiosk.wait_until(lambda: speaker.current is not None, timeout=30)
        kiosk.tap(app.nav.buttons["stop"])
        kiosk.wait_until(lambda: speaker.current is None, timeout=30)
        cut = [s for s in speaker.spoken if s.seq == said[0].seq]
        assert cut and not cut[-1].completed  # cut short, not finished
        app.home()


def test_normal_mode_reads_aloud_on_request_only(at_home: Any) -> None:
    kiosk = at_home
    app = kiosk.app
    assert not theme.elder
    mark = last_seq(app)
    kiosk.tap(app.screen("home").tiles["staff"])
    assert said_since(app, mark) == []  # normal mode: silent unless asked
    assert app.nav.shown() == ["back", "home", "read"]
    kiosk.tap(app.nav.buttons["read"])
    said = said_since(app, mark)
    assert [u.kind for u in said] == ["prompt"]
    assert said[0].text == screen_prompt(app.screen("staff"))
    app.speaker.stop()


def call_event(app: Any, number: str, window: int) -> EventPublic:
    return EventPublic(
        seq=1,
        type=EventType.CALL,
        hall_id=app.content.hall.id,
        at=clock.now(),
        data={"number": number, "queue": number[0], "window": window, "recall": False},
    )


def test_calls_announced_on_the_kiosk_in_elder_mode_only(at_home: Any) -> None:
    app = at_home.app
    mark = last_seq(app)
    app.apply_event(call_event(app, "A012", 2))
    assert [u for u in said_since(app, mark) if u.kind == "call"] == []
    app.voice.set_elder(True, announce=False)
    at_home.settle()
    mark = last_seq(app)
    app.apply_event(call_event(app, "A013", 3))
    calls = [u for u in said_since(app, mark) if u.kind == "call"]
    assert [u.spoken for u in calls] == [spoken_text(say_call("A013", 3))]
    # chime first, then the call twice
    at_home.wait_until(
        lambda: sum(s.seq == calls[0].seq and s.completed for s in app.speaker.spoken) >= 3,
        timeout=60,
    )
    parts = [s.part for s in app.speaker.spoken if s.seq == calls[0].seq]
    assert parts == ["chime", "speech", "speech"]
    app.calling.clear()


@pytest.fixture
def desk(kiosk: Any, hall_server: Any, tmp_path: Path) -> Iterator[TicketDesk]:  # noqa: F811
    yield from use_desk(kiosk, hall_server, tmp_path, {})


def test_ticket_read_twice_with_people_ahead_in_elder_mode(elder: Any, desk: TicketDesk) -> None:
    kiosk = elder
    app = kiosk.app
    mark = last_seq(app)
    screen = take_a_number(kiosk, double_tap=False)
    ticket = screen.ticket
    prompts = [u for u in said_since(app, mark) if u.kind == "prompt"]
    reading = prompts[-1]
    assert reading.spoken.count(say_ticket(ticket.number)) == 2, reading.spoken
    ahead = "您前面没有人" if ticket.people_ahead == 0 else f"您前面还有 {ticket.people_ahead} 人"
    assert reading.text.count(ahead) == 2, reading.text
    assert "再说一遍" in reading.text
    # 重复 reads it (twice) again
    mark = last_seq(app)
    kiosk.tap(app.nav.buttons["again"])
    assert [u.text for u in said_since(app, mark)] == [reading.text]
    app.speaker.stop()


def test_missing_engine_keeps_the_app_running_and_maintenance_says_why(at_home: Any) -> None:
    kiosk = at_home
    app = kiosk.app
    good = app.speaker.settings
    try:
        speaker = app.voice.reopen(dataclasses.replace(good, driver="nonexistent"))
        kiosk.wait_until(lambda: speaker.wait_ready(0.01), timeout=30)
        assert not speaker.available
        assert "nonexistent" in speaker.status_text
        app.voice.set_elder(True, announce=False)
        kiosk.settle()
        kiosk.tap(app.screen("home").tiles["rooms"])  # prompts and taps: no crash
        assert app.current_name == "rooms"
        assert any(u.kind == "prompt" for u in speaker.said)
        app.voice.set_elder(False, announce=False)
        app.home()
        kiosk.settle()
        app.open("maintenance")
        screen = app.screen("maintenance")
        for key in app.settings.maintenance_pin + "k":
            screen.press("ok" if key == "k" else key)
        assert screen.unlocked
        assert "语音：" in screen.details and "nonexistent" in screen.details
        assert "静音" in screen.details or "Silent" in screen.details
        assert "小票打印机：" in screen.details
    finally:
        app.voice.reopen(good)
        app.home()


def test_ui_keeps_drawing_frames_while_a_long_prompt_is_spoken(at_home: Any) -> None:
    """Frame intervals of the real window, with and without a 5+ s utterance playing.

    Software GL on a loaded 2-core VM makes frames slow and uneven by themselves, so
    the assertion is relative: the longest gap while speaking may exceed the longest gap
    of the same number of frames without speech by no more than 100 ms. A UI thread that
    waited for the engine or the player would show a gap of the utterance's length.
    """
    kiosk = at_home
    app = kiosk.app
    speaker = app.speaker
    kiosk.resize(960, 540)  # cheaper frames; the speech path is the same
    long_text = "，".join(["您好，欢迎来到居民之家，这里可以查看服务指南和在岗人员"] * 4)

    def frames(seconds: float, during: Any = None) -> list[float]:
        stamps = []
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline and (during is None or during()):
            kiosk.pump(1)
            stamps.append(time.perf_counter())
        return [b - a for a, b in itertools.pairwise(stamps)]

    try:
        speaker.stop()
        kiosk.wait_until(lambda: speaker.current is None, timeout=30)
        baseline = frames(4.0)
        speaker.say(long_text)
        kiosk.wait_until(lambda: speaker.current is not None, timeout=30)
        started = time.monotonic()
        speaking = frames(5.0, during=lambda: speaker.current is not None)
        assert time.monotonic() - started >= 4.5, "the utterance ended too soon"
        assert len(baseline) >= 5 and len(speaking) >= 5
        assert max(speaking) <= max(baseline) + 0.100, (max(speaking), max(baseline))
    finally:
        speaker.stop()
        kiosk.resize(1920, 1080)


def test_voice_settings_come_from_the_kiosk_settings(kiosk: Any) -> None:
    from kiosk.read_aloud import ReadAloud

    class Host:
        settings = dataclasses.replace(kiosk.app.settings, voice={"enabled": False, "rate": 120})

    voice = ReadAloud(Host())
    try:
        assert not voice.speaker.available
        assert voice.speaker.settings.rate == 120
        assert "关" in voice.speaker.status_text or "off" in voice.speaker.status_text
    finally:
        voice.close()
    assert VoiceSettings().rate == 160
