"""NXCloud privacy numbers (PNS): bind and unbind numbers, look bindings up, manage number groups.

A privacy-number binding lets two parties call each other through a virtual number
X without seeing each other's numbers. NXCloud's generation-A API (one URL, the
``action`` header naming the operation) is used; vendor facts are in
:mod:`airflow_provider_nxcloud.platforms.nxcloud` (``PNS_*``).

Binding is made exactly once per task instance across Airflow retries: NXCloud does
not say it deduplicates ``customerBindId``, so the operator keeps its own record
(in flight, then done with the ``bindId``) and resolves an unknown outcome by looking
the ``customerBindId`` up in the binding list before binding again. The lookup reads
every page of ``getAXBList`` (a list ends at its short page: the reply's ``total`` counts
only the rows of that page), so a binding past the first page is found too. The pages
ask the customer to keep ``customerBindId`` unique: if NXCloud enforces it, a key bound
before and expired is refused when bound again, which fails the task rather than binding twice.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Mapping, Sequence
from typing import Any

import phonenumbers
from airflow.providers.common.compat.sdk import AirflowFailException, BaseOperator

from airflow_provider_nxcloud.campaign.progress import campaign_key_from_context
from airflow_provider_nxcloud.campaign.recipients import (
    InvalidNumber,
    NumberFormat,
    format_number,
    open_recipients,
    parse_number,
    validate_recipients,
)
from airflow_provider_nxcloud.exceptions import (
    AmbiguousSendError,
    InvalidInputError,
    PermanentAPIError,
    RetryableAPIError,
    check_one_of,
)
from airflow_provider_nxcloud.hooks.mixin import PlatformHookMixin
from airflow_provider_nxcloud.hooks.nxcloud import NXCloudHook
from airflow_provider_nxcloud.hooks.rate_budget import apply_rate_budget
from airflow_provider_nxcloud.jobs.watch import find_or_create, stable_name
from airflow_provider_nxcloud.outcome import airflow_outcome
from airflow_provider_nxcloud.platforms import nxcloud as vendor
from airflow_provider_nxcloud.platforms.codes import Disposition
from airflow_provider_nxcloud.state import TaskInstanceState

#: the task_state_store key (and Variable name prefix) of a bind's record, shared by its tries
RECORD_KEY = "nxcloud_pns_binding"
IN_FLIGHT, DONE = "in_flight", "done"
#: bindings a list operator's XCom keeps; the full list goes to results_path
XCOM_SAMPLE = 10
#: the operator parameter of each bind body field
_PARAMETERS = {
    "phoneA": "phone_a",
    "phoneB": "phone_b",
    "phoneX": "phone_x",
    "extension": "extension",
    "groupId": "group_id",
}
#: a queryAXB caller: digits, its country code optional
_CALLER = re.compile(r"[0-9]{4,15}")
#: a virtual number: digits with the country code
_VIRTUAL = re.compile(r"[0-9]{6,15}")


class _PnsOperator(BaseOperator, PlatformHookMixin[NXCloudHook]):
    """What the PNS operators share: the connection and disposition overrides."""

    ui_color = "#eef6e8"
    hook_class = NXCloudHook
    template_fields: Sequence[str] = ("nxcloud_conn_id",)

    def __init__(
        self,
        *,
        nxcloud_conn_id: str = NXCloudHook.default_conn_name,
        disposition_overrides: Mapping[str | int, str] | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.nxcloud_conn_id = nxcloud_conn_id
        self.disposition_overrides = disposition_overrides


# ----- binding -----------------------------------------------------------------------------------


class NXCloudBindNumberOperator(_PnsOperator):
    """Bind numbers to one of the account's virtual numbers, exactly once per task instance.

    Modes (``mode``): ``"AXB"`` binds ``phone_a`` and ``phone_b``, NXCloud picking the
    virtual number; ``"AXB_EXTENSION"`` binds ``phone_a`` (and optionally ``phone_b``)
    to the virtual number ``phone_x`` plus a 3-digit ``extension`` the caller dials;
    ``"AXG"`` binds ``phone_a`` to the number group ``group_id`` (see
    :class:`NXCloudCreateNumberGroupOperator`). Numbers are written with their country
    code, and all of them must share one country, that of the virtual numbers.

    Exactly once across retries: the bind is recorded as in flight before it is sent and
    as done (with its ``bindId``) once answered, in Airflow's ``task_state_store`` (a
    Variable named after the task instance on Airflow before 3.3). A retry that finds it
    done returns it without a request; one that finds it in flight, or a lost reply,
    looks ``customer_bind_id`` up in the binding list (paging ``getAXBList``) and binds
    only if it is not there. A lookup that cannot run ends the try retryably. A binding
    that expired before a retry looked for it is not found, and is bound again.

    When NXCloud answers 10010 every virtual number of the country is already bound to
    ``phone_a`` or ``phone_b``: the task fails at once (unbind bindings no longer needed,
    or buy numbers); retrying would not help.

    Returns ``{"bind_id", "did", "customer_bind_id", "mode", "expire_seconds", "created"}``;
    ``did`` is the virtual number X to give the parties, ``created`` is False when the
    binding was found (made by an earlier try, or by this one whose reply was lost).
    Phone numbers are neither logged nor returned.

    :param mode: ``"AXB"``, ``"AXB_EXTENSION"`` or ``"AXG"``. Templated.
    :param phone_a: the A number, with country code (``"6591234567"`` or ``"+65 9123 4567"``). Templated.
    :param phone_b: the B number (AXB: required; AXB_EXTENSION, AXG: optional, for AXG a
        member of the group). Templated.
    :param phone_x: the virtual number to bind on (AXB_EXTENSION: required; AXG: optional,
        else NXCloud picks one). Templated.
    :param extension: AXB_EXTENSION: the 3 digits dialled after ``phone_x``. Templated.
    :param group_id: AXG: the number group's id. Templated.
    :param customer_bind_id: your id of the binding (``customerBindId``, at most 64
        characters), which the retry lookup finds it by. Default: ``airflow-<key>``, the
        key being stable per DAG run, task and map index. A value reused across runs
        finds the earlier run's binding only while a retry is resolving a lost reply.
        Templated.
    :param expire_seconds: how long the binding lasts: seconds or a ``timedelta``; 0 = until
        unbound. Templated.
    :param record: record the calls (``flag`` bit 1).
    :param nxcloud_conn_id: connection of type ``nxcloud``. Templated.
    :param disposition_overrides: ``{code or "service:code": "retry"|"resign"|"fail"}``.
    """

    template_fields: Sequence[str] = (
        "nxcloud_conn_id",
        "mode",
        "phone_a",
        "phone_b",
        "phone_x",
        "extension",
        "group_id",
        "customer_bind_id",
        "expire_seconds",
    )

    def __init__(
        self,
        *,
        mode: str = "AXB",
        phone_a: str,
        phone_b: str | None = None,
        phone_x: str | None = None,
        extension: str | None = None,
        group_id: str | None = None,
        customer_bind_id: str | None = None,
        expire_seconds: int | dt.timedelta,
        record: bool = False,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.mode = mode
        self.phone_a = phone_a
        self.phone_b = phone_b
        self.phone_x = phone_x
        self.extension = extension
        self.group_id = group_id
        self.customer_bind_id = customer_bind_id
        self.expire_seconds = expire_seconds
        self.record = record

    def execute(self, context: Any) -> dict[str, Any]:
        with airflow_outcome():
            mode, body = self._bind_body()
            apply_rate_budget(self, context)
            key = self._customer_bind_id(context)
            body["customerBindId"] = key
            state = TaskInstanceState.for_context(
                context, RECORD_KEY, variable=f"{RECORD_KEY}_{campaign_key_from_context(context)}"
            )
            earlier = state.get()
            if not isinstance(earlier, dict) or earlier.get("customer_bind_id") != key:
                earlier = None  # none, or another binding's (customer_bind_id changed between tries)
            if earlier is not None and earlier.get("state") == DONE:
                self.log.info("NXCloud binding %s was made by an earlier try; nothing sent", key)
                return {**earlier["result"], "created": False}
            binding, created = self._bind_once(mode, body, state, in_flight=earlier is not None)
            result = {
                **binding,
                "customer_bind_id": key,
                "mode": mode,
                "expire_seconds": body["expireSecond"],
            }
            state.set({"state": DONE, "customer_bind_id": key, "result": result})
        self.log.info(
            "NXCloud %s binding %s: bindId %s on virtual number %s (%s)",
            mode,
            key,
            result["bind_id"],
            result["did"],
            "bound now" if created else "found, bound earlier",
        )
        return {**result, "created": created}

    def _bind_once(
        self, mode: str, body: dict[str, Any], state: TaskInstanceState, *, in_flight: bool
    ) -> tuple[dict[str, str], bool]:
        hook = self.hook
        key = body["customerBindId"]
        # Look only where a bind may have been sent: in flight from an earlier try, or this try's lost reply.
        may_exist = in_flight

        def find() -> dict[str, str] | None:
            if not may_exist:
                return None
            row = hook.find_pns_binding(key, body["phoneA"])
            return None if row is None else {"bind_id": str(row["bindId"]), "did": str(row["did"])}

        def create() -> dict[str, str]:
            nonlocal may_exist
            state.set({"state": IN_FLIGHT, "customer_bind_id": key})
            may_exist = True
            try:
                binding = hook.bind_pns(mode, body)
            except PermanentAPIError:
                state.delete()  # refused: nothing was bound, a later run need not look
                raise
            return {"bind_id": binding.bind_id, "did": binding.did}

        return find_or_create(find, create, what=f"NXCloud {mode} binding {key}")

    def _bind_body(self) -> tuple[str, dict[str, Any]]:
        """The mode and the bind request, every parameter checked; nothing is sent."""
        mode = check_one_of("mode", self.mode, vendor.PNS_MODES)
        spec = vendor.PNS_MODES[mode]
        given = {
            field: value
            for field, value in {
                "phoneA": self.phone_a,
                "phoneB": self.phone_b,
                "phoneX": self.phone_x,
                "extension": self.extension,
                "groupId": self.group_id,
            }.items()
            if value not in (None, "")
        }
        for field in spec.required:
            if field not in given:
                raise InvalidInputError(_PARAMETERS[field], f"is required with mode {mode}")
        for field in given:
            if field not in spec.required + spec.optional:
                raise InvalidInputError(_PARAMETERS[field], f"is not used with mode {mode}")
        numbers: dict[str, str] = {}
        countries: dict[str, str] = {}
        for field in ("phoneA", "phoneB", "phoneX"):
            if field in given:
                check = virtual_number if field == "phoneX" else full_number
                numbers[field], countries[field] = check(_PARAMETERS[field], given[field])
        for field, country in countries.items():
            if country != countries["phoneA"]:
                raise InvalidInputError(
                    _PARAMETERS[field],
                    f"has country code {country}, phone_a has {countries['phoneA']}: "
                    "NXCloud binds numbers of one country",
                )
        if numbers.get("phoneB") == numbers["phoneA"]:
            raise InvalidInputError("phone_b", "must differ from phone_a")
        extension = None
        if "extension" in given:
            extension = str(given["extension"]).strip()
            if not vendor.PNS_EXTENSION.fullmatch(extension):
                raise InvalidInputError("extension", "must be exactly 3 digits")
        group_id = _group_id(given["groupId"]) if "groupId" in given else None
        if not isinstance(self.record, bool):
            raise InvalidInputError("record", f"must be True or False, not {self.record!r}")
        body = vendor.pns_bind_body(
            phone_a=numbers["phoneA"],
            phone_b=numbers.get("phoneB"),
            phone_x=numbers.get("phoneX"),
            extension=extension,
            group_id=group_id,
            flag=vendor.PNS_FLAG_RECORD if self.record else 0,
            expire_second=expire_second(self.expire_seconds),
        )
        return mode, body

    def _customer_bind_id(self, context: Mapping[str, Any]) -> str:
        limit = vendor.PNS_CUSTOMER_BIND_ID_MAX
        if self.customer_bind_id in (None, ""):
            return stable_name(campaign_key_from_context(context), None, max_length=limit)
        key = self.customer_bind_id
        if not isinstance(key, str) or not key.strip() or len(key) > limit:
            raise InvalidInputError("customer_bind_id", f"must be text of 1-{limit} characters")
        return key


def full_number(parameter: str, value: Any) -> tuple[str, str]:
    """``(digits with country code, country code)`` of a valid number, else InvalidInputError."""
    try:
        number = parse_number(str(value))
    except InvalidNumber as exc:
        raise InvalidInputError(
            parameter, f"is not a valid number with country code ({exc.reason})"
        ) from None
    return format_number(number, NumberFormat.DIGITS), str(number.country_code)


def virtual_number(parameter: str, value: Any) -> tuple[str, str]:
    """Like :func:`full_number`, but the number need only be possible (its length), not valid.

    Virtual numbers come from NXCloud, which knows its ranges better than phone-number
    metadata: the check catches a typo or a missing country code, not an unlisted range.
    """
    digits = re.sub(r"[\s().\-]", "", str(value or "")).removeprefix("+")
    problem = "must be a number with its country code"
    if not _VIRTUAL.fullmatch(digits):
        raise InvalidInputError(parameter, problem)
    try:
        number = phonenumbers.parse("+" + digits)
    except phonenumbers.NumberParseException:
        raise InvalidInputError(parameter, f"{problem}: no known country code") from None
    if phonenumbers.is_possible_number_with_reason(number) != phonenumbers.ValidationResult.IS_POSSIBLE:
        raise InvalidInputError(parameter, f"{problem}: wrong length for country code {number.country_code}")
    return digits, str(number.country_code)


def expire_second(value: Any) -> int:
    """``expireSecond`` from whole seconds (int or digits) or a timedelta; 0 = never expires."""
    if isinstance(value, dt.timedelta):
        seconds = value.total_seconds()
        if seconds < 0 or seconds != int(seconds):
            raise InvalidInputError("expire_seconds", "must be a whole number of seconds >= 0")
        return int(seconds)
    if isinstance(value, str) and value.strip().isdigit():
        return int(value.strip())
    if isinstance(value, int) and not isinstance(value, bool) and value >= 0:
        return value
    raise InvalidInputError(
        "expire_seconds", f"must be whole seconds >= 0 or a timedelta (0 = never), not {value!r}"
    )


# ----- unbinding, query, list --------------------------------------------------------------------


class NXCloudUnbindNumberOperator(_PnsOperator):
    """End a privacy-number binding, by ``bind_id`` or by ``customer_bind_id`` (exactly one).

    Unbinding is safe to repeat: a lost reply is answered by unbinding again at once,
    and NXCloud's "no binding" (10013) after it means the first request did it. Without
    a lost reply, 10013 means there is nothing to unbind (never bound, unbound by an
    earlier try, or expired): success with a log line when ``missing_ok``, else a failure.

    Returns ``{"bind_id", "customer_bind_id", "unbound"}``; ``unbound`` is False when there
    was nothing to unbind.

    :param bind_id: the ``bindId`` the bind returned. Templated.
    :param customer_bind_id: your ``customerBindId``: every active binding with it is ended. Templated.
    :param missing_ok: treat "no such binding" as done (default True).
    :param nxcloud_conn_id: connection of type ``nxcloud``. Templated.
    :param disposition_overrides: ``{code or "service:code": "retry"|"resign"|"fail"}``.
    """

    template_fields: Sequence[str] = ("nxcloud_conn_id", "bind_id", "customer_bind_id")

    def __init__(
        self,
        *,
        bind_id: str | None = None,
        customer_bind_id: str | None = None,
        missing_ok: bool = True,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.bind_id = bind_id
        self.customer_bind_id = customer_bind_id
        self.missing_ok = missing_ok

    def execute(self, context: Any) -> dict[str, Any]:
        with airflow_outcome():
            body = self._unbind_body()
            what = " ".join(f"{field} {value}" for field, value in body.items())
            unbound = self._unbind(self.hook, body, what)
        return {
            "bind_id": body.get("bindId"),
            "customer_bind_id": body.get("customerBindId"),
            "unbound": unbound,
        }

    def _unbind_body(self) -> dict[str, str]:
        given = {
            field: str(value).strip()
            for field, value in (("bindId", self.bind_id), ("customerBindId", self.customer_bind_id))
            if value is not None and str(value).strip()
        }
        if len(given) != 1:
            raise InvalidInputError("bind_id", "give exactly one of bind_id and customer_bind_id")
        return given

    def _unbind(self, hook: NXCloudHook, body: dict[str, str], what: str) -> bool:
        lost = False
        while True:
            try:
                hook.unbind_pns(bind_id=body.get("bindId"), customer_bind_id=body.get("customerBindId"))
                self.log.info("NXCloud binding %s unbound", what)
                return True
            except AmbiguousSendError as exc:
                if lost:
                    raise _retry_later(exc) from exc
                lost = True
                self.log.warning(
                    "NXCloud unbind of %s: the reply was lost; unbinding again (safe to repeat)", what
                )
            except PermanentAPIError as exc:
                if exc.code != vendor.PNS_NO_BINDING:
                    raise
                if lost:
                    self.log.info("NXCloud binding %s was unbound by the request whose reply was lost", what)
                    return True
                if not self.missing_ok:
                    raise AirflowFailException(
                        f"NXCloud has no active binding with {what} to unbind (never bound, already "
                        f"unbound or expired); set missing_ok=True to accept that. {exc}"
                    ) from exc
                self.log.info("NXCloud has no active binding with %s: already unbound or expired", what)
                return False


def _retry_later(exc: AmbiguousSendError) -> RetryableAPIError:
    """A lost unbind reply, twice: Airflow's retry may send it again, unbinding being idempotent."""
    return RetryableAPIError(
        platform=exc.platform,
        service=exc.service,
        code=exc.code,
        meaning=exc.meaning,
        disposition=Disposition.RETRY,
        endpoint=exc.endpoint,
        vendor_message=exc.vendor_message,
        request_id=exc.request_id,
        http_status=exc.http_status,
        in_catalog=exc.in_catalog,
        detail="unbinding is safe to repeat: the task retry unbinds again",
    )


