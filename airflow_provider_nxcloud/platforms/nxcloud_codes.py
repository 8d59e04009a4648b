"""NXCloud result codes, per service.

Where the rows come from:

* ``common`` and ``pns``: the vendor's "PNS API Error Code" page (the seed table,
  ``tests/data/seeds/000_*.txt``), which is complete for 1001-1005 and 10001-10013.
* ``sms``: the legacy and v2 SMS send pages plus the official Java SDK's ``Constant.java``
  (codes 10-17, 26, 101 and 103 exist only in the SDK).
* ``sms_report``: the legacy SMS query pages (``getSmsCdr``, ``get``, ``getSmsReport``).
  They reuse small numbers with other meanings (5 is "content too long" when sending,
  "requests too frequent" when querying), hence a service of their own.
* ``voice``: the legacy appkey voice pages (group call, notification, verification code)
  with the SDK's extra codes, and the signed voice v1 upload page (9000, 9003, 15001,
  15002). Code 78 is truncated in the source and is left out.
* ``voice_report``: the voice record query (``getVoiceCdr``), whose envelope turns the
  codes round: "1" is success and "0" any failure, the reply's ``info`` saying which.
* ``number_check``: the submit, callback and query pages of the asynchronous number check.
* ``whatsapp`` and ``viber``: the send (``mt``) pages of those channels.
* ``zalo``: the ZNS send page's error table was not read (reference §17); the rows are
  ASSUMPTION [NX-15]: the codes its sibling open-platform channels (WhatsApp, Viber) share with one
  meaning, and the receipt's failure code 17004. The other receipt codes (0 success, 17003
  delivered, 17006 journey charged, 17007 journey expired) are statuses a send reply never carries.
* ``http``: gateway statuses; NXCloud documents only HTTP 200 with a code in the body.

Every signed service falls back to ``common`` (1001-1005), which the open platform
returns before any product code. ``sms_report`` belongs to the unsigned appkey API and
does not.
"""

from __future__ import annotations

from airflow_provider_nxcloud.platforms.codes import (
    HTTP_STATUS_ROWS,
    Reason,
    Row,
    ServiceCatalog,
    service_catalog,
)

PLATFORM = "nxcloud"

COMMON_ROWS: tuple[Row, ...] = (
    (
        1001,
        "Missing public parameters: the header needs accessKey, ts, bizType, action and sign",
        Reason.INVALID_INPUT,
    ),
    (
        1002,
        "Parameter error: check bizType and action in the header and the parameters in the body",
        Reason.INVALID_INPUT,
    ),
    (
        1003,
        "Invalid signature: check the Content-Type, that the signed JSON is the body sent, and the algorithm",
        Reason.AUTH,
    ),
    (1004, "Timestamp expired: ts differs from the server clock by more than 60 seconds", Reason.CLOCK),
    (
        1005,
        "Insufficient permissions: wrong accessKey, or the account lacks this business permission",
        Reason.PERMISSION,
    ),
)

PNS_ROWS: tuple[Row, ...] = (
    (10001, "Empty binding number: the A or B number is empty", Reason.INVALID_INPUT),
    (10002, "Same binding number: the A and B numbers are the same", Reason.INVALID_INPUT),
    # why: the "user" is the calling account, resolved from the accessKey
    (10003, "User does not exist", Reason.ACCOUNT),
    (
        10004,
        "Different prefix for binding numbers: the A or B number lacks the virtual number's country code",
        Reason.INVALID_INPUT,
    ),
    (
        10005,
        "Failed to get number: an error occurred while getting the bound DID numbers",
        Reason.PLATFORM_FAULT,
    ),
    (
        10006,
        "Exception in binding numbers: an exception occurred in the bound DID numbers",
        Reason.PLATFORM_FAULT,
    ),
    # why: the virtual numbers are provisioned by NXCloud; the caller cannot add a prefix
    (10007, "Virtual number without prefix: the virtual number has no country code", Reason.CONFIGURATION),
    # why: no virtual numbers were ever provisioned for the account (10010 is "all in use")
    (
        10008,
        "User has no virtual number: buy virtual numbers for privacy number binding",
        Reason.CONFIGURATION,
    ),
    (10009, "Failed to retrieve data: an exception occurred while retrieving data", Reason.PLATFORM_FAULT),
    # why: fail, not retry. A virtual number serves an A (or B) number in one binding at a
    # time, so the pool runs out per number: only unbinding or expiry frees one, which a
    # task retry minutes later would not see; retrying would only burn the retries
    (
        10010,
        "Virtual numbers exhausted: every virtual number of the account for this country is already "
        "bound to the A or B number; release some (unbind bindings no longer needed, e.g. with "
        "NXCloudUnbindNumberOperator, or bind with a shorter expireSecond) or buy more virtual numbers",
        Reason.QUOTA,
    ),
    (10011, "Incorrect list page capacity: limit is out of range (0-1000)", Reason.INVALID_INPUT),
    (10012, "Incorrect list page starting point: offset is out of range", Reason.INVALID_INPUT),
    # why: fail, not retry: the binding was never made, was unbound or has expired, and stays
    # so. An unbind that answers it has nothing left to do (the unbind operator's missing_ok)
    (
        10013,
        "No binding exists: no active binding matches this bindId/customerBindId or this A/X or B/X "
        "pair (never bound, already unbound, or expired)",
        Reason.NOT_FOUND,
    ),
)

