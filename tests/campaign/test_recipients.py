"""Recipients: sources, streaming, normalization, validation and batching."""

from __future__ import annotations

import itertools
import os
import re
import threading
import time
from pathlib import Path

import pytest

from airflow_provider_nxcloud.campaign.recipients import (
    PLATFORM_FORMATS,
    SAMPLE_SIZE,
    Entry,
    InvalidNumber,
    NumberFormat,
    Recipient,
    Skipped,
    ValidationReport,
    chunked,
    normalize_number,
    open_messages,
    open_recipients,
    spool_recipients,
    validate_recipients,
    with_lines,
)
from airflow_provider_nxcloud.campaign.recipients.validation import CHUNK as VALIDATION_CHUNK
from airflow_provider_nxcloud.exceptions import InvalidInputError

SG1, SG2, SG3 = "6591234567", "6591234568", "6581234567"


def checked(entries, fmt, **options) -> ValidationReport:
    """The report of the one pass before sending (the spool it fills is removed at once)."""
    with spool_recipients(entries, fmt, **options) as spool:
        return spool.report


def write(path: Path, text: str, encoding: str = "utf-8") -> Path:
    path.write_text(text, encoding=encoding)
    return path


def counting(items):
    """A generator over ``items`` that counts how many were pulled."""
    pulled = [0]

    def generate():
        for item in items:
            pulled[0] += 1
            yield item

    return generate(), pulled


# --- sources -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "source",
    [
        [SG1, SG2],
        (SG1, SG2),
        [int(SG1), int(SG2)],
        [f"  {SG1} ", "", "# a comment", SG2],
        f"{SG1}, {SG2}",
        f"{SG1},,{SG2},",
        f"{SG1}\n{SG2}\n",
    ],
    ids=["list", "tuple", "ints", "blanks-and-comments", "comma-string", "empty-items", "line-breaks"],
)
def test_in_memory_sources(source):
    assert list(open_recipients(source)) == [SG1, SG2]


def test_generator_source():
    assert list(open_recipients(n for n in (SG1, SG2))) == [SG1, SG2]


def test_single_number_string():
    assert list(open_recipients("+65 9123 4567")) == ["+65 9123 4567"]


def test_list_entries_remember_their_position():
    assert [entry.line for entry in open_recipients(["", SG1, "#x", SG2])] == [2, 4]


@pytest.fixture
def numbers_file(tmp_path: Path) -> Path:
    return write(tmp_path / "r.txt", f"{SG1}\n{SG2}\n")


def test_str_path(numbers_file):
    assert list(open_recipients(str(numbers_file))) == [SG1, SG2]


def test_pathlib_path(numbers_file):
    assert list(open_recipients(numbers_file)) == [SG1, SG2]


def test_relative_path(numbers_file, monkeypatch):
    monkeypatch.chdir(numbers_file.parent)
    assert list(open_recipients("./r.txt")) == [SG1, SG2]
    monkeypatch.chdir(numbers_file.parent / "..")
    assert list(
        open_recipients(f"../{numbers_file.parent.parent.name}/{numbers_file.parent.name}/r.txt")
    ) == [
        SG1,
        SG2,
    ]


def test_home_path(numbers_file, monkeypatch):
    monkeypatch.setenv("HOME", str(numbers_file.parent))
    assert list(open_recipients("~/r.txt")) == [SG1, SG2]


def test_file_url_through_object_storage(numbers_file):
    assert list(open_recipients(f"file://{numbers_file}")) == [SG1, SG2]


def test_object_storage_path_instance(numbers_file):
    from airflow.sdk import ObjectStoragePath

    assert list(open_recipients(ObjectStoragePath(f"file://{numbers_file}"))) == [SG1, SG2]


def test_file_with_bom_comments_blanks_and_csv_columns(tmp_path):
    path = tmp_path / "export.csv"
    path.write_bytes(
        f'\ufeffphone,name\n{SG1},Alice\n\n# paused: 6591234599\n"{SG2}","Bob, Jr."\n  {SG3}  \r\n'.encode()
    )
    entries = list(open_recipients(path))
    assert entries == [SG1, SG2, SG3]
    assert [line for line, _ in with_lines(entries)] == [2, 5, 6]
    # each entry after a gap says its line; one right after the previous entry's need not
    assert [type(entry) for entry in entries] == [Entry, Entry, str]


