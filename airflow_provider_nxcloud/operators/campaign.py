"""What every send operator shares: recipients in, batches out, exactly once across retries.

A platform operator only names its hook class and says how to build its batch sender;
validation, progress, results and Airflow outcomes are done here once.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from decimal import Decimal
from typing import Any, ClassVar, TypeVar

import pendulum
from airflow.providers.common.compat.sdk import (
    AirflowFailException,
    AirflowSensorTimeout,
    BaseOperator,
    TaskDeferred,
    conf,
)
from airflow.providers.standard.triggers.temporal import DateTimeTrigger

from airflow_provider_nxcloud.campaign.compliance.balance import (
    ReportsBalance,
    account_balance,
    check_balance_settings,
    shortfall,
)
from airflow_provider_nxcloud.campaign.compliance.quiet_hours import (
    HORIZON_DAYS,
    QuietHours,
    is_quiet,
    next_opening,
)
from airflow_provider_nxcloud.campaign.compliance.quiet_hours import describe as describe_group
from airflow_provider_nxcloud.campaign.compliance.screening import ScreenedRecipients, screen_recipients
from airflow_provider_nxcloud.campaign.compliance.suppression import SuppressionList
from airflow_provider_nxcloud.campaign.delivery import (
    INLINE_MESSAGE_LIMIT,
    DeliveryWatch,
    check_ratio,
    delivery_options,
    describe,
)
from airflow_provider_nxcloud.campaign.engine import Batch, CampaignSummary, Sender, make_batches
from airflow_provider_nxcloud.campaign.heap import frozen_heap
from airflow_provider_nxcloud.campaign.progress import campaign_key_from_context
from airflow_provider_nxcloud.campaign.recipients import (
    RecipientSpool,
    ValidationReport,
    open_recipients,
    spool_recipients,
)
from airflow_provider_nxcloud.campaign.results import ResultsWriter
from airflow_provider_nxcloud.delivery_view import CAMPAIGN_XCOM_KEY, CampaignRecord
from airflow_provider_nxcloud.delivery_view.record import campaign_record, earlier_progress, with_delivery
from airflow_provider_nxcloud.exceptions import (
    BatchInDoubtError,
    InvalidInputError,
    check_encodable,
    check_seconds,
)
from airflow_provider_nxcloud.hooks.base import CPaaSHook
from airflow_provider_nxcloud.hooks.mixin import PlatformHookMixin
from airflow_provider_nxcloud.hooks.rate_budget import apply_rate_budget
from airflow_provider_nxcloud.jobs.watch import FAILURE, JobState
from airflow_provider_nxcloud.message_text import MessageTextFiles
from airflow_provider_nxcloud.operators.deferral import warn_deferrable_without_wait
from airflow_provider_nxcloud.operators.in_doubt import DEFAULT_RESPONSE_TIMEOUT, InDoubtQuestions
from airflow_provider_nxcloud.operators.links import (
    CampaignLink,
    VendorConsoleLink,
    announce_results,
    check_asset_outlets,
)
from airflow_provider_nxcloud.outcome import airflow_outcome
from airflow_provider_nxcloud.sensors.wait import Waiter, event_result
from airflow_provider_nxcloud.triggers.wait import MAX_CONSECUTIVE_ERRORS

#: where the send summary waits while the operator is deferred for delivery
SEND_SUMMARY_KEY = "send_summary"
#: the watch a send operator waits on (jobs.watch.WATCHES)
DELIVERY_WATCH = "delivery"
#: the method a send resumes in when a quiet-hours window opened
QUIET_HOURS_RESUME_METHOD = "resume_after_quiet_hours"

HookT = TypeVar("HookT", bound=CPaaSHook)


class CampaignSendOperator(MessageTextFiles, BaseOperator, PlatformHookMixin[HookT], InDoubtQuestions):
    """Base of the send operators; see a platform's operator for its parameters.

    Batches go out one after another, or up to the connection extra ``max_concurrency``
    at once (all within its ``max_qps``); each is still recorded in flight before its
    request and done after it, so a retry resumes exactly either way.

    A message ``text`` ending in ``.txt`` or ``.j2`` names a template file (found on the DAG
    folder or ``template_searchpath``) rendered with Jinja as the message; other fields ending
    in ``.txt`` (a recipients file) stay paths (:mod:`airflow_provider_nxcloud.message_text`).

    ``outlets``: an ``Asset`` among them gets the send summary's counts and ``results_path``
    as its event's ``extra``; an ``AssetAlias`` gets an event of the results file's own Asset
    (``file://`` or its object storage URL; ``results_path`` is then required). The task's
    "Vendor console" extra link opens the connection's console (:mod:`.operators.links`).

    :param recipients: a list of numbers, a comma-separated string, or the path /
        ``ObjectStoragePath`` URL of a file with one number per line (streamed, so a
        million recipients never travel through XCom). Templated.
    :param on_invalid: ``"fail"`` (default: an invalid number fails the task before
        anything is sent) or ``"skip"`` (invalid numbers are left out and counted).
    :param default_region: ISO region for numbers written without a country code.
    :param allowed_regions: refuse numbers of any other country (e.g. ``["SG", "MY"]``).
    :param results_path: where to write one JSON line per recipient (number, status,
        vendor id, client reference). Templated; any ``ObjectStoragePath``. Checked writable
        before the first send; a later try of the same task instance (a retry, a cleared
        task) keeps the lines an earlier try wrote and appends, never truncating the file.
    :param in_doubt: what to do with a batch that may have been accepted and that no lookup
        settles, when ``in_doubt_decisions`` does not name it: ``"ask"`` (default: ask a person
        through Airflow's Human-in-the-loop Required Actions, one batch at a time, with the
        evidence to check at the vendor; see ``operators/in_doubt.py``) or ``"fail"`` (fail
        the task naming every batch in doubt). Nothing is re-sent or dropped unasked.
    :param in_doubt_decisions: ``{batch reference: "skip"|"resend"|"fail"}``: decisions on
        named batches (the references the question or the failure gives). "skip": not sent
        again, written to the results file as ``skipped``; "resend": sent once more. A
        decision applies to its batch only. Templated.
    :param in_doubt_response_timeout: how long a question waits for its answer (a timedelta
        or seconds; default 24 hours); no answer counts as "fail".
    :param settle_delay: seconds after a batch's send before a lookup that finds none of it
        counts as absence (and before a lookup is made again); defaults to the platform's.
    :param source_changed: what a retry does when the recipients an earlier try recorded as
        sent now read differently (a file edited between tries): ``"fail"`` (default: the
        task fails before sending anything, naming the batch that changed) or
        ``"resume_by_position"`` (resume by batch position anyway; recipients who moved
        between batches may then be missed or sent twice).
    :param disposition_overrides: ``{code or "service:code": "retry"|"resign"|"fail"}``.
    :param wait_for_delivery: after sending, wait for the delivery reports (SMS, email) or
        call records (voice) as the platform's delivery sensor would; the task then fails
        if fewer than ``min_delivered_ratio`` of the accepted messages arrive (calls: are answered).
        Past 100 recipients, and always on NXCloud (one id per request: the numbers tell its
        messages apart), the wait reads the messages from ``results_path``, so it must be set:
        the task fails before sending without it. Returns the send summary with ``"delivery"``,
        the delivery summary.
    :param report_path: with ``wait_for_delivery``, where the wait writes one JSON line per message
        when it ends (number, id, outcome, when the wait saw it final, vendor status, reason), as the
        delivery sensors' ``report_path``; the delivery view reads it for the delivery counts over
        time and the failures. Templated; any ``ObjectStoragePath``. None (default): no report, as
        a report of a million messages is a file of 150 MB that should be asked for (the view then
        shows the delivery summary's counts only). Refused without ``wait_for_delivery``.
    :param deferrable: wait in the triggerer instead of holding a worker slot (the task defers
        itself to :class:`~airflow_provider_nxcloud.triggers.wait.WaitTrigger`); defaults
        to ``[operators] default_deferrable``.
    :param delivery_poll_interval: seconds between report polls while waiting (more than 0).
    :param delivery_timeout: seconds to wait for every report to be final (0 or more).
        With ``wait_for_delivery`` these, ``min_delivered_ratio`` and the report query's
        credentials are checked before the first send.
    :param suppression_list: numbers never to send to (opt-outs): a list, comma-separated text,
        or the path / ``ObjectStoragePath`` URL of a file with one number per line, in any form
        the recipients accept, normalised the same way (``default_region`` too), so
        ``+65 9123 4567`` matches ``6591234567``. Suppressed recipients are valid, not invalid:
        counted as ``"suppressed"`` in the summary and written once to the results file with
        status ``suppressed``. Entries that are not valid numbers are left out and counted in the
        log; an empty file is refused (an empty list is none). Kept as 8 bytes a number
        (:mod:`~airflow_provider_nxcloud.campaign.compliance.suppression`). Templated.
    :param quiet_hours: ``("21:00", "08:00")``: local times between which no recipient is sent
        to, in the recipient's own time zone (from the number); or per region,
        ``{"SG": ("22:00", "08:00"), "*": ("21:00", "08:00"), "US": None}`` (``"*"``: every other
        region; None or absent: no quiet hours). A number whose country spans several zones and
        whose prefix does not place it (a mobile number) is sent only when it is outside quiet
        hours in **every** zone of its country. A campaign across zones runs in rounds: the
        recipients are grouped by window and zones (a batch holds one group); each round sends
        the batches whose group is outside quiet hours at the time of their send, holds the
        others, and then waits until the first held group's window opens: deferred to a
        ``DateTimeTrigger`` (``deferrable=True``: it resumes in the same try with
        :meth:`resume_after_quiet_hours`) or asleep in the worker; then the next round, until
        nothing is held. Every round reads the source again and resumes from the campaign's
        progress record, so nothing is sent twice. A recipient with no known time zone, or
        zones that are never all outside quiet hours within three days, fails the task
        before it is sent. Templated.
    :param balance_check: before the first send of each try and round, read the account
        balance (Buka ``getBalance``, NXCloud ``getBalance``; refused on Fone Dynamics, which
        documents no balance query) and fail without retries, before any send, when
        ``price_per_message`` times the recipients left to send (suppressed ones not counted)
        is above it. Only ``balance`` counts, not gift or credit amounts.
    :param price_per_message: the price of one message in the account's currency (no vendor
        documents a price query); required with ``balance_check``.
    """

    template_fields: Sequence[str] = (
        "recipients",
        "results_path",
        "report_path",
        "in_doubt_decisions",
        "suppression_list",
        "quiet_hours",
    )
    template_fields_renderers: ClassVar[dict[str, str]] = {"recipients": "json"}
    ui_color = "#e8f4fd"
    operator_extra_links = (VendorConsoleLink(), CampaignLink())
    #: what is sent, for the task log ("SMS", "email", "voice")
    campaign_kind: ClassVar[str] = "SMS"
    #: the reports wait_for_delivery waits for: "sms", "email" or "voice" (the platform's poller
    #: in campaign.delivery); None: the platform reports nothing for what this operator sends
    delivery_kind: ClassVar[str | None] = None
    #: the attributes that say what is sent, handed by name to the sender and its checks
    content_parameters: ClassVar[tuple[str, ...]] = ()
    #: recipients are phone numbers (suppression lists and quiet hours apply)
    screens_numbers: ClassVar[bool] = True
    #: what quiet hours read the time from, and wait with when not deferrable (epoch seconds;
    #: a test sets the simulator's clock on the instance)
    clock: Callable[[], float] = staticmethod(time.time)
    sleep: Callable[[float], None] = staticmethod(time.sleep)

    def __init__(
        self,
        *,
        recipients: Any,
        on_invalid: str = "fail",
        default_region: str | None = None,
        allowed_regions: Sequence[str] | None = None,
        results_path: Any = None,
        in_doubt: str = "ask",
        in_doubt_decisions: Mapping[str, str] | None = None,
        in_doubt_response_timeout: Any = DEFAULT_RESPONSE_TIMEOUT,
        settle_delay: float | None = None,
        source_changed: str = "fail",
        disposition_overrides: Mapping[str | int, str] | None = None,
        wait_for_delivery: bool = False,
        report_path: Any = None,
        deferrable: bool = conf.getboolean("operators", "default_deferrable", fallback=False),
        min_delivered_ratio: float = 1.0,
        delivery_poll_interval: float = 30.0,
        delivery_timeout: float = 3600.0,
        suppression_list: Any = None,
        quiet_hours: Any = None,
        balance_check: bool = False,
        price_per_message: Any = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.recipients = recipients
        self.on_invalid = on_invalid
        self.default_region = default_region
        self.allowed_regions = allowed_regions
        self.results_path = results_path
        self.in_doubt = in_doubt
        self.in_doubt_decisions = in_doubt_decisions
        self.in_doubt_response_timeout = in_doubt_response_timeout
        self.settle_delay = settle_delay
        self.source_changed = source_changed
        self.disposition_overrides = disposition_overrides
        self.wait_for_delivery = wait_for_delivery
        self.report_path = report_path
        self.deferrable = deferrable
        # a wait for delivery and quiet hours are what a send defers for
        warn_deferrable_without_wait(
            self.task_id,
            deferrable,
            wait_for_delivery or quiet_hours is not None,
            "wait_for_delivery=True or quiet_hours",
        )
        self.min_delivered_ratio = min_delivered_ratio
        self.delivery_poll_interval = delivery_poll_interval
        self.delivery_timeout = delivery_timeout
        self.suppression_list = suppression_list
        self.quiet_hours = quiet_hours
        self.balance_check = balance_check
        self.price_per_message = price_per_message

    # ----- what a platform operator provides ----------------------------------------------

    def check_content(self) -> None:
        """Raise InvalidInputError for content the vendor would refuse."""

    def content(self) -> dict[str, Any]:
        """``{name: value}`` of :attr:`content_parameters`, as rendered."""
        return {name: getattr(self, name) for name in self.content_parameters}

    def open_entries(self) -> Iterator[str]:
        """The raw entries of :attr:`recipients`; a platform operator may read other source shapes."""
        return open_recipients(self.recipients)

    def build_sender(self) -> Sender:
        raise NotImplementedError

    @property
    def source_parameter(self) -> str:
        """What errors about the recipients (an invalid entry, a source changed between tries) name."""
        return "recipients"

    def delivery_settings(self) -> dict[str, Any]:
        """What the report query needs besides the messages: ``app_id``, ``poller_options`` (rendered)."""
        return {}

    # ----- the shared flow -------------------------------------------------------------------

    def execute(self, context: Any) -> dict[str, Any]:
        # the heap frozen: a million recipients' garbage collections skip Airflow's own objects
        with airflow_outcome(), frozen_heap():
            self._check_text_encodes()
            self.check_in_doubt_settings()
            self.check_content()
            quiet = self._check_screening_settings()
            apply_rate_budget(self, context)
            sender = self.build_sender()
            price = check_balance_settings(
                self.balance_check, self.price_per_message, self.hook, sender.platform
            )
            suppression = self._load_suppression_list()
            # a resumed send (after quiet hours, a person's answer) keeps its record's start and decisions
            started_at, decisions = earlier_progress(
                context["ti"].xcom_pull(task_ids=self.task_id, key=CAMPAIGN_XCOM_KEY)
            )
            try:
                while True:
                    report = self._validate_up_front(sender, suppression=suppression, quiet_hours=quiet)
                    to_send = report.valid - self._suppressed
                    self._check_waiting_is_possible(sender.platform, to_send)
                    check_asset_outlets(self.outlets, self.results_path)
                    writer = ResultsWriter(
                        self.results_path, try_number=getattr(context["ti"], "try_number", 1)
                    )
                    writer.check_writable()
                    if price is not None:
                        self._check_balance(context, sender.platform, price, to_send)
                    summary, lines = self.run_campaign(
                        context,
                        sender,
                        self._batches(sender, campaign_key_from_context(context)),
                        writer=writer,
                        source_parameter=self.source_parameter,
                        total=to_send,
                        hold=self._quiet_hold(quiet),
                    )
                    decisions += summary.decisions
                    if not summary.held_batches:
                        break
                    self._wait_for_quiet_hours_to_end(summary)
            except BatchInDoubtError as exc:
                # the send ended on batches in doubt: the view shows what the results file holds
                in_doubt = sum(batch.count for batch in exc.batches)
                self._push_record(context, sender.platform, report, decisions, started_at, in_doubt)
                raise
            except TaskDeferred:
                # paused (quiet hours hold batches; a person is asked about one): the record so far
                self._push_record(context, sender.platform, report, decisions, started_at, paused=True)
                raise
        result = summary.to_xcom()
        result.update(
            {
                "platform": sender.platform,
                "invalid": report.invalid,
                "duplicates": report.duplicates,
                "invalid_sample": [list(item) for item in report.sample[:20]],
                "results_path": str(self.results_path) if self.results_path else None,
                "results_lines": lines,
            }
        )
        if self.suppression_list is not None:
            result["suppressed"] = self._suppressed
        record = self._push_record(context, sender.platform, report, decisions, started_at, result=result)
        self.log.info(
            "%s %s campaign: %d accepted, %d rejected, %d invalid, %d duplicates in %d batches (%d resumed)",
            sender.platform,
            self.campaign_kind,
            summary.accepted,
            summary.rejected,
            report.invalid,
            report.duplicates,
            summary.batches,
            summary.resumed_batches,
        )
        if not self.wait_for_delivery:
            announce_results(self.outlets, context, result)
            return result
        # The summary must outlive a deferral: dags test and the triggerer resume in execute_complete.
        context["ti"].xcom_push(key=SEND_SUMMARY_KEY, value=result)
        with airflow_outcome():
            waiter = Waiter.for_options(
                self, DELIVERY_WATCH, self.hook, self._delivery_options(sender.platform, result)
            )
        if self.deferrable:
            waiter.defer(
                conn_id=self.hook_conn_id,
                poll_interval=self.delivery_poll_interval,
                timeout=self.delivery_timeout,
                max_consecutive_errors=MAX_CONSECUTIVE_ERRORS,
                disposition_overrides=self.disposition_overrides,
                cancel_on_kill=False,
            )
        state = self._wait_on_worker(context, waiter, record)
        result = {**result, "delivery": self._delivery_recorded(context, record, sender.platform, state)}
        announce_results(self.outlets, context, result)
        return result

    def execute_complete(self, context: Any, event: dict[str, Any] | None = None) -> dict[str, Any]:
        """Resume after the delivery wait's trigger fired: the send summary and the delivery summary."""
        result = context["ti"].xcom_pull(task_ids=self.task_id, key=SEND_SUMMARY_KEY) or {}
        record = context["ti"].xcom_pull(task_ids=self.task_id, key=CAMPAIGN_XCOM_KEY)
        try:
            state = event_result(event, self.delivery_timeout)
        except AirflowSensorTimeout:
            # a timeout event carries the last state seen (its counts) and the report written
            if isinstance(event, Mapping) and "total" in event:
                self._record_delivery(context, record, event)
            raise
        platform = str(result.get("platform", ""))
        result = {**result, "delivery": self._delivery_recorded(context, record, platform, state)}
        announce_results(self.outlets, context, result)
        return result

    def _wait_on_worker(self, context: Any, waiter: Waiter, record: Mapping[str, Any]) -> JobState:
        """The wait in poke mode; on a timeout the record still gets what the wait saw by then."""
        try:
            return waiter.wait_here(self.delivery_poll_interval, self.delivery_timeout)
        except AirflowSensorTimeout:
            if waiter.last is not None:
                self._record_delivery(context, record, {**waiter.last.details, **(waiter.concluded or {})})
            raise

    def _delivery_recorded(self, context: Any, record: Any, platform: str, state: JobState) -> dict[str, Any]:
        """The delivery summary (:meth:`_delivery_summary`), also in the campaign record, even when
        the ratio fails the task: its counts are still the campaign's."""
        try:
            return self._delivery_summary(platform, state)
        finally:
            self._record_delivery(context, record, state.details)

    def _record_delivery(self, context: Any, record: Any, delivery: Mapping[str, Any]) -> None:
        if isinstance(record, Mapping):  # None: a task resumed from before records were pushed
            context["ti"].xcom_push(key=CAMPAIGN_XCOM_KEY, value=with_delivery(record, delivery, time.time()))

    def _push_record(
        self,
        context: Any,
        platform: str,
        report: ValidationReport,
        decisions: list[dict[str, Any]],
        started_at: float,
        in_doubt: int = 0,
        *,
        result: Mapping[str, Any] | None = None,
        paused: bool = False,
    ) -> CampaignRecord:
        """Leave the campaign's record for the delivery view (:mod:`~airflow_provider_nxcloud.delivery_view`);
        without ``result`` (the send did not end) its counts are the progress record's."""
        if result is None:
            progress = self.progress_store(context).load()
            result = {
                "platform": platform,
                "results_path": str(self.results_path) if self.results_path else None,
                "accepted": progress.accepted,
                "rejected": progress.rejected,
            }
        send = result
        record = campaign_record(
            operator=type(self).__name__,
            kind=self.campaign_kind.lower(),
            send={**send, "invalid": report.invalid, "duplicates": report.duplicates},
            valid=report.valid,
            decisions=decisions,
            in_doubt=in_doubt,
            paused=paused,
            started_at=started_at,
            ended_at=time.time(),
        )
        context["ti"].xcom_push(key=CAMPAIGN_XCOM_KEY, value=record)
        return record

    def get_openlineage_facets_on_complete(self, task_instance: Any) -> Any:
        """OpenLineage (its provider calls this when installed): the recipients file in, the results file out."""
        from airflow_provider_nxcloud.operators.lineage import send_lineage

        return send_lineage(self.recipients, self.results_path)

    def _check_text_encodes(self) -> None:
        """Refuse a templated value that no request body could carry (a lone surrogate), naming it."""
        for name in self.template_fields:
            check_encodable(name, getattr(self, name, None))

    def _check_waiting_is_possible(self, platform: str, recipients: int) -> None:
        """Fail before sending if the wait asked for could not follow every message."""
        if not self.wait_for_delivery:
            if self.report_path:
                raise InvalidInputError(
                    "report_path", "is written by the delivery wait: set wait_for_delivery=True"
                )
            return
        if self.delivery_kind is None:
            raise InvalidInputError(
                "wait_for_delivery", f"{type(self).__name__} has no delivery reports to wait for"
            )
        check_seconds("delivery_poll_interval", self.delivery_poll_interval, allow_zero=False)
        check_seconds("delivery_timeout", self.delivery_timeout)
        # a wait carries at most 100 ids inline, and NXCloud gives a whole request one id (its
        # numbers tell the messages apart): the results file names every message with its number
        if not self.results_path and (recipients > INLINE_MESSAGE_LIMIT or platform == "nxcloud"):
            raise InvalidInputError(
                "results_path",
                f"is needed with wait_for_delivery for {recipients} recipients on {platform}: "
                "the delivery wait reads every message from it",
            )
        # the ratio, and the report queries' credentials (NXCloud SMS: the SMS app's key and secret):
        # known now, though the messages are known only after the send; nothing is read or sent
        check_ratio(self.min_delivered_ratio)
        settings = self.delivery_settings()
        DeliveryWatch.check_credentials(
            self.hook,
            platform,
            self.delivery_kind,
            app_id=settings.get("app_id"),
            poller_options=settings.get("poller_options"),
        )

    def _wait_settings(self) -> dict[str, Any]:
        return {"min_delivered_ratio": self.min_delivered_ratio, **self.delivery_settings()}

    def _delivery_options(self, platform: str, result: Mapping[str, Any]) -> dict[str, Any]:
        """The delivery watch's options: the results file, else the ids the send summary names (at most 100)."""
        if self.results_path:
            source: dict[str, Any] = {"results_path": self.results_path}
        elif result.get("vendor_ids"):
            source = {"message_ids": list(result["vendor_ids"])}
        else:
            raise InvalidInputError(
                "wait_for_delivery", "no message was accepted: there is no delivery to wait for"
            )
        return delivery_options(
            platform, str(self.delivery_kind), **source, report_path=self.report_path, **self._wait_settings()
        )

    def _delivery_summary(self, platform: str, state: JobState) -> dict[str, Any]:
        """The delivery summary of an ended wait; AirflowFailException (no retries) below the ratio."""
        if state.outcome == FAILURE:
            raise AirflowFailException(describe(state.details))
        self.log.info("%s", state.message)
        return {"platform": platform, **state.details}

    def _recipient_stream(self, sender: Sender) -> RecipientSpool:
        """The recipients to send to, in the vendor's format, streamed from the up-front pass's spool.

        Not the source again: each entry was read and checked once, and what is sent is
        what that check kept (invalid entries are already left out, duplicates too).
        The spool's file goes when the stream ends (:meth:`.RecipientSpool.chunks`, which
        batching reads).
        """
        return self._spool

    def _validate_up_front(
        self,
        sender: Sender,
        *,
        suppression: SuppressionList | None = None,
        quiet_hours: QuietHours | None = None,
    ) -> ValidationReport:
        """The one pass over the recipients, before the first request.

        With ``on_invalid="fail"`` an invalid number anywhere in the list fails the
        task before anything is sent; the pass also counts what "skip" leaves out,
        and spools the valid recipients for the send pass (:meth:`_recipient_stream`).
        With a suppression list or quiet hours the pass also screens them
        (:mod:`~airflow_provider_nxcloud.campaign.compliance.screening`); without, it is the plain pass.
        """
        self._suppressed = 0
        self._screened: ScreenedRecipients | None = None
        if suppression is not None or quiet_hours is not None:
            self._screened = screen_recipients(
                self.open_entries(),
                sender.number_format,
                on_invalid=self.on_invalid,
                default_region=self.default_region,
                allowed_regions=self.allowed_regions,
                suppression=suppression,
                quiet_hours=quiet_hours,
            )
            self._suppressed = self._screened.suppressed
            return self._screened.report
        self._spool: RecipientSpool = spool_recipients(
            self.open_entries(),
            sender.number_format,
            on_invalid=self.on_invalid,
            default_region=self.default_region,
            allowed_regions=self.allowed_regions,
            parameter=self.source_parameter,
        )
        return self._spool.report

    def _batches(self, sender: Sender, campaign: str) -> Iterator[Batch]:
        group = getattr(sender, "batch_group", None)
        if self._screened is not None:
            return self._screened.batches(sender.max_batch, campaign, group=group)
        return make_batches(self._recipient_stream(sender), sender.max_batch, campaign, group=group)

    # ----- compliance: suppression list, quiet hours, balance ------------------------------------

    def _check_screening_settings(self) -> QuietHours | None:
        """``quiet_hours`` checked, and both screenings refused where recipients are not numbers."""
        for name in ("suppression_list", "quiet_hours"):
            if getattr(self, name) is not None and not self.screens_numbers:
                raise InvalidInputError(
                    name, f"applies to phone numbers; {type(self).__name__} sends to others"
                )
        return QuietHours.parse(self.quiet_hours) if self.quiet_hours is not None else None

    def _load_suppression_list(self) -> SuppressionList | None:
        if self.suppression_list is None:
            return None
        suppression = SuppressionList.load(self.suppression_list, default_region=self.default_region)
        self.log.info(
            "Suppression list: %d numbers (%.1f MB), %d entries not valid numbers left out",
            len(suppression),
            suppression.nbytes / 1e6,
            suppression.invalid,
        )
        return suppression

    def _check_balance(self, context: Any, platform: str, price: Decimal, to_send: int) -> None:
        """Fail (no retries) before the first send when what is left to send costs more than the balance."""
        progress = self.progress_store(context).load()
        left = max(0, to_send - progress.accepted - progress.rejected)
        if not left:
            return
        hook = self.hook
        if not isinstance(hook, ReportsBalance):  # checked before: for the type checker
            raise InvalidInputError("balance_check", f"{platform} documents no balance query")
        balance = account_balance(hook)
        if balance is None:
            raise AirflowFailException(f"balance_check: the {platform} balance reply holds no amount")
        problem = shortfall(left, price, balance, platform)
        if problem is not None:
            raise AirflowFailException(problem)
        self.log.info(
            "Balance check: %d messages x %s = %s, within the %s balance %s",
            left,
            price,
            price * left,
            platform,
            balance,
        )

    def _quiet_hold(self, quiet: QuietHours | None) -> Callable[[Batch], bool] | None:
        """The engine's hold check: a batch whose group is inside quiet hours now (None: no quiet hours)."""
        if quiet is None:
            return None
        clock = self.clock
        return lambda batch: is_quiet(batch.time_zone_group, clock())

    def _wait_for_quiet_hours_to_end(self, summary: CampaignSummary) -> None:
        """Defer (or, not deferrable, sleep) until the first held group's window opens."""
        now = self.clock()
        openings = [next_opening(group, now) for group in summary.held_groups]
        if any(opening is None for opening in openings):
            never = [
                describe_group(g) for g, o in zip(summary.held_groups, openings, strict=True) if o is None
            ]
            raise AirflowFailException(
                f"quiet_hours: {summary.held_recipients} recipients are held, and some are never outside "
                f"quiet hours in all their time zones within {HORIZON_DAYS} days ({'; '.join(never)})"
            )
        opening = max(now, min(o for o in openings if o is not None))
        self.log.info(
            "Quiet hours: %d recipients in %d batches held; next window opens at %s",
            summary.held_recipients,
            summary.held_batches,
            pendulum.from_timestamp(opening).to_iso8601_string(),
        )
        if self.deferrable:
            self.defer(
                trigger=DateTimeTrigger(moment=pendulum.from_timestamp(opening)),
                method_name=QUIET_HOURS_RESUME_METHOD,
            )
        self.sleep(opening - now)

    def resume_after_quiet_hours(self, context: Any, event: Any = None) -> dict[str, Any]:
        """Resume when a quiet-hours window opened: the same campaign, exactly once (its progress record)."""
        return self.execute(context)
