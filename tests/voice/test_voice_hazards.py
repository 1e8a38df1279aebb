"""pyttsx3 hangs when re-entered or driven from a GUI thread: the worker design must not.

Many threads hammer one worker while workers are opened and closed over and over; an
engine frozen with SIGSTOP is killed and replaced. pytest-timeout turns a hang into a
failure instead of a stuck suite.
"""

from __future__ import annotations

import os
import random
import shutil
import signal
import sys
import threading
import time
from pathlib import Path

import pytest

from kiosk.voice import KINDS, SpeechWorker, VoiceSettings

pytestmark = [
    pytest.mark.timeout(150),
    pytest.mark.skipif(shutil.which("espeak-ng") is None, reason="espeak-ng not installed"),
]


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


def test_many_threads_and_repeated_open_close_never_hang(tmp_path: Path) -> None:
    settings = VoiceSettings(rate=450, audio_out="none", data_dir=tmp_path)
    errors: list[BaseException] = []
    engine_pids: list[int] = []
    rng = random.Random(7)
    # Other workers may be running in this process (the session app's speaker).
    others = {t for t in threading.enumerate() if t.name == "speech-worker"}

    def hammer(worker: SpeechWorker, seed: int) -> None:
        local = random.Random(seed)
        try:
            for i in range(150):
                action = local.random()
                if action < 0.6:
                    kind = local.choice(KINDS)
                    worker.say(f"第 {i} 句", kind=kind, interrupt=local.random() < 0.7)  # type: ignore[arg-type]
                elif action < 0.75:
                    worker.stop()
                elif action < 0.85:
                    worker.repeat()
                elif action < 0.95:
                    worker.update_settings(slow=local.random() < 0.5, volume=local.random())
                else:
                    _ = worker.status_text, worker.available, worker.current, worker.spoken
                if local.random() < 0.1:
                    time.sleep(0.002)
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    for _round in range(4):
        worker = SpeechWorker(settings)
        threads = [threading.Thread(target=hammer, args=(worker, rng.random())) for _ in range(8)]
        for thread in threads:
            thread.start()
        assert worker.wait_ready(30) and worker.available, worker.status_text
        pid = worker.engine_pid
        assert pid is not None
        engine_pids.append(pid)
        time.sleep(rng.uniform(0.05, 0.5))
        worker.close()  # while the hammering goes on
        for thread in threads:
            thread.join(60)
            assert not thread.is_alive()
    assert errors == []
    deadline = time.monotonic() + 10
    while any(alive(pid) for pid in engine_pids) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not any(alive(pid) for pid in engine_pids)
    assert not [t for t in threading.enumerate() if t.name == "speech-worker" and t not in others]


def test_hammered_worker_still_speaks_in_order_afterwards(tmp_path: Path) -> None:
    worker = SpeechWorker(VoiceSettings(rate=450, audio_out="none", data_dir=tmp_path))
    try:
        assert worker.wait_ready(30) and worker.available
        threads = [
            threading.Thread(target=lambda n=n: [worker.say(f"{n}", kind="tap") for _ in range(50)])
            for n in range(6)
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(30)
        worker.stop()
        worker.say("一号", kind="call")
        worker.say("请选择业务")
        assert worker.wait_idle(60)
        tail = [(s.kind, s.part, s.completed) for s in worker.spoken[-4:]]
        assert tail == [
            ("call", "chime", True),
            ("call", "speech", True),
            ("call", "speech", True),
            ("prompt", "speech", True),
        ]
    finally:
        worker.close()


@pytest.mark.skipif(sys.platform == "win32", reason="SIGSTOP is POSIX")
def test_a_frozen_engine_is_killed_and_replaced(tmp_path: Path) -> None:
    settings = VoiceSettings(rate=450, audio_out="none", data_dir=tmp_path, engine_timeout=1.0)
    worker = SpeechWorker(settings)
    try:
        assert worker.wait_ready(30) and worker.available
        frozen = worker.engine_pid
        assert frozen is not None
        os.kill(frozen, signal.SIGSTOP)  # a real hang, as far as the worker can tell
        worker.say("请选择业务")
        assert worker.wait_idle(60)
        assert [(s.text, s.completed) for s in worker.spoken] == [("请选择业务", True)]
        assert worker.restarts == 1
        assert "no answer within" in worker.status_text  # the fault, for the maintenance screen
        assert worker.engine_pid not in (None, frozen)
        assert not alive(frozen)
    finally:
        worker.close()


@pytest.mark.skipif(sys.platform == "win32", reason="SIGKILL is POSIX")
def test_a_crashed_engine_is_replaced_for_the_next_utterance(tmp_path: Path) -> None:
    worker = SpeechWorker(VoiceSettings(rate=450, audio_out="none", data_dir=tmp_path))
    try:
        assert worker.wait_ready(30) and worker.available
        crashed = worker.engine_pid
        assert crashed is not None
        os.kill(crashed, signal.SIGKILL)
        worker.say("取号", kind="tap")
        assert worker.wait_idle(60)
        assert [(s.text, s.completed) for s in worker.spoken] == [("取号", True)]
        assert worker.restarts == 1
        assert worker.engine_pid not in (None, crashed)
    finally:
        worker.close()
