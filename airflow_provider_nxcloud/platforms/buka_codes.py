"""Buka (onbuka and its white-labels) status codes, per service.

Where the rows come from: the vendor's status-code tables on onbuka.com (the seed files
``tests/data/seeds/001_*.txt`` and ``002_*.txt``): "Response status code description"
(SMS), "Voice", "Intelligent voice", "Call Center" and "Email". Two additions come from
white-label mirrors of the same platform: SMS -29 to -32 (itniotech's SMS status-code
page) and AI voice -57 to -59 (itniotech's AI-voice pages).

The numbers collide across services (SMS -4 is "content empty", AI voice -4 is
"timestamp expired"), so each service is its own catalog and none falls back to another.
"""

from __future__ import annotations

from airflow_provider_nxcloud.platforms.codes import (
    HTTP_STATUS_ROWS,
    Reason,
    Row,
    ServiceCatalog,
    service_catalog,
)

PLATFORM = "buka"

SMS_ROWS: tuple[Row, ...] = (
    (-1, "Authentication error: wrong Api-Key or Sign", Reason.AUTH),
    (-2, "IP access limited", Reason.PERMISSION),
    (-3, "SMS content contains sensitive words", Reason.INVALID_INPUT),
    (-4, "SMS content is empty", Reason.INVALID_INPUT),
    (-5, "SMS content is over the length limit", Reason.LIMIT_EXCEEDED),
    (-6, "SMS content does not match the template", Reason.INVALID_INPUT),
    (-7, "Numbers are over the limitation: too many numbers in one request", Reason.LIMIT_EXCEEDED),
    (-8, "Number is empty", Reason.INVALID_INPUT),
    (-9, "Numbers are abnormal (invalid numbers)", Reason.INVALID_INPUT),
    (-10, "Insufficient balance to support the task", Reason.BALANCE),
    (-11, "Incorrect timing format", Reason.INVALID_INPUT),
    # why: the vendor's text asks the caller to contact its admin (seed 001): a person on the
    # vendor's side has to act, so neither a hook retry (seconds) nor a task retry can clear it
    (-12, "Due to a platform issue, bulk submission failed; contact the admin", Reason.CONFIGURATION),
    (-13, "User has been locked", Reason.ACCOUNT),
    (-14, "Field is empty or inquiry ID is abnormal", Reason.INVALID_INPUT),
    (-15, "Query too frequently", Reason.RATE_LIMITED),
    (-16, "Timestamp expired", Reason.CLOCK),
    (-17, "SMS template cannot be empty", Reason.INVALID_INPUT),
    (-18, "Port program unusual (vendor interface error)", Reason.PLATFORM_FAULT),
    (
        -19,
        "SMS pricing not confirmed: confirm SMS pricing with the business team (account manager)",
        Reason.CONFIGURATION,
    ),
    (-20, "Data already exists", Reason.DUPLICATE),
    (-21, "Data validation exception", Reason.INVALID_INPUT),
    (-22, "Parameter exception", Reason.INVALID_INPUT),
    # why: a cap on stored or sent data that a retry meets again
    (-23, "Data caps reached", Reason.QUOTA),
    (-24, "Data does not exist", Reason.NOT_FOUND),
    (-25, "Out of time range", Reason.INVALID_INPUT),
    # why: the fee lookup fails when no price is configured for the route
    (-26, "Getting fee failed (usually no price is configured for this route)", Reason.CONFIGURATION),
    (-27, "Period total send limit reached", Reason.QUOTA),
    (-28, "Period per-phone send limit reached", Reason.QUOTA),
    (-29, "WorkSpace is disabled", Reason.ACCOUNT),
    (-30, "API Key is disabled", Reason.ACCOUNT),
    (-31, "IP is not in the whitelist", Reason.PERMISSION),
    (-32, "API Key does not have permission to access the current application", Reason.PERMISSION),
)

