"""NXCloud privacy numbers (PNS, bizType 5) as the simulator serves them: generation A (reference §7.1).

Every action is a signed JSON POST to ``/api/pns/``; the ``action`` header picks the
endpoint (auth in :mod:`~airflow_provider_nxcloud.testing.nxcloud`). A body that breaks the
endpoint's documented contract (:mod:`~airflow_provider_nxcloud.platforms.nxcloud_contracts`:
a required field missing, a number sent as text, ...) is refused with 1002, "parameter error",
before the checks below. Replies are
``{"code": 0, "msg": "success", "requestId", "data": {...}}``; createGroup puts
``groupId`` at the top level. Numbers are digits with the country code.

Virtual numbers (X, "DIDs") come from the account's ``pns_virtual_numbers``
(:mod:`~airflow_provider_nxcloud.testing.accounts`; ASSUMPTION [SIM-1]: a pool per account,
grouped by country code). A binding is active until it is unbound or its
``expireAt`` passes on the progress clock; ended bindings free their number.

Binds (each accepted one is a ledger entry of kind ``"binding"``: recipient
``"<phoneA>-<phoneB or groupId>"``, content the mode ``AXB`` / ``AXB_EXTENSION`` /
``AXG``, vendor id the ``bindId``, client reference the ``customerBindId``):

* ``bindAXB``: ``phoneA`` and ``phoneB`` required (10001) and different (10002); an
  account without virtual numbers answers 10008; A and B must share a country code
  that the pool has (10004). The platform picks the first number of that country no
  active binding involving A or B uses; none left: 10010.
* ``bindAXBExtension``: ``phoneA`` (10001), ``phoneX`` one of the account's numbers and
  a 3-digit ``extension`` (1002), A (and the optional B) in X's country (10004).
  ASSUMPTION [SIM-1]: X with that extension may carry one active binding (1002 otherwise).
* ``bindAXG``: ``phoneA`` (10001), ``groupId`` of an existing group (1002), ``phoneB``
  if given a member of it (1002); X is picked as for AXB, avoiding numbers A or any
  member already uses, or taken from ``phoneX`` if that one is free (1002 if not).
* Every bind: ``expireSecond`` required, 0 = never (1002); ``flag`` bit 1 = record;
  ``customerBindId`` optional and NOT deduplicated (the pages do not say NXCloud does,
  so the provider must not rely on it).

Other actions:

* ``unbindAXB``: by ``bindId`` (wins when both are given) or ``customerBindId`` (every
  active binding with it; ASSUMPTION [SIM-1]); neither: 1002; no active one: 10013.
* ``queryAXB`` {caller (country code optional), did, extension}: the active binding on
  ``did`` (with that extension; without one, only bindings without an extension;
  ASSUMPTION [SIM-1]) in which the caller takes part; the data of seed 003, callee being the
  other party (AXG: A for a member; for A, phoneB or else the group's first member;
  ASSUMPTION [SIM-1]). None: 10013.
* ``getAXBList`` {limit 0-1000 (0 = all, capped at 1000; else 10011), offset >= 0 (else
  10012)}: the active bindings, oldest first, as ``{"bindList", "total"}``; ``total`` is the
  number of bindings returned, this page's (PNS-API-list), not of all of them.
* ``createGroup`` {phones (comma list), groupName, remark}, ``updateGroup`` {groupId,
  operateType 0 add / 1 delete / 2 replace, phones}, ``deleteGroup`` {groupId},
  ``listGroup`` {limit, offset as getAXBList, both required; ``total`` this page's count,
  ASSUMPTION [NX-11]: the page says "number of number groups"}. An unknown group: 1002
  (ASSUMPTION [SIM-1]: no code is documented for it).
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable
from typing import Any

import phonenumbers
from starlette.responses import Response

from airflow_provider_nxcloud.platforms import nxcloud as vendor
from airflow_provider_nxcloud.testing.ledger import LedgerEntry
from airflow_provider_nxcloud.testing.nxcloud import PLATFORM, error_reply, reject
from airflow_provider_nxcloud.testing.routing import BadBody, BadBodyReply, Call, Handler, Reply

BINDINGS = "pns_binding"
GROUPS = "pns_group"
ACTIVE, EXPIRED = "active", "expired"
#: ``customerId`` / ``businessId`` the list rows carry (ASSUMPTION [SIM-1]: opaque ids of the account)
CUSTOMER_ID = "100001"
BUSINESS_ID = "200001"
#: the mode each bind endpoint records
MODE_OF = {mode.endpoint: name for name, mode in vendor.PNS_MODES.items()}

_NUMBER = re.compile(r"[0-9]{6,15}")
_PARAMETER_ERROR = 1002


# ----- binds ----------------------------------------------------------------------------------


def bind_axb(call: Call) -> Reply:
    body = call.json_object()
    phone_a, phone_b = _party(call, body, "phoneA"), _party(call, body, "phoneB")
    if phone_a == phone_b:
        raise reject(call, 10002)
    pool = _pool(call)
    country = _same_country(call, pool, phone_a, phone_b)
    terms = _terms(call, body)
    with call.state.store.lock:
        did = _free_number(call, pool, country, {phone_a, phone_b})
        return _bind(call, terms, phone_a=phone_a, phone_b=phone_b, did=did)


def bind_axb_extension(call: Call) -> Reply:
    body = call.json_object()
    phone_a = _party(call, body, "phoneA")
    phone_b = _optional_number(call, body, "phoneB")
    if phone_a == phone_b:
        raise reject(call, 10002)
    pool = _pool(call)
    did = _number(call, body.get("phoneX"), "phoneX")
    if did not in pool:
        raise reject(call, _PARAMETER_ERROR, "phoneX is not one of the account's virtual numbers")
    extension = body.get("extension")
    if not isinstance(extension, str) or not vendor.PNS_EXTENSION.fullmatch(extension):
        raise reject(call, _PARAMETER_ERROR, "extension must be 3 digits")
    country = _country(did)
    if any(_country(n) != country for n in (phone_a, phone_b) if n):
        raise reject(call, 10004)
    terms = _terms(call, body)
    with call.state.store.lock:
        if any(b["did"] == did and b["extension"] == extension for b in _active(call)):
            raise reject(call, _PARAMETER_ERROR, "this virtual number and extension are already bound")
        return _bind(call, terms, phone_a=phone_a, phone_b=phone_b, did=did, extension=extension)


def bind_axg(call: Call) -> Reply:
    body = call.json_object()
    phone_a = _party(call, body, "phoneA")
    group_id = body.get("groupId")
    if group_id in (None, ""):
        raise reject(call, _PARAMETER_ERROR, "groupId is required")
    phone_b = _optional_number(call, body, "phoneB")
    phone_x = _optional_number(call, body, "phoneX")
    pool = _pool(call)
    country = _same_country(call, pool, phone_a, phone_b)
    terms = _terms(call, body)
    with call.state.store.lock:
        group = _group(call, group_id)
        if phone_b and phone_b not in group["phones"]:
            raise reject(call, _PARAMETER_ERROR, "phoneB is not a member of the group")
        involved = {phone_a, *group["phones"]}
        if phone_x:
            if phone_x not in pool or _country(phone_x) != country:
                raise reject(
                    call, _PARAMETER_ERROR, "phoneX is not one of the account's numbers for this country"
                )
            if phone_x in _numbers_in_use(call, involved):
                raise reject(call, _PARAMETER_ERROR, "phoneX is already bound to A or a member of the group")
            did = phone_x
        else:
            did = _free_number(call, pool, country, involved)
        return _bind(call, terms, phone_a=phone_a, phone_b=phone_b, did=did, group_id=str(group["groupId"]))


def parameter_error_code(call: Call) -> int:
    """The code of a body that breaks its contract: 10001 when a bind's A (or AXB's B) is empty, else 1002.

    PNS-API-Error-Code: 10001 "A or B number is empty"; 1002 "check the parameters in the Body".
    """
    if call.endpoint.name not in MODE_OF:
        return _PARAMETER_ERROR
    try:
        body = call.json_object()
    except BadBody:  # not a JSON object: the generic parameter error
        return _PARAMETER_ERROR
    parties = ("phoneA", "phoneB") if call.endpoint.name == "pns_bindAXB" else ("phoneA",)
    if any(not _filled(body.get(field)) for field in parties):
        return 10001
    return _PARAMETER_ERROR


def bad_body(call: Call, exc: BadBody) -> Response:
    """PNS's reply to a body that breaks its contract: :func:`parameter_error_code` in the signed envelope."""
    return error_reply(call.endpoint, parameter_error_code(call), call.request_id, str(exc))