class NXCloudQueryBindingOperator(_PnsOperator):
    """Whom ``caller`` reaches by dialling the virtual number ``did``: NXCloud's routing answer (queryAXB).

    Returns the reply's data: ``callee``, ``callId``, ``flag`` (bit 1: recorded),
    ``bindType`` (4: an extension binding) and the ``audioWhen*`` prompts. No active
    binding (10013) fails the task.

    :param caller: the calling number; its country code is optional. Templated.
    :param did: the virtual number X, with country code. Templated.
    :param extension: the 3-digit extension dialled after X (extension bindings). Templated.
    :param nxcloud_conn_id: connection of type ``nxcloud``. Templated.
    :param disposition_overrides: ``{code or "service:code": "retry"|"resign"|"fail"}``.
    """

    template_fields: Sequence[str] = ("nxcloud_conn_id", "caller", "did", "extension")

    def __init__(self, *, caller: str, did: str, extension: str | None = None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.caller = caller
        self.did = did
        self.extension = extension

    def execute(self, context: Any) -> dict[str, Any]:
        with airflow_outcome():
            caller = re.sub(r"[\s().\-]", "", str(self.caller or "")).removeprefix("+")
            if not _CALLER.fullmatch(caller):
                raise InvalidInputError(
                    "caller", "must be a phone number (4-15 digits, country code optional)"
                )
            did = virtual_number("did", self.did)[0]
            extension = None
            if self.extension not in (None, ""):
                extension = str(self.extension).strip()
                if not vendor.PNS_EXTENSION.fullmatch(extension):
                    raise InvalidInputError("extension", "must be exactly 3 digits")
            return self.hook.query_pns(caller, did, extension)


class NXCloudListBindingsOperator(_PnsOperator):
    """List the account's active bindings, paging ``getAXBList``.

    The XCom keeps a summary: ``total`` (the bindings NXCloud returned over the pages
    read), ``listed``, the first 10 bindings, and ``results_path``; every listed binding is one JSON line in
    ``results_path`` (rows as NXCloud gives them: ``bindId``, ``customerBindId``,
    ``phoneA``, ``phoneB``, ``did``, ``flag``, ``expireAt``, ``extension`` ...).

    :param limit: bindings per page, 1-1000.
    :param max_items: stop after this many bindings (default: all).
    :param results_path: where to write the JSON Lines; any ``ObjectStoragePath`` URL. Templated.
    :param nxcloud_conn_id: connection of type ``nxcloud``. Templated.
    :param disposition_overrides: ``{code or "service:code": "retry"|"resign"|"fail"}``.
    """

    template_fields: Sequence[str] = (
        "nxcloud_conn_id",
        "results_path",
    )

    def __init__(
        self,
        *,
        limit: int = vendor.PNS_LIST_MAX_LIMIT,
        max_items: int | None = None,
        results_path: Any = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.limit = limit
        self.max_items = max_items
        self.results_path = results_path

    def execute(self, context: Any) -> dict[str, Any]:
        with airflow_outcome():
            _check_page_size(self.limit, self.max_items)
            out = _open_results(self.results_path) if self.results_path else None
            sample: list[dict[str, Any]] = []
            listed = total = 0
            try:
                for rows in self.hook.list_pns_bindings(self.limit):
                    total += len(rows)
                    for row in rows[: _room(self.max_items, listed)]:
                        if out is not None:
                            out.write(json.dumps(row, ensure_ascii=False) + "\n")
                        if len(sample) < XCOM_SAMPLE:
                            sample.append(row)
                        listed += 1
                    if self.max_items is not None and listed >= self.max_items:
                        break
            finally:
                if out is not None:
                    out.close()
        self.log.info("NXCloud: %d of %d bindings listed", listed, total)
        return {
            "total": total,
            "listed": listed,
            "bindings": sample,
            "results_path": str(self.results_path) if self.results_path else None,
        }


def _check_page_size(limit: Any, max_items: Any) -> None:
    if not isinstance(limit, int) or isinstance(limit, bool) or not 1 <= limit <= vendor.PNS_LIST_MAX_LIMIT:
        raise InvalidInputError("limit", f"must be 1-{vendor.PNS_LIST_MAX_LIMIT}, not {limit!r}")
    if max_items is not None and (
        not isinstance(max_items, int) or isinstance(max_items, bool) or max_items < 1
    ):
        raise InvalidInputError("max_items", f"must be None or a whole number >= 1, not {max_items!r}")


def _room(max_items: int | None, listed: int) -> int | None:
    return None if max_items is None else max(0, max_items - listed)


def _open_results(results_path: Any) -> Any:
    from airflow.providers.common.compat.sdk import ObjectStoragePath

    path = (
        results_path if isinstance(results_path, ObjectStoragePath) else ObjectStoragePath(str(results_path))
    )
    path.parent.mkdir(parents=True, exist_ok=True)
    return path.open("w")


# ----- number groups (AXG) -----------------------------------------------------------------------


def group_phones(phones: Any) -> str:
    """The comma list createGroup / updateGroup take, every number validated (``phones: entry N: why``)."""
    numbers = validate_recipients(
        open_recipients(phones, parameter="phones"),
        NumberFormat.DIGITS,
        on_invalid="fail",
        parameter="phones",
    )
    return ",".join(recipient.number for recipient in numbers)


class NXCloudCreateNumberGroupOperator(_PnsOperator):
    """Create a number group G for AXG bindings; returns ``{"group_id", "group_name", "phones"}`` (a count).

    NXCloud's createGroup takes no key of yours, so a lost reply cannot be looked up
    safely: the task fails saying so (check ``NXCloudListNumberGroupsOperator``).

    :param phones: the members, with country code: a list, a comma-separated string or a
        file of one number per line. Templated.
    :param group_name: the group's name. Templated.
    :param remark: a note kept with the group. Templated.
    :param nxcloud_conn_id: connection of type ``nxcloud``. Templated.
    :param disposition_overrides: ``{code or "service:code": "retry"|"resign"|"fail"}``.
    """

    template_fields: Sequence[str] = ("nxcloud_conn_id", "phones", "group_name", "remark")

    def __init__(
        self, *, phones: Any, group_name: str | None = None, remark: str | None = None, **kwargs: Any
    ) -> None:
        super().__init__(**kwargs)
        self.phones = phones
        self.group_name = group_name
        self.remark = remark

    def execute(self, context: Any) -> dict[str, Any]:
        with airflow_outcome():
            phones = group_phones(self.phones)
            group_name = None if self.group_name in (None, "") else str(self.group_name)
            remark = None if self.remark in (None, "") else str(self.remark)
            group_id = self.hook.create_pns_group(phones, group_name, remark)
        self.log.info("NXCloud number group %s created with %d numbers", group_id, phones.count(",") + 1)
        # without a name NXCloud names the group after its groupId (PNS-API-create-G)
        return {"group_id": group_id, "group_name": group_name or group_id, "phones": phones.count(",") + 1}


class NXCloudUpdateNumberGroupOperator(_PnsOperator):
    """Add numbers to a group, delete numbers from it, or replace its members.

    Returns ``{"group_id", "operation", "phones"}`` (the count sent).

    :param group_id: the group's id. Templated.
    :param operation: ``"add"``, ``"delete"`` or ``"replace"``. Templated.
    :param phones: the numbers, with country code (list, comma string or file). Templated.
    :param nxcloud_conn_id: connection of type ``nxcloud``. Templated.
    :param disposition_overrides: ``{code or "service:code": "retry"|"resign"|"fail"}``.
    """

    template_fields: Sequence[str] = ("nxcloud_conn_id", "group_id", "operation", "phones")

    def __init__(self, *, group_id: str, operation: str, phones: Any, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.group_id = group_id
        self.operation = operation
        self.phones = phones

    def execute(self, context: Any) -> dict[str, Any]:
        with airflow_outcome():
            group_id = _group_id(self.group_id)
            operation = check_one_of("operation", self.operation, vendor.PNS_GROUP_OPERATIONS)
            phones = group_phones(self.phones)
            self.hook.update_pns_group(group_id, operation, phones)
        return {"group_id": group_id, "operation": operation, "phones": phones.count(",") + 1}


class NXCloudDeleteNumberGroupOperator(_PnsOperator):
    """Delete a number group; returns ``{"group_id", "deleted": True}``.

    :param group_id: the group's id. Templated.
    :param nxcloud_conn_id: connection of type ``nxcloud``. Templated.
    :param disposition_overrides: ``{code or "service:code": "retry"|"resign"|"fail"}``.
    """

    template_fields: Sequence[str] = (
        "nxcloud_conn_id",
        "group_id",
    )

    def __init__(self, *, group_id: str, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.group_id = group_id

    def execute(self, context: Any) -> dict[str, Any]:
        with airflow_outcome():
            group_id = _group_id(self.group_id)
            self.hook.delete_pns_group(group_id)
        return {"group_id": group_id, "deleted": True}


class NXCloudListNumberGroupsOperator(_PnsOperator):
    """List the account's number groups, paging ``listGroup``.

    Returns ``{"total", "groups"}`` (``total``: the groups NXCloud returned over the pages
    read), each group as NXCloud gives it (``groupId``,
    ``groupName``, ``phones`` as a comma list, ``remark``).

    :param limit: groups per page, 1-1000.
    :param max_items: stop after this many groups (default: all).
    :param nxcloud_conn_id: connection of type ``nxcloud``. Templated.
    :param disposition_overrides: ``{code or "service:code": "retry"|"resign"|"fail"}``.
    """

    def __init__(
        self, *, limit: int = vendor.PNS_LIST_MAX_LIMIT, max_items: int | None = None, **kwargs: Any
    ) -> None:
        super().__init__(**kwargs)
        self.limit = limit
        self.max_items = max_items

    def execute(self, context: Any) -> dict[str, Any]:
        groups: list[dict[str, Any]] = []
        total = 0
        with airflow_outcome():
            _check_page_size(self.limit, self.max_items)
            for rows in self.hook.list_pns_groups(self.limit):
                total += len(rows)
                groups.extend(rows[: _room(self.max_items, len(groups))])
                if self.max_items is not None and len(groups) >= self.max_items:
                    break
        return {"total": total, "groups": groups}


def _group_id(value: Any) -> str:
    text = str(value).strip() if value is not None else ""
    if not text:
        raise InvalidInputError("group_id", "is required")
    return text