VOICE_ROWS: tuple[Row, ...] = (
    (-1, "Authentication error: wrong Api-Key or Sign", Reason.AUTH),
    (-2, "Restricted IP access", Reason.PERMISSION),
    (-10, "The customer's balance is insufficient", Reason.BALANCE),
    (-16, "Timestamp expired", Reason.CLOCK),
    (-18, "Port program unusual (vendor interface error)", Reason.PLATFORM_FAULT),
    (-20, "Data already exists", Reason.DUPLICATE),
    (-21, "Data validation exception", Reason.INVALID_INPUT),
    (-22, "Parameter exception", Reason.INVALID_INPUT),
    # why: a cap on stored or sent data that a retry meets again
    (-23, "Data caps reached", Reason.QUOTA),
    (-24, "Data does not exist", Reason.NOT_FOUND),
    (-25, "Out of time range", Reason.INVALID_INPUT),
    # why: the fee lookup fails when no price is configured for the route
    (-26, "Getting fee failed (usually no price is configured for this route)", Reason.CONFIGURATION),
    (-29, "WorkSpace is disabled", Reason.ACCOUNT),
    (-30, "API Key is disabled", Reason.ACCOUNT),
    (-31, "IP is not in the whitelist", Reason.PERMISSION),
    (-32, "API Key does not have permission to access the current application", Reason.PERMISSION),
    (
        -34,
        "No callable number was left when the task last ended; start the group call task again",
        Reason.STATE,
    ),
    (-35, "No number called: there are no numbers to call", Reason.INVALID_INPUT),
    # why: clears only when one of the account's running group-call tasks ends ("please complete
    # the task before submitting again", seed 001), which takes as long as its calls: hours, not
    # the seconds of a hook retry. Failing names the cause at once; a DAG that should wait it out
    # overrides it ({"voice:-37": "retry"}), which Airflow's task retries (and retry_delay) honour
    # and the hook never repeats in place.
    (
        -37,
        "The group call task exceeds the maximum concurrent task limit; finish a task before submitting more",
        Reason.STATE,
    ),
    (-38, "Conversion text and language type are required", Reason.INVALID_INPUT),
    # why: the language of the given text could not be determined; the same text fails again
    (-39, "Failed to obtain the text language type", Reason.INVALID_INPUT),
    (-41, "Task name already exists", Reason.DUPLICATE),
    (-42, "Recall is allowed only when the task is canceled or completed", Reason.STATE),
    (-43, "Editing is allowed only in the waiting and paused states", Reason.STATE),
    (
        -46,
        "Daily limit of 5 long text-to-speech conversions used up; contact the business department",
        Reason.QUOTA,
    ),
    (-47, "Text to speech failed", Reason.PLATFORM_FAULT),
    (-48, "File does not exist", Reason.NOT_FOUND),
    (-49, "Wrong file source parameter", Reason.INVALID_INPUT),
    (-50, "Audio file ID is required", Reason.INVALID_INPUT),
    (-51, "Base64 file stream and file name are required", Reason.INVALID_INPUT),
    (-52, "AppId does not match API Key", Reason.PERMISSION),
    (-53, "The on-hook SMS needs at least one trigger condition", Reason.INVALID_INPUT),
    (-54, "The submitted task is wrong; check it and submit again", Reason.INVALID_INPUT),
)

