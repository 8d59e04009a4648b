"""Small text and time formats several simulated platforms share."""

from __future__ import annotations

import datetime as dt

# GSM 03.38 basic character set (one septet each) and its extension table (two septets each)
_GSM_BASIC = frozenset(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
_GSM_EXTENDED = frozenset("^{}\\[~]|€\f")


def sms_segments(text: str) -> int:
    """Billing segments: GSM-7 text 160 per message (153 per part), anything else 70 (67 per part)."""
    if all(ch in _GSM_BASIC or ch in _GSM_EXTENDED for ch in text):
        length = sum(2 if ch in _GSM_EXTENDED else 1 for ch in text)
        single, part = 160, 153
    else:
        length = len(text)
        single, part = 70, 67
    if length <= single:
        return 1
    return -(-length // part)


def utc_text(epoch: float) -> str:
    """``yyyy-MM-dd HH:mm:ss`` in UTC (NXCloud's legacy report fields)."""
    return dt.datetime.fromtimestamp(epoch, dt.UTC).strftime("%Y-%m-%d %H:%M:%S")


def utc_date(epoch: float) -> dt.date:
    return dt.datetime.fromtimestamp(epoch, dt.UTC).date()


def iso_with_offset(epoch: float, offset_hours: int = 8) -> str:
    """ISO-8601 with an explicit offset, e.g. ``2021-02-12T09:30:03+08:00`` (Buka's report times)."""
    zone = dt.timezone(dt.timedelta(hours=offset_hours))
    return dt.datetime.fromtimestamp(epoch, zone).isoformat(timespec="seconds")
