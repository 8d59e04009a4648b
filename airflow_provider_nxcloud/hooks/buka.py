"""Buka hook (onbuka and its white-label hosts)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from airflow_provider_nxcloud.exceptions import ConnectionConfigError
from airflow_provider_nxcloud.hooks.base import ConnectionSettings, CPaaSHook
from airflow_provider_nxcloud.hooks.transport import ReplyParser
from airflow_provider_nxcloud.platforms import buka
from airflow_provider_nxcloud.platforms.endpoints import Endpoint
from airflow_provider_nxcloud.polling import Call

#: which extra holds the appId of each service; each falls back to ``app_id``
APP_ID_EXTRAS = {
    "sms": "app_id",
    "voice": "voice_app_id",
    "email": "email_app_id",
    "ai_voice": "ai_voice_app_id",
}


class _BukaAuthenticator:
    def __init__(self, settings: ConnectionSettings, clock: Callable[[], float]) -> None:
        self._key = settings.login
        self._secret = settings.password
        self._clock = clock

    def headers(self, endpoint: Endpoint, body: bytes | None) -> dict[str, str]:
        headers = buka.signed_headers(self._key, self._secret, int(self._clock()))
        # The Sign is not registered with the secrets masker (as NXCloud's is not): it changes every
        # second, nothing logs headers, exception texts are redacted from the headers themselves,
        # and Airflow's masker keeps every mask forever and recompiles one regex over all of them:
        # a trigger waiting for hours grew by one mask a second in the shared triggerer process.
        # The vendor's samples send the JSON content type on GETs too.
        headers["Content-Type"] = buka.CONTENT_TYPE
        return headers


class BukaHook(CPaaSHook):
    """Calls the Buka API (``Api-Key``/``Timestamp``/``Sign`` headers).

    :param buka_conn_id: connection of type ``buka``: login = API key,
        password = API secret, extras for default appIds, the API base path,
        timeouts and a requests-per-second cap.
    """

    conn_name_attr = "buka_conn_id"
    default_conn_name = "buka_default"
    conn_type = "buka"
    default_console_url = buka.CONSOLE_URL
    hook_name = "Buka (onbuka)"

    def __init__(self, buka_conn_id: str = default_conn_name, **kwargs: Any) -> None:
        super().__init__(buka_conn_id, **kwargs)
        self.buka_conn_id = buka_conn_id

    def authenticator(self, settings: ConnectionSettings) -> _BukaAuthenticator:
        return _BukaAuthenticator(settings, self.clock)

    def reply_parser(self) -> ReplyParser:
        return buka.parse_reply

    def transport_options(self, settings: ConnectionSettings) -> dict[str, Any]:
        base_path = settings.extras.get("base_path", buka.BASE_PATH)
        if base_path and not str(base_path).startswith("/"):
            raise ConnectionConfigError(self.conn_id, "base_path", f"must start with '/', not {base_path!r}")
        return {"base_path": str(base_path)}

    def endpoint(self, name: str) -> Endpoint:
        return buka.ENDPOINTS[name]

    def app_id(self, service: str, override: str | None = None) -> str:
        """The appId for a service: the caller's, else the service's extra, else ``app_id``."""
        extras = self.settings.extras
        value = override or extras.get(APP_ID_EXTRAS.get(service, "app_id")) or extras.get("app_id")
        if not value:
            field = APP_ID_EXTRAS.get(service, "app_id")
            raise ConnectionConfigError(self.conn_id, field, "is empty; set it (or app_id) or pass app_id")
        return str(value)

    def get_balance(self) -> dict[str, Any]:
        """``{"balance", "gift", "credit"}`` of the account, as the vendor reports them."""
        reply = self.call("balance")
        return {key: reply.get(key) for key in ("balance", "gift", "credit")}

    # ----- SMS ------------------------------------------------------------------------------

    def send_sms(
        self, app_id: str, message: Mapping[str, Any], *, client_reference: str | None = None
    ) -> dict[str, Any]:
        """``sendSms`` (onbuka.com/sms-api3): one text to up to 1,000 numbers, one ``orderId`` each.

        ``message`` is :func:`~airflow_provider_nxcloud.platforms.buka.sms_message`. Returns
        the reply: ``success``, ``fail`` and ``array`` of ``{msgId, number, orderId}``.
        """
        return dict(
            self.call("sms_send", buka.sms_send_body(app_id, message), client_reference=client_reference)
        )

    def send_sms_batch(
        self, app_id: str, messages: Sequence[Mapping[str, Any]], *, client_reference: str | None = None
    ) -> dict[str, Any]:
        """``sendSms/batch`` (onbuka.com/sms-api7): a text per element; the reply is sendSms's."""
        body = buka.sms_batch_body(app_id, messages)
        return dict(self.call("sms_send_batch", body, client_reference=client_reference))

    @staticmethod
    def report_call(app_id: str, msg_ids: Sequence[str]) -> Call:
        """``getReport`` (onbuka.com/sms-api4) as a read for a poll conversation: at most 200 msgIds."""
        return Call(buka.ENDPOINTS["sms_report"], {"params": buka.report_query(app_id, msg_ids)})

    def get_reports(self, app_id: str, msg_ids: Sequence[str]) -> list[dict[str, Any]]:
        """``getReport`` (onbuka.com/sms-api4): ``{msgId, number, receiveTime, status}`` per known id
        (status 0 delivered, 1 failed, -1 sending); unknown ids are only counted (``nofound``)."""
        reply = self.make(self.report_call(app_id, msg_ids))
        return [dict(row) for row in reply.get("array") or [] if isinstance(row, Mapping)]

    def get_sent_records(
        self, app_id: str, start: dt.datetime, end: dt.datetime, *, start_index: int = 0
    ) -> list[dict[str, Any]]:
        """``getSentRcd`` (onbuka.com/sms-api5): the SMS sent between ``start`` and ``end`` (at
        most 31 days apart, the last 90 days), 50,000 per call from ``start_index``; row status
        0 sent, 2 failed."""
        reply = self.call("sms_sent_records", params=buka.sent_records_query(app_id, start, end, start_index))
        return [dict(row) for row in reply.get("array") or [] if isinstance(row, Mapping)]

    # ----- voice calls ----------------------------------------------------------------------

    def send_voice_code(self, app_id: str, callee: str, fields: Mapping[str, Any]) -> dict[str, Any]:
        """``voice/sendCode`` (onbuka.com/voice-api7): a text-to-speech call to one ``callee``;
        ``fields`` are the page's optional and TTS fields (text, language, ...). Returns the reply."""
        return dict(self.call("voice_send_code", {"appId": app_id, "callee": callee, **fields}))

    def send_voice_group(
        self, app_id: str, callees: Sequence[str], fields: Mapping[str, Any]
    ) -> dict[str, Any]:
        """``voice/sendGroup`` (onbuka.com/voice-api6): an uploaded audio file (``fileId`` in
        ``fields``) to up to 200 callees; the reply's ``data`` lists each callee's voiceId."""
        body = {"appId": app_id, "callee": ",".join(callees), **fields}
        return dict(self.call("voice_send_group", body))

    def upload_voice_file(self, file_name: str, content: bytes) -> str:
        """``voice/fileUpload`` (SDK FileUploadDTO): an mp3/wav file for voice/sendGroup; its fileId."""
        reply = self.call("voice_file_upload", buka.voice_file_upload_body(file_name, content))
        return str(reply.get("data") or "")

    @staticmethod
    def voice_call_record_call(voice_id: str) -> Call:
        """``voice/recordGroup/{voiceId}`` (onbuka.com/voice-api11) as a read for a poll conversation."""
        return Call(buka.ENDPOINTS["voice_record"], {"path_params": {"voice_id": voice_id}})

    def get_voice_call(self, voice_id: str) -> dict[str, Any]:
        """``voice/recordGroup/{voiceId}`` (onbuka.com/voice-api11): a group/TTS call's record."""
        reply = self.make(self.voice_call_record_call(voice_id))
        data = reply.get("data")
        return dict(data) if isinstance(data, Mapping) else {}

    def find_voice_calls(
        self, start: dt.datetime, end: dt.datetime, *, page: int = 1
    ) -> list[dict[str, Any]]:
        """``voice/recordGroupQuery`` (onbuka.com/voice-api12): one page (100) of call records
        between ``start`` and ``end`` (at most 31 days apart, the last two months)."""
        data = self.call("voice_records", buka.voice_records_query(start, end, current=page)).get("data")
        records = data.get("records") if isinstance(data, Mapping) else None
        return [dict(record) for record in records or () if isinstance(record, Mapping)]

    def voice_calls_page(
        self,
        start: dt.datetime,
        end: dt.datetime,
        *,
        page: int = 1,
        size: int = buka.VOICE_RECORDS_MAX_PAGE_SIZE,
    ) -> dict[str, Any]:
        """``voice/recordGroupQuery`` (onbuka.com/voice-api12): page ``page`` of ``size`` (1-100)
        group/OTP call records between ``start`` and ``end`` (aware, at most 31 days apart, the
        last two months) as the vendor's page: ``{total, size, current, pages, searchCount,
        records}`` (``{}`` when the reply carries none)."""
        body = buka.voice_records_query(start, end, current=page, size=size)
        data = self.call("voice_records", body).get("data")
        return dict(data) if isinstance(data, Mapping) else {}

    # ----- email ----------------------------------------------------------------------------

    def send_email(self, app_id: str, addresses: Sequence[str], fields: Mapping[str, Any]) -> dict[str, Any]:
        """``email/sendEmail`` (SDK SendEmailDTO): one approved template to up to 50 addresses;
        the reply's ``array`` holds ``{emailId, toAddress, emailState, remark}`` per address."""
        return dict(self.call("email_send", {"appId": app_id, "toAddress": ",".join(addresses), **fields}))

    @staticmethod
    def email_records_call(app_id: str, email_ids: Sequence[str]) -> Call:
        """``email/getSendEmailRcd`` (SDK SendEmailRcdDTO) as a read for a poll conversation:
        at most 200 emailIds, comma-separated."""
        body = {"appId": app_id, "emailId": ",".join(email_ids)}
        return Call(buka.ENDPOINTS["email_records"], {"json_body": body})

    def get_email_records(self, app_id: str, email_ids: Sequence[str]) -> list[dict[str, Any]]:
        """``email/getSendEmailRcd`` (SDK SendEmailRcdDTO): at most 200 emailIds; status 0 sent,
        -1 sending, 1 failed."""
        reply = self.make(self.email_records_call(app_id, email_ids))
        return [dict(row) for row in reply.get("array") or [] if isinstance(row, Mapping)]

    # ----- voice group-call tasks (onbuka.com/voice-api17..21) ---------------------------------

    def create_voice_task(self, body: Mapping[str, Any]) -> str | None:
        """``voice/group/call/send`` (onbuka.com/voice-api17): the new task's id, None when the
        reply names none (the caller finds the task by its unique ``taskName`` then)."""
        reply = self.call("voice_task_create", body, client_reference=str(body.get("taskName")))
        data = reply.get("data") if isinstance(reply, Mapping) else None
        # ASSUMPTION [BK-7]: data is the new task's jobId (voice-api17's sample reply was not captured); a
        # wrapped one is taken too, and without one the caller finds the task by its unique name
        if isinstance(data, Mapping):
            data = data.get("jobId", data.get("id"))
        if isinstance(data, str | int) and not isinstance(data, bool) and str(data).strip():
            return str(data).strip()
        return None

    def find_voice_tasks(
        self, search: str | None = None, *, now: dt.datetime | None = None
    ) -> list[dict[str, Any]]:
        """``voice/group/call/query`` (onbuka.com/voice-api18): the first page (100) of the tasks
        created in the last 31 days whose name (or file, or text) contains ``search``, newest first.

        Records carry ``jobId``, ``taskName``, ``status``, ``numCnt``, ``callNum``, ``success``, ``fail``.
        """
        body = buka.voice_task_query(now or dt.datetime.fromtimestamp(self.clock(), dt.UTC), search=search)
        page = self.call("voice_task_list", body).get("data")
        records = page.get("records") if isinstance(page, Mapping) else None
        return [dict(record) for record in records or () if isinstance(record, Mapping)]

    @staticmethod
    def voice_task_detail_call(task_id: str | int) -> Call:
        """``voice/group/call/detail/{id}`` (onbuka.com/voice-api19) as a read for a poll conversation."""
        return Call(buka.ENDPOINTS["voice_task_detail"], {"path_params": {"task_id": buka.task_key(task_id)}})

    def get_voice_task(self, task_id: str | int) -> dict[str, Any]:
        """``voice/group/call/detail/{id}`` (onbuka.com/voice-api19): the task's record (``data``)."""
        reply = self.make(self.voice_task_detail_call(task_id))
        data = reply.get("data") if isinstance(reply, Mapping) else None
        if not isinstance(data, Mapping):
            raise ValueError(f"Buka voice task {task_id}: the detail reply carries no task record")
        return dict(data)

    def resend_voice_task(
        self,
        task_id: str | int,
        *,
        failed_only: bool,
        detail: Mapping[str, Any] | None = None,
        max_calls: int | None = None,
        loop_count: int | None = None,
    ) -> None:
        """``voice/group/call/resend`` (onbuka.com/voice-api21): call a completed or cancelled task's
        numbers again, all or only the failed ones.

        The page requires the task's ``appId``, ``taskName``, ``source`` with its fields and
        ``maxCalls``: they come from the task's ``detail`` (:meth:`get_voice_task`, read here
        when not given), so the resend repeats the task as it was; ``max_calls`` /
        ``loop_count`` override. ValueError (nothing sent) when the detail lacks one of them.
        """
        record = dict(detail) if detail is not None else self.get_voice_task(task_id)
        record.setdefault("jobId", buka.task_key(task_id))
        kind = buka.VOICE_TASK_RESEND_FAILED if failed_only else buka.VOICE_TASK_RESEND_ALL
        body = buka.voice_task_resend_body(
            record, resend_type=kind, max_calls=max_calls, loop_count=loop_count
        )
        self.call("voice_task_resend", body, client_reference=str(task_id))

    def cancel_voice_tasks(self, task_ids: Sequence[str | int]) -> None:
        """``voice/group/call/cancel`` (itniotech.com/api/ai/agentCancel): ``taskIdList`` of Integers."""
        self.call("voice_task_cancel", buka.voice_task_cancel_body(task_ids))

    # ----- call center ----------------------------------------------------------------------

    def get_call_records(
        self, start: dt.datetime, end: dt.datetime, *, page: int = 1
    ) -> list[dict[str, Any]]:
        """``cc/record/query`` (onbuka.com/call-api20): one page (100) of call-center call records
        between ``start`` and ``end`` (aware datetimes; at most 32 days apart, -35)."""
        body = buka.call_record_query(start, end, current=page)
        data = self.call("cc_record_query", body).get("data")
        records = data.get("records") if isinstance(data, Mapping) else None
        return [dict(record) for record in records or () if isinstance(record, Mapping)]

    def get_call_record_page(
        self, start: dt.datetime, end: dt.datetime, *, page: int, size: int = buka.CALL_RECORD_PAGE_SIZE
    ) -> tuple[int | None, list[dict[str, Any]]]:
        """``cc/record/query`` (onbuka.com/call-api20): page ``page`` (``size`` 1-100 records) of the
        call-center records between ``start`` and ``end`` (aware; at most 32 days apart, -35), and
        ``data.total``, how many records the whole window holds (None when the reply names none)."""
        body = buka.call_record_query(start, end, current=page, size=size)
        data = self.call("cc_record_query", body).get("data")
        if not isinstance(data, Mapping):
            return None, []
        records = [dict(record) for record in data.get("records") or () if isinstance(record, Mapping)]
        total = data.get("total")
        return (total if isinstance(total, int) and not isinstance(total, bool) else None), records

    # ----- AI voice (SDK AiVoiceSdkClient; itniotech.com/api/ai-voice/*) ------------------------

    def add_ai_task(self, body: Mapping[str, Any]) -> Any:
        """``AiVoice/taskAdd``: the reply's ``data`` (the new task's jobId)."""
        reply = self.call("ai_task_add", body, client_reference=str(body.get("name")))
        return reply.get("data") if isinstance(reply, Mapping) else None

    def import_ai_customers(self, body: Mapping[str, Any]) -> None:
        """``AiVoice/importCustomer``: at most 100 ``customerPersons`` into a task."""
        self.call("ai_import_customer", body)

    def start_ai_task(self, app_id: str, job_id: int | str) -> None:
        """``AiVoice/taskStart``: start (or resume) a task; -39 when its status does not allow it."""
        self.run_ai_task_action(buka.AiTaskAction.START, app_id, job_id)

    def stop_ai_task(self, app_id: str, job_id: int | str) -> None:
        """``AiVoice/taskStop``: pause a running task (the SDK: "Pause task"); -38 otherwise."""
        self.run_ai_task_action(buka.AiTaskAction.PAUSE, app_id, job_id)

    def delete_ai_task(self, app_id: str, job_id: int | str) -> None:
        """``AiVoice/taskDel``: delete a task; -44 when its status does not allow it."""
        self.run_ai_task_action(buka.AiTaskAction.DELETE, app_id, job_id)

    @staticmethod
    def ai_task_list_call(app_id: str, *, page: int = 1, name: str | None = None) -> Call:
        """``AiVoice/taskList`` (itniotech.com/api/ai-voice/taskList) as a read for a poll conversation."""
        body = buka.ai_task_list_query(app_id, current=page, name=name)
        return Call(buka.ENDPOINTS["ai_task_list"], {"json_body": body})

    def list_ai_tasks(self, app_id: str, *, page: int = 1, name: str | None = None) -> dict[str, Any]:
        """``AiVoice/taskList`` (itniotech.com/api/ai-voice/taskList): one page (100) of the app's
        tasks (``{total, size, current, pages, records}``), by name when given."""
        data = self.make(self.ai_task_list_call(app_id, page=page, name=name)).get("data")
        return dict(data) if isinstance(data, Mapping) else {}

    def get_ai_call_records(
        self, app_id: str, start: dt.datetime, end: dt.datetime, *, page: int = 1
    ) -> list[dict[str, Any]]:
        """``AiVoice/recordQuery`` (onbuka.com/zh-cn/ai-api10): one page (100) of AI call records."""
        data = self.call("ai_record_query", buka.ai_record_query(app_id, start, end, current=page)).get(
            "data"
        )
        records = data.get("records") if isinstance(data, Mapping) else None
        return [dict(record) for record in records or () if isinstance(record, Mapping)]

    def run_ai_task_action(self, action: buka.AiTaskAction, app_id: str, job_id: int | str) -> None:
        """Start, pause or delete a task (itniotech.com ``/api/ai-voice/taskStart``, ``taskStop``,
        ``taskDel``: ``appId`` and ``jobId``)."""
        self.call(action.endpoint, buka.ai_task_ref(app_id, job_id))

    # ----- connection test ------------------------------------------------------------------

    def probe(self) -> str:
        balance = self.get_balance()
        return f"Buka accepted API key {self.settings.login}; balance {balance['balance']}"
