"""The code catalogs against the vendor documents they were written from.

The project keeps the facts it extracted (the catalogs in ``platforms/*_codes.py``), not
copies of the vendors' documents. Where the original documents lie beside the checkout
(``../shared/seeds``, as in CI), the tests parse their complete error-code tables and
require every documented non-zero code to be in the matching catalog, so a code dropped
from a table module (or a table that drifts from the vendor) fails here rather than in
production as an "unknown code". Without them those tests are skipped, saying so, and the
catalogs are held to the sizes counted by hand from the documents.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from airflow_provider_nxcloud.platforms import catalogs
from airflow_provider_nxcloud.platforms.catalogs import lookup_code
from airflow_provider_nxcloud.platforms.codes import HTTP_STATUS_ROWS, Disposition, Reason

#: the vendors' original documents, beside the checkout
SEEDS = Path(__file__).resolve().parents[3] / "shared" / "seeds"
needs_seeds = pytest.mark.skipif(
    not SEEDS.is_dir(),
    reason="the vendor documents (../shared/seeds beside the checkout) are absent: the catalogs "
    "are checked against their hand-counted sizes only",
)

# Buka seed table headers (001 and 002) and the catalog each one belongs to.
BUKA_TABLES = {
    "Response status code description:": "sms",
    "Voice response status code description:": "voice",
    "Intelligent voice response status code description:": "ai_voice",
    "Call Center response status code description:": "call_center",
    "Email response status code description:": "email",
}

# Non-zero codes per table, counted by hand from the vendor pages. A parser that finds
# fewer (or none) fails on these counts instead of passing vacuously.
EXPECTED_BUKA_COUNTS = {
    "001": {"sms": 28, "voice": 33, "ai_voice": 34, "call_center": 61},
    "002": {"sms": 28, "email": 32, "ai_voice": 34},
}

# Codes a catalog holds beyond its seed table, each from a documented secondary source.
DOCUMENTED_EXTRAS: dict[tuple[str, str], set[str]] = {
    ("buka", "sms"): {"-29", "-30", "-31", "-32"},  # white-label SMS status-code page
    ("buka", "ai_voice"): {"-57", "-58", "-59"},  # white-label AI-voice pages
    ("buka", "voice"): set(),
    ("buka", "call_center"): set(),
    ("buka", "email"): set(),
    ("nxcloud", "common"): set(),
    ("nxcloud", "pns"): set(),
    # 404, 429, 502-504: generic gateway statuses, not in the vendor's table
    ("fonedynamics", "rest"): {"404", "429", "502", "503", "504"},
}

# Codes per catalog: the seed table's non-zero codes (both Buka pages merged) plus DOCUMENTED_EXTRAS.
CATALOG_SIZES: dict[tuple[str, str], int] = {
    ("buka", "sms"): 28 + 4,
    ("buka", "voice"): 33,
    ("buka", "ai_voice"): 34 + 3,
    ("buka", "call_center"): 61,
    ("buka", "email"): 32,
    ("nxcloud", "common"): 5,
    ("nxcloud", "pns"): 13,
    ("fonedynamics", "rest"): 4 + 53 + 5,
}

ALL_SERVICES = [
    ("buka", "ai_voice"),
    ("buka", "call_center"),
    ("buka", "email"),
    ("buka", "http"),
    ("buka", "sms"),
    ("buka", "voice"),
    ("fonedynamics", "rest"),
    ("nxcloud", "common"),
    ("nxcloud", "http"),
    ("nxcloud", "number_check"),
    ("nxcloud", "pns"),
    ("nxcloud", "sms"),
    ("nxcloud", "sms_report"),
    ("nxcloud", "viber"),
    ("nxcloud", "voice"),
    ("nxcloud", "voice_report"),
    ("nxcloud", "whatsapp"),
    ("nxcloud", "zalo"),
]


def _seed(prefix: str) -> str:
    (path,) = SEEDS.glob(f"{prefix}_*.txt")
    return path.read_text(encoding="utf-8")


def parse_buka_seed(text: str) -> dict[str, dict[str, str]]:
    """``{service: {code: meaning}}`` from a Buka page's "code |" / "meaning |" pairs."""
    tables: dict[str, dict[str, str]] = {}
    current: dict[str, str] | None = None
    lines = [line.strip() for line in text.splitlines()]
    index = 0
    while index < len(lines):
        line = lines[index]
        if line in BUKA_TABLES:
            current = tables.setdefault(BUKA_TABLES[line], {})
        elif current is not None:
            match = re.fullmatch(r"(-?\d+) \|", line)
            if match and index + 1 < len(lines):
                meaning = lines[index + 1].removesuffix("|").strip()
                current[match.group(1)] = meaning
                index += 1
        index += 1
    return tables


