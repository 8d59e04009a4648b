"""The one pass: every entry checked once, the valid ones spooled, and the send pass reads the spool."""

from __future__ import annotations

import gc
import os
from pathlib import Path

import pytest

from airflow_provider_nxcloud.campaign.recipients import (
    NumberFormat,
    PlainRun,
    Recipient,
    open_messages,
    open_recipients,
    spool_recipients,
    validate_recipients,
)
from airflow_provider_nxcloud.campaign.recipients.spool import sized
from airflow_provider_nxcloud.exceptions import InvalidInputError

MIXED = [
    "6591234567",  # fast path
    "+61412345678",  # fast path, with a plus
    "12345",  # invalid
    "+65 9123 4568",  # valid, parsed by phonenumbers (spaces)
    "6591234567",  # duplicate
    "0065 9123 4569",  # valid, an international prefix
    "447911123456",
]


def open_descriptors() -> int:
    return len(os.listdir("/proc/self/fd"))


@pytest.mark.parametrize("fmt", list(NumberFormat))
def test_the_spool_holds_what_validating_lazily_gives(fmt):
    with spool_recipients(MIXED, fmt, on_invalid="skip") as spool:
        spooled = list(spool)
    assert spooled == list(validate_recipients(MIXED, fmt, on_invalid="skip"))
    assert len(spooled) == 5
    assert (spool.report.valid, spool.report.invalid, spool.report.duplicates) == (5, 1, 1)


def test_lines_raw_text_and_own_texts_survive_the_spool(tmp_path):
    path = tmp_path / "messages.jsonl"
    path.write_text(
        "# comment\n"
        '{"number": "6591234567", "text": "line one\\nline two, with a comma"}\n'
        '{"number": "+65 9123 4568", "text": "[bracketed] \\u00e9"}\n'
        '{"number": "6591234569", "text": "\\"quoted\\""}\n',
        encoding="utf-8",
    )
    with spool_recipients(open_messages(str(path)), NumberFormat.DIGITS) as spool:
        spooled = list(spool)
    assert spooled == [
        Recipient("6591234567", "6591234567", 2, "line one\nline two, with a comma"),
        Recipient("6591234568", "+65 9123 4568", 3, "[bracketed] \u00e9"),
        Recipient("6591234569", "6591234569", 4, '"quoted"'),
    ]


def test_plain_numbers_keep_their_lines_after_gaps_and_a_header(tmp_path):
    path = tmp_path / "numbers.csv"
    path.write_text("phone,name\n6591234567,a\n\n6591234568,b\nabc,c\n6591234569,d\n", encoding="utf-8")
    with spool_recipients(open_recipients(path), NumberFormat.E164, on_invalid="skip") as spool:
        assert [(r.number, r.line) for r in spool] == [
            ("+6591234567", 2),
            ("+6591234568", 4),
            ("+6591234569", 6),
        ]
        assert spool.report.sample[0].line == 5


def test_the_send_pass_sends_what_was_checked_even_if_the_source_changes(tmp_path):
    """The source is read once: editing it after the check changes nothing that is sent."""
    path = tmp_path / "numbers.txt"
    path.write_text("6591234567\n6591234568\n", encoding="utf-8")
    with spool_recipients(open_recipients(path), NumberFormat.DIGITS) as spool:
        path.write_text("not a number\n6599999999\n6591234570\n", encoding="utf-8")
        assert [r.number for r in spool] == ["6591234567", "6591234568"]


def test_fail_raises_in_the_pass_and_leaves_no_file_open():
    before = open_descriptors()
    with pytest.raises(InvalidInputError, match="recipients: entry 3: too short"):
        spool_recipients(MIXED, NumberFormat.DIGITS)
    gc.collect()
    assert open_descriptors() == before


def test_drain_reads_once_and_removes_the_file():
    before = open_descriptors()
    spool = spool_recipients(MIXED, NumberFormat.DIGITS, on_invalid="skip")
    assert open_descriptors() == before + 1
    assert [r.number for r in spool.drain()][:2] == ["6591234567", "61412345678"]
    assert open_descriptors() == before
    with pytest.raises(ValueError, match="closed file"):
        list(spool)


