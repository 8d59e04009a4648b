"""NXCloud number check (bizType 1) as the simulator serves it: submit, then query the results.

Submit (``/api/number/check``, reference §8.1), checked in this order:

* ``phone`` empty or not text, or more than :data:`MAX_NUMBERS` numbers -> 201;
* ``batchNo`` not text -> 201, longer than 64 characters -> 212 (absent: a 12-character one is made);
* ``checkLevel`` (default 1) not the integer 1 (basic) or 5 (HLR) -> 207;
* ``appkey`` not the account's number-check app -> 202;
* no number left to check after ``failNumber`` -> 203.

``failNumber`` lists the numbers refused up front. ASSUMPTION [SIM-2] (the page does not say
which are refused): a number that is not 7 to 15 digits (after an optional ``+``) or
whose country calling code is unknown. Every other number is checked: one ledger
entry of kind ``number_check`` each (recipient = the number, content = the
checkLevel, vendor id and batch id = the ``requestId``, client reference = the
``batchNo``), so a batch submitted twice shows as duplicates. The reply is the 2024
shape ``{"code": 0, "message": "Success", "data": {"requestId", "batchNo",
"failNumber"}, "traceId"}``.

Results: ASSUMPTION [SIM-2]: a number's result row appears once the delivery delay has
passed on the progress clock (the vendor says typically 10 s to 5 min). A number
the delivery model marks undeliverable (by default: ending in 0000) is ``invalid``,
and ``active: NO`` at the HLR level; a number libphonenumber calls invalid is
``invalid`` too; mobile numbers are ``mobile``, the rest ``others``. HLR rows add
``mcc`` (a small table per country), ``mnc`` (derived from the number) and
``ported`` (YES for numbers ending in 77: a simulator rule).

Query (``/api/number/query``, reference §8.3): ``page`` and ``pageSize`` positive
integers, ``pageSize`` at most 100, ``date`` yyyy-MM-dd within the last 14 days
(a day of slack ahead), one of ``requestId``, ``messageId`` (the 2023 name of
the same id) or ``batchNo``, optionally ``phone``; any violation -> 88 with the
reason. An ``appkey`` (2023 page) other than the account's -> 202. Rows match a
batch submitted on the query's ``date`` read in the zone of
:data:`~airflow_provider_nxcloud.testing.nxcloud.RECORD_DAY_UTC_OFFSET_HOURS` (ASSUMPTION [NX-2]:
the vendor's day boundary is not documented; the simulator files a batch under one
reading only, so a client must ask for both), in submit order. The one request per
3 seconds is not enforced. The reply keeps the query page's ``{"code", "msg",
"data": {"page", "pageSize", "totalPage", "totalSize", "result"}}``.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

import phonenumbers
from phonenumbers import PhoneNumberType, carrier

from airflow_provider_nxcloud.platforms import nxcloud as vendor
from airflow_provider_nxcloud.testing.ledger import LedgerEntry
from airflow_provider_nxcloud.testing.nxcloud import PLATFORM, record_day, reject
from airflow_provider_nxcloud.testing.progress import FINAL_STATUSES, UNDELIVERED
from airflow_provider_nxcloud.testing.routing import Call, Handler, Reply

KIND = "number_check"
MAX_NUMBERS = vendor.NUMBER_CHECK_MAX_NUMBERS
MAX_BATCH_NO = vendor.NUMBER_CHECK_MAX_BATCH_NO
MAX_PAGE_SIZE = vendor.NUMBER_CHECK_MAX_PAGE_SIZE
LEVELS = frozenset(vendor.NUMBER_CHECK_LEVELS.values())
HLR = vendor.NUMBER_CHECK_LEVELS["hlr"]
#: the price of one check per level (simulated)
PRICES = {vendor.NUMBER_CHECK_LEVELS["basic"]: "0.0020", HLR: "0.0100"}
CURRENCY = "USD"
#: mobile country codes of the regions tests use most (simulated HLR answers)
MCC = {
    "SG": "525",
    "MY": "502",
    "ID": "510",
    "PH": "515",
    "TH": "520",
    "VN": "452",
    "AU": "505",
    "CN": "460",
    "HK": "454",
    "IN": "404",
    "GB": "234",
    "US": "310",
}
PORTED_SUFFIX = "77"

_NUMBER = re.compile(r"\+?([0-9]{7,15})")
_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
_MOBILE = frozenset({PhoneNumberType.MOBILE, PhoneNumberType.FIXED_LINE_OR_MOBILE})


# ----- submit -------------------------------------------------------------------------------------


def number_check_submit(call: Call) -> Reply:
    body = call.json_object()
    phone = body.get("phone")
    if not isinstance(phone, str) or not phone.strip():
        raise reject(call, 201, "phone is empty")
    numbers = [number.strip() for number in phone.split(",") if number.strip()]
    if len(numbers) > MAX_NUMBERS:
        raise reject(call, 201, f"at most {MAX_NUMBERS} numbers per request")
    batch_no = body.get("batchNo")
    if batch_no is not None and not isinstance(batch_no, str):
        raise reject(call, 201, "batchNo must be text")
    if batch_no and len(batch_no) > MAX_BATCH_NO:
        raise reject(call, 212)
    level = body.get("checkLevel", vendor.NUMBER_CHECK_LEVELS["basic"])
    if isinstance(level, bool) or level not in LEVELS:
        raise reject(call, 207)
    app_key = call.state.accounts.nxcloud.number_check_app_key
    if body.get("appkey") != app_key:
        raise reject(call, 202)
    checked = [(number, digits) for number in numbers if (digits := _checkable(number)) is not None]
    if not checked:
        raise reject(call, 203)
    batch_no = batch_no or call.state.ids.hex(12)
    request_id = call.state.ids.hex(32)
    now = call.now
    for position, (_, digits) in enumerate(checked):
        call.state.ledger.add(
            LedgerEntry(
                platform=PLATFORM,
                kind=KIND,
                account=str(call.account),
                app=app_key,
                recipient=digits,
                content=str(level),
                vendor_id=request_id,
                client_reference=batch_no,
                endpoint=call.endpoint.name,
                time=now,
                status="pending",
                batch_id=request_id,
                # the result is "delivered" when the delivery delay has passed
                timeline=call.state.delivery.sms_timeline(digits, now),
                details={"check_level": level, "batch_no": batch_no, "position": position},
            )
        )
    refused = [number for number in numbers if _checkable(number) is None]
    return {
        "code": 0,
        "message": "Success",
        "data": {"requestId": request_id, "batchNo": batch_no, "failNumber": refused},
        "traceId": call.request_id,
    }


def _checkable(number: str) -> str | None:
    """The number's digits, or None when it is refused up front (failNumber)."""
    match = _NUMBER.fullmatch(number)
    if match is None:
        return None
    digits = match.group(1)
    try:
        parsed = phonenumbers.parse("+" + digits)
    except phonenumbers.NumberParseException:
        return None
    if phonenumbers.region_code_for_country_code(parsed.country_code or 0) == "ZZ":
        return None
    return digits