def parse_pns_seed(text: str) -> dict[str, str]:
    """``{code: message}`` from the PNS error-code page (lines starting with a 4-5 digit code)."""
    rows = {}
    for line in text.splitlines():
        match = re.match(r"(\d{4,5}) (.+)$", line.strip())
        if match:
            rows[match.group(1)] = match.group(2)
    return rows


def parse_fonedynamics_seed(text: str) -> tuple[dict[str, str], dict[str, str]]:
    """(HTTP statuses, ErrorCode strings) from the markdown tables of the errors page."""
    statuses = {}
    error_codes = {}
    for line in text.splitlines():
        status = re.fullmatch(r"\| (\d{3}) \| (.+?) \| (.+?) \|", line.strip())
        if status:
            statuses[status.group(1)] = status.group(2)
            continue
        error = re.fullmatch(r"\| ([A-Z][A-Z0-9_]+) \| (.+?) \|", line.strip())
        if error:
            error_codes[error.group(1)] = error.group(2)
    return statuses, error_codes


def _seed_tables() -> dict[tuple[str, str], dict[str, str]]:
    """Every seed table keyed by the (platform, service) catalog it maps to, code 0 dropped."""
    tables: dict[tuple[str, str], dict[str, str]] = {}
    for prefix in ("001", "002"):
        for service, rows in parse_buka_seed(_seed(prefix)).items():
            tables.setdefault(("buka", service), {}).update(rows)
    pns = parse_pns_seed(_seed("000"))
    tables[("nxcloud", "common")] = {code: text for code, text in pns.items() if len(code) == 4}
    tables[("nxcloud", "pns")] = {code: text for code, text in pns.items() if len(code) == 5}
    statuses, error_codes = parse_fonedynamics_seed(_seed("004"))
    tables[("fonedynamics", "rest")] = {**statuses, **error_codes}
    return {key: {c: m for c, m in rows.items() if c != "0"} for key, rows in tables.items()}


# --- the parsers find what the documents hold -------------------------------------------


@needs_seeds
@pytest.mark.parametrize("prefix", sorted(EXPECTED_BUKA_COUNTS))
def test_buka_seed_parser_finds_every_table(prefix: str) -> None:
    tables = parse_buka_seed(_seed(prefix))
    counts = {service: len([c for c in rows if c != "0"]) for service, rows in tables.items()}
    assert counts == EXPECTED_BUKA_COUNTS[prefix]
    # each table documents success as code 0; the parser must have seen it
    assert all(rows.get("0", "").lower() == "success" for rows in tables.values())


@needs_seeds
def test_buka_seed_parser_reads_meanings() -> None:
    tables = parse_buka_seed(_seed("001"))
    assert tables["sms"]["-4"] == "SMS content is empty"
    assert tables["ai_voice"]["-4"] == "Timestamp expires"
    assert tables["call_center"]["-67"] == "The agent is currently on a call, please try again later!"


@needs_seeds
def test_pns_seed_parser_counts() -> None:
    rows = parse_pns_seed(_seed("000"))
    assert sorted(int(code) for code in rows) == [*range(1001, 1006), *range(10001, 10014)]


@needs_seeds
def test_fonedynamics_seed_parser_counts() -> None:
    statuses, error_codes = parse_fonedynamics_seed(_seed("004"))
    assert sorted(statuses) == ["400", "401", "403", "500"]
    assert len(error_codes) == 53
    assert {"ACCOUNT_NOT_FOUND", "NUMBER_ALLOCATION_FAILED", "UNKNOWN_TIME_ZONE"} <= set(error_codes)
    # the parameter tables (ErrorCode, Message, FieldName...) are not error codes
    assert not {"ErrorCode", "Message", "Errors", "FieldName"} & set(error_codes)