def test_a_spool_can_be_read_again_until_it_is_closed():
    with spool_recipients(MIXED, NumberFormat.DIGITS, on_invalid="skip") as spool:
        first = list(spool)
        assert list(spool) == first


def test_the_spool_is_not_in_memory(tmp_path):
    """A million numbers would be ~12 MB in the spool's file, not in the process."""
    entries = (str(6590000000 + n) for n in range(20_000))
    with spool_recipients(entries, NumberFormat.DIGITS) as spool:
        assert spool.count == 20_000
        assert len(list(spool)) == 20_000  # read back, so the file has all of them
        size = os.fstat(spool._file.fileno()).st_size
    assert size == 20_000 * len("6590000000\n")


def test_an_unordered_source_is_still_refused_before_the_pass():
    with pytest.raises(InvalidInputError, match="recipients: a set has no stable order"):
        spool_recipients(open_recipients({"6591234567"}), NumberFormat.DIGITS)


def test_unlinked_from_the_start(tmp_path, monkeypatch):
    """Nothing is left on disk if the process dies mid-campaign: the file has no name."""
    monkeypatch.setenv("TMPDIR", str(tmp_path))
    import tempfile

    monkeypatch.setattr(tempfile, "tempdir", None)
    with spool_recipients(MIXED, NumberFormat.DIGITS, on_invalid="skip"):
        assert list(Path(tmp_path).iterdir()) == []


def test_chunks_checked_at_once_give_what_checking_each_gives(tmp_path):
    """A long plain file takes the one-scan path; its recipients, lines and report are those of
    the entry-by-entry path (the E164 format checks each entry), gaps, duplicates and all."""
    numbers = [f"659{1000000 + n}" for n in range(9_000)]
    numbers[5_000] = "659123"  # invalid: its chunk is checked entry by entry
    numbers[7_000] = numbers[6_999]  # a duplicate
    path = tmp_path / "numbers.txt"
    path.write_text("phone\n" + "\n".join(numbers) + "\n", encoding="utf-8")
    with spool_recipients(open_recipients(path), NumberFormat.DIGITS, on_invalid="skip") as spool:
        spooled = [(r.number, r.raw, r.line, r.content) for r in spool]
        report = spool.report
    each = [
        (r.number[1:], r.raw, r.line, r.content)
        for r in validate_recipients(open_recipients(path), NumberFormat.E164, on_invalid="skip")
    ]
    assert spooled == each
    assert len(spooled) == 8_998 and spooled[-1] == (numbers[-1], numbers[-1], 9_001, None)
    assert (report.valid, report.invalid, report.duplicates) == (8_998, 1, 1)
    assert [(s.line, s.reason) for s in report.sample] == [(5_002, "too short"), (7_002, "duplicate")]


def test_a_duplicate_across_chunks_is_still_found():
    numbers = [f"659{1000000 + n}" for n in range(5_000)] + ["6591000007"]
    with spool_recipients(numbers, NumberFormat.DIGITS, on_invalid="skip") as spool:
        assert spool.count == 5_000
        assert spool.report.duplicates == 1
        assert spool.report.sample[0].line == 5_001
    with pytest.raises(InvalidInputError, match="entry 5001"):
        spool_recipients([*numbers[:-1], "659123"], NumberFormat.DIGITS)


def _gapped_file(tmp_path: Path) -> Path:
    """30,000 numbers (several of the spool's read blocks) with blank lines here and there, so
    some spooled lines say their own line (JSON) and the rest follow their neighbour."""
    lines = []
    for n in range(30_000):
        if n % 7_001 == 0:
            lines.append("")
        lines.append(f"659{1000000 + n}")
    path = tmp_path / "numbers.txt"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


