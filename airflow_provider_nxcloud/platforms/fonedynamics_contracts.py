"""The documented request contracts of fonedynamics's endpoints (see :mod:`.contracts`), each with its source.

Written from the vendor's pages (``www.fonedynamics.com/docs/rest-api/...``, mirrored
on helpdesk.fonedynamics.com) and its official SDKs (``fonedynamics/fonedynamics-csharp``,
``fonedynamics/fonedynamics-java``), never from this provider's code. Field names are
the vendor's PascalCase. The example replies are built from the documented field
tables and the example values the pages and SDK READMEs use (the pages' own reply
examples were not in the captured copies); each says where its fields come from.
"""

from __future__ import annotations

from airflow_provider_nxcloud.platforms import fonedynamics as fd
from airflow_provider_nxcloud.platforms.contracts import Contract, FieldRule

PLATFORM = "fonedynamics"

#: E.164 with its "+" (ITU-T E.164: at most 15 digits, no leading 0)
E164 = r"\+[1-9][0-9]{1,14}"
#: ``From``: E.164, or 1-11 of A-Z a-z 0-9 and space with at least one letter
SENDER = rf"{E164}|(?=.*[A-Za-z])[A-Za-z0-9 ]{{1,11}}"

#: the optional MessageResource fields a send may carry (fd.SDK_MESSAGE, fd.DOC_SEND_SMS)
_OPTIONAL_MESSAGE_FIELDS: tuple[tuple[str, str, tuple[str, ...]], ...] = (
    ("Schedule", "integer", ()),
    ("DeliveryReceipt", "boolean", ()),
    ("WebhookUri", "string", ()),
    ("WebhookMethod", "string", fd.WEBHOOK_METHODS),
    ("DeliveryReceiptWebhookUri", "string", ()),
    ("DeliveryReceiptWebhookMethod", "string", fd.WEBHOOK_METHODS),
    ("ForwardToSms", "string", ()),
    ("ForwardFromSms", "string", ()),
    ("ForwardToEmail", "string", ()),
    ("ForwardFromEmail", "string", ()),
    ("ExternalId", "string", ()),
)


def _optional(prefix: str) -> tuple[FieldRule, ...]:
    return tuple(
        FieldRule(prefix + name, kind, required=False, choices=choices)
        for name, kind, choices in _OPTIONAL_MESSAGE_FIELDS
    )


#: a MessageResource as get-SMS documents it (fd.DOC_GET_SMS field table; SID from the SDK README,
#: From/To/Text from the batch page's example request)
_MESSAGE_RESOURCE = {
    "MessageSid": "MGTBUEHNLFOOHNSIOCSAQRRUKLMEZSLE",
    "AccountSid": "ACXXXXXXXXXXXXXXXXXXXXXXXXXXXXXX",
    "PropertySid": "PRXXXXXXXXXXXXXXXXXXXXXXXXXXXXXX",
    "From": "+61499009990",
    "To": "+61488023555",
    "Text": "You win again, gravity!",
    "DeliveryReceipt": True,
    "NumSegments": 1,
    "Status": "Processing",
    "Direction": "Transmit",
    "Scheduled": None,
    "Created": 1506038400,
    "Submitted": None,
    "Delivered": None,
    "Received": None,
    "ErrorCode": None,
}

SEND_MESSAGE = Contract(
    PLATFORM,
    "send_message",
    source=f"{fd.DOC_SEND_SMS} (helpdesk.fonedynamics.com article 17000105894); {fd.SDK_MESSAGE}",
    fields=(
        FieldRule("To", "string", pattern=E164, note="E.164 with the + prefix"),
        FieldRule("Text", "string", min_length=1, note="no length limit is documented"),
        FieldRule("From", "string", required=False, pattern=SENDER, note="blank or omitted: a leased number"),
        *_optional(""),
    ),
    example_reply={"Message": _MESSAGE_RESOURCE},
    example_source=f"{fd.DOC_GET_SMS} (MessageResource fields); SDK MessageResponse.cs ({{'Message': ...}})",
    notes=(
        "The page lists From among the resource parameters, but blank or omitted sends from a "
        "leased number, so it is optional. ExternalId is not in either SDK; the get-SMS page "
        "lists it in the MessageResource (an ASSUMPTION [FD-1] that a send may set it)."
    ),
)

SEND_BATCH = Contract(
    PLATFORM,
    "send_batch",
    source=f"{fd.DOC_SEND_BATCH} (helpdesk article 17000105895); {fd.SDK_BATCH}",
    fields=(
        FieldRule("Messages", "array", min_length=1, note="no maximum is documented"),
        FieldRule("Messages[]", "object"),
        # a message's own required fields and formats come back per element (HTTP 200), so only
        # what breaks reading the whole body is a contract of the request
        FieldRule("Messages[].To", "string", required=False),
        FieldRule("Messages[].Text", "string", required=False),
        FieldRule("Messages[].From", "string", required=False),
        *_optional("Messages[]."),
    ),
    example_reply=[
        {**_MESSAGE_RESOURCE},
        {
            "ErrorCode": "INVALID_PHONENUMBER_FORMAT",
            "Message": "A provided number is not in the expected format (E.164).",
        },
    ],
    example_source=(
        f"{fd.SDK_BATCH} (error text in 'Message', Successful => MessageSid != null); "
        "README of fonedynamics-csharp (a list, one element per message); error code and text from seed 004"
    ),
    notes=(
        "Each message is validated on its own: a refused one is an element with ErrorCode and "
        "Message under HTTP 200, so its To/Text/From rules are checked per message against "
        "send_message's contract, not here."
    ),
)

