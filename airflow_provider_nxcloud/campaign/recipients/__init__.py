"""A campaign's ``recipients`` parameter, turned into valid, vendor-formatted numbers.

The public names, by concern:

* :mod:`.sources`: opening a source (a list, comma-separated text, a file, a URL or an
  ``ObjectStoragePath``) as a stream of raw entries;
* :mod:`.entries`: list items and file lines as entries (:class:`Entry` when one needs
  to remember its line or its own text);
* :mod:`.numbers`: parsing, checking and writing numbers in a vendor's format;
  :mod:`.international`: the fast path for numbers already written as international digits;
* :mod:`.validation`: the pass that keeps valid, distinct recipients and reports the rest,
  lazily or into a :class:`RecipientSpool` (:mod:`.spool`) that the send pass reads;
* :mod:`.chunks`: lists of at most so many recipients.
"""

from __future__ import annotations

from airflow_provider_nxcloud.campaign.recipients.chunks import chunked
from airflow_provider_nxcloud.campaign.recipients.entries import Entry, content_of, last_line, with_lines
from airflow_provider_nxcloud.campaign.recipients.international import accept_international
from airflow_provider_nxcloud.campaign.recipients.numbers import (
    INTERNATIONAL_DIGITS,
    PLATFORM_FORMATS,
    InvalidNumber,
    NumberFormat,
    country_and_national,
    format_number,
    normalize_number,
    parse_number,
)
from airflow_provider_nxcloud.campaign.recipients.recipient import (
    SAMPLE_SIZE,
    PlainRun,
    Recipient,
    Skipped,
    ValidationReport,
)
from airflow_provider_nxcloud.campaign.recipients.sources import (
    is_object_storage_path,
    open_messages,
    open_recipients,
    redacted_location,
    source_location,
    storage_path_of,
)
from airflow_provider_nxcloud.campaign.recipients.spool import RecipientSpool
from airflow_provider_nxcloud.campaign.recipients.validation import (
    ON_INVALID,
    Check,
    spool_recipients,
    spool_valid,
    validate_recipients,
    validated_stream,
)

__all__ = [
    "INTERNATIONAL_DIGITS",
    "ON_INVALID",
    "PLATFORM_FORMATS",
    "SAMPLE_SIZE",
    "Check",
    "Entry",
    "InvalidNumber",
    "NumberFormat",
    "PlainRun",
    "Recipient",
    "RecipientSpool",
    "Skipped",
    "ValidationReport",
    "accept_international",
    "chunked",
    "content_of",
    "country_and_national",
    "format_number",
    "is_object_storage_path",
    "last_line",
    "normalize_number",
    "open_messages",
    "open_recipients",
    "parse_number",
    "redacted_location",
    "source_location",
    "spool_recipients",
    "spool_valid",
    "storage_path_of",
    "validate_recipients",
    "validated_stream",
    "with_lines",
]
