"""Which SMS sender serves a connection: one table from connection type to a builder.

Used where the platform is chosen by the connection rather than by the
class, as in the SMS notifier.
"""

from __future__ import annotations

from collections.abc import Callable

from airflow_provider_nxcloud.campaign.engine import Sender
from airflow_provider_nxcloud.exceptions import InvalidInputError

SenderBuilder = Callable[[str, str, "str | None"], Sender]


def _buka(conn_id: str, text: str, sender_id: str | None) -> Sender:
    from airflow_provider_nxcloud.campaign.buka import BukaSmsSender, check_sms_content
    from airflow_provider_nxcloud.hooks.buka import BukaHook

    check_sms_content(text, sender_id)
    hook = BukaHook(conn_id)
    return BukaSmsSender(hook, text=text, app_id=hook.app_id("sms"), sender_id=sender_id)


def _nxcloud(conn_id: str, text: str, sender_id: str | None) -> Sender:
    from airflow_provider_nxcloud.campaign.nxcloud import NXCloudSmsSender, check_sms_content
    from airflow_provider_nxcloud.hooks.nxcloud import NXCloudHook

    check_sms_content(text, sender_id)
    hook = NXCloudHook(conn_id)
    return NXCloudSmsSender(hook, text=text, app_key=hook.app_key("sms_app_key"), sender_id=sender_id)


def _fonedynamics(conn_id: str, text: str, sender_id: str | None) -> Sender:
    from airflow_provider_nxcloud.campaign.fonedynamics import FoneDynamicsSmsSender, check_sms_content
    from airflow_provider_nxcloud.hooks.fonedynamics import FoneDynamicsHook

    check_sms_content(text, sender_id)
    hook = FoneDynamicsHook(conn_id)
    return FoneDynamicsSmsSender(hook, text=text, property_sid=hook.property_sid(), sender_id=sender_id)


#: connection type -> builder(conn_id, text, sender_id)
SMS_SENDERS: dict[str, SenderBuilder] = {
    "buka": _buka,
    "nxcloud": _nxcloud,
    "fonedynamics": _fonedynamics,
}


def build_sms_sender(conn_type: str, conn_id: str, *, text: str, sender_id: str | None = None) -> Sender:
    try:
        builder = SMS_SENDERS[conn_type]
    except KeyError:
        known = ", ".join(sorted(SMS_SENDERS))
        raise InvalidInputError(
            "conn_id", f"{conn_id!r} is a {conn_type!r} connection; SMS needs one of: {known}"
        ) from None
    return builder(conn_id, text, sender_id)
