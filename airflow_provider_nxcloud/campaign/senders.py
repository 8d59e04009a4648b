"""Which SMS sender serves a hook: one table from connection type to a builder.

Used where the platform is chosen by the connection rather than by the
class, as in the SMS notifier.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from airflow_provider_nxcloud.campaign.engine import Sender
from airflow_provider_nxcloud.exceptions import InvalidInputError

#: builder(hook, text, sender_id)
SenderBuilder = Callable[[Any, str, "str | None"], Sender]


def _buka(hook: Any, text: str, sender_id: str | None) -> Sender:
    from airflow_provider_nxcloud.campaign.buka import BukaSmsSender, check_sms_content

    check_sms_content(text, sender_id)
    return BukaSmsSender(hook, text=text, app_id=hook.app_id("sms"), sender_id=sender_id)


def _nxcloud(hook: Any, text: str, sender_id: str | None) -> Sender:
    from airflow_provider_nxcloud.campaign.nxcloud import NXCloudSmsSender, check_sms_content

    check_sms_content(text, sender_id)
    return NXCloudSmsSender(hook, text=text, app_key=hook.app_key("sms_app_key"), sender_id=sender_id)


def _fonedynamics(hook: Any, text: str, sender_id: str | None) -> Sender:
    from airflow_provider_nxcloud.campaign.fonedynamics import FoneDynamicsSmsSender, check_sms_content

    check_sms_content(text, sender_id)
    return FoneDynamicsSmsSender(hook, text=text, property_sid=hook.property_sid(), sender_id=sender_id)


#: connection type -> builder(hook, text, sender_id)
SMS_SENDERS: dict[str, SenderBuilder] = {
    "buka": _buka,
    "nxcloud": _nxcloud,
    "fonedynamics": _fonedynamics,
}


def check_sms_conn_type(conn_type: str, conn_id: str) -> str:
    """``conn_type`` when SMS can be sent through such a connection, else InvalidInputError."""
    if conn_type not in SMS_SENDERS:
        known = ", ".join(sorted(SMS_SENDERS))
        raise InvalidInputError(
            "conn_id", f"{conn_id!r} is a {conn_type!r} connection; SMS needs one of: {known}"
        )
    return conn_type


def build_sms_sender(hook: Any, *, text: str, sender_id: str | None = None) -> Sender:
    """The SMS sender for ``hook``'s platform."""
    return SMS_SENDERS[check_sms_conn_type(hook.conn_type, hook.conn_id)](hook, text, sender_id)