AI_VOICE_ROWS: tuple[Row, ...] = (
    (-1, "Authentication error: wrong Api-Key or Sign", Reason.AUTH),
    (-3, "The customer's balance is insufficient", Reason.BALANCE),
    (-4, "Timestamp expired", Reason.CLOCK),
    (-5, "Port program unusual (vendor interface error)", Reason.PLATFORM_FAULT),
    (-6, "Restricted IP access", Reason.PERMISSION),
    # why: the fee lookup fails when no price is configured for the route
    (-12, "Getting fee failed (usually no price is configured for this route)", Reason.CONFIGURATION),
    (-27, "Abnormal parameter verification: parameter validation failed", Reason.INVALID_INPUT),
    (-28, "Automatic mode: the task start time cannot be empty", Reason.INVALID_INPUT),
    (-29, "Redial rule parameters are abnormal", Reason.INVALID_INPUT),
    (-30, "Redial interval parameters are abnormal", Reason.INVALID_INPUT),
    (-31, "Redial-on (redial condition) parameters are abnormal", Reason.INVALID_INPUT),
    (-32, "Outbound task does not exist", Reason.NOT_FOUND),
    (-33, "Outbound task name already exists", Reason.DUPLICATE),
    # why: not marked temporary by the vendor, and a blind re-import could load customers twice
    (-35, "Customer information import failed", Reason.INVALID_INPUT),
    (-37, "Application does not exist", Reason.NOT_FOUND),
    (-38, "The current task cannot be paused", Reason.STATE),
    (-39, "The current task cannot be started", Reason.STATE),
    (-41, "ID parameter abnormal", Reason.INVALID_INPUT),
    (-42, "The application name already exists", Reason.DUPLICATE),
    # why: the rates are set up by the vendor for the account, not sent in the request
    (-43, "Rates don't exist", Reason.CONFIGURATION),
    (-44, "The current task cannot be deleted", Reason.STATE),
    (-45, "No customers imported: the task cannot start", Reason.STATE),
    # why: the vendor names the network first; its parameter errors have their own code -27
    (-46, "Network exception or parameter error", Reason.PLATFORM_FAULT),
    (-47, "Network is busy, please try again later", Reason.PLATFORM_FAULT),
    (-48, "Create the daily dial-up task between 9:00 and 20:00", Reason.INVALID_INPUT),
    (-49, "Account not authenticated (verification pending)", Reason.ACCOUNT),
    (-50, "Application not quoted: the application has no price quote", Reason.CONFIGURATION),
    (-51, "Customer custom properties are incomplete", Reason.INVALID_INPUT),
    (-52, "The number of concurrent requests exceeds the upper limit", Reason.CONCURRENCY),
    (-53, "The customer already exists in this task", Reason.DUPLICATE),
    (-54, "The current task status cannot be modified", Reason.STATE),
    # why: the task's dialog flow (script) is unbound, which the operation does not allow
    (-55, "This type of operation is not allowed while the script (dialog flow) is unbound", Reason.STATE),
    (-56, "Exceeds the import limit of 100 entries", Reason.LIMIT_EXCEEDED),
    # why: like NXCloud 1001, a missing header is a request bug, not wrong credentials
    (-57, "Sign header is empty", Reason.INVALID_INPUT),
    (-58, "Timestamp header is empty", Reason.INVALID_INPUT),
    (-59, "Api-Key header is empty", Reason.INVALID_INPUT),
    (-60, "Intent level tag not found", Reason.NOT_FOUND),
)