def _filled(value: Any) -> bool:
    return value is not None and not (isinstance(value, str) and not value.strip())


def _party(call: Call, body: dict[str, Any], field: str) -> str:
    """phoneA / phoneB of a bind: empty is 10001, anything but digits 1002."""
    value = body.get(field)
    if value is None or (isinstance(value, str) and not value.strip()):
        raise reject(call, 10001, f"{field} is empty")
    return _number(call, value, field)


def _optional_number(call: Call, body: dict[str, Any], field: str) -> str | None:
    value = body.get(field)
    if value is None or value == "":
        return None
    return _number(call, value, field)


def _number(call: Call, value: Any, field: str) -> str:
    if not isinstance(value, str) or not _NUMBER.fullmatch(value.strip()):
        raise reject(call, _PARAMETER_ERROR, f"{field} must be 6-15 digits with the country code")
    return value.strip()


def _country(number: str) -> str | None:
    try:
        return str(phonenumbers.parse("+" + number).country_code)
    except phonenumbers.NumberParseException:
        return None


def _pool(call: Call) -> tuple[str, ...]:
    pool = tuple(call.state.accounts.nxcloud.pns_virtual_numbers)
    if not pool:
        raise reject(call, 10008)
    return pool


def _same_country(call: Call, pool: Iterable[str], phone_a: str, phone_b: str | None) -> str:
    """The country A (and B) share, which must be one of the pool's: 10004 otherwise."""
    country = _country(phone_a)
    if country is None or (phone_b and _country(phone_b) != country):
        raise reject(call, 10004, "phoneA and phoneB must have the same country code")
    if country not in {_country(number) for number in pool}:
        raise reject(call, 10004, f"the account has no virtual number with country code {country}")
    return country