def test_bom_without_header(tmp_path):
    path = tmp_path / "bom.txt"
    path.write_bytes(f"\ufeff{SG1}\n".encode())
    assert list(open_recipients(path)) == [SG1]


def test_only_the_first_row_can_be_a_header(tmp_path):
    path = write(tmp_path / "r.csv", f"{SG1}\nphone\n")
    assert list(open_recipients(path)) == [SG1, "phone"]


# --- streaming -----------------------------------------------------------------------------


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs a named pipe")
def test_file_is_streamed_not_read_whole(tmp_path):
    """A 200,000-line file fed through a pipe: the writer can only get ahead by what the pipe buffers."""
    fifo = tmp_path / "recipients.fifo"
    os.mkfifo(fifo)
    total = 200_000
    written = [0]

    def feed():
        try:
            with fifo.open("w") as pipe:
                for n in range(total):
                    pipe.write(f"65{81000000 + n}\n")
                    written[0] += 1
        except BrokenPipeError:
            pass

    writer = threading.Thread(target=feed, daemon=True)
    writer.start()
    stream = open_recipients(str(fifo))
    first = list(itertools.islice(stream, 5))
    time.sleep(0.2)  # let the writer run as far ahead as the pipe lets it

    assert first == [f"65{81000000 + n}" for n in range(5)]
    assert written[0] < total // 10
    stream.close()
    writer.join(timeout=5)
    assert not writer.is_alive()


def test_generator_source_is_pulled_lazily():
    # validation reads one chunk of entries ahead (checked at once when they are plain), no more
    source, pulled = counting(itertools.repeat(SG1, 1_000_000))
    recipients = validate_recipients(open_recipients(source), NumberFormat.DIGITS)
    assert next(recipients).number == SG1
    assert pulled[0] <= VALIDATION_CHUNK + 1


def test_file_is_opened_only_when_read(tmp_path):
    stream = open_recipients(tmp_path / "later.txt")
    write(tmp_path / "later.txt", SG1)
    assert list(stream) == [SG1]


# --- source errors -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("source", "problem"),
    [
        (None, "no recipients given"),
        (6591234567, "not int"),
        (b"6591234567", "bytes"),
        ({"to": SG1}, "mapping"),
        ([SG1, None], "entry 2 is a NoneType"),
        ([SG1, 6591234567.0], "entry 2 is a float"),
        ([True], "entry 1 is a bool"),
    ],
)
def test_unusable_sources_name_the_parameter(source, problem):
    with pytest.raises(InvalidInputError) as error:
        list(open_recipients(source, parameter="to_numbers"))
    assert error.value.parameter == "to_numbers"
    assert problem in error.value.problem


def test_wrong_type_is_rejected_at_once():
    with pytest.raises(InvalidInputError):
        open_recipients(object())


@pytest.mark.parametrize("source", [[], (), "", " , ,", iter([]), ["", "# only a comment"]])
def test_empty_sources_say_no_recipients(source):
    stream = open_recipients(source)
    with pytest.raises(InvalidInputError, match="no recipients"):
        list(stream)


def test_empty_file_says_no_recipients_and_names_it(tmp_path):
    path = write(tmp_path / "empty.txt", "# nobody yet\n\n")
    with pytest.raises(InvalidInputError) as error:
        list(open_recipients(path))
    assert "no recipients" in str(error.value)
    assert str(path) in str(error.value)


def test_empty_stream_raises_only_after_the_entries():
    stream = open_recipients([SG1])
    assert next(stream) == SG1
    with pytest.raises(StopIteration):
        next(stream)


@pytest.mark.parametrize("kind", ["str", "path", "url"])
def test_missing_file_names_the_path(tmp_path, kind):
    path = tmp_path / "missing.txt"
    source = {"str": str(path), "path": path, "url": f"file://{path}"}[kind]
    with pytest.raises(InvalidInputError) as error:
        list(open_recipients(source))
    assert error.value.parameter == "recipients"
    assert str(path) in error.value.problem
    assert "no such file" in error.value.problem


