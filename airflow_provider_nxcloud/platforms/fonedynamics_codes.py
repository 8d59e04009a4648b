"""Fone Dynamics REST API (v2) error codes.

Where the rows come from: the vendor's "errors" page of the REST API docs (the seed file
``tests/data/seeds/004_*.txt``): its HTTP status table (400, 401, 403, 500) and its
complete ``ResponseStatus.ErrorCode`` table. Fone Dynamics reports both in one response,
so they share the single service ``rest``: HTTP statuses as int codes, ErrorCode values as
their upper-case strings.
"""

from __future__ import annotations

from airflow_provider_nxcloud.platforms.codes import Reason, Row, ServiceCatalog, service_catalog

PLATFORM = "fonedynamics"

HTTP_ROWS: tuple[Row, ...] = (
    (400, "Bad Request: the request has missing or invalid data", Reason.INVALID_INPUT),
    (401, "Unauthorized: wrong or missing credentials (AccountSid / Token)", Reason.AUTH),
    (403, "Forbidden: missing permissions, or the request would create an invalid state", Reason.PERMISSION),
    (
        500,
        "Internal Server Error: an error occurred on the server while processing the request",
        Reason.SERVER_ERROR,
    ),
    # not in the seed: generic HTTP statuses a gateway in front of the API may return
    (404, "Not Found", Reason.NOT_FOUND),
    (429, "Too Many Requests", Reason.RATE_LIMITED),
    (502, "Bad Gateway", Reason.SERVER_ERROR),
    (503, "Service Unavailable", Reason.UNAVAILABLE),
    (504, "Gateway Timeout", Reason.SERVER_ERROR),
)