GET_MESSAGE = Contract(
    PLATFORM,
    "get_message",
    source=f"{fd.DOC_GET_SMS} (helpdesk article 17000105896); {fd.SDK_MESSAGE} Get",
    fields=(),
    example_reply={
        "Message": {
            **_MESSAGE_RESOURCE,
            "Status": "Delivered",
            "Submitted": 1506038401,
            "Delivered": 1506038405,
        }
    },
    example_source=f"{fd.DOC_GET_SMS} (MessageResource fields, Status values); {fd.SDK_STATUS}",
    notes="Only the MessageSid in the path; no query or body.",
)

LIST_MESSAGES = Contract(
    PLATFORM,
    "list_messages",
    source=f"{fd.DOC_FIND_SMS} (helpdesk article 17000105897)",
    fields=(
        FieldRule("Date_From", "integer", note="inclusive, epoch seconds UTC"),
        FieldRule("Date_To", "integer", note="exclusive, epoch seconds UTC"),
        FieldRule("Status", "string", required=False, choices=fd.MESSAGE_STATUSES),
        FieldRule("Direction", "string", required=False, choices=fd.DIRECTIONS),
        FieldRule("Results_Count", "integer", required=False, note="default 200"),
        FieldRule("Results_Skip", "integer", required=False),
    ),
    example_reply={"Messages": [{**_MESSAGE_RESOURCE, "Status": "Delivered"}]},
    example_source=f"{fd.DOC_FIND_SMS} ('a JSON formatted array of Messages Resource objects')",
    notes=(
        "ASSUMPTION [FD-2]: whether the array comes bare or under 'Messages' is not shown; the provider "
        "reads both. No TotalCount, no order and no freshness (how soon a sent message is listed) are "
        "documented, nor which stamp the date bounds compare (ASSUMPTION [FD-7]: Created)."
    ),
)

_PROJECT = {
    "AccountSid": "ACXXXXXXXXXXXXXXXXXXXXXXXXXXXXXX",
    "PropertySid": "PRXXXXXXXXXXXXXXXXXXXXXXXXXXXXXX",
    "Name": "My project",
    "MainDomain": "example.com",
    "TimeZone": "AUS Eastern Standard Time",
    "SmsEnabled": True,
}

LIST_PROPERTIES = Contract(
    PLATFORM,
    "list_properties",
    source=fd.DOC_PROJECTS,
    fields=(
        FieldRule("Results_Count", "integer", required=False, note="default 50"),
        FieldRule("Results_Skip", "integer", required=False),
    ),
    example_reply={"Projects": [_PROJECT], "TotalCount": 1, "NextPageToken": None},
    example_source=f"{fd.DOC_PROJECTS} (Projects, TotalCount, NextPageToken; Project object fields)",
)

GET_PROPERTY = Contract(
    PLATFORM,
    "get_property",
    source=fd.DOC_PROJECTS,
    fields=(),
    example_reply=_PROJECT,
    example_source=f"{fd.DOC_PROJECTS} (Project object fields; 'a single object' for one project)",
    notes="ASSUMPTION [FD-5]: the single-project reply is the bare Project object; the provider also reads Projects[0].",
)

GET_CALL = Contract(
    PLATFORM,
    "get_call",
    source=fd.DOC_CALLS,
    fields=(),
    example_reply=None,
    notes="Only the CallSid in the path. The captured page shows no reply example.",
)

LIST_CALLS = Contract(
    PLATFORM,
    "list_calls",
    source=fd.DOC_CALLS,
    fields=(
        FieldRule("Date_From", "integer", required=False, note="inclusive, epoch seconds"),
        FieldRule("Date_To", "integer", required=False, note="exclusive, epoch seconds"),
        FieldRule(
            "Disposition", "string", required=False, note="comma-delimited: " + ",".join(fd.CALL_DISPOSITIONS)
        ),
        FieldRule("To", "string", required=False, note="comma-delimited dialled numbers"),
        FieldRule("Endpoint", "string", required=False, note="comma-delimited endpoint numbers"),
        FieldRule("Results_Count", "integer", required=False),
        FieldRule("Results_Skip", "integer", required=False),
    ),
    example_reply=None,
    notes=(
        "Every filter is optional. The captured page drops the two date parameters' names; "
        "Date_From / Date_To as in the reference notes (B.4). The page shows no reply example."
    ),
)

CONTRACTS: tuple[Contract, ...] = (
    SEND_MESSAGE,
    SEND_BATCH,
    GET_MESSAGE,
    LIST_MESSAGES,
    LIST_PROPERTIES,
    GET_PROPERTY,
    GET_CALL,
    LIST_CALLS,
)

__all__ = ["CONTRACTS", "Contract", "FieldRule"]
