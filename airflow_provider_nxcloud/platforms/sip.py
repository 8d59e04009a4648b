"""SIP response codes as the final status of a call: what each one means, and what it says about the call.

Buka's call records carry the code the call ended with as ``terminationCode``, "Sip code, 200
means the call is successfully established" (onbuka.com/voice-api11, voice-api12, voice-api10),
and its text as ``terminationReason``. The codes and their reason phrases are the SIP
standard's: RFC 3261 section 21 (https://www.rfc-editor.org/rfc/rfc3261#section-21), with 412
(RFC 3903), 417 (RFC 4412), 422 (RFC 4028) and 603's sibling 607 (RFC 8197) from the later RFCs
that define them. The meanings below are those phrases read for an outbound call placed to a
phone number; the outcome groups them:

* ``answered``: the call was established (2xx);
* ``unanswered``: the callee's side was reached but no conversation took place (no answer,
  busy, declined, the attempt timed out or was cancelled);
* ``failed``: the call could not be placed (a wrong or unknown number, a refusal or fault of
  the network);
* ``unknown``: a provisional or redirect code, which no call should end on.

No Airflow imports: the exports and the simulator read this table.
"""

from __future__ import annotations

ANSWERED = "answered"
UNANSWERED = "unanswered"
FAILED = "failed"
UNKNOWN = "unknown"

#: code -> (meaning, outcome)
RESPONSES: dict[str, tuple[str, str]] = {
    "100": ("Trying (provisional)", UNKNOWN),
    "180": ("Ringing (provisional)", UNKNOWN),
    "181": ("Call is being forwarded (provisional)", UNKNOWN),
    "182": ("Queued (provisional)", UNKNOWN),
    "183": ("Session progress (provisional)", UNKNOWN),
    "200": ("OK: the call was established", ANSWERED),
    "300": ("Multiple choices (redirect)", UNKNOWN),
    "301": ("Moved permanently (redirect)", UNKNOWN),
    "302": ("Moved temporarily (redirect)", UNKNOWN),
    "305": ("Use proxy (redirect)", UNKNOWN),
    "380": ("Alternative service (redirect)", UNKNOWN),
    "400": ("Bad request: the network could not read the call request", FAILED),
    "401": ("Unauthorized: the network refused the caller's credentials", FAILED),
    "402": ("Payment required", FAILED),
    "403": ("Forbidden: the network refused to place the call", FAILED),
    "404": ("Not found: the number does not exist", FAILED),
    "405": ("Method not allowed", FAILED),
    "406": ("Not acceptable", FAILED),
    "407": ("Proxy authentication required", FAILED),
    "408": ("Request timeout: no final answer in time", UNANSWERED),
    "410": ("Gone: the number is no longer in service", FAILED),
    "412": ("Conditional request failed", FAILED),
    "413": ("Request entity too large", FAILED),
    "414": ("Request-URI too long", FAILED),
    "415": ("Unsupported media type", FAILED),
    "416": ("Unsupported URI scheme", FAILED),
    "417": ("Unknown resource-priority", FAILED),
    "420": ("Bad extension", FAILED),
    "421": ("Extension required", FAILED),
    "422": ("Session interval too small", FAILED),
    "423": ("Interval too brief", FAILED),
    "480": ("Temporarily unavailable: no answer, or the phone is off or out of reach", UNANSWERED),
    "481": ("Call/transaction does not exist", FAILED),
    "482": ("Loop detected", FAILED),
    "483": ("Too many hops", FAILED),
    "484": ("Address incomplete: the number is too short", FAILED),
    "485": ("Ambiguous number", FAILED),
    "486": ("Busy here: the callee's line was busy", UNANSWERED),
    "487": ("Request terminated: the call was cancelled before it was answered", UNANSWERED),
    "488": ("Not acceptable here: no common media format", FAILED),
    "491": ("Request pending", FAILED),
    "493": ("Undecipherable", FAILED),
    "500": ("Server internal error", FAILED),
    "501": ("Not implemented", FAILED),
    "502": ("Bad gateway", FAILED),
    "503": ("Service unavailable: the network could not take the call", FAILED),
    "504": ("Server time-out", FAILED),
    "505": ("Version not supported", FAILED),
    "513": ("Message too large", FAILED),
    "600": ("Busy everywhere: the callee was busy", UNANSWERED),
    "603": ("Decline: the callee rejected the call", UNANSWERED),
    "604": ("Does not exist anywhere: the number does not exist", FAILED),
    "606": ("Not acceptable: the callee's side could not take the call", FAILED),
    "607": ("Unwanted: the callee marked the call as unwanted", UNANSWERED),
}
