"""Text for the Mandarin TTS engine: numbers, tickets, calls, times, dates, phones."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kiosk.core.speech import (
    normalise,
    say_call,
    say_date,
    say_digits,
    say_number,
    say_phone,
    say_ticket,
    say_time,
)
from kiosk.core.tickets import fallback_number, format_number

# A loaded 2-core CI machine must not turn slow examples into failures.
relaxed = settings(deadline=None, suppress_health_check=[HealthCheck.too_slow])


@pytest.mark.parametrize(
    ("n", "spoken"),
    [
        (0, "零"),
        (1, "一"),
        (2, "二"),
        (9, "九"),
        (10, "十"),
        (11, "十一"),
        (12, "十二"),
        (19, "十九"),
        (20, "二十"),
        (22, "二十二"),
        (99, "九十九"),
        (100, "一百"),
        (101, "一百零一"),
        (105, "一百零五"),
        (110, "一百一十"),
        (115, "一百一十五"),
        (200, "两百"),
        (222, "两百二十二"),
        (999, "九百九十九"),
        (1000, "一千"),
        (1001, "一千零一"),
        (1010, "一千零一十"),
        (1100, "一千一百"),
        (1234, "一千二百三十四"),
        (2000, "两千"),
        (2002, "两千零二"),
        (2020, "两千零二十"),
        (2200, "两千二百"),
        (3005, "三千零五"),
        (9999, "九千九百九十九"),
    ],
)
def test_say_number(n: int, spoken: str) -> None:
    assert say_number(n) == spoken


@pytest.mark.parametrize("n", [-1, 10000, True, 1.5])
def test_say_number_refuses(n: int) -> None:
    with pytest.raises(ValueError):
        say_number(n)


@relaxed
@given(st.integers(min_value=0, max_value=9999))
def test_say_number_is_well_formed(n: int) -> None:
    spoken = say_number(n)
    assert re.fullmatch(r"[零一二两三四五六七八九十百千]+", spoken)
    assert "零零" not in spoken
    assert n == 0 or not spoken.endswith("零")
    assert len(set(say_number(m) for m in (n, (n + 1) % 10000))) == 2


@pytest.mark.parametrize(
    ("digits", "spoken"),
    [("0", "零"), ("012", "零 一 二"), ("1234567890", "一 二 三 四 五 六 七 八 九 零")],
)
def test_say_digits(digits: str, spoken: str) -> None:
    assert say_digits(digits) == spoken


@pytest.mark.parametrize("bad", ["", "1a", "١٢", "-1"])
def test_say_digits_refuses(bad: str) -> None:
    with pytest.raises(ValueError):
        say_digits(bad)


@pytest.mark.parametrize(
    ("number", "spoken"),
    [
        ("A012", "A 零 一 二 号"),
        ("A001", "A 零 零 一 号"),
        ("B100", "B 一 零 零 号"),
        ("Z999", "Z 九 九 九 号"),
        ("A2-001", "A 二 杠 零 零 一 号"),
        ("C12-034", "C 一 二 杠 零 三 四 号"),
    ],
)
def test_say_ticket(number: str, spoken: str) -> None:
    assert say_ticket(number) == spoken


@pytest.mark.parametrize("bad", ["A12", "A000", "hello", ""])
def test_say_ticket_refuses(bad: str) -> None:
    with pytest.raises(ValueError):
        say_ticket(bad)


@pytest.mark.parametrize(
    ("number", "window", "spoken"),
    [
        ("A012", 2, "请 A 零 一 二 号 到 二 号窗口办理"),
        ("B100", 1, "请 B 一 零 零 号 到 一 号窗口办理"),
        ("A2-001", 12, "请 A 二 杠 零 零 一 号 到 十二 号窗口办理"),
        ("A005", 20, "请 A 零 零 五 号 到 二十 号窗口办理"),
    ],
)
def test_say_call(number: str, window: int, spoken: str) -> None:
    assert say_call(number, window) == spoken


@pytest.mark.parametrize(("number", "window"), [("A012", 0), ("A012", 100), ("A12", 2)])
def test_say_call_refuses(number: str, window: int) -> None:
    with pytest.raises(ValueError):
        say_call(number, window)


@pytest.mark.parametrize(
    ("hhmm", "spoken"),
    [
        ("00:00", "凌晨零点"),
        ("00:05", "凌晨零点零五分"),
        ("02:00", "凌晨两点"),
        ("05:59", "凌晨五点五十九分"),
        ("06:00", "上午六点"),
        ("08:30", "上午八点三十分"),
        ("09:30", "上午九点三十分"),
        ("10:10", "上午十点十分"),
        ("11:45", "上午十一点四十五分"),
        ("12:00", "中午十二点"),
        ("12:30", "中午十二点三十分"),
        ("13:00", "下午一点"),
        ("14:05", "下午两点零五分"),
        ("14:00", "下午两点"),
        ("17:30", "下午五点三十分"),
        ("18:00", "晚上六点"),
        ("22:02", "晚上十点零二分"),
        ("23:59", "晚上十一点五十九分"),
    ],
)
def test_say_time(hhmm: str, spoken: str) -> None:
    assert say_time(dt.time.fromisoformat(hhmm)) == spoken
    assert say_time(dt.time.fromisoformat(hhmm + ":59")) == spoken  # seconds ignored


@relaxed
@given(st.times())
def test_say_time_never_says_er_dian(t: dt.time) -> None:
    spoken = say_time(t)
    assert not re.search("(?<!十)二点", spoken)
    assert spoken.startswith(("凌晨", "上午", "中午", "下午", "晚上"))


@pytest.mark.parametrize(
    ("day", "kwargs", "spoken"),
    [
        (dt.date(2026, 11, 26), {}, "十一月二十六日 星期四"),
        (dt.date(2026, 11, 29), {}, "十一月二十九日 星期日"),
        (dt.date(2026, 1, 1), {}, "一月一日 星期四"),
        (dt.date(2026, 2, 10), {}, "二月十日 星期二"),
        (dt.date(2026, 11, 26), {"with_year": True}, "二零二六年十一月二十六日 星期四"),
        (dt.date(2026, 12, 20), {"with_weekday": False}, "十二月二十日"),
        (
            dt.date(2000, 10, 31),
            {"with_year": True, "with_weekday": False},
            "二零零零年十月三十一日",
        ),
    ],
)
def test_say_date(day: dt.date, kwargs: dict[str, bool], spoken: str) -> None:
    assert say_date(day, **kwargs) == spoken


@pytest.mark.parametrize(
    ("phone", "spoken"),
    [
        ("0531-8888", "零 五 三 一 杠 八 八 八 八"),
        ("0531-86661234", "零 五 三 一 杠 八 六 六 六 一 二 三 四"),
        ("13812345678", "一 三 八 一 二 三 四 五 六 七 八"),
        ("12345", "一 二 三 四 五"),
        ("+86 (531) 8888", "加 八 六 五 三 一 八 八 八 八"),
    ],
)
def test_say_phone(phone: str, spoken: str) -> None:
    assert say_phone(phone) == spoken


@pytest.mark.parametrize("bad", ["", "--", "abc", "0531-八八"])
def test_say_phone_refuses(bad: str) -> None:
    with pytest.raises(ValueError):
        say_phone(bad)


@pytest.mark.parametrize(
    ("text", "spoken"),
    [
        ("请A012号到2号窗口办理", "请A 零 一 二 号到二号窗口办理"),
        ("请 A012 号到 12 号窗口办理", "请 A 零 一 二 号到 十二 号窗口办理"),
        ("3号楼，2号", "3号楼，2号"),
        ("请 A012 到窗口", "请 A 零 一 二 号 到窗口"),
        ("您的号码是A2-001。", "您的号码是A 二 杠 零 零 一 号。"),
        ("A012、A013", "A 零 一 二 号、A 零 一 三 号"),
        ("开放时间08:30–17:30", "开放时间上午八点三十分至下午五点三十分"),
        ("开放时间 8:30-12:00", "开放时间 上午八点三十分至中午十二点"),
        ("书法班 09:00 ~ 11:00", "书法班 上午九点至上午十一点"),
        ("14:05开始", "下午两点零五分开始"),
        ("全角冒号14：05", "全角冒号下午两点零五分"),
        ("咨询电话0531-8888", "咨询电话零 五 三 一 杠 八 八 八 八"),
        ("手机13812345678。", "手机一 三 八 一 二 三 四 五 六 七 八。"),
        ("2026-11-26 讲座", "二零二六年十一月二十六日 讲座"),
        ("2026-02-30", "二 零 二 六 杠 零 二 杠 三 零"),
        # names and ordinary numbers stay as written
        ("书画室在二楼东侧", "书画室在二楼东侧"),
        ("B201室开放", "B201室开放"),
        ("到A101会议室", "到A101会议室"),
        ("C3-101楼", "C3-101楼"),
        ("请A012号到阅览室", "请A 零 一 二 号到阅览室"),
        ("A012阅览室", "A012阅览室"),
        ("共3人，第12届", "共3人，第12届"),
        ("WiFi123", "WiFi123"),
        ("A000", "A000"),
        ("24:00", "24:00"),
        ("热线12345", "热线12345"),
        ("", ""),
    ],
)
def test_normalise(text: str, spoken: str) -> None:
    assert normalise(text) == spoken


@relaxed
@given(
    st.sampled_from("ABCZ"),
    st.integers(min_value=1, max_value=99),
    st.integers(min_value=1, max_value=999),
    st.booleans(),
)
def test_normalise_reads_every_ticket_number(
    prefix: str, kiosk_no: int, seq: int, fallback: bool
) -> None:
    number = fallback_number(prefix, kiosk_no, seq) if fallback else format_number(prefix, seq)
    assert normalise(f"请{number}号到窗口") == f"请{say_ticket(number)}到窗口"
    assert not re.search(r"\d", normalise(f"请{number}号到窗口"))


@relaxed
@given(st.text(alphabet="请号到窗口室楼书画 ，。:：-–0123456789ABab", max_size=40))
def test_normalise_never_fails(text: str) -> None:
    assert isinstance(normalise(text), str)
