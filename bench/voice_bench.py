"""Time from ``say()`` to the first audible sample of its prompt (issue 5's tap-to-speech).

What is measured, per utterance, on the kiosk's real path (normaliser, speech worker
thread, pyttsx3 in its child process or the espeak-ng command line):

- ``queue+synth``: ``say()`` called → the worker hands a finished WAV to the player
  (includes cutting short the prompt that was still speaking, in the ``tap`` scenario);
- ``lead``: the silence espeak puts before the first sample above 1 % of full scale;
- ``first audio`` = the two added: when the first sound leaves the player process.

Not measured (this machine has no sound card): the player's own start-up and device
buffer (``aplay`` spawn plus ALSA's period, typically 10–40 ms). ``say()`` itself is
timed too: that is what the UI thread pays.

    .venv/bin/python bench/voice_bench.py [--rounds 40]
    xvfb-run -a -s "-screen 0 1920x1080x24" .venv/bin/python bench/voice_bench.py --app

``--app`` measures through the kiosk app instead: the real app in elder mode (Kivy
window on Xvfb), a real touch on a home tile or the 返回 button; from the finger lifting
(touch-up posted) to the first audible sample of the tap's echo (``kind="tap"``) and of
the next screen's prompt. That includes the app's input dispatch, finding the button
under the finger, the navigation and its frame (software GL) on the UI thread while the
worker synthesises.

Target (issue 5): first audio ≤ 300 ms p95 on this machine.
"""

from __future__ import annotations

import argparse
import array
import statistics
import sys
import threading
import time
import wave
from pathlib import Path

from kiosk.voice import SpeechWorker, VoiceSettings
from kiosk.voice.audio_out import AudioOut, wav_seconds

PROMPTS = [
    "取号",
    "您好，这里是姚家街道和平居委会服务大厅。请选择您要办理的业务。",
    "您的号码是 A012，前面还有 3 人，预计等候 10 分钟。请留意叫号。",
    "居家养老服务：请携带身份证、户口本，到 2 号窗口办理。办公时间 08:30–17:30。",
]
THRESHOLD = 0.01 * 32768


def lead_seconds(path: Path) -> float:
    with wave.open(str(path), "rb") as wav:
        rate = wav.getframerate()
        samples = array.array("h", wav.readframes(wav.getnframes()))
    for i, sample in enumerate(samples):
        if abs(sample) > THRESHOLD:
            return i / rate
    return len(samples) / rate


class MeasuringOut(AudioOut):
    """Notes when a WAV reaches the player and its leading silence; plays for its length."""

    name = "bench"

    def __init__(self) -> None:
        self.events: list[tuple[float, float]] = []

    def play(self, path: Path, cut: threading.Event) -> bool:
        self.events.append((time.monotonic(), lead_seconds(path)))
        return not cut.wait(wav_seconds(path))


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def run(engine: str, scenario: str, rounds: int) -> dict[str, list[float]]:
    out = MeasuringOut()
    worker = SpeechWorker(VoiceSettings(engine=engine), audio_out=out)
    if not worker.wait_ready(30) or not worker.available:
        raise SystemExit(f"no engine: {worker.status_text}")
    synth, lead, first, call_cost = [], [], [], []
    try:
        worker.say("预热")  # the first utterance loads the voice; a kiosk does this at start
        worker.wait_idle(30)
        for i in range(rounds):
            text = PROMPTS[i % len(PROMPTS)]
            if scenario == "tap":  # a prompt is still speaking when the tap comes
                worker.say(PROMPTS[1], kind="prompt")
                deadline = time.monotonic() + 10
                while len(out.events) < 1 + 2 * i + 1 and time.monotonic() < deadline:
                    time.sleep(0.002)
            before = len(out.events)
            t0 = time.monotonic()
            worker.say(text, kind="tap" if scenario == "tap" else "prompt")
            call_cost.append(time.monotonic() - t0)
            deadline = time.monotonic() + 10
            while len(out.events) <= before and time.monotonic() < deadline:
                time.sleep(0.001)
            reached, silence = out.events[before]
            synth.append(reached - t0)
            lead.append(silence)
            first.append(reached - t0 + silence)
            worker.stop()
            worker.wait_idle(30)
    finally:
        worker.close()
    return {"say() call": call_cost, "queue+synth": synth, "lead": lead, "first audio": first}


