"""NXCloud hook: signed open-platform calls and the legacy appkey/secretkey form API."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from typing import Any, ClassVar, TypeVar

import pendulum

from airflow_provider_nxcloud.exceptions import ConnectionConfigError, InvalidInputError, VendorAPIError
from airflow_provider_nxcloud.hooks.base import ConnectionSettings, CPaaSHook
from airflow_provider_nxcloud.hooks.transport import ReplyParser
from airflow_provider_nxcloud.platforms import nxcloud
from airflow_provider_nxcloud.platforms.endpoints import Auth, Endpoint
from airflow_provider_nxcloud.polling import Call

#: which extras hold the appkey/secretkey of the application a legacy endpoint belongs to
_LEGACY_APP_EXTRAS: dict[str, tuple[str, str]] = {
    "sms": ("sms_app_key", "sms_app_secret"),
    "sms_report": ("sms_app_key", "sms_app_secret"),
    "voice": ("voice_app_key", "voice_app_secret"),
    "voice_report": ("voice_app_key", "voice_app_secret"),
}

#: the batch number the connection test queries; it never exists, so the answer is an empty page
PROBE_BATCH_NO = "airflow-connection-test"
#: extras of products NXCloud documents no read for: the connection test names them as not checked
_UNCHECKED_EXTRAS = ("voice_app_key", "whatsapp_app_key", "viber_app_key", "zalo_app_key")

T = TypeVar("T")


def _legacy_keys(app_key: str, app_secret: str) -> dict[str, str]:
    """The ``appkey``/``secretkey`` pair every legacy form request starts with."""
    return {"appkey": app_key, "secretkey": app_secret}


def _checked(build: Callable[..., T], *args: Any, **kwargs: Any) -> T:
    """A platform body builder's result; its ValueError (a documented limit broken) as InvalidInputError."""
    try:
        return build(*args, **kwargs)
    except ValueError as exc:
        raise InvalidInputError("request", str(exc)) from None


class _NXCloudAuthenticator:
    def __init__(self, settings: ConnectionSettings, clock: Callable[[], float]) -> None:
        self._key = settings.login
        self._secret = settings.password
        self._algorithm = str(settings.extras.get("sign_algorithm", "md5"))
        self._clock = clock

    def headers(self, endpoint: Endpoint, body: bytes | None) -> dict[str, str]:
        if endpoint.auth is not Auth.NXCLOUD_SIGNED:
            return {}  # legacy endpoints carry appkey/secretkey in the form body
        ts_ms = int(self._clock() * 1000)
        # The signature is not registered with the secrets masker: it covers this one body and
        # timestamp (60 s window) and nothing logs headers, while Airflow's masker recompiles one
        # regex over every mask so far on each new one (and a task sends each to its supervisor):
        # per request, that made a 1,000-request campaign spend most of its time masking.
        return nxcloud.signed_headers(self._key, self._secret, endpoint, ts_ms, body, self._algorithm)


