"""The speech worker's queue: what interrupts what, what waits, what is never dropped.

Real engine (pyttsx3 in its child process, espeak-ng's Mandarin voice); the loudspeaker
is :class:`NoAudioOut` (this machine has no sound card), which takes as long as each WAV
lasts, so the queue behaves as with sound. Assertions are on what was played, in order.
"""

from __future__ import annotations

import itertools
import shutil
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from kiosk.voice import SpeechWorker, Spoken, VoiceSettings

pytestmark = [
    pytest.mark.timeout(120),
    pytest.mark.skipif(shutil.which("espeak-ng") is None, reason="espeak-ng not installed"),
]

LONG = "欢迎来到姚家街道居民服务大厅。这里可以了解办事流程、值班人员和活动安排，也可以取号。"
CALL = "请 A 零 一 二 号 到 二 号窗口办理"


@pytest.fixture
def worker(tmp_path: Path) -> Iterator[SpeechWorker]:
    speaker = SpeechWorker(VoiceSettings(rate=450, audio_out="none", data_dir=tmp_path))
    assert speaker.wait_ready(30)
    assert speaker.available, speaker.status_text
    yield speaker
    speaker.close()


def wait_for(condition: Callable[[], bool], timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError("condition not met before the deadline")
        time.sleep(0.005)


def speaking(worker: SpeechWorker, text: str) -> Callable[[], bool]:
    def check() -> bool:
        current = worker.current
        return current is not None and current.text == text

    return check


def parts(spoken: list[Spoken]) -> list[tuple[str, str, str, bool]]:
    return [(s.kind, s.part, s.text, s.completed) for s in spoken]


def assert_no_overlap(spoken: list[Spoken]) -> None:
    for before, after in itertools.pairwise(spoken):
        assert before.ended <= after.started


def test_status_names_engine_voice_and_output(worker: SpeechWorker) -> None:
    assert "cmn" in worker.status_text
    assert "pyttsx3" in worker.status_text


def test_say_returns_before_the_utterance_is_spoken(worker: SpeechWorker) -> None:
    worker.say(LONG)
    assert worker.spoken == []  # the caller never waits for the engine
    assert worker.said[-1].spoken == LONG
    assert worker.wait_idle(60)
    assert parts(worker.spoken) == [("prompt", "speech", LONG, True)]


def test_new_prompt_interrupts_the_one_speaking_and_drops_queued_ones(
    worker: SpeechWorker,
) -> None:
    worker.say(LONG)
    wait_for(speaking(worker, LONG))
    worker.say("第二段", interrupt=False)  # queued behind...
    worker.say("请选择业务")  # ...and dropped by this one, which also cuts LONG short
    assert worker.wait_idle(60)
    assert parts(worker.spoken) == [
        ("prompt", "speech", LONG, False),
        ("prompt", "speech", "请选择业务", True),
    ]


def test_tap_echo_interrupts_a_prompt(worker: SpeechWorker) -> None:
    worker.say(LONG)
    wait_for(speaking(worker, LONG))
    worker.say("取号", kind="tap")
    assert worker.wait_idle(60)
    assert parts(worker.spoken) == [
        ("prompt", "speech", LONG, False),
        ("tap", "speech", "取号", True),
    ]


def test_calls_queue_in_order_with_chime_first_said_twice_never_overlapping(
    worker: SpeechWorker,
) -> None:
    worker.announce_call("A012", 2)
    worker.say("请 A013 号到 3 号窗口办理", kind="call")
    assert worker.wait_idle(60)
    a013 = worker.said[-1].spoken
    assert parts(worker.spoken) == [
        ("call", "chime", "", True),
        ("call", "speech", CALL, True),
        ("call", "speech", CALL, True),
        ("call", "chime", "", True),
        ("call", "speech", a013, True),
        ("call", "speech", a013, True),
    ]
    assert "零 一 三" in a013
    assert_no_overlap(worker.spoken)


def test_prompt_arriving_during_a_call_waits_for_it(worker: SpeechWorker) -> None:
    worker.announce_call("A012", 2)
    wait_for(speaking(worker, CALL))
    worker.say("请选择业务")
    worker.say("请 B001 号到 1 号窗口办理", kind="call")  # queued calls still go first
    worker.stop()  # the resident's stop does not silence hall calls...
    worker.say("您好")  # ...and a prompt after it waits its turn
    assert worker.wait_idle(60)
    kinds = [(s.kind, s.part, s.completed) for s in worker.spoken]
    assert kinds == [
        ("call", "chime", True),
        ("call", "speech", True),
        ("call", "speech", True),
    ] * 2 + [("prompt", "speech", True)]
    assert worker.spoken[-1].text == "您好"
    assert_no_overlap(worker.spoken)


def test_call_cuts_a_prompt_short_but_not_with_interrupt_false(worker: SpeechWorker) -> None:
    worker.say(LONG)
    wait_for(speaking(worker, LONG))
    worker.say(CALL, kind="call")
    assert worker.wait_idle(60)
    assert parts(worker.spoken)[0] == ("prompt", "speech", LONG, False)
    assert [s.part for s in worker.spoken[1:]] == ["chime", "speech", "speech"]

    worker.say("请选择业务")
    wait_for(speaking(worker, "请选择业务"))
    worker.say(CALL, kind="call", interrupt=False)
    assert worker.wait_idle(60)
    assert parts(worker.spoken)[4] == ("prompt", "speech", "请选择业务", True)
    assert [s.part for s in worker.spoken[5:]] == ["chime", "speech", "speech"]


def test_stop_silences_the_prompt_and_repeat_says_it_again(worker: SpeechWorker) -> None:
    assert worker.repeat() is False  # nothing said yet
    worker.say(LONG)
    wait_for(speaking(worker, LONG))
    worker.stop()
    assert worker.wait_idle(60)
    assert parts(worker.spoken) == [("prompt", "speech", LONG, False)]

    worker.say("取号", kind="tap")  # taps are not what "重复" repeats
    assert worker.wait_idle(60)
    assert worker.repeat() is True
    assert worker.wait_idle(60)
    assert parts(worker.spoken)[-1] == ("prompt", "speech", LONG, True)
    assert [u.text for u in worker.said] == [LONG, "取号", LONG]


def test_text_goes_through_the_normaliser(worker: SpeechWorker) -> None:
    worker.say("办公时间 08:30–17:30，电话 0531-8888", kind="tap")
    assert worker.wait_idle(60)
    spoken = worker.spoken[-1].text
    assert "上午八点三十分至下午五点三十分" in spoken
    assert "零 五 三 一 杠 八 八 八 八" in spoken


def test_bad_kind_is_refused_and_empty_text_is_ignored(worker: SpeechWorker) -> None:
    with pytest.raises(ValueError, match="kind"):
        worker.say("你好", kind="shout")  # type: ignore[arg-type]
    worker.say("   ")
    assert worker.said == []


def test_close_silences_everything_and_later_requests_are_ignored(worker: SpeechWorker) -> None:
    worker.announce_call("A012", 2)
    worker.announce_call("A013", 2)
    wait_for(speaking(worker, CALL))
    worker.close()
    assert not worker.available
    assert [s.completed for s in worker.spoken][-1] is False
    worker.say("还在吗")
    assert worker.said[-1].text != "还在吗"
    worker.close()  # twice is fine