# ----- query ----------------------------------------------------------------------------------------


def number_check_query(call: Call) -> Reply:
    body = call.json_object()
    page, page_size = _positive_int(body.get("page")), _positive_int(body.get("pageSize"))
    if page is None or page_size is None:
        raise reject(call, 88, "page and pageSize must be positive integers")
    if page_size > MAX_PAGE_SIZE:
        raise reject(call, 88, f"pageSize must be at most {MAX_PAGE_SIZE}")
    date = body.get("date")
    day = _dashed_date(date) if isinstance(date, str) and _DATE.fullmatch(date) else None
    if day is None:
        raise reject(call, 88, "date must be yyyy-MM-dd")
    today = record_day(call.now)
    if not today - dt.timedelta(days=vendor.NUMBER_CHECK_RESULT_DAYS) <= day <= today + dt.timedelta(days=1):
        raise reject(call, 88, f"date must be within the last {vendor.NUMBER_CHECK_RESULT_DAYS} days")
    if not any(body.get(key) for key in ("requestId", "messageId", "batchNo")):
        raise reject(call, 88, "one of requestId, messageId or batchNo is required")
    appkey = body.get("appkey")
    app_key = call.state.accounts.nxcloud.number_check_app_key
    if appkey is not None and appkey != app_key:
        raise reject(call, 202)
    rows = [result_row(entry) for entry in _results(call, body, day, app_key)]
    return {
        "code": 0,
        "msg": "success",
        "data": {
            "page": page,
            "pageSize": page_size,
            "totalPage": -(-len(rows) // page_size),
            "totalSize": len(rows),
            "result": rows[(page - 1) * page_size : page * page_size],
        },
    }


def _results(call: Call, body: dict[str, Any], day: dt.date, app_key: str) -> list[LedgerEntry]:
    """The checked numbers the query names whose results are in (statuses as of now)."""
    request_id = body.get("requestId") or body.get("messageId")
    batch_no = body.get("batchNo")
    phone = "".join(ch for ch in str(body.get("phone") or "") if ch.isdigit())
    return [
        entry
        for entry in call.state.ledger.entries(PLATFORM, KIND)
        if entry.app == app_key
        and (not request_id or entry.vendor_id == request_id)
        and (not batch_no or entry.client_reference == batch_no)
        and (not phone or entry.recipient == phone)
        and record_day(entry.time) == day
        and entry.status in FINAL_STATUSES
    ]


def result_row(entry: LedgerEntry) -> dict[str, Any]:
    """A query row (2024 shape) of one checked number."""
    level = int(entry.details["check_level"])
    parsed = phonenumbers.parse("+" + entry.recipient)
    region = phonenumbers.region_code_for_number(parsed) or phonenumbers.region_code_for_country_code(
        parsed.country_code or 0
    )
    invalid = entry.status == UNDELIVERED or not phonenumbers.is_valid_number(parsed)
    if invalid:
        number_type = vendor.NUMBER_CHECK_INVALID_TYPE
    else:
        number_type = "mobile" if phonenumbers.number_type(parsed) in _MOBILE else "others"
    row: dict[str, Any] = {
        "phone": entry.recipient,
        "batchNo": entry.client_reference,
        "requestId": entry.vendor_id,
        "checkLevel": level,
        "country": region,
        "numberType": number_type,
        "operator": "" if invalid else carrier.name_for_number(parsed, "en"),
        "price": PRICES[level],
        "currency": CURRENCY,
    }
    if level == HLR:
        row.update(
            {
                "mcc": MCC.get(region, ""),
                "mnc": f"{sum(int(ch) for ch in entry.recipient) % 5 + 1:02d}",
                "ported": "YES" if entry.recipient.endswith(PORTED_SUFFIX) else "NO",
                "active": "NO" if invalid else "YES",
            }
        )
    return row


def _positive_int(value: Any) -> int | None:
    if isinstance(value, int) and not isinstance(value, bool) and value >= 1:
        return value
    return None


def _dashed_date(text: str) -> dt.date | None:
    try:
        return dt.datetime.strptime(text, vendor.NUMBER_CHECK_DATE_FORMAT).date()
    except ValueError:
        return None


#: the endpoints this module simulates: endpoint name -> handler
HANDLERS: dict[str, Handler] = {
    "number_check_submit": number_check_submit,
    "number_check_query": number_check_query,
}