def _terms(call: Call, body: dict[str, Any]) -> dict[str, Any]:
    """expireSecond (required), flag and customerBindId of any bind."""
    if "expireSecond" not in body:
        raise reject(call, _PARAMETER_ERROR, "expireSecond is required (0 = never expires)")
    expire = _whole(call, body["expireSecond"], "expireSecond")
    flag = _whole(call, body.get("flag", 0), "flag")
    reference = body.get("customerBindId")
    if reference is not None and not isinstance(reference, str):
        raise reject(call, _PARAMETER_ERROR, "customerBindId must be text")
    return {"expire": expire, "flag": flag, "reference": reference or None}


def _whole(call: Call, value: Any, field: str) -> int:
    if isinstance(value, int) and not isinstance(value, bool) and value >= 0:
        return value
    if isinstance(value, str) and value.isdigit():
        return int(value)
    raise reject(call, _PARAMETER_ERROR, f"{field} must be a whole number >= 0")


def _free_number(call: Call, pool: Iterable[str], country: str, involved: set[str]) -> str:
    """The first number of the country that no active binding of these numbers uses; 10010 if none."""
    in_use = _numbers_in_use(call, involved)
    for number in pool:
        if _country(number) == country and number not in in_use:
            return number
    raise reject(call, 10010)


def _numbers_in_use(call: Call, involved: set[str]) -> set[str]:
    return {b["did"] for b in _active(call) if involved & _parties(call, b)}


def _parties(call: Call, binding: dict[str, Any]) -> set[str]:
    parties = {binding["phoneA"], *([binding["phoneB"]] if binding["phoneB"] else [])}
    if binding["groupId"]:
        group = call.state.store.table(PLATFORM, GROUPS).get(binding["groupId"])
        parties.update(group["phones"] if group else ())
    return parties


def _bind(
    call: Call,
    terms: dict[str, Any],
    *,
    phone_a: str,
    phone_b: str | None,
    did: str,
    extension: str | None = None,
    group_id: str | None = None,
) -> Reply:
    now = call.now
    bind_id = call.state.ids.digits(19)
    expires = now + terms["expire"] if terms["expire"] else None
    mode = MODE_OF[call.endpoint.name]
    binding = {
        "bindId": bind_id,
        "customerBindId": terms["reference"],
        "phoneA": phone_a,
        "phoneB": phone_b,
        "did": did,
        "extension": extension,
        "groupId": group_id,
        "flag": terms["flag"],
        "expires": expires,
        "mode": mode,
        "unbound": False,
    }
    call.state.store.table(PLATFORM, BINDINGS)[bind_id] = binding
    call.state.ledger.add(
        LedgerEntry(
            platform=PLATFORM,
            kind="binding",
            account=str(call.account),
            recipient=f"{phone_a}-{phone_b or group_id or ''}",
            content=mode,
            vendor_id=bind_id,
            client_reference=terms["reference"],
            endpoint=call.endpoint.name,
            time=now,
            status=ACTIVE,
            timeline=((now, ACTIVE), (expires, EXPIRED)) if expires is not None else (),
            details={
                "did": did,
                "extension": extension,
                "group_id": group_id,
                "flag": terms["flag"],
                "expire_seconds": terms["expire"],
            },
        )
    )
    return _ok(call, {"bindId": bind_id, "did": did})