# --- every documented code is in its catalog --------------------------------------------


@needs_seeds
@pytest.mark.parametrize("key", sorted(DOCUMENTED_EXTRAS), ids="/".join)
def test_every_seed_code_is_in_its_catalog(key: tuple[str, str]) -> None:
    seed_rows = _seed_tables()[key]
    assert seed_rows, f"no seed rows parsed for {key}"
    catalog = catalogs.catalog(*key)
    missing = sorted(set(seed_rows) - set(catalog.codes))
    assert not missing, f"{key}: documented codes missing from the catalog: {missing}"


@needs_seeds
@pytest.mark.parametrize("key", sorted(DOCUMENTED_EXTRAS), ids="/".join)
def test_catalog_holds_no_undocumented_codes(key: tuple[str, str]) -> None:
    seed_codes = set(_seed_tables()[key])
    assert set(catalogs.catalog(*key).codes) - seed_codes == DOCUMENTED_EXTRAS[key]


@needs_seeds
def test_every_fonedynamics_error_code_keeps_the_vendor_description() -> None:
    _, error_codes = parse_fonedynamics_seed(_seed("004"))
    for code in error_codes:
        info = lookup_code("fonedynamics", "rest", code)
        assert info is not None
        assert info.meaning and info.meaning != code


# --- without the documents: the catalogs keep their documented sizes --------------------


@pytest.mark.parametrize("key", sorted(CATALOG_SIZES), ids="/".join)
def test_catalog_sizes_match_the_documents(key: tuple[str, str]) -> None:
    assert len(catalogs.catalog(*key).codes) == CATALOG_SIZES[key]


@needs_seeds
@pytest.mark.parametrize("key", sorted(CATALOG_SIZES), ids="/".join)
def test_hand_counted_sizes_are_the_documents(key: tuple[str, str]) -> None:
    assert len(_seed_tables()[key]) + len(DOCUMENTED_EXTRAS[key]) == CATALOG_SIZES[key]


# --- lookups: collisions, forms, fallbacks ----------------------------------------------


def test_same_number_means_different_things_per_buka_service() -> None:
    sms = lookup_code("buka", "sms", -4)
    ai_voice = lookup_code("buka", "ai_voice", -4)
    assert sms is not None
    assert ai_voice is not None
    assert "content" in sms.meaning.lower()
    assert "empty" in sms.meaning.lower()
    assert sms.disposition is Disposition.FAIL
    assert ai_voice.disposition is Disposition.RESIGN


@pytest.mark.parametrize("form", [-15, "-15", " -15 "])
def test_int_and_string_codes_give_the_same_row(form: int | str) -> None:
    assert lookup_code("buka", "sms", form) == lookup_code("buka", "sms", -15)
    assert lookup_code("buka", "sms", form) is not None


def test_string_and_int_http_status_give_the_same_row() -> None:
    assert lookup_code("fonedynamics", "rest", "500") == lookup_code("fonedynamics", "rest", 500)


def test_unknown_code_returns_none() -> None:
    assert lookup_code("buka", "sms", -999) is None
    assert lookup_code("nxcloud", "pns", 42424) is None
    assert lookup_code("fonedynamics", "rest", "NO_SUCH_ERROR") is None


def test_unknown_service_raises() -> None:
    with pytest.raises(KeyError, match="no code catalog"):
        lookup_code("buka", "fax", -1)


@pytest.mark.parametrize("service", ["sms", "pns", "whatsapp", "number_check", "voice", "viber", "zalo"])
def test_nxcloud_services_fall_back_to_common(service: str) -> None:
    info = lookup_code("nxcloud", service, 1004)
    assert info is not None
    assert info.service == "common"
    assert info.disposition is Disposition.RESIGN
    assert lookup_code("nxcloud", service, "1003") == lookup_code("nxcloud", "common", 1003)


def test_nxcloud_service_code_wins_over_common() -> None:
    # sms 5 is the send table's own row, never looked up elsewhere
    info = lookup_code("nxcloud", "sms", 5)
    assert info is not None
    assert info.service == "sms"