def test_a_directory_cannot_be_read(tmp_path):
    with pytest.raises(InvalidInputError, match="cannot read"):
        list(open_recipients(tmp_path))


def test_unknown_url_scheme_cannot_be_read():
    with pytest.raises(InvalidInputError, match=re.escape("cannot read nosuchscheme://bucket/r.txt")):
        list(open_recipients("nosuchscheme://bucket/r.txt"))


def test_url_password_is_not_shown():
    with pytest.raises(InvalidInputError) as error:
        list(open_recipients("nosuchscheme://user:hunter2@host/r.txt"))
    assert "hunter2" not in str(error.value)
    assert "user:***@host" in str(error.value)


def test_undecodable_file_does_not_show_its_bytes(tmp_path):
    path = tmp_path / "latin1.txt"
    path.write_bytes(f"{SG1}\nJos\xe9 6591234999\n".encode("latin-1"))
    with pytest.raises(InvalidInputError) as error:
        list(open_recipients(path))
    assert "not UTF-8" in str(error.value)
    assert "6591234999" not in str(error.value)
    assert "Jos" not in str(error.value)
    assert error.value.__cause__ is None and error.value.__suppress_context__


# --- normalization -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "region", "e164"),
    [
        ("+65 9123 4567", None, "+6591234567"),
        ("0065 9123 4567", None, "+6591234567"),
        ("6591234567", None, "+6591234567"),
        ("(+65) 9123-4567", None, "+6591234567"),
        ("9123 4567", "SG", "+6591234567"),
        ("6591234567", "SG", "+6591234567"),
        ("0065 9123 4567", "SG", "+6591234567"),
        ("+61 491 570 156", None, "+61491570156"),
        ("61491570156", None, "+61491570156"),
        ("0491 570 156", "AU", "+61491570156"),
        ("+86 138 0013 8000", None, "+8613800138000"),
        ("138 0013 8000", "CN", "+8613800138000"),
        ("+1 650 253 0000", None, "+16502530000"),
        ("(650) 253-0000", "US", "+16502530000"),
        ("1-650-253-0000", None, "+16502530000"),
        # a region does not override an explicit country code
        ("+61 491 570 156", "SG", "+61491570156"),
        # nor a bare international number that is no valid national one
        ("61491570156", "SG", "+61491570156"),
    ],
)
def test_normalize_to_each_format(raw, region, e164):
    assert normalize_number(raw, NumberFormat.E164, default_region=region) == e164
    assert normalize_number(raw, NumberFormat.DIGITS, default_region=region) == e164[1:]


def test_format_may_be_given_by_value():
    assert normalize_number("+65 9123 4567", "digits") == SG1


def test_vendor_formats():
    assert PLATFORM_FORMATS == {
        "fonedynamics": NumberFormat.E164,
        "buka": NumberFormat.DIGITS,
        "nxcloud": NumberFormat.DIGITS,
    }


@pytest.mark.parametrize(
    ("raw", "region", "reason"),
    [
        ("abc", None, "not a phone number"),
        ("abc", "SG", "not a phone number"),
        ("123", None, "too short"),
        ("123", "SG", "too short"),
        ("+1 000", None, "too short"),
        ("+65 9123 4567 8901 2345 6789", None, "too long"),
        ("1234567890123456", None, "too long"),
        ("+65 1234 5678", None, "invalid for its country"),
        ("+999 1234 5678", None, "no or unknown country code"),
        ("91 2345", "SG", "too short"),
    ],
)
def test_rejection_reasons(raw, region, reason):
    with pytest.raises(InvalidNumber) as error:
        normalize_number(raw, NumberFormat.E164, default_region=region)
    assert error.value.raw == raw
    assert error.value.reason == reason
    assert isinstance(error.value, ValueError)


def test_national_number_needs_a_region():
    with pytest.raises(InvalidNumber):
        normalize_number("9123 4567", NumberFormat.E164)


# --- validation ----------------------------------------------------------------------------


def test_valid_recipients_keep_raw_and_line():
    recipients = list(validate_recipients(open_recipients(["+65 9123 4567", "", SG2]), "digits"))
    assert recipients == [Recipient(SG1, "+65 9123 4567", 1), Recipient(SG2, SG2, 3)]
    assert type(recipients[0].raw) is str
    with pytest.raises(AttributeError):
        recipients[0].number = SG2  # type: ignore[misc]