ERROR_CODE_ROWS: tuple[Row, ...] = (
    ("ACCOUNT_NOT_FOUND", "A matching account could not be found", Reason.NOT_FOUND),
    (
        "ADDRESS_CANNOT_BE_DELETED",
        "The address cannot be deleted because numbers are still linked to it",
        Reason.STATE,
    ),
    ("ADDRESS_NOT_FOUND", "A matching address could not be found", Reason.NOT_FOUND),
    ("CALL_NOT_FOUND", "A matching call could not be found", Reason.NOT_FOUND),
    ("CONFLICTING_PARAMETERS", "Provided parameters are conflicting with each other", Reason.INVALID_INPUT),
    ("COUNTRY_NOT_FOUND", "A matching country could not be found", Reason.NOT_FOUND),
    # why: the country exists but the account may not use it; only the vendor can open it
    ("COUNTRY_UNAVAILABLE", "Attempted access to a country which is not available", Reason.PERMISSION),
    ("FLOW_NOT_FOUND", "A matching flow could not be found", Reason.NOT_FOUND),
    ("FORBIDDEN", "The request could not be processed due to missing permissions", Reason.PERMISSION),
    (
        "INVALID_COUNTRYCODE_FORMAT",
        "A provided country code is not in the expected format (ISO 3166-1)",
        Reason.INVALID_INPUT,
    ),
    ("INVALID_DATE_RANGE", "The provided date range is invalid", Reason.INVALID_INPUT),
    ("INVALID_EMAIL_FORMAT", "An email address is not in a valid format", Reason.INVALID_INPUT),
    ("INVALID_HTTP_METHOD", "An HTTP method is not valid", Reason.INVALID_INPUT),
    ("INVALID_HTTP_URI_FORMAT", "An HTTP URI is not in a valid format", Reason.INVALID_INPUT),
    ("INVALID_MODEL_STATE", "The provided model state is invalid", Reason.INVALID_INPUT),
    ("INVALID_PATCH_PAYLOAD", "The partial update (PATCH) payload is invalid", Reason.INVALID_INPUT),
    ("INVALID_PERMISSION_VALUE", "Permissions cannot be parsed or are invalid", Reason.INVALID_INPUT),
    (
        "INVALID_PERMISSIONS",
        "The permission set is invalid (e.g. both Account and Project are defined at the same time)",
        Reason.INVALID_INPUT,
    ),
    (
        "INVALID_PHONENUMBER_FORMAT",
        "A provided number is not in the expected format (E.164)",
        Reason.INVALID_INPUT,
    ),
    ("INVALID_SMS_DIRECTION", "The SMS direction is invalid", Reason.INVALID_INPUT),
    ("INVALID_SMS_SENDER", "The SMS sender has an invalid format", Reason.INVALID_INPUT),
    ("INVALID_SMS_STATUS", "The SMS status is invalid", Reason.INVALID_INPUT),
    ("INVALID_SMS_TEXT", "The SMS text is invalid", Reason.INVALID_INPUT),
    ("INVALID_WHISPER_MEDIAID", "A provided whisper media ID is invalid", Reason.INVALID_INPUT),
    (
        "LOCATION_NOT_FOUND",
        "The combination of geographical filters cannot be resolved to a known location",
        Reason.NOT_FOUND,
    ),
    ("MESSAGE_NOT_FOUND", "A matching SMS message could not be found", Reason.NOT_FOUND),
    ("NO_SMS_AGREEMENT", "The account for which the SMS is sent has no agreement for SMS", Reason.PERMISSION),
    # why: a recipient can hold at most 5 leases for 30 days, so a retry meets the same cap
    (
        "NUMBER_ALLOCATION_FAILED",
        "Unable to allocate a number to use as the originating number",
        Reason.CONFIGURATION,
    ),
    (
        "NUMBER_BELONGS_TO_DIFFERENT_PROPERTY",
        "The number in the request belongs to a different property than the one in the request",
        Reason.INVALID_INPUT,
    ),
    ("NUMBER_NOT_FOUND", "A matching phone number could not be found", Reason.NOT_FOUND),
    (
        "ONE_OF_SEVERAL_PARAMETERS_REQUIRED",
        "At least one of several parameters must be provided (named in the message and FieldName)",
        Reason.INVALID_INPUT,
    ),
    ("ONLINE_LOGIN_EMAIL_EXISTS", "A user with this email already exists", Reason.DUPLICATE),
    ("ONLINE_LOGIN_NOT_FOUND", "The requested online login user was not found", Reason.NOT_FOUND),
    (
        "PARAMETER_INVALID",
        "A supplied parameter is not within appropriate bounds (named in the message and FieldName)",
        Reason.INVALID_INPUT,
    ),
    (
        "PARAMETER_REQUIRED",
        "A required parameter is missing (named in the message and FieldName)",
        Reason.INVALID_INPUT,
    ),
    ("PARAMETER_TOO_LONG", "A provided parameter is too long (details in the message)", Reason.INVALID_INPUT),
    (
        "PARAMETER_TOO_SHORT",
        "A provided parameter is too short (details in the message)",
        Reason.INVALID_INPUT,
    ),
    # why: the request asks for permissions beyond what the caller itself may grant
    (
        "PERMISSION_EXCEEDS_ACCESS_BOUNDARY",
        "The permission set exceeds the allowed access boundaries",
        Reason.PERMISSION,
    ),
    ("PROJECT_LIMIT_REACHED", "The project limit for the account has been reached", Reason.QUOTA),
    ("PROPERTY_NOT_FOUND", "A matching property could not be found", Reason.NOT_FOUND),
    ("RECORD_NOT_FOUND", "The requested record was not found", Reason.NOT_FOUND),
    (
        "SCHEDULED_TIME_OUT_OF_RANGE",
        "The date/time for a scheduled event is not within the acceptable range",
        Reason.INVALID_INPUT,
    ),
    ("SIP_TRUNK_NOT_FOUND", "A matching SIP trunk could not be found", Reason.NOT_FOUND),
    # why: a deleted trunk is gone for good; the request must name another one
    ("SIP_TRUNK_WAS_DELETED", "The requested SIP trunk has been deleted", Reason.NOT_FOUND),
    (
        "SMS_LEASED_NUMBER_NOT_OWNED",
        "The SMS was sent from a leased number not owned by the sender",
        Reason.PERMISSION,
    ),
    (
        "SMS_NOT_ENABLED",
        "SMS has not been enabled for the property for which the SMS is sent",
        Reason.PERMISSION,
    ),
    ("UNKNOWN_CAPABILITY", "A provided capability is not known", Reason.INVALID_INPUT),
    ("UNKNOWN_DISPOSITION", "A provided disposition is not known", Reason.INVALID_INPUT),
    ("UNKNOWN_NUMBERTYPE", "A provided number type is not known", Reason.INVALID_INPUT),
    ("UNKNOWN_PREAMBLE_OPTION", "A provided preamble option is unknown", Reason.INVALID_INPUT),
    ("UNKNOWN_RECORDING_OPTION", "A provided recording option is not known", Reason.INVALID_INPUT),
    ("UNKNOWN_ROUTING_METHOD", "A provided routing method is not known", Reason.INVALID_INPUT),
    ("UNKNOWN_TIME_ZONE", "The provided time zone value is not known", Reason.INVALID_INPUT),
)

CATALOGS: tuple[ServiceCatalog, ...] = (service_catalog(PLATFORM, "rest", HTTP_ROWS + ERROR_CODE_ROWS),)