class NXCloudHook(CPaaSHook):
    """Calls NXCloud's open platform (accessKey/accessSecret signature) and its legacy app APIs.

    :param nxcloud_conn_id: connection of type ``nxcloud``: login = accessKey,
        password = accessSecret, extras for app keys, the signature algorithm,
        timeouts and a requests-per-second cap.
    :param disposition_overrides: ``{code or "service:code": "retry"|"resign"|"fail"}``
        to override the catalog for this hook's calls.
    """

    conn_name_attr = "nxcloud_conn_id"
    default_conn_name = "nxcloud_default"
    conn_type = "nxcloud"
    default_console_url = nxcloud.CONSOLE_URL
    hook_name = "NXCloud"
    secret_extras: ClassVar[tuple[str, ...]] = ("sms_app_secret", "voice_app_secret")

    def __init__(self, nxcloud_conn_id: str = default_conn_name, **kwargs: Any) -> None:
        super().__init__(nxcloud_conn_id, **kwargs)
        self.nxcloud_conn_id = nxcloud_conn_id

    def authenticator(self, settings: ConnectionSettings) -> _NXCloudAuthenticator:
        return _NXCloudAuthenticator(settings, self.clock)

    def reply_parser(self) -> ReplyParser:
        return nxcloud.parse_reply

    def transport_options(self, settings: ConnectionSettings) -> dict[str, Any]:
        return {"serialize": nxcloud.serialize_body}

    def endpoint(self, name: str) -> Endpoint:
        return nxcloud.ENDPOINTS[name]

    def app_key(self, extra: str, override: str | None = None) -> str:
        """An application's appkey: the caller's, else the connection's extra, else a clear error."""
        value = override or self.settings.extras.get(extra)
        if not value:
            raise ConnectionConfigError(
                self.conn_id, extra, "is empty; set it or pass app_key to the operator"
            )
        return str(value)

    def call(
        self,
        name: str,
        body: Mapping[str, Any] | None = None,
        *,
        params: Mapping[str, Any] | None = None,
        path_params: Mapping[str, Any] | None = None,
        client_reference: str | None = None,
        files: Mapping[str, Any] | None = None,
    ) -> Any:
        """Call one NXCloud endpoint by its table name; legacy endpoints get their app's keys added.

        NXCloud posts everything: the body is JSON, a form (legacy appkey endpoints), or
        multipart fields with ``files`` (uploads).
        """
        endpoint = self.endpoint(name)
        extra = {"params": params, "path_params": path_params, "client_reference": client_reference}
        if endpoint.auth is Auth.NXCLOUD_APPKEY:
            key_extra, secret_extra = _LEGACY_APP_EXTRAS[endpoint.service]
            form = {
                "appkey": self.app_key(key_extra),
                "secretkey": self.app_key(secret_extra),
                **(body or {}),
            }
            return self.request(endpoint, form=form, **extra)
        if files is not None:
            # requests turns every ``files`` entry into a file part (with a filename) unless it
            # is ``(None, value)``: the body's fields must travel as plain form-data fields
            fields = {name: (None, str(value)) for name, value in (body or {}).items()}
            return self.request(endpoint, files={**fields, **files}, **extra)
        return self.request(endpoint, json_body=dict(body or {}), **extra)

    # ----- SMS (bizType 3 signed JSON, or the SMS app's legacy form) -----

    def send_sms(
        self,
        numbers: list[str],
        text: str,
        *,
        app_key: str,
        sender_id: str | None = None,
        sys_message_id: str | None = None,
        api: str = "v2",
        client_reference: str | None = None,
    ) -> str | None:
        """Send one text to 1-100 numbers (country code + number); returns the request's ``messageid``.

        ``api``: ``"v2"`` (``/api/sms/mtsend_v2``), ``"v1"`` (``/v1/sms/mt``) or ``"legacy"``
        (``/api/sms/mtsend``, the connection's SMS app secret added). Pages:
        Demon-2012/NXcloud-API-document:SMS Downstream Sending_v2..md and SMS Downstream Sending.md.
        """
        endpoint, legacy = nxcloud.SMS_APIS[api]
        body = _checked(
            nxcloud.sms_send_body,
            legacy=legacy,
            app_key=app_key,
            numbers=numbers,
            content=text,
            sender_id=sender_id,
            sys_message_id=sys_message_id,
        )
        return nxcloud.reply_message_id(self.call(endpoint, body, client_reference=client_reference))

    @staticmethod
    def sms_record_call(app_key: str, app_secret: str, message_id: str, day: str) -> Call:
        """``/api/sms/get`` with the SMS app's ``appkey``/``secretkey`` as a read for a poll conversation.

        Page: Demon-2012/NXcloud-API-document:SMS Single Record Query.md.
        """
        form = {**_legacy_keys(app_key, app_secret), **nxcloud.sms_record_form(message_id, day)}
        return Call(nxcloud.ENDPOINTS["sms_record"], {"form": form})

    @staticmethod
    def sms_records_call(app_key: str, app_secret: str, day: str, page: int, page_size: int) -> Call:
        """``/api/sms/getSmsCdr`` (one page of a day's records) as a read for a poll conversation.

        Page: Demon-2012/NXcloud-API-document:SMS Record Query.md.
        """
        form = {**_legacy_keys(app_key, app_secret), **nxcloud.sms_records_form(day, page, page_size)}
        return Call(nxcloud.ENDPOINTS["sms_records"], {"form": form})

    def get_sms_record(self, message_id: str, day: str) -> dict[str, Any]:
        """The record row of one message on one day (yyyyMMdd); code 1 when that day has none.

        Page: Demon-2012/NXcloud-API-document:SMS Single Record Query.md (reply ``row``).
        """
        reply = self.call("sms_record", nxcloud.sms_record_form(message_id, day))
        row = reply.get("row") if isinstance(reply, Mapping) else None
        if isinstance(row, list):  # one row is documented; accept a list of one
            row = row[0] if row else None
        return dict(row) if isinstance(row, Mapping) else {}

    def list_sms_records(
        self, day: str, *, page: int = 1, page_size: int = 500, sort_type: int = 0
    ) -> tuple[int, list[dict[str, Any]]]:
        """``(total, rows)`` of one page of a day's SMS records (yyyyMMdd; ``page_size`` below 1000).

        Page: Demon-2012/NXcloud-API-document:SMS Record Query.md (reply ``info.total``, ``info.rows``).
        """
        reply = self.call("sms_records", nxcloud.sms_records_form(day, page, page_size, sort_type))
        return nxcloud.record_page(reply)

    def get_balance(self) -> dict[str, str]:
        """The account's ``balance`` and ``credit_balance`` (text), asked with the SMS app's keys.

        Page: Demon-2012/NXcloud-API-document:Balance Inquiry.md.
        """
        reply = self.call("balance")
        body = reply if isinstance(reply, Mapping) else {}
        return {key: str(body.get(key, "")) for key in ("balance", "credit_balance")}

    # ----- voice (the voice app's legacy form API; uploads are signed v1 multipart) -----

    def send_voice_notification(
        self,
        numbers: list[str],
        *,
        country_code: str,
        text: str,
        language: str,
        display_number: str,
        client_reference: str | None = None,
    ) -> str | None:
        """Speak ``text`` to 1-100 international numbers of one country; returns the ``messageid``.

        Page: Demon-2012/NXcloud-API-document:Send Voice Notification.md (``notsend``).
        """
        form = _checked(
            nxcloud.voice_send_form,
            "voice_notify",
            numbers=numbers,
            country_code=country_code,
            show_phone=display_number,
            content=text,
            lang=language,
        )
        return self._voice("voice_notify", form, client_reference)

    def send_voice_verification_code(
        self,
        number: str,
        *,
        country_code: str,
        text: str,
        language: str,
        display_number: str,
        client_reference: str | None = None,
    ) -> str | None:
        """Speak a code to one international number (``versend`` takes one); returns the ``messageid``.

        Page: Demon-2012/NXcloud-API-document:Send Voice Verification Code.md.
        """
        form = _checked(
            nxcloud.voice_send_form,
            "voice_verify",
            numbers=[number],
            country_code=country_code,
            show_phone=display_number,
            content=text,
            lang=language,
        )
        return self._voice("voice_verify", form, client_reference)

    def send_voice_broadcast(
        self,
        numbers: list[str],
        *,
        country_code: str,
        audio_url: str,
        display_number: str,
        task_time: str | None = None,
        time_zone: str | None = None,
        client_reference: str | None = None,
    ) -> str | None:
        """Play an uploaded audio file to 1-100 international numbers of one country (``gpsend``).

        ``task_time`` (yyyy-MM-dd HH:mm:ss) with ``time_zone`` (whole hours) schedules the calls.
        Page: Demon-2012/NXcloud-API-document:Send Voice Broadcast.md.
        """
        form = _checked(
            nxcloud.voice_send_form,
            "voice_broadcast",
            numbers=numbers,
            country_code=country_code,
            show_phone=display_number,
            url=audio_url,
            task_time=task_time or "",
            time_zone=time_zone or "",
        )
        return self._voice("voice_broadcast", form, client_reference)

    def _voice(self, endpoint: str, form: Mapping[str, str], client_reference: str | None) -> str | None:
        return nxcloud.reply_message_id(self.call(endpoint, form, client_reference=client_reference))

    def list_voice_records(
        self,
        voice_type: int,
        *,
        start_time: str,
        end_time: str,
        page: int = 1,
        page_size: int = nxcloud.VOICE_MAX_NUMBERS,
        message_id: str | None = None,
    ) -> tuple[int, list[dict[str, Any]]]:
        """``(total, rows)`` of one page of call records (``voiceType`` 0 group call, 1 the others).

        Page: Demon-2012/NXcloud-API-document:Voice Record Query.md (success is code "1").
        """
        form = nxcloud.voice_records_form(voice_type, start_time, end_time, page, page_size, message_id)
        return nxcloud.record_page(self.call("voice_records", form))

    @staticmethod
    def voice_records_call(
        app_key: str,
        app_secret: str,
        voice_type: int,
        *,
        start_time: str,
        end_time: str,
        page: int,
        page_size: int,
        message_id: str | None = None,
    ) -> Call:
        """``/api/voiceSms/getVoiceCdr`` (one page of call records) as a read for a poll conversation,
        kept one second from the previous one as the page allows.

        Page: Demon-2012/NXcloud-API-document:Voice Record Query.md.
        """
        fields = nxcloud.voice_records_form(voice_type, start_time, end_time, page, page_size, message_id)
        return Call(
            nxcloud.ENDPOINTS["voice_records"],
            {"form": {**_legacy_keys(app_key, app_secret), **fields}},
            nxcloud.VOICE_CDR_MIN_INTERVAL_S,
        )

    def upload_voice_file(self, filename: str, content: bytes, *, app_key: str | None = None) -> str:
        """Upload an audio file (at most 2 MB) for broadcasts; returns its URL (the reply's ``data``).

        ``app_key``: the voice app's, else the connection's ``voice_app_key``. Page:
        https://github.com/nxtele/http-api-document/wiki/上传语音文件_v1 (multipart: plain field
        ``appkey``, file part ``file``).
        """
        if not content or len(content) > nxcloud.VOICE_UPLOAD_MAX_BYTES:
            raise InvalidInputError(
                "content", f"must be 1 to {nxcloud.VOICE_UPLOAD_MAX_BYTES:,} bytes, not {len(content):,}"
            )
        fields = nxcloud.voice_upload_fields(self.app_key("voice_app_key", app_key))
        reply = self.call("voice_upload", fields, files={"file": (filename, content)})
        url = reply.get("data") if isinstance(reply, Mapping) else None
        return str(url or "")

    # ----- number check (bizType 1) -----

    def submit_number_check(
        self, numbers: list[str], *, app_key: str, batch_no: str | None = None, check_level: int | None = None
    ) -> dict[str, Any]:
        """Submit up to 5,000 international numbers; returns the reply's ``data``.

        ``data``: ``requestId`` (2023 page: ``messageId``), ``batchNo`` and the numbers refused up
        front (``failNumber``). Page: https://github.com/nxtele/http-api-document/wiki/Number-Check-API-submit
        """
        body = _checked(
            nxcloud.number_check_submit_body,
            numbers,
            app_key=app_key,
            batch_no=batch_no,
            check_level=check_level,
        )
        reply = self.call("number_check_submit", body, client_reference=batch_no)
        data = reply.get("data") if isinstance(reply, Mapping) else None
        return dict(data) if isinstance(data, Mapping) else {}

    @staticmethod
    def number_check_submit_pacing(min_interval: float) -> Call:
        """The number-check submit as a pacer sees it: its endpoint and the interval to keep.

        Never made through a poll conversation: a submit is a send (:meth:`submit_number_check`).
        Page: https://github.com/nxtele/http-api-document/wiki/Number-Check-API-submit
        """
        return Call(nxcloud.ENDPOINTS["number_check_submit"], {}, min_interval)

    @staticmethod
    def number_check_query_call(
        batch_no: str,
        date: str,
        *,
        page: int = 1,
        page_size: int = nxcloud.NUMBER_CHECK_MAX_PAGE_SIZE,
        app_key: str | None = None,
    ) -> Call:
        """One result query as a read for a poll conversation, kept the documented 3 seconds after
        the previous one. Page: https://github.com/nxtele/http-api-document/wiki/Number-Check-API-query
        """
        body = nxcloud.number_check_query_body(
            batch_no, date, page=page, page_size=page_size, app_key=app_key
        )
        # the interval is read when called, so a test suite can shorten it
        return Call(
            nxcloud.ENDPOINTS["number_check_query"],
            {"json_body": body},
            min_interval=nxcloud.NUMBER_CHECK_QUERY_MIN_INTERVAL_S,
        )

    def query_number_check(
        self,
        batch_no: str,
        date: str,
        *,
        page: int = 1,
        page_size: int = nxcloud.NUMBER_CHECK_MAX_PAGE_SIZE,
        app_key: str | None = None,
    ) -> tuple[int, list[dict[str, Any]]]:
        """``(totalSize, rows)`` of one page of a batch's results filed under ``date`` (yyyy-MM-dd).

        The page names no zone for ``date``: see :func:`~airflow_provider_nxcloud.platforms.nxcloud.record_days`.
        At most one query every 3 seconds. Page:
        https://github.com/nxtele/http-api-document/wiki/Number-Check-API-query
        """
        body = nxcloud.number_check_query_body(
            batch_no, date, page=page, page_size=page_size, app_key=app_key
        )
        return nxcloud.number_check_page(self.call("number_check_query", body))

    def pns_pages(
        self, name: str, page_size: int = nxcloud.PNS_LIST_MAX_LIMIT
    ) -> Iterator[list[dict[str, Any]]]:
        """The rows of each page of a privacy-number list (``pns_getAXBList``, ``pns_listGroup``).

        Pages by offset until a short page: the reply's ``total`` counts the rows of that
        page only (PNS-API-list: "number of binding relationships returned"), so it says
        nothing about what is left. The vendor has no cursor: a list that changes while it
        is paged may show a row twice or skip one.
        """
        if not 1 <= page_size <= nxcloud.PNS_LIST_MAX_LIMIT:
            raise InvalidInputError("page_size", f"must be 1-{nxcloud.PNS_LIST_MAX_LIMIT}, not {page_size!r}")
        offset = 0
        previous: list[dict[str, Any]] | None = None
        while True:
            reply = self.call(name, nxcloud.pns_page_body(page_size, offset))
            rows = nxcloud.pns_list_rows(name, reply)
            if rows and rows == previous:
                # a server that ignored offset would otherwise be paged for ever
                raise RuntimeError(f"NXCloud {name} answered offset {offset} with the previous page again")
            yield rows
            offset += len(rows)
            if len(rows) < page_size:
                return
            previous = rows

    def list_pns_bindings(
        self, page_size: int = nxcloud.PNS_LIST_MAX_LIMIT
    ) -> Iterator[list[dict[str, Any]]]:
        """The active bindings, a page at a time (getAXBList, PNS-API-list; see :meth:`pns_pages`)."""
        return self.pns_pages("pns_getAXBList", page_size)

    def list_pns_groups(self, page_size: int = nxcloud.PNS_LIST_MAX_LIMIT) -> Iterator[list[dict[str, Any]]]:
        """The number groups, a page at a time (listGroup, PNS-API-list-G; see :meth:`pns_pages`)."""
        return self.pns_pages("pns_listGroup", page_size)

    def find_pns_binding(self, customer_bind_id: str, phone_a: str | None = None) -> dict[str, Any] | None:
        """The active binding with this customerBindId (and A number), by paging getAXBList; None if none."""
        for rows in self.pns_pages("pns_getAXBList"):
            for row in rows:
                if row.get("customerBindId") == customer_bind_id and phone_a in (None, row.get("phoneA")):
                    return dict(row)
        return None

    def test_connection(self) -> tuple[bool, str]:
        """Check what the connection is configured for, with cheap authenticated reads, never a send.

        * ``sms_app_key`` with ``sms_app_secret``: the balance query (Balance Inquiry.md), which
          proves the SMS app's keys;
        * ``number_check_app_key``: a signed number-check query for a batch that does not exist
          (Number-Check-API-query), which proves accessKey, accessSecret, the clock and the product.

        NXCloud documents no read for the other products (SMS over the signed API, voice, the chat
        channels take sends only), so their keys are named as not checked. An SMS-only account
        is no longer asked about number check, which it would refuse with 1005.
        """
        try:
            extras = self.settings.extras
        except ConnectionConfigError as exc:
            return False, str(exc)
        checks: list[tuple[str, Callable[[], str]]] = []
        if extras.get("sms_app_key") and extras.get("sms_app_secret"):
            checks.append((f"SMS app {extras['sms_app_key']} (balance query)", self._check_balance))
        if extras.get("number_check_app_key"):
            what = f"accessKey {self.settings.login} with number-check app {extras['number_check_app_key']}"
            checks.append((f"{what} (signed number-check query)", self._check_number_check))
        unchecked = [name for name in _UNCHECKED_EXTRAS if extras.get(name)]
        if extras.get("sms_app_key") and not extras.get("sms_app_secret"):
            unchecked.insert(0, "sms_app_key (set sms_app_secret to check it)")
        if not checks:
            return False, (
                "NXCloud: nothing could be checked without sending: set sms_app_key and sms_app_secret "
                "(checked with the balance query) or number_check_app_key (a signed number-check query)"
            )
        passed = []
        for what, check in checks:
            try:
                passed.append(f"{what}: {check()}")
            except (VendorAPIError, ConnectionConfigError) as exc:
                return False, "; ".join([*(f"OK {p}" for p in passed), f"FAILED {what}: {exc}"])
        message = "NXCloud accepted " + "; ".join(passed)
        if unchecked:
            message += f". Not checked (NXCloud documents no read for them): {', '.join(unchecked)}"
        return True, message

    def _check_balance(self) -> str:
        return f"balance {self.get_balance()['balance']}"

    def _check_number_check(self) -> str:
        # A batch that does not exist answers an empty page: it sends nothing and costs nothing.
        date = pendulum.now("UTC").format("YYYY-MM-DD")
        app_key = str(self.settings.extras["number_check_app_key"])
        self.query_number_check(PROBE_BATCH_NO, date, page_size=1, app_key=app_key)
        return "answered"

    # ----- privacy numbers (PNS, generation A: one URL, the ``action`` header names the operation) -----

    def bind_pns(self, mode: str, body: Mapping[str, Any]) -> nxcloud.PnsBinding:
        """Bind numbers in one of :data:`~airflow_provider_nxcloud.platforms.nxcloud.PNS_MODES`.

        ``body`` from :func:`~airflow_provider_nxcloud.platforms.nxcloud.pns_bind_body`. Pages:
        https://github-wiki-see.page/m/nxtele/nxcloud-doc-en/wiki/PNS-API-bind (AXB),
        ``PNS-API-bind-extension``, ``PNS-API-bind-AXG``; the reply's ``data.bindId`` and ``data.did``.
        Its ``customerBindId`` is the client reference a lost reply is looked up by.
        """
        endpoint = nxcloud.PNS_MODES[mode].endpoint
        reply = self.call(endpoint, body, client_reference=body.get("customerBindId"))
        return nxcloud.pns_binding(reply)

    def unbind_pns(self, *, bind_id: str | None = None, customer_bind_id: str | None = None) -> None:
        """End a binding by ``bindId`` or ``customerBindId`` (exactly one); no binding answers 10013.

        Page: https://github-wiki-see.page/m/nxtele/nxcloud-doc-en/wiki/PNS-API-unbind
        """
        self.call(
            "pns_unbindAXB", nxcloud.pns_unbind_body(bind_id=bind_id, customer_bind_id=customer_bind_id)
        )

    def query_pns(self, caller: str, did: str, extension: str | None = None) -> dict[str, Any]:
        """Whom ``caller`` reaches by dialling ``did`` (and ``extension``): the reply's ``data``.

        Pages: https://github-wiki-see.page/m/nxtele/nxcloud-doc-en/wiki/PNS-API-query and
        ``PNS-API-query-extension`` (``callee``, ``callId``, ``flag``, ``bindType``, ``audioWhen*``).
        """
        reply = self.call("pns_queryAXB", nxcloud.pns_query_body(caller, did, extension))
        data = reply.get("data") if isinstance(reply, Mapping) else None
        return dict(data) if isinstance(data, Mapping) else {}

    def create_pns_group(self, phones: str, group_name: str | None = None, remark: str | None = None) -> str:
        """Create a number group G for AXG bindings; returns its ``groupId`` (top level of the reply).

        Page: https://github-wiki-see.page/m/nxtele/nxcloud-doc-en/wiki/PNS-API-create-G
        """
        reply = self.call("pns_createGroup", nxcloud.pns_create_group_body(phones, group_name, remark))
        return nxcloud.pns_group_id(reply)

    def update_pns_group(self, group_id: str, operation: str, phones: str) -> None:
        """Add (``"add"``), delete (``"delete"``) or replace (``"replace"``) a group's numbers.

        Page: https://github-wiki-see.page/m/nxtele/nxcloud-doc-en/wiki/PNS-API-update-G
        """
        self.call("pns_updateGroup", nxcloud.pns_update_group_body(group_id, operation, phones))

    def delete_pns_group(self, group_id: str) -> None:
        """Delete a number group. Page: https://github-wiki-see.page/m/nxtele/nxcloud-doc-en/wiki/PNS-API-delete-G"""
        self.call("pns_deleteGroup", {"groupId": group_id})

    # ----- chat channels (one recipient per request; status only by webhook) -----

    def send_whatsapp(
        self,
        *,
        app_key: str,
        business_phone: str,
        to: str,
        message: Mapping[str, Any],
        client_reference: str | None = None,
    ) -> str | None:
        """Send one WhatsApp message; returns its wamid (``data.messages[0].id``).

        ``message`` is ``{"type": kind, kind: {...}}`` (Meta's Cloud-API shape). Page:
        https://github-wiki-see.page/m/nxtele/nxcloud-doc-en/wiki/WhatsApp-API-mt
        """
        body = nxcloud.whatsapp_send_body(app_key, business_phone, to, message)
        return nxcloud.whatsapp_message_id(
            self.call("whatsapp_send", body, client_reference=client_reference)
        )

    def send_viber(
        self,
        *,
        app_key: str,
        phone: str,
        function_type: str,
        message_data: Mapping[str, Any],
        client_reference: str | None = None,
    ) -> str | None:
        """Send one Viber business message; returns the reply's ``data.requestId``.

        Page: https://github-wiki-see.page/m/nxtele/nxcloud-doc-en/wiki/Viber-API-mt
        """
        body = nxcloud.viber_send_body(app_key, phone, function_type, message_data)
        return nxcloud.chat_request_id(self.call("viber_send", body, client_reference=client_reference))

    def send_zalo(
        self,
        *,
        app_key: str,
        phone: str,
        fields: Mapping[str, Any],
        client_reference: str | None = None,
    ) -> str | None:
        """Send one Zalo ZNS template; returns the reply's ``data.requestId`` (ASSUMPTION [NX-12], see
        :func:`~airflow_provider_nxcloud.platforms.nxcloud.chat_request_id`).

        ``fields``: ``functionType``, ``messageData`` and the optional ``drWebhook``, ``ext``. Page:
        https://github-wiki-see.page/m/nxtele/nxcloud-doc-en/wiki/Zalo-API-mt
        """
        body = nxcloud.zalo_send_body(app_key, phone, fields)
        return nxcloud.chat_request_id(self.call("zalo_send", body, client_reference=client_reference))