SMS_ROWS: tuple[Row, ...] = (
    (1, "SMS application unavailable or wrong appkey/secretkey", Reason.AUTH),
    (2, "Parameter error or empty parameter", Reason.INVALID_INPUT),
    (3, "Insufficient balance", Reason.BALANCE),
    (4, "SMS content is empty or contains a blacklisted keyword", Reason.INVALID_INPUT),
    (5, "SMS content is too long (more than 1000 characters)", Reason.LIMIT_EXCEEDED),
    (6, "Invalid phone number", Reason.INVALID_INPUT),
    (7, "Too many phone numbers in one request", Reason.LIMIT_EXCEEDED),
    (8, "Invalid sender ID: source_address must be 1-20 letters or digits", Reason.INVALID_INPUT),
    (9, "IP address not allowed for this application", Reason.PERMISSION),
    (10, "SMS content must be UTF-8 encoded", Reason.INVALID_INPUT),
    (11, "Email address format is wrong", Reason.INVALID_INPUT),
    (
        12,
        "Customer price error: no price is configured for this account and destination",
        Reason.CONFIGURATION,
    ),
    (13, "Customer application does not exist", Reason.NOT_FOUND),
    (14, "No vendor price is configured for this destination", Reason.CONFIGURATION),
    (15, "No vendor (carrier) is configured for this destination", Reason.CONFIGURATION),
    (16, "Vendor route error: no usable route to this destination", Reason.CONFIGURATION),
    (17, "Vendor error: the upstream carrier returned an error", Reason.PLATFORM_FAULT),
    (
        26,
        "Duplicate message: the same content was sent to the same number within 5 minutes",
        Reason.DUPLICATE,
    ),
    # why: the hour window outlives a task retry, and it is the vendor's anti-spam policy
    (27, "Per-number frequency limit reached: at most 5 messages per hour to one number", Reason.QUOTA),
    (28, "TPS limit reached: the application sent too many requests per second", Reason.RATE_LIMITED),
    (88, "Request failed", Reason.PLATFORM_FAULT),
    (99, "System error", Reason.PLATFORM_FAULT),
    (101, "Feature disabled for this account", Reason.PERMISSION),
    (102, "Account (or its agent) has been deactivated", Reason.ACCOUNT),
    (103, "Emoji are not supported in SMS content", Reason.INVALID_INPUT),
    (104, "Verification-code application: more than 5 numbers in one request", Reason.LIMIT_EXCEEDED),
)

SMS_REPORT_ROWS: tuple[Row, ...] = (
    (1, "Query parameters invalid", Reason.INVALID_INPUT),
    (2, "appkey or secretkey invalid", Reason.AUTH),
    (
        3,
        "Page or date parameter invalid: check page, and only the most recent 31 days can be queried",
        Reason.INVALID_INPUT,
    ),
    (4, "Page size parameter invalid: page_size must be below 1000", Reason.INVALID_INPUT),
    (5, "API request times invalid: queries are too frequent", Reason.RATE_LIMITED),
)