# ----- unbind, query, list --------------------------------------------------------------------


def unbind_axb(call: Call) -> Reply:
    body = call.json_object()
    bind_id, reference = body.get("bindId"), body.get("customerBindId")
    if bind_id in (None, "") and reference in (None, ""):
        raise reject(call, _PARAMETER_ERROR, "bindId or customerBindId is required")
    with call.state.store.lock:
        if bind_id not in (None, ""):
            ending = [b for b in _active(call) if b["bindId"] == str(bind_id)]
        else:
            ending = [b for b in _active(call) if b["customerBindId"] == str(reference)]
        if not ending:
            raise reject(call, 10013)
        for binding in ending:
            binding["unbound"] = True
    return _ok(call)


def query_axb(call: Call) -> Reply:
    body = call.json_object()
    caller = body.get("caller")
    if not isinstance(caller, str) or not caller.strip().isdigit():
        raise reject(call, _PARAMETER_ERROR, "caller must be digits")
    did = _number(call, body.get("did"), "did")
    extension = body.get("extension") or None
    country = _country(did) or ""
    caller = caller.strip()
    with call.state.store.lock:
        for binding in _active(call):
            if binding["did"] != did or binding["extension"] != extension:
                continue
            callee = _callee(call, binding, caller, country)
            if callee is not None:
                mode = vendor.PNS_MODES[binding["mode"]]
                data = {
                    "callee": callee,
                    "callId": call.state.ids.digits(19),
                    "flag": binding["flag"],
                    "audioWhenCallFail": "",
                    "bindType": mode.bind_type,
                    "audioWhenDtmfNeed": "",
                    "audioWhenDtmfErr": "",
                }
                if extension:
                    data["extension"] = extension
                return _ok(call, data)
    raise reject(call, 10013)


def _callee(call: Call, binding: dict[str, Any], caller: str, country: str) -> str | None:
    """Whom ``caller`` reaches through this binding, or None when the caller is not a party to it."""

    def same(number: str | None) -> bool:
        return number is not None and number in (caller, country + caller)

    phone_a, phone_b = binding["phoneA"], binding["phoneB"]
    members: list[str] = []
    if binding["groupId"]:
        group = call.state.store.table(PLATFORM, GROUPS).get(binding["groupId"])
        members = list(group["phones"]) if group else []
    if same(phone_a):
        return phone_b or (members[0] if members else None)
    if same(phone_b) or any(same(member) for member in members):
        return str(phone_a)
    if binding["extension"] and not phone_b:
        return str(phone_a)  # X + extension without B: anyone who dials it reaches A
    return None


def get_axb_list(call: Call) -> Reply:
    body = call.json_object()
    limit, offset = _page(call, body)
    with call.state.store.lock:
        rows = [_row(b) for b in _active(call)]
    page = rows[offset : offset + limit]
    # total: "number of binding relationships returned" (PNS-API-list), i.e. of this page
    return _ok(call, {"bindList": page, "total": len(page)})


def _row(binding: dict[str, Any]) -> dict[str, Any]:
    expires = binding["expires"]
    return {
        "customerId": CUSTOMER_ID,
        "businessId": BUSINESS_ID,
        "bindId": binding["bindId"],
        "customerBindId": binding["customerBindId"] or "",
        "phoneA": binding["phoneA"],
        "phoneB": binding["phoneB"] or "",
        "did": binding["did"],
        "flag": binding["flag"],
        "expireAt": math.ceil(expires) if expires is not None else vendor.PNS_NEVER_EXPIRES,
        "extension": binding["extension"] or "",
    }


def _page(call: Call, body: dict[str, Any]) -> tuple[int, int]:
    """limit (0 = all, capped) and offset of a list request (both required): 10011 / 10012 out of range."""
    limit = _whole_in(body.get("limit"), 0, vendor.PNS_LIST_MAX_LIMIT)
    if limit is None:
        raise reject(call, 10011, f"limit must be 0-{vendor.PNS_LIST_MAX_LIMIT}")
    offset = _whole_in(body.get("offset"), 0, None)
    if offset is None:
        raise reject(call, 10012, "offset must be a whole number >= 0")
    return limit or vendor.PNS_LIST_MAX_LIMIT, offset


def _whole_in(value: Any, low: int, high: int | None) -> int | None:
    """``value`` when it is an integer in ``low..high``, else None."""
    if not isinstance(value, int) or isinstance(value, bool):
        return None
    return value if value >= low and (high is None or value <= high) else None


