"""The documented request contracts of NXCloud's endpoints (see :mod:`.contracts`), each with its source."""

from __future__ import annotations

from airflow_provider_nxcloud.platforms.contracts import Contract, FieldRule

PLATFORM = "nxcloud"

#: SMS, voice, uploads, balance, records and number check
_MESSAGING: tuple[Contract, ...] = ()

#: privacy numbers (PNS) and the chat channels (WhatsApp, Viber, Zalo)
_PNS_AND_CHAT: tuple[Contract, ...] = ()

CONTRACTS: tuple[Contract, ...] = _MESSAGING + _PNS_AND_CHAT

__all__ = ["CONTRACTS", "Contract", "FieldRule"]