def run_app(rounds: int) -> dict[str, list[float]]:
    """Tap → first audio of the echo and of the next screen's prompt, in the real app."""
    import os
    import tempfile

    os.environ.setdefault("KIVY_NO_ARGS", "1")
    os.environ.setdefault("KIVY_NO_CONSOLELOG", "1")
    os.environ.setdefault("KIVY_HOME", tempfile.mkdtemp(prefix="kivy-home-"))
    from kiosk.cli import configure_kivy
    from kiosk.settings import load_settings

    data = Path(tempfile.mkdtemp(prefix="voice-bench-"))
    settings = load_settings(
        None, data_dir=data, windowed=True, size=(1920, 1080), elder_default=True
    )
    configure_kivy(settings)
    from devkit.kiosk_driver import make_touch, start_app
    from kiosk.app import KioskApp
    from kiosk.feed import DemoFeed

    app = KioskApp(settings=settings, feed=DemoFeed(settings))
    drive = start_app(app)
    out = MeasuringOut()
    app.voice.speaker.close()
    worker = SpeechWorker(VoiceSettings(slow=True), audio_out=out)
    app.voice.speaker = worker
    if not worker.wait_ready(30) or not worker.available:
        raise SystemExit(f"no engine: {worker.status_text}")
    worker.say("预热")
    worker.wait_idle(30)
    echo, prompt = [], []
    tiles = ["categories", "staff", "rooms", "notices", "about"]
    try:
        for i in range(rounds):
            for target in (app.screen("home").tiles[tiles[i % len(tiles)]], None):
                widget = target if target is not None else app.nav.buttons["back"]
                drive.settle()
                x, y = widget.to_window(widget.center_x, widget.center_y)
                worker.stop()
                worker.wait_idle(30)
                touch = make_touch(x, y)
                touch.touch_down()
                drive.pump(1)
                seq = app.speaker.said[-1].seq if app.speaker.said else 0
                before = len(out.events)
                t0 = time.monotonic()
                touch.touch_up()
                deadline = time.monotonic() + 20
                while len(out.events) < before + 2 and time.monotonic() < deadline:
                    drive.pump(1)
                new = [u for u in app.speaker.said if u.seq > seq]
                kinds = [u.kind for u in new]
                if kinds[:2] != ["tap", "prompt"] or len(out.events) < before + 2:
                    raise SystemExit(f"unexpected speech after a tap: {kinds}")
                for series, (reached, silence) in zip(
                    (echo, prompt), out.events[before : before + 2], strict=True
                ):
                    series.append(reached - t0 + silence)
    finally:
        worker.close()
        app.stop()
    return {"tap echo": echo, "next prompt": prompt}


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rounds", type=int, default=40)
    parser.add_argument("--quick", action="store_true", help="10 rounds")
    parser.add_argument("--app", action="store_true", help="through the kiosk app (Xvfb)")
    args, _ = parser.parse_known_args(argv)
    rounds = 10 if args.quick else args.rounds
    if args.app:
        results = run_app(rounds)
        print(
            f"voice through the app (elder mode): finger up → first audible sample, ms, "
            f"{2 * rounds} taps"
        )
        for name, values in results.items():
            ms = [v * 1000 for v in values]
            print(
                f"{name:12} p50 {statistics.median(ms):7.1f}  p95 {pct(ms, 0.95):7.1f}"
                f"  max {max(ms):7.1f}"
            )
        return 0
    print(f"voice: say() → first audible sample, {rounds} utterances per row (ms)")
    print(f"{'engine':10} {'scenario':9} {'measure':12} {'p50':>7} {'p95':>7} {'max':>7}")
    worst = 0.0
    for engine in ("pyttsx3", "espeak-ng"):
        for scenario in ("idle", "tap"):
            results = run(engine, scenario, rounds)
            for name, values in results.items():
                ms = [v * 1000 for v in values]
                print(
                    f"{engine:10} {scenario:9} {name:12} {statistics.median(ms):7.1f} "
                    f"{pct(ms, 0.95):7.1f} {max(ms):7.1f}"
                )
            worst = max(worst, pct(results["first audio"], 0.95) * 1000)
    verdict = "met" if worst <= 300 else "MISSED"
    print(f"target first audio p95 <= 300 ms: {verdict} (worst row p95 {worst:.1f} ms)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