@pytest.mark.parametrize("size", [1, 7, 1000, 4096, 100_000])
def test_chunks_hold_what_reading_one_by_one_gives(tmp_path, size):
    path = _gapped_file(tmp_path)
    with spool_recipients(open_recipients(path), NumberFormat.DIGITS) as spool:
        one_by_one = list(spool)
    before = open_descriptors()
    spool = spool_recipients(open_recipients(path), NumberFormat.DIGITS)
    chunks = list(spool.chunks(size))
    assert open_descriptors() == before  # read once: the file went when the chunks ended
    assert [len(chunk) for chunk in chunks[:-1]] == [size] * (len(chunks) - 1)
    assert 0 < len(chunks[-1]) <= size
    assert [recipient for chunk in chunks for recipient in chunk] == one_by_one
    assert one_by_one[7_001] == Recipient("6591007001", "6591007001", 7_004)  # after two blank lines
    # the usual chunk is a run of plain lines: its numbers are there as they are, no tuple made
    runs = [chunk for chunk in chunks if isinstance(chunk, PlainRun)]
    assert len(runs) >= len(chunks) - 5
    assert all(run.values == [r.number for r in run] for run in runs)


def test_a_plain_run_reads_as_the_recipients_it_stands_for():
    run = PlainRun(["6591000001", "6591000002", "6591000003"], 10)
    expected = [Recipient(f"659100000{n}", f"659100000{n}", 9 + n) for n in (1, 2, 3)]
    assert list(run) == expected and run == expected and len(run) == 3
    assert (run[0], run[-1]) == (expected[0], expected[-1])
    assert run[1:] == PlainRun(["6591000002", "6591000003"], 11) == expected[1:]
    assert run != PlainRun(run.values, 11)
    with pytest.raises(IndexError):
        run[3]


def test_runs_of_consecutive_lines_join_into_one_run_and_others_into_a_list():
    first, second = PlainRun(["6591000001"], 1), PlainRun(["6591000002", "6591000003"], 2)
    (joined,) = sized([first, second], 3)
    assert isinstance(joined, PlainRun) and joined == PlainRun([*first.values, *second.values], 1)
    apart = PlainRun(["6591000009"], 9)
    (mixed,) = sized([first, apart], 2)
    assert type(mixed) is list and mixed == [first[0], apart[0]]
    assert [list(chunk) for chunk in sized([second, apart], 2)] == [list(second), list(apart)]


def test_numbers_under_a_csv_header_are_checked_and_read_back_as_runs(tmp_path):
    """The usual export: a header, then a number a line. Only the first number says its line;
    every chunk read back is a run of plain lines, on the lines the file has them."""
    numbers = [f"659{1000000 + n}" for n in range(10_000)]
    path = tmp_path / "numbers.csv"
    path.write_text("phone\n" + "\n".join(numbers) + "\n", encoding="utf-8")
    spool = spool_recipients(open_recipients(path), NumberFormat.DIGITS)
    spooled = spool._file
    spooled.seek(0)
    assert sum(line.startswith("[") for line in spooled) == 1
    chunks = list(spool.chunks(1000))
    assert all(isinstance(chunk, PlainRun) for chunk in chunks)
    assert [(chunk.first_line, chunk.values) for chunk in chunks[:2]] == [
        (2, numbers[:1000]),
        (1002, numbers[1000:2000]),
    ]


def test_a_duplicate_in_the_first_chunk_under_a_header_keeps_every_line(tmp_path):
    """The chunk under the header is vouched for but holds a duplicate, so it is checked entry by
    entry: its first entry still says its own line (2), and so do the rest."""
    numbers = [f"659{1000000 + n}" for n in range(10)]
    numbers[5] = numbers[4]
    path = tmp_path / "numbers.csv"
    path.write_text("phone\n" + "\n".join(numbers) + "\n", encoding="utf-8")
    with spool_recipients(open_recipients(path), NumberFormat.DIGITS, on_invalid="skip") as spool:
        assert [(r.number, r.line) for r in spool][:2] == [(numbers[0], 2), (numbers[1], 3)]
        assert [r.line for r in spool][-1] == 11
        assert [(s.line, s.reason) for s in spool.report.sample] == [(7, "duplicate")]
