"""Fone Dynamics hook (REST v2, HTTP Basic with AccountSid and Token)."""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from typing import Any

from airflow_provider_nxcloud.exceptions import ConnectionConfigError, InvalidInputError
from airflow_provider_nxcloud.hooks.base import ConnectionSettings, CPaaSHook
from airflow_provider_nxcloud.hooks.transport import ReplyParser
from airflow_provider_nxcloud.platforms import fonedynamics
from airflow_provider_nxcloud.platforms.endpoints import Endpoint
from airflow_provider_nxcloud.polling import Call


class _NoHeaders:
    """Basic auth is set once on the session; no per-request signature."""

    def headers(self, endpoint: Endpoint, body: bytes | None) -> dict[str, str]:
        return {}


class FoneDynamicsHook(CPaaSHook):
    """Calls the Fone Dynamics REST API v2.

    :param fonedynamics_conn_id: connection of type ``fonedynamics``: login =
        Account SID, password = Token, extra ``property_sid`` for the default
        property, timeouts and a requests-per-second cap.
    """

    conn_name_attr = "fonedynamics_conn_id"
    default_conn_name = "fonedynamics_default"
    conn_type = "fonedynamics"
    default_console_url = fonedynamics.CONSOLE_URL
    hook_name = "Fone Dynamics"

    def __init__(self, fonedynamics_conn_id: str = default_conn_name, **kwargs: Any) -> None:
        super().__init__(fonedynamics_conn_id, **kwargs)
        self.fonedynamics_conn_id = fonedynamics_conn_id

    def authenticator(self, settings: ConnectionSettings) -> _NoHeaders:
        return _NoHeaders()

    def reply_parser(self) -> ReplyParser:
        return fonedynamics.parse_reply

    def transport_options(self, settings: ConnectionSettings) -> dict[str, Any]:
        return {"basic_auth": (settings.login, settings.password)}

    def endpoint(self, name: str) -> Endpoint:
        return fonedynamics.ENDPOINTS[name]

    def property_sid(self, override: str | None = None) -> str:
        value = override or self.settings.extras.get("property_sid")
        if not value:
            raise ConnectionConfigError(self.conn_id, "property_sid", "is empty; set it or pass property_sid")
        return str(value)

    # ----- messaging ----------------------------------------------------------------------------

    def send_message(
        self,
        to: str,
        text: str,
        *,
        sender: str | None = None,
        schedule: int | None = None,
        delivery_receipt: bool = True,
        external_id: str | None = None,
        property_sid: str | None = None,
        client_reference: str | None = None,
    ) -> dict[str, Any]:
        """Send one SMS; the MessageResource the vendor created (``MessageSid``, ``Status``, ...).

        ``POST /v2/Properties/{PropertySid}/Messages``, reply ``{"Message": ...}``:
        https://www.fonedynamics.com.au/docs/rest-api/send-sms/ and
        ``fonedynamics/fonedynamics-csharp:src/FoneDynamics/Rest/V2/Messaging/MessageResource.cs``
        (``Send``). The body comes from :func:`~.platforms.fonedynamics.message_body`;
        a text the vendor could not send as one SMS is refused before any request.
        """
        _check_text(text)
        body = fonedynamics.message_body(
            to,
            text,
            sender=sender,
            schedule=schedule,
            delivery_receipt=delivery_receipt,
            external_id=external_id,
        )
        reply = self.call(
            "send_message",
            body,
            path_params={"property_sid": self.property_sid(property_sid)},
            client_reference=client_reference,
        )
        return fonedynamics.message_of(reply)

    def send_batch(
        self,
        messages: Sequence[Mapping[str, Any]],
        *,
        property_sid: str | None = None,
        client_reference: str | None = None,
    ) -> list[fonedynamics.BatchItem] | None:
        """Send a batch of messages (each built by :func:`~.platforms.fonedynamics.message_body`).

        One element per message, in request order; None when the 2xx reply is no
        JSON array (the vendor took the request, but which messages is unknown).

        ``POST /v2/Properties/{PropertySid}/BatchMessages``:
        https://www.fonedynamics.com/docs/rest-api/send-sms-batch and
        ``fonedynamics/fonedynamics-csharp:src/FoneDynamics/Rest/V2/Messaging/BatchMessageResource.cs``
        (an element is accepted iff it has a ``MessageSid``; otherwise ``ErrorCode`` and
        the error text in ``Message``).
        """
        for message in messages:
            _check_text(message.get("Text"))
        reply = self.call(
            "send_batch",
            fonedynamics.batch_body([dict(message) for message in messages]),
            path_params={"property_sid": self.property_sid(property_sid)},
            client_reference=client_reference,
        )
        return fonedynamics.batch_items(reply)

    @staticmethod
    def get_message_call(message_sid: str) -> Call:
        """``GET /v2/Messages/{MessageSid}`` (https://fonedynamics.com/docs/rest-api/get-sms) as a
        read for a poll conversation."""
        return Call(fonedynamics.ENDPOINTS["get_message"], {"path_params": {"message_sid": message_sid}})

    def get_message(self, message_sid: str) -> dict[str, Any]:
        """One sent or received SMS: its MessageResource.

        ``GET /v2/Messages/{MessageSid}``: https://fonedynamics.com/docs/rest-api/get-sms and
        ``MessageResource.cs`` (``Get``).
        """
        reply = self.make(self.get_message_call(message_sid))
        return fonedynamics.message_of(reply)

    def list_messages(
        self,
        date_from: int,
        date_to: int,
        *,
        status: str | None = None,
        direction: str | None = None,
        count: int | None = None,
        skip: int | None = None,
        property_sid: str | None = None,
    ) -> list[dict[str, Any]] | None:
        """One page of a property's SMS between ``date_from`` (inclusive) and ``date_to``
        (exclusive), epoch seconds; None when the reply holds no list.

        ``GET /v2/Properties/{PropertySid}/Messages``:
        https://www.fonedynamics.com/docs/rest-api/find-sms/ (query from
        :func:`~.platforms.fonedynamics.find_messages_query`). How soon a sent message
        shows in this list is not documented: a message missing from it may still exist.
        """
        query = fonedynamics.find_messages_query(
            date_from, date_to, status=status, direction=direction, count=count, skip=skip
        )
        reply = self.call(
            "list_messages", params=query, path_params={"property_sid": self.property_sid(property_sid)}
        )
        return fonedynamics.messages_of(reply)

    def iter_message_pages(
        self,
        date_from: int,
        date_to: int,
        *,
        direction: str | None = None,
        page_size: int = fonedynamics.MESSAGES_PAGE_DEFAULT,
        max_pages: int | None = None,
        property_sid: str | None = None,
    ) -> Iterator[list[dict[str, Any]] | None]:
        """Each page of a property's SMS between ``date_from`` (inclusive) and ``date_to``
        (exclusive), one ``list_messages`` request per page the caller reads: stop reading
        and nothing more is requested.

        Paging as :data:`~.platforms.fonedynamics.DOC_FIND_SMS` documents it:
        ``Results_Count`` a page, ``Results_Skip`` the messages already read; the first
        page shorter than ``page_size`` is the last. A reply holding no list is yielded as
        None and ends the pages (what follows it cannot be read). At most ``max_pages``.
        Reading a window of W messages costs at most floor(W / page_size) + 1 requests.
        """
        if isinstance(page_size, bool) or not isinstance(page_size, int) or page_size < 1:
            raise InvalidInputError("page_size", f"must be a whole number of at least 1, not {page_size!r}")
        if date_to <= date_from:
            raise InvalidInputError("date_to", f"must be after date_from ({date_from}), not {date_to}")
        skip, pages = 0, 0
        while max_pages is None or pages < max_pages:
            page = self.list_messages(
                date_from,
                date_to,
                direction=direction,
                count=page_size,
                skip=skip,
                property_sid=property_sid,
            )
            pages += 1
            yield page
            if page is None or len(page) < page_size:
                return
            skip += len(page)

    # ----- projects (properties) and calls ----------------------------------------------------

    def list_properties(self, *, count: int | None = None, skip: int | None = None) -> dict[str, Any]:
        """One page of the account's projects: ``{"Projects": [...], "TotalCount", "NextPageToken"}``.

        ``GET /v2/Properties``: https://www.fonedynamics.com/docs/rest-api/get-projects
        """
        reply = self.call("list_properties", params=fonedynamics.paging_query(count, skip))
        return dict(reply) if isinstance(reply, dict) else {}

    def get_property(self, property_sid: str | None = None) -> dict[str, Any]:
        """One project (property): ``PropertySid``, ``Name``, ``SmsEnabled``, ...

        ``GET /v2/Properties/{PropertySid}``: https://www.fonedynamics.com/docs/rest-api/get-projects
        """
        reply = self.call("get_property", path_params={"property_sid": self.property_sid(property_sid)})
        return fonedynamics.project_of(reply)

    def get_call(self, call_sid: str) -> dict[str, Any]:
        """One call record, as the vendor answers it.

        ``GET /v2/Calls/{CallSid}``: https://www.fonedynamics.com/docs/rest-api/get-calls/
        """
        reply = self.call("get_call", path_params={"call_sid": call_sid})
        return dict(reply) if isinstance(reply, dict) else {}

    def list_calls(
        self,
        *,
        date_from: int | None = None,
        date_to: int | None = None,
        disposition: Sequence[str] | None = None,
        count: int | None = None,
        skip: int | None = None,
        property_sid: str | None = None,
    ) -> dict[str, Any]:
        """One page of a property's calls, earliest first, as the vendor answers it.

        ``GET /v2/Properties/{PropertySid}/Calls``: https://www.fonedynamics.com/docs/rest-api/get-calls/
        """
        query = fonedynamics.find_calls_query(
            date_from=date_from,
            date_to=date_to,
            disposition=tuple(disposition) if disposition else None,
            count=count,
            skip=skip,
        )
        reply = self.call(
            "list_calls", params=query, path_params={"property_sid": self.property_sid(property_sid)}
        )
        return dict(reply) if isinstance(reply, dict) else {}

    def probe(self) -> str:
        sid = self.settings.extras.get("property_sid")
        if sid:
            self.get_property(str(sid))
            return f"Fone Dynamics accepted Account SID {self.settings.login}; property {sid} is readable"
        self.list_properties(count=1)
        return f"Fone Dynamics accepted Account SID {self.settings.login}"


def _check_text(text: object) -> None:
    problem = fonedynamics.text_problem(text)
    if problem is not None:
        raise InvalidInputError("text", problem)