def test_fail_raises_at_the_first_invalid_entry_without_the_number():
    recipients = validate_recipients([SG1, SG2, "6512345678", "abc"], "e164", parameter="to")
    # a chunk of entries is checked whole: none of it is given before its invalid entry fails
    with pytest.raises(InvalidInputError) as error:
        next(recipients)
    assert error.value.parameter == "to"
    assert error.value.problem == "entry 3: invalid for its country"
    assert "6512345678" not in str(error.value)
    # a traceback would print the InvalidNumber (and the number) it was raised from
    assert error.value.__context__ is None


def test_fail_names_the_file_line(tmp_path):
    path = write(tmp_path / "r.txt", f"# header comment\n{SG1}\n\n6512345678\n")
    with pytest.raises(InvalidInputError, match="entry 4: invalid for its country"):
        checked(open_recipients(path), NumberFormat.DIGITS)


def test_the_pass_fails_before_anything_is_sent():
    sent = []
    entries = [SG1, "abc", SG2]
    with pytest.raises(InvalidInputError, match="entry 2: not a phone number"):
        checked(entries, NumberFormat.DIGITS)
        sent.extend(validate_recipients(entries, NumberFormat.DIGITS))
    assert sent == []


def test_the_pass_counts_everything():
    report = checked([SG1, "abc", SG2, "+65 9123 4567"], "digits", on_invalid="skip")
    assert (report.valid, report.invalid, report.duplicates, report.skipped) == (2, 1, 1, 2)
    assert report.summary() == "2 valid, 1 invalid, 1 duplicate"


def test_skip_drops_and_records_invalid_entries():
    report = ValidationReport()
    entries = [SG1, "abc", "123", SG2]
    recipients = list(validate_recipients(entries, "digits", on_invalid="skip", report=report))
    assert [r.number for r in recipients] == [SG1, SG2]
    assert (report.valid, report.invalid, report.duplicates) == (2, 2, 0)
    assert report.sample == [Skipped(2, "abc", "not a phone number"), Skipped(3, "123", "too short")]


def test_duplicates_are_dropped_in_either_mode():
    entries = ["+65 9123 4567", SG2, "0065 9123 4567", SG1]
    for mode in ("fail", "skip"):
        report = ValidationReport()
        recipients = list(validate_recipients(entries, "e164", on_invalid=mode, report=report))
        assert [r.line for r in recipients] == [1, 2]
        assert report.duplicates == 2
        assert report.sample == [Skipped(3, "0065 9123 4567", "duplicate"), Skipped(4, SG1, "duplicate")]


def test_allowed_regions():
    entries = [SG1, "+60 12 345 6789", "+61 491 570 156"]
    report = ValidationReport()
    kept = validate_recipients(
        entries, "e164", on_invalid="skip", allowed_regions={"sg", "MY"}, report=report
    )
    assert [r.number for r in kept] == ["+6591234567", "+60123456789"]
    assert report.sample == [Skipped(3, "+61 491 570 156", "country AU is not allowed")]
    with pytest.raises(InvalidInputError, match="entry 3: country AU is not allowed"):
        checked(entries, "e164", allowed_regions=["SG", "MY"])


def test_default_region_applies_to_national_numbers():
    recipients = validate_recipients(["9123 4567", "+61 491 570 156"], "digits", default_region="sg")
    assert [r.number for r in recipients] == [SG1, "61491570156"]


def test_report_sample_is_bounded():
    entries = itertools.chain((f"bad{n}" for n in range(1_000)), [SG1])
    report = checked(entries, "digits", on_invalid="skip")
    assert (report.valid, report.invalid) == (1, 1_000)
    assert len(report.sample) == SAMPLE_SIZE == 100
    assert report.sample[0] == Skipped(1, "bad0", "not a phone number")
    assert report.sample[-1].line == 100


def test_no_valid_recipient_is_an_error():
    with pytest.raises(InvalidInputError, match="no valid recipients among 2 entries"):
        checked(["abc", "123"], "digits", on_invalid="skip")


def test_no_entries_is_an_error():
    with pytest.raises(InvalidInputError, match="no recipients"):
        list(validate_recipients([], "digits"))