VOICE_ROWS: tuple[Row, ...] = (
    (1, "Voice application unavailable or wrong appkey/secretkey", Reason.AUTH),
    (2, "Parameter error or empty parameter", Reason.INVALID_INPUT),
    (3, "Insufficient balance", Reason.BALANCE),
    (4, "Voice content is empty or illegal", Reason.INVALID_INPUT),
    (5, "Voice content is too long", Reason.LIMIT_EXCEEDED),
    (6, "Invalid phone number", Reason.INVALID_INPUT),
    (9, "IP address not allowed for this application", Reason.PERMISSION),
    # why: the audio URL names an uploaded file; a missing or unreadable file stays so on retry
    (20, "Audio file URL does not exist or could not be fetched", Reason.NOT_FOUND),
    (21, "Invalid show_phone (caller ID shown to the callee)", Reason.INVALID_INPUT),
    (22, "No voice route available for this destination", Reason.CONFIGURATION),
    (23, "Invalid country code", Reason.INVALID_INPUT),
    (24, "No callee number given", Reason.INVALID_INPUT),
    # why: the hour window outlives a task retry, and it is the vendor's anti-spam policy
    (27, "Per-number frequency limit reached: too many voice codes to one number this hour", Reason.QUOTA),
    (28, "TPS limit reached: the application sent too many requests per second", Reason.RATE_LIMITED),
    (29, "Task time is not later than now: task_time must be in the future", Reason.INVALID_INPUT),
    (31, "Time zone is required when task_time is given", Reason.INVALID_INPUT),
    (77, "Audio file error", Reason.INVALID_INPUT),
    (88, "Request failed", Reason.PLATFORM_FAULT),
    (99, "System error", Reason.PLATFORM_FAULT),
    (102, "Account has been disabled", Reason.ACCOUNT),
    (9000, "Parameter error (voice file upload)", Reason.INVALID_INPUT),
    (9003, "Customer application is missing or unavailable", Reason.ACCOUNT),
    (15001, "Voice file is larger than 2 MB", Reason.LIMIT_EXCEEDED),
    (15002, "Voice file upload failed", Reason.PLATFORM_FAULT),
)

VOICE_REPORT_ROWS: tuple[Row, ...] = (
    # why: the query's only failure code; wrong keys, a bad field and a window over 24 hours
    # or older than 7 days all answer it, and each fails the same way again
    (0, "Voice record query failed: wrong appkey/secretkey or a bad parameter", Reason.INVALID_INPUT),
)

NUMBER_CHECK_ROWS: tuple[Row, ...] = (
    # submit (api/number/check)
    (201, "Parameter error or empty parameter", Reason.INVALID_INPUT),
    (202, "Number check application unavailable or wrong appkey", Reason.AUTH),
    (203, "Country or operator of the number is not recognised", Reason.INVALID_INPUT),
    (204, "Billing deduction exception", Reason.PLATFORM_FAULT),
    (205, "No pricing is configured for the number check application", Reason.CONFIGURATION),
    (206, "Number check service exception", Reason.PLATFORM_FAULT),
    (207, "Invalid checkLevel", Reason.INVALID_INPUT),
    # why: the appkey belongs to another customer than the accessKey; the caller may not use it
    (210, "The accessKey's customer differs from the appkey's customer", Reason.PERMISSION),
    (211, "Insufficient balance", Reason.BALANCE),
    (212, "batchNo is longer than 64 characters", Reason.LIMIT_EXCEEDED),
    (288, "Request failed", Reason.PLATFORM_FAULT),
    (299, "System error", Reason.PLATFORM_FAULT),
    # per-number results (callback and query rows)
    (103, "Internal error while checking the number", Reason.PLATFORM_FAULT),
    (108, "Invalid value", Reason.INVALID_INPUT),
    (112, "Backend call failed while checking the number", Reason.PLATFORM_FAULT),
    (114, "Invalid number format", Reason.INVALID_INPUT),
    (120, "Non-mobile numbers are not supported", Reason.INVALID_INPUT),
    # why: a final check outcome for this number, not a fault; a retry is a new, billed check
    (121, "Unknown: the number's status could not be determined", Reason.INVALID_INPUT),
    # why: a final check outcome for this number, not a fault; a retry is a new, billed check
    (122, "Not detected: the number could not be detected", Reason.INVALID_INPUT),
    (266, "subBalance failed: the check fee could not be deducted from the balance", Reason.BALANCE),
    # query (api/number/query)
    (88, "Query failed; the message gives the reason (e.g. a malformed date)", Reason.INVALID_INPUT),
)