def test_buka_services_do_not_fall_back_to_each_other() -> None:
    for platform, service in catalogs.services("buka"):
        assert catalogs.catalog(platform, service).falls_back_to == ()
    # -15 exists only in SMS, -3 in SMS and AI voice but not in voice, -67 only in call center
    assert lookup_code("buka", "sms", -15) is not None
    assert lookup_code("buka", "ai_voice", -15) is None
    assert lookup_code("buka", "voice", -3) is None
    assert lookup_code("buka", "email", -67) is None


def test_sms_send_and_sms_report_code_5_differ() -> None:
    send = lookup_code("nxcloud", "sms", 5)
    report = lookup_code("nxcloud", "sms_report", 5)
    assert send is not None
    assert report is not None
    assert send.disposition is Disposition.FAIL
    assert report.disposition is Disposition.RETRY
    assert report.reason is Reason.RATE_LIMITED


# --- dispositions ------------------------------------------------------------------------


@pytest.mark.parametrize("key", ALL_SERVICES, ids="/".join)
def test_every_row_is_well_formed(key: tuple[str, str]) -> None:
    catalog = catalogs.catalog(*key)
    assert catalog.codes, f"{key} is empty"
    for code, info in catalog.codes.items():
        assert info.disposition in {Disposition.RETRY, Disposition.RESIGN, Disposition.FAIL}
        assert (info.platform, info.service, info.code) == (*key, code)
        assert code == code.strip()
        assert len(info.meaning) >= 8, f"{key} {code}: meaning too thin to show a user"
        # a refused request may be repeated; nothing refused can need a fix first
        if info.refused:
            assert info.disposition is Disposition.RETRY
            assert not info.maybe_processed


@pytest.mark.parametrize(
    ("platform", "service", "code", "disposition", "refused"),
    [
        ("buka", "sms", -15, Disposition.RETRY, True),
        ("buka", "sms", -12, Disposition.FAIL, False),
        ("buka", "sms", -18, Disposition.RETRY, False),
        ("buka", "sms", -16, Disposition.RESIGN, False),
        ("buka", "sms", -10, Disposition.FAIL, False),
        ("buka", "sms", -26, Disposition.FAIL, False),
        ("buka", "sms", -27, Disposition.FAIL, False),
        ("buka", "voice", -16, Disposition.RESIGN, False),
        ("buka", "voice", -18, Disposition.RETRY, False),
        ("buka", "voice", -37, Disposition.FAIL, False),
        ("buka", "voice", -47, Disposition.RETRY, False),
        ("buka", "voice", -46, Disposition.FAIL, False),
        ("buka", "email", -6, Disposition.RESIGN, False),
        ("buka", "email", -22, Disposition.RETRY, False),
        ("buka", "email", -23, Disposition.RETRY, False),
        ("buka", "email", -2, Disposition.FAIL, False),
        ("buka", "ai_voice", -4, Disposition.RESIGN, False),
        ("buka", "ai_voice", -5, Disposition.RETRY, False),
        ("buka", "ai_voice", -46, Disposition.RETRY, False),
        ("buka", "ai_voice", -47, Disposition.RETRY, False),
        ("buka", "ai_voice", -52, Disposition.RETRY, True),
        ("buka", "ai_voice", -48, Disposition.FAIL, False),
        ("buka", "call_center", -16, Disposition.RESIGN, False),
        ("buka", "call_center", -18, Disposition.RETRY, False),
        ("buka", "call_center", -67, Disposition.RETRY, True),
        ("nxcloud", "sms", 28, Disposition.RETRY, True),
        ("nxcloud", "sms", 27, Disposition.FAIL, False),
        ("nxcloud", "sms", 26, Disposition.FAIL, False),
        ("nxcloud", "sms", 17, Disposition.RETRY, False),
        ("nxcloud", "sms", 88, Disposition.RETRY, False),
        ("nxcloud", "common", 1003, Disposition.FAIL, False),
        ("nxcloud", "common", 1004, Disposition.RESIGN, False),
        ("nxcloud", "pns", 10005, Disposition.RETRY, False),
        ("nxcloud", "pns", 10010, Disposition.FAIL, False),
        ("nxcloud", "pns", 10013, Disposition.FAIL, False),
        ("nxcloud", "voice", 28, Disposition.RETRY, True),
        ("nxcloud", "voice", 29, Disposition.FAIL, False),
        ("nxcloud", "voice", 15002, Disposition.RETRY, False),
        ("nxcloud", "number_check", 206, Disposition.RETRY, False),
        ("nxcloud", "number_check", 266, Disposition.FAIL, False),
        ("nxcloud", "number_check", 88, Disposition.FAIL, False),
        ("nxcloud", "whatsapp", 9099, Disposition.FAIL, False),
        ("nxcloud", "whatsapp", 9007, Disposition.RETRY, False),
        ("nxcloud", "viber", 9999, Disposition.RETRY, False),
        ("nxcloud", "zalo", 9001, Disposition.RETRY, False),
        ("nxcloud", "zalo", 9003, Disposition.FAIL, False),
        ("nxcloud", "zalo", 17004, Disposition.FAIL, False),
        ("fonedynamics", "rest", 401, Disposition.FAIL, False),
        # a gateway may answer 503 after forwarding: only a throttle proves a send was refused
        ("fonedynamics", "rest", 503, Disposition.RETRY, False),
        ("fonedynamics", "rest", 429, Disposition.RETRY, True),
        ("buka", "http", 503, Disposition.RETRY, False),
        ("buka", "http", 429, Disposition.RETRY, True),
        ("nxcloud", "http", 503, Disposition.RETRY, False),
        ("nxcloud", "http", 429, Disposition.RETRY, True),
        ("fonedynamics", "rest", "PARAMETER_REQUIRED", Disposition.FAIL, False),
        ("fonedynamics", "rest", "NUMBER_ALLOCATION_FAILED", Disposition.FAIL, False),
    ],
)
def test_disposition_decisions(
    platform: str, service: str, code: int | str, disposition: Disposition, refused: bool
) -> None:
    info = lookup_code(platform, service, code)
    assert info is not None
    assert info.disposition is disposition
    assert info.refused is refused