def _active(call: Call) -> list[dict[str, Any]]:
    """Bindings neither unbound nor expired, oldest first (the caller holds the store lock)."""
    now = call.now
    return [
        b
        for b in call.state.store.table(PLATFORM, BINDINGS).values()
        if not b["unbound"] and (b["expires"] is None or now < b["expires"])
    ]


# ----- groups ---------------------------------------------------------------------------------


def create_group(call: Call) -> Reply:
    body = call.json_object()
    phones = _phones(call, body)
    name, remark = body.get("groupName", ""), body.get("remark", "")
    if not isinstance(name, str) or not isinstance(remark, str):
        raise reject(call, _PARAMETER_ERROR, "groupName and remark must be text")
    group_id = call.state.ids.digits(12)
    with call.state.store.lock:
        call.state.store.table(PLATFORM, GROUPS)[group_id] = {
            "groupId": group_id,
            "groupName": name or group_id,  # PNS-API-create-G: empty -> named after the groupId
            "phones": phones,
            "remark": remark,
        }
    return {"code": 0, "msg": "success", "requestId": call.request_id, "groupId": group_id}


def update_group(call: Call) -> Reply:
    body = call.json_object()
    operation = body.get("operateType")
    if operation not in vendor.PNS_GROUP_OPERATIONS.values() or isinstance(operation, bool):
        raise reject(call, _PARAMETER_ERROR, "operateType must be 0 (add), 1 (delete) or 2 (replace)")
    phones = _phones(call, body)
    with call.state.store.lock:
        group = _group(call, body.get("groupId"))
        current: list[str] = group["phones"]
        if operation == vendor.PNS_GROUP_OPERATIONS["add"]:
            group["phones"] = [*current, *(p for p in phones if p not in current)]
        elif operation == vendor.PNS_GROUP_OPERATIONS["delete"]:
            group["phones"] = [p for p in current if p not in phones]
        else:
            group["phones"] = phones
    return _ok(call)


def delete_group(call: Call) -> Reply:
    body = call.json_object()
    with call.state.store.lock:
        group = _group(call, body.get("groupId"))
        del call.state.store.table(PLATFORM, GROUPS)[group["groupId"]]
    return _ok(call)


def list_group(call: Call) -> Reply:
    body = call.json_object()
    limit, offset = _page(call, body)
    with call.state.store.lock:
        groups = [
            {
                "customerId": CUSTOMER_ID,
                "groupName": g["groupName"],
                "groupId": g["groupId"],
                "phones": ",".join(g["phones"]),
                "remark": g["remark"],
            }
            for g in call.state.store.table(PLATFORM, GROUPS).values()
        ]
    page = groups[offset : offset + limit]
    return _ok(call, {"groups": page, "total": len(page)})  # as getAXBList: this page's count


def _phones(call: Call, body: dict[str, Any]) -> list[str]:
    raw = body.get("phones")
    if not isinstance(raw, str) or not raw.strip():
        raise reject(call, _PARAMETER_ERROR, "phones is required: a comma list of numbers with country code")
    phones: list[str] = []
    for part in raw.split(","):
        number = _number(call, part.strip(), "phones")
        if number not in phones:
            phones.append(number)
    return phones


def _group(call: Call, group_id: Any) -> dict[str, Any]:
    if group_id in (None, ""):
        raise reject(call, _PARAMETER_ERROR, "groupId is required")
    group = call.state.store.table(PLATFORM, GROUPS).get(str(group_id))
    if group is None:
        raise reject(call, _PARAMETER_ERROR, f"no group {group_id}")
    return group


def _ok(call: Call, data: dict[str, Any] | None = None) -> dict[str, Any]:
    reply: dict[str, Any] = {"code": 0, "msg": "success", "requestId": call.request_id}
    if data is not None:
        reply["data"] = data
    return reply


#: the endpoints this module simulates: endpoint name -> handler
HANDLERS: dict[str, Handler] = {
    "pns_bindAXB": bind_axb,
    "pns_bindAXBExtension": bind_axb_extension,
    "pns_bindAXG": bind_axg,
    "pns_unbindAXB": unbind_axb,
    "pns_queryAXB": query_axb,
    "pns_getAXBList": get_axb_list,
    "pns_createGroup": create_group,
    "pns_updateGroup": update_group,
    "pns_deleteGroup": delete_group,
    "pns_listGroup": list_group,
}

#: PNS's own reply to a bad body, by service (the platform's ``bad_body`` answers the others)
BAD_BODY: dict[str, BadBodyReply] = {"pns": bad_body}