WHATSAPP_ROWS: tuple[Row, ...] = (
    (-1, "NXCloud failure", Reason.PLATFORM_FAULT),
    (9000, "Parameter exception", Reason.INVALID_INPUT),
    (9001, "System business error", Reason.PLATFORM_FAULT),
    # why: business_phone is the sender registered with NXCloud, not per-message input
    (9002, "The merchant (business) number is not a WhatsApp number", Reason.CONFIGURATION),
    (9003, "WhatsApp application is missing or disabled", Reason.ACCOUNT),
    (9004, "No country pricing is configured for the application", Reason.CONFIGURATION),
    (9005, "Insufficient balance", Reason.BALANCE),
    (9006, "The WhatsApp number is not bound to the application", Reason.CONFIGURATION),
    (9007, "Downstream endpoint exception (integrator login: non-integrator request)", Reason.PLATFORM_FAULT),
    # why: Meta's errors are mostly about the message (template, recipient, window); details in data.error
    (9099, "Meta (WhatsApp) rejected the request; the details are in data.error", Reason.INVALID_INPUT),
)

VIBER_ROWS: tuple[Row, ...] = (
    (-1, "NXCloud failure", Reason.PLATFORM_FAULT),
    (1100, "Customer is missing or unavailable", Reason.ACCOUNT),
    (1102, "Insufficient balance", Reason.BALANCE),
    (9000, "Parameter error", Reason.INVALID_INPUT),
    (9001, "System error", Reason.PLATFORM_FAULT),
    (9002, "Invalid phone number", Reason.INVALID_INPUT),
    (9003, "Viber application is missing or unavailable", Reason.ACCOUNT),
    (9004, "No price quote is configured for the application", Reason.CONFIGURATION),
    (9005, "No Viber route available for this destination", Reason.CONFIGURATION),
    (9999, "Unknown error", Reason.PLATFORM_FAULT),
)

# ASSUMPTION [NX-15] (all rows): the Zalo ZNS send page's error table was not read; see the module docstring.
ZALO_ROWS: tuple[Row, ...] = (
    (-1, "NXCloud failure", Reason.PLATFORM_FAULT),
    (9000, "Parameter error", Reason.INVALID_INPUT),
    (9001, "System business error", Reason.PLATFORM_FAULT),
    (9002, "Invalid phone number: ZNS needs a Vietnamese number (84...)", Reason.INVALID_INPUT),
    (9003, "Zalo application is missing or unavailable", Reason.ACCOUNT),
    (9004, "No price quote is configured for the application", Reason.CONFIGURATION),
    # why: the receipt's failure code; Zalo refused the message (e.g. the number has no Zalo account)
    (
        17004,
        "Zalo send error: Zalo refused the message (e.g. no Zalo account for the number)",
        Reason.INVALID_INPUT,
    ),
)

CATALOGS: tuple[ServiceCatalog, ...] = (
    service_catalog(PLATFORM, "common", COMMON_ROWS),
    service_catalog(PLATFORM, "pns", PNS_ROWS, falls_back_to=("common",)),
    service_catalog(PLATFORM, "sms", SMS_ROWS, falls_back_to=("common",)),
    service_catalog(PLATFORM, "sms_report", SMS_REPORT_ROWS),
    service_catalog(PLATFORM, "voice", VOICE_ROWS, falls_back_to=("common",)),
    service_catalog(PLATFORM, "voice_report", VOICE_REPORT_ROWS),
    service_catalog(PLATFORM, "number_check", NUMBER_CHECK_ROWS, falls_back_to=("common",)),
    service_catalog(PLATFORM, "whatsapp", WHATSAPP_ROWS, falls_back_to=("common",)),
    service_catalog(PLATFORM, "viber", VIBER_ROWS, falls_back_to=("common",)),
    service_catalog(PLATFORM, "zalo", ZALO_ROWS, falls_back_to=("common",)),
    service_catalog(PLATFORM, "http", HTTP_STATUS_ROWS),
)