@pytest.mark.parametrize(
    ("kwargs", "parameter"),
    [
        ({"on_invalid": "ignore"}, "on_invalid"),
        ({"default_region": "Singapore"}, "default_region"),
        ({"allowed_regions": ["SG", "XX"]}, "allowed_regions"),
        ({"fmt": "national"}, "fmt"),
    ],
)
def test_bad_arguments_are_rejected_at_once(kwargs, parameter):
    arguments = {"fmt": "digits", **kwargs}
    with pytest.raises(InvalidInputError) as error:
        validate_recipients([SG1], **arguments)
    assert error.value.parameter == parameter


# --- batching ------------------------------------------------------------------------------


def test_chunk_sizes():
    assert [len(chunk) for chunk in chunked(range(2_501), 1_000)] == [1_000, 1_000, 501]
    assert list(chunked([], 3)) == []
    assert list(chunked("abcde", 2)) == [["a", "b"], ["c", "d"], ["e"]]


def test_chunks_are_read_lazily():
    source, pulled = counting(itertools.count())
    chunks = chunked(source, 3)
    assert pulled[0] == 0
    assert next(chunks) == [0, 1, 2]
    assert pulled[0] == 3


@pytest.mark.parametrize("size", [0, -1])
def test_chunk_size_must_be_positive(size):
    with pytest.raises(ValueError, match="at least 1"):
        chunked([1], size)


def test_file_to_batches(tmp_path):
    path = write(tmp_path / "r.txt", "\n".join(f"65{81000000 + n}" for n in range(5)) + "\n")
    batches = chunked(validate_recipients(open_recipients(path), NumberFormat.E164), 2)
    assert [[r.number for r in batch] for batch in batches] == [
        ["+6581000000", "+6581000001"],
        ["+6581000002", "+6581000003"],
        ["+6581000004"],
    ]


# --- personalised sources ------------------------------------------------------------------


def test_open_messages_reads_dicts_jsonl_and_csv(tmp_path):
    jsonl = write(
        tmp_path / "m.jsonl", f'{{"number": "{SG1}", "text": "a, b"}}\n\n{{"number": {SG2}, "text": "c"}}\n'
    )
    csv_file = write(tmp_path / "m.csv", f'\ufeffnumber,text\n{SG1}, "a, b"\n# comment\n{SG2},c\n')
    for source in (
        [{"number": SG1, "text": "a, b"}, {"number": int(SG2), "text": "c"}],
        str(jsonl),
        str(csv_file),
    ):
        entries = list(open_messages(source))
        assert [(str(e), e.content) for e in entries] == [(SG1, "a, b"), (SG2, "c")]
    assert [e.line for e in open_messages(str(csv_file))] == [2, 4]


def test_recipient_carries_its_entry_content():
    recipients = list(
        validate_recipients(open_messages([{"number": SG1, "text": "hi"}]), NumberFormat.DIGITS)
    )
    assert recipients == [Recipient(SG1, SG1, 1, "hi")]


@pytest.mark.parametrize(
    ("source", "message"),
    [
        ([{"number": SG1, "text": "a"}, {"number": SG2}], "recipients: entry 2 has no text"),
        ([{"number": SG1, "text": "a"}, {"number": SG2, "text": " "}], "recipients: entry 2 has no text"),
        ([{"number": SG1, "text": "a"}, {"text": "b"}], "recipients: entry 2 has no number"),
        ([{"number": SG1, "text": 5}], "recipients: entry 1: text is a int"),
        ([SG1, SG2], "text: is not given"),
        (f"{SG1},{SG2}", "text: is not given"),
    ],
)
def test_open_messages_errors_name_the_entry_not_its_value(source, message):
    with pytest.raises(InvalidInputError) as failed:
        list(open_messages(source))
    assert str(failed.value).startswith(message)
    assert SG2 not in str(failed.value)


def test_open_messages_bad_json_line_names_the_line(tmp_path):
    source = write(tmp_path / "m.jsonl", f'{{"number": "{SG1}", "text": "a"}}\n{{"number": "{SG2}", \n')
    with pytest.raises(InvalidInputError, match=r"^recipients: line 2 is not a JSON object$"):
        list(open_messages(str(source)))
