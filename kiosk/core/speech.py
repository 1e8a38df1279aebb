"""How numbers, times and dates are read aloud in Mandarin: text for the TTS engine.

Conventions (chosen once, used everywhere):

- Ticket numbers are read character by character, the queue letter as a Latin letter
  and every digit with 一 (never 幺), then 号: ``A012`` -> "A 零 一 二 号". A fallback
  number reads its dash as 杠: ``A2-001`` -> "A 二 杠 零 零 一 号".
- Window numbers, counts, days and months are natural numerals: 2 -> 二 ("二号窗口"),
  12 -> 十二, 105 -> 一百零五, 2000 -> 两千 (两 only as the leading digit before 百/千).
- Phone numbers are read digit by digit with 一 (not 幺, so one spelling for every
  digit string a resident hears), ``-`` as 杠, ``+`` as 加; spaces and brackets are
  dropped: "0531-8888" -> "零 五 三 一 杠 八 八 八 八".
- Clock times use a 12-hour reading with a part of day: 凌晨 (0–5 点), 上午 (6–11),
  中午 (12 点), 下午 (13–17), 晚上 (18–23); 2 o'clock is 两点; minutes always say 分
  and take 零 below ten: 09:30 -> "上午九点三十分", 14:05 -> "下午两点零五分",
  12:00 -> "中午十二点", 00:00 -> "凌晨零点".
- Dates: "十一月二十六日 星期四"; with the year, digits one by one: "二零二六年…".
"""

from __future__ import annotations

import datetime as dt
import re

from kiosk.core.tickets import parse_number

__all__ = [
    "normalise",
    "say_call",
    "say_date",
    "say_digits",
    "say_number",
    "say_phone",
    "say_ticket",
    "say_time",
]

_DIGITS = "零一二三四五六七八九"
_WEEKDAYS = "一二三四五六日"


def say_digits(digits: str) -> str:
    """Each ASCII digit as its numeral, separated by spaces: "012" -> "零 一 二"."""
    if not digits or not digits.isascii() or not digits.isdigit():
        raise ValueError(f"应为数字：{digits!r}")
    return " ".join(_DIGITS[int(c)] for c in digits)


