"""Campaign building blocks shared by the send operators: recipients in, vendor-ready numbers out."""

from __future__ import annotations

from airflow_provider_nxcloud.campaign.recipients import (
    PLATFORM_FORMATS,
    InvalidNumber,
    NumberFormat,
    Recipient,
    ValidationReport,
    chunked,
    normalize_number,
    open_messages,
    open_recipients,
    spool_recipients,
    validate_recipients,
)

__all__ = [
    "PLATFORM_FORMATS",
    "InvalidNumber",
    "NumberFormat",
    "Recipient",
    "ValidationReport",
    "chunked",
    "normalize_number",
    "open_messages",
    "open_recipients",
    "spool_recipients",
    "validate_recipients",
]
