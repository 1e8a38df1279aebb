"""Speech for the kiosk and the hall display: one worker thread, one engine, one queue.

Screens and the display only call :class:`Speaker` methods (``say``, ``stop``, ``repeat``);
they never touch the TTS engine. :func:`open_speaker` picks :class:`SpeechWorker` (pyttsx3
in a child process, or the espeak-ng command line) and falls back to :class:`SilentSpeaker`
when there is no engine, no Chinese voice or speech is switched off. Imported by the Kivy
app, the hall display and the ``kiosk say`` command; it imports no kivy. See docs/VOICE.md.
"""

from kiosk.voice.render import render_to_wav
from kiosk.voice.settings import VoiceSettings
from kiosk.voice.speaker import KINDS, SilentSpeaker, Speaker, Spoken, Utterance
from kiosk.voice.worker import SpeechWorker, open_speaker

__all__ = [
    "KINDS",
    "SilentSpeaker",
    "Speaker",
    "SpeechWorker",
    "Spoken",
    "Utterance",
    "VoiceSettings",
    "open_speaker",
    "render_to_wav",
]