def say_number(n: int) -> str:
    """A whole number 0–9999 as natural Chinese numerals: 12 -> 十二, 2000 -> 两千."""
    if isinstance(n, bool) or not isinstance(n, int) or not 0 <= n <= 9999:
        raise ValueError(f"只能读 0–9999 的整数：{n!r}")
    if n == 0:
        return "零"
    if 10 <= n < 20:
        return "十" + (_DIGITS[n - 10] if n > 10 else "")
    out = ""
    zero_pending = False
    leading = True
    for value, unit in ((1000, "千"), (100, "百"), (10, "十"), (1, "")):
        digit = (n // value) % 10
        if digit == 0:
            if not leading:
                zero_pending = True
            continue
        if zero_pending:
            out += "零"
            zero_pending = False
        word = "两" if digit == 2 and leading and unit in ("千", "百") else _DIGITS[digit]
        out += word + unit
        leading = False
    return out


def say_ticket(number: str) -> str:
    """A ticket number read character by character: "A012" -> "A 零 一 二 号"."""
    parsed = parse_number(number)
    parts = [parsed.prefix]
    if parsed.kiosk_no is not None:
        parts += [say_digits(str(parsed.kiosk_no)), "杠"]
    parts += [say_digits(f"{parsed.seq:03d}"), "号"]
    return " ".join(parts)


def say_call(number: str, window: int) -> str:
    """The call announcement: "请 A 零 一 二 号 到 二 号窗口办理"."""
    if isinstance(window, bool) or not isinstance(window, int) or not 1 <= window <= 99:
        raise ValueError(f"窗口号应在 1–99 之间：{window!r}")
    return f"请 {say_ticket(number)} 到 {say_number(window)} 号窗口办理"


def _hour_word(hour12: int) -> str:
    return "两" if hour12 == 2 else say_number(hour12)


def say_time(t: dt.time) -> str:
    """A clock time as spoken Chinese: 14:05 -> "下午两点零五分" (seconds are ignored)."""
    hour, minute = t.hour, t.minute
    if hour < 6:
        period, shown = "凌晨", hour
    elif hour < 12:
        period, shown = "上午", hour
    elif hour == 12:
        period, shown = "中午", 12
    elif hour < 18:
        period, shown = "下午", hour - 12
    else:
        period, shown = "晚上", hour - 12
    text = f"{period}{_hour_word(shown)}点"
    if minute:
        text += ("零" if minute < 10 else "") + say_number(minute) + "分"
    return text


def say_date(d: dt.date, *, with_year: bool = False, with_weekday: bool = True) -> str:
    """A date as spoken Chinese: "十一月二十六日 星期四" (year read digit by digit)."""
    text = f"{say_number(d.month)}月{say_number(d.day)}日"
    if with_year:
        text = "".join(_DIGITS[int(c)] for c in f"{d.year:04d}") + "年" + text
    if with_weekday:
        text += f" 星期{_WEEKDAYS[d.isoweekday() - 1]}"
    return text


_PHONE_CHARS = re.compile(r"^[0-9+\-() ]+$")


def say_phone(text: str) -> str:
    """A phone number digit by digit: "0531-8888" -> "零 五 三 一 杠 八 八 八 八"."""
    if not _PHONE_CHARS.match(text) or not any(c.isdigit() for c in text):
        raise ValueError(f"不是电话号码：{text!r}")
    words = []
    for c in text:
        if c.isdigit():
            words.append(_DIGITS[int(c)])
        elif c == "-":
            words.append("杠")
        elif c == "+":
            words.append("加")
    return " ".join(words)


# One pass over the text, so spoken output is never rescanned. Alternatives, in order:
#   date      2026-11-26
#   range     08:30–17:30 (any dash, ~, 至 or 到 between two times)
#   time      9:30, 09:30, 09：30
#   phone     0531-88888888, 0531-8888, 138 1234 5678 is NOT (spaces), 13812345678, 8888888
#   window    the 2 of "2号窗口" as a natural number (二号窗口)
#   ticket    A012, A2-001, optionally followed by 号 (swallowed, with any space before it:
#             say_ticket ends in 号); not when followed by a place word (see below).
# A code followed, within a short word, by a place word is a room, not a ticket:
# "B201室", "A101会议室", "C3-101楼" (but "A012号到阅览室" is still a ticket).
_PLACE_AFTER = (
    r"[^\x00-\x7f号到去请在至和及、，。；：！？\s]{0,3}(?:室|厅|楼|栋|幢|层|座|单元|房|馆|中心|门)"
)
_TIME = r"(?:[01]?\d|2[0-3])[:：][0-5]\d"
_PATTERN = re.compile(
    r"(?<![0-9A-Za-z])(?:"
    r"(?P<date>\d{4}-(?:0?[1-9]|1[0-2])-(?:0?[1-9]|[12]\d|3[01]))(?![0-9:-])"
    rf"|(?P<range>(?P<t1>{_TIME})\s*[-–—~～至到]\s*(?P<t2>{_TIME}))(?![0-9])"
    rf"|(?P<time>{_TIME})(?![0-9])"
    r"|(?P<phone>\+?\d{3,4}-\d{4,8}(?:-\d{1,6})?|1[3-9]\d{9}|\d{7,8})(?![0-9:-])"
    r"|(?P<window>[1-9]\d?)(?=\s*号窗口)"
    r"|(?P<ticket>[A-Z](?:[1-9]\d?-)?\d{3})(?![0-9A-Za-z-])"
    rf"(?!{_PLACE_AFTER})(?P<hao>\s*号)?"
    r")"
)


def _time_of(text: str) -> dt.time:
    hours, minutes = re.split("[:：]", text)
    return dt.time(int(hours), int(minutes))


def _spoken(match: re.Match[str]) -> str:
    if match.group("date"):
        year, month, day = (int(p) for p in match.group("date").split("-"))
        try:
            return say_date(dt.date(year, month, day), with_year=True, with_weekday=False)
        except ValueError:  # 2026-02-30: not a date, read the digits
            return say_phone(match.group("date"))
    if match.group("range"):
        return f"{say_time(_time_of(match.group('t1')))}至{say_time(_time_of(match.group('t2')))}"
    if match.group("time"):
        return say_time(_time_of(match.group("time")))
    if match.group("phone"):
        return say_phone(match.group("phone"))
    if match.group("window"):
        return say_number(int(match.group("window")))
    ticket = match.group("ticket")
    try:
        return say_ticket(ticket)
    except ValueError:  # A000: not a ticket number
        return match.group(0)


def normalise(text: str) -> str:
    """Free text ready for the TTS engine.

    Replaces ticket numbers, ``HH:MM`` times and time ranges, ISO dates, phone numbers
    and window numbers ("2号窗口" -> "二号窗口") with their spoken forms (see the module
    docstring); everything else, room and service names included, stays as written.
    """
    return _PATTERN.sub(_spoken, text)