CALL_CENTER_ROWS: tuple[Row, ...] = (
    (-1, "Authentication error: wrong Api-Key or Sign", Reason.AUTH),
    (-2, "Restricted IP access", Reason.PERMISSION),
    (-10, "The customer's balance is insufficient", Reason.BALANCE),
    (-16, "Timestamp expired", Reason.CLOCK),
    (-18, "Port program unusual (vendor interface error)", Reason.PLATFORM_FAULT),
    (-20, "Data already exists", Reason.DUPLICATE),
    (-21, "Data validation exception", Reason.INVALID_INPUT),
    (-22, "Parameter exception", Reason.INVALID_INPUT),
    # why: a cap on stored or sent data that a retry meets again
    (-23, "Data caps reached", Reason.QUOTA),
    (-24, "Data does not exist", Reason.NOT_FOUND),
    (-25, "Out of time range", Reason.INVALID_INPUT),
    # why: the fee lookup fails when no price is configured for the route
    (-26, "Getting fee failed (usually no price is configured for this route)", Reason.CONFIGURATION),
    (-27, "The format of the uploaded file is incorrect; upload again", Reason.INVALID_INPUT),
    (-29, "WorkSpace is disabled", Reason.ACCOUNT),
    (-30, "API Key is disabled", Reason.ACCOUNT),
    (-31, "IP is not in the whitelist", Reason.PERMISSION),
    (-32, "API Key does not have permission to access the current application", Reason.PERMISSION),
    (-33, "The name already exists; enter another one", Reason.DUPLICATE),
    (-34, "This job number is already used; enter another job number", Reason.DUPLICATE),
    (-35, "The search time interval cannot be greater than 32 days", Reason.LIMIT_EXCEEDED),
    (-36, "Exceeds the number that can be created", Reason.LIMIT_EXCEEDED),
    (-37, "Other customers' information cannot be manipulated", Reason.PERMISSION),
    (-38, "File too large", Reason.LIMIT_EXCEEDED),
    (-39, "The uploaded file format is incorrect", Reason.INVALID_INPUT),
    (-40, "More than 100,000 records imported; import at most 100,000", Reason.LIMIT_EXCEEDED),
    (-41, "Status error, modification failed", Reason.STATE),
    (-42, "The number of numbers is 0", Reason.INVALID_INPUT),
    (-43, "The called information header cannot be repeated", Reason.INVALID_INPUT),
    (-44, "Enter the correct trunk type for SIP", Reason.INVALID_INPUT),
    (-45, "Enter the correct trunk name for SIP", Reason.INVALID_INPUT),
    (-46, "The search agent group name cannot exceed 50 characters", Reason.LIMIT_EXCEEDED),
    (-47, "Duplicate SIP trunk name", Reason.DUPLICATE),
    (-48, "The bound agent group cannot be empty", Reason.INVALID_INPUT),
    (-49, "The bound SIP gateway IP cannot be empty", Reason.INVALID_INPUT),
    (-50, "Enter the SIP gateway IP in the correct format, at most 50 characters", Reason.INVALID_INPUT),
    (-51, "The bound agent group cannot be repeated", Reason.INVALID_INPUT),
    (-52, "The agent group has already been bound", Reason.DUPLICATE),
    (-53, "Duplicate binding of SIP gateway IP", Reason.DUPLICATE),
    (-54, "The bound SIP whitelist IP cannot be empty", Reason.INVALID_INPUT),
    (-55, "Enter the SIP whitelist IP in the correct format, at most 50 characters", Reason.INVALID_INPUT),
    (-56, "Relay (trunk) primary key ID cannot be empty", Reason.INVALID_INPUT),
    (-57, "The number must be bound to the agent group", Reason.INVALID_INPUT),
    (-58, "The number bound under the agent group must be at most 50 characters long", Reason.INVALID_INPUT),
    (
        -59,
        "The bound number already has an inbound SIP trunk; check for a repeated binding",
        Reason.DUPLICATE,
    ),
    (-60, "Duplicate binding of SIP whitelist IP", Reason.DUPLICATE),
    # why: the country direction (route) of the number is set up by the vendor, not in the request
    (-61, "The number bound to the agent group has no country direction", Reason.CONFIGURATION),
    (-63, "There are agents in this agent group; remove them before this operation", Reason.STATE),
    (-64, "Password only supports letters and numbers", Reason.INVALID_INPUT),
    (
        -65,
        "The agent group of the modified agent does not belong to the current application",
        Reason.INVALID_INPUT,
    ),
    (-66, "Country code does not exist", Reason.INVALID_INPUT),
    (-67, "The agent is currently on a call, please try again later", Reason.CONCURRENCY),
    (
        -68,
        "Agents in a group call task cannot be deleted; delete them after the group call task completes",
        Reason.STATE,
    ),
    (-69, "The agent group is bound to a team leader; unbind it before deleting", Reason.STATE),
    (-70, "The agent group is bound to a SIP trunk; unbind it before deleting", Reason.STATE),
    (
        -71,
        "No more tags can be created; delete a tag and add it again (tag names cannot repeat)",
        Reason.LIMIT_EXCEEDED,
    ),
    (-72, "Enter the label name (at most 20 characters)", Reason.INVALID_INPUT),
    (-73, "The displayed number must be 4 to 20 digits long", Reason.INVALID_INPUT),
    (-74, "The agent group does not belong to the current application", Reason.INVALID_INPUT),
    # why: the vendor gives no condition, only "contact the salesperson": an account setup matter
    (-75, "Please contact the salesperson (account setup needed by the vendor)", Reason.CONFIGURATION),
    (-76, "The search time interval cannot be greater than 93 days", Reason.LIMIT_EXCEEDED),
    (-77, "There is no minimum rate value under the application", Reason.CONFIGURATION),
)