@pytest.mark.parametrize("key", ALL_SERVICES, ids="/".join)
def test_no_5xx_row_proves_a_send_was_refused(key: tuple[str, str]) -> None:
    """A gateway may answer any 5xx after it forwarded the request: a send meeting one is in doubt."""
    for code, info in catalogs.catalog(*key).codes.items():
        if code.isdigit() and 500 <= int(code) < 600:
            assert info.disposition is Disposition.RETRY, f"{key} {code}"
            assert info.maybe_processed and not info.refused, f"{key} {code}"


def test_fonedynamics_500_may_have_been_processed() -> None:
    info = lookup_code("fonedynamics", "rest", 500)
    assert info is not None
    assert info.disposition is Disposition.RETRY
    assert info.maybe_processed is True
    assert info.refused is False


def test_meanings_carry_the_guidance_users_need() -> None:
    exhausted = lookup_code("nxcloud", "pns", 10010)
    no_binding = lookup_code("nxcloud", "pns", 10013)
    meta = lookup_code("nxcloud", "whatsapp", 9099)
    assert exhausted is not None
    assert no_binding is not None
    assert meta is not None
    assert "buy" in exhausted.meaning and "release" in exhausted.meaning
    assert "A/X or B/X" in no_binding.meaning
    assert "data.error" in meta.meaning


def test_codes_left_out_on_purpose() -> None:
    # NXCloud voice 78 is truncated in the vendor's page; inventing a meaning would mislead
    assert lookup_code("nxcloud", "voice", 78) is None


# --- the registry ------------------------------------------------------------------------


def test_services_are_exactly_the_registered_ones() -> None:
    assert catalogs.services() == ALL_SERVICES
    assert catalogs.services("fonedynamics") == [("fonedynamics", "rest")]


@pytest.mark.parametrize("platform", ["nxcloud", "buka"])
def test_http_catalog_is_the_shared_status_table(platform: str) -> None:
    table = catalogs.catalog(platform, "http").codes
    assert {code: (info.meaning, info.reason) for code, info in table.items()} == {
        str(code): (meaning, reason) for code, meaning, reason in HTTP_STATUS_ROWS
    }