EMAIL_ROWS: tuple[Row, ...] = (
    (-1, "Authentication error: wrong Api-Key or Sign", Reason.AUTH),
    (-2, "Repetitive submission", Reason.DUPLICATE),
    (-3, "Group name not bound; contact the business manager to bind it", Reason.CONFIGURATION),
    (-4, "User locked", Reason.ACCOUNT),
    (-5, "Field is empty or query ID is abnormal", Reason.INVALID_INPUT),
    (-6, "Timestamp expired", Reason.CLOCK),
    (-7, "Incorrect time format", Reason.INVALID_INPUT),
    (-8, "Restricted IP access", Reason.PERMISSION),
    (-9, "The sending address cannot be empty", Reason.INVALID_INPUT),
    (-10, "Sender's address is not configured in the BUKA platform", Reason.CONFIGURATION),
    (-11, "Template does not exist", Reason.NOT_FOUND),
    # why: the template exists but is not approved (yet); only its review changes that
    (-12, "Incorrect template status (template not approved)", Reason.STATE),
    (-13, "Recipient address cannot be empty", Reason.INVALID_INPUT),
    (-14, "At most 50 recipient addresses", Reason.LIMIT_EXCEEDED),
    (-15, "No valid recipient address", Reason.INVALID_INPUT),
    (-16, "Recipient list is empty, unable to send emails", Reason.INVALID_INPUT),
    (-17, "Email subject cannot be empty and is limited to 100 characters", Reason.INVALID_INPUT),
    (-18, "The variable argument cannot be recognized", Reason.INVALID_INPUT),
    (-19, "Insufficient balance, please fund your account", Reason.BALANCE),
    (-20, "Insufficient subscription package, please purchase in time", Reason.BALANCE),
    (-21, "No package available, cannot send email", Reason.BALANCE),
    (-22, "Interface exception", Reason.PLATFORM_FAULT),
    (-23, "Port program unusual (vendor interface error)", Reason.PLATFORM_FAULT),
    (-24, "Your account is not authenticated; authenticate it first", Reason.ACCOUNT),
    (-25, "Template ID can only be an integer", Reason.INVALID_INPUT),
    # why: the vendor assigns the customer manager; nothing in the request can fix it
    (-26, "No customer manager is allocated; contact customer service", Reason.CONFIGURATION),
    (-27, "Advertising logo parameter (adFlag) not recognised", Reason.INVALID_INPUT),
    (-28, "Only 200 email IDs can be queried at one time", Reason.LIMIT_EXCEEDED),
    (-29, "The callback URL cannot be empty", Reason.INVALID_INPUT),
    (-30, "TriggerID error", Reason.INVALID_INPUT),
    (-31, "Email number detection fee is not configured", Reason.CONFIGURATION),
    (-32, "Invalid email address", Reason.INVALID_INPUT),
)

CATALOGS: tuple[ServiceCatalog, ...] = (
    service_catalog(PLATFORM, "sms", SMS_ROWS),
    service_catalog(PLATFORM, "voice", VOICE_ROWS),
    service_catalog(PLATFORM, "ai_voice", AI_VOICE_ROWS),
    service_catalog(PLATFORM, "call_center", CALL_CENTER_ROWS),
    service_catalog(PLATFORM, "email", EMAIL_ROWS),
    service_catalog(PLATFORM, "http", HTTP_STATUS_ROWS),
)
