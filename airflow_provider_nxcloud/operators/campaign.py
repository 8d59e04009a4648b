"""What every send operator shares: recipients in, batches out, exactly once across retries.

A platform operator only says how to build its hook and its batch sender;
validation, progress, results and Airflow outcomes are done here once.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, ClassVar

from airflow.providers.common.compat.sdk import BaseOperator

from airflow_provider_nxcloud.campaign.engine import Campaign, Sender, make_batches
from airflow_provider_nxcloud.campaign.progress import campaign_key_from_context, progress_store_for
from airflow_provider_nxcloud.campaign.recipients import (
    ValidationReport,
    check_all,
    open_recipients,
    validate_recipients,
)
from airflow_provider_nxcloud.campaign.results import ResultsWriter
from airflow_provider_nxcloud.outcome import airflow_outcome


class CampaignSendOperator(BaseOperator):
    """Base of the send operators; see a platform's operator for its parameters.

    :param recipients: a list of numbers, a comma-separated string, or the path /
        ``ObjectStoragePath`` URL of a file with one number per line (streamed, so a
        million recipients never travel through XCom). Templated.
    :param on_invalid: ``"fail"`` (default: an invalid number fails the task before
        anything is sent) or ``"skip"`` (invalid numbers are left out and counted).
    :param default_region: ISO region for numbers written without a country code.
    :param allowed_regions: refuse numbers of any other country (e.g. ``["SG", "MY"]``).
    :param results_path: where to write one JSON line per recipient (number, status,
        vendor id, client reference). Templated; any ``ObjectStoragePath``.
    :param in_doubt: what to do with a batch that may have been accepted but cannot be
        looked up: ``"fail"`` (default, naming the batch), ``"skip"`` or ``"resend"``.
    :param disposition_overrides: ``{code or "service:code": "retry"|"resign"|"fail"}``.
    """

    template_fields: Sequence[str] = ("recipients", "results_path")
    template_fields_renderers: ClassVar[dict[str, str]] = {"recipients": "json"}
    ui_color = "#e8f4fd"

    def __init__(
        self,
        *,
        recipients: Any,
        on_invalid: str = "fail",
        default_region: str | None = None,
        allowed_regions: Sequence[str] | None = None,
        results_path: Any = None,
        in_doubt: str = "fail",
        disposition_overrides: Mapping[str | int, str] | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.recipients = recipients
        self.on_invalid = on_invalid
        self.default_region = default_region
        self.allowed_regions = allowed_regions
        self.results_path = results_path
        self.in_doubt = in_doubt
        self.disposition_overrides = disposition_overrides

    # ----- what a platform operator provides ----------------------------------------------

    def check_content(self) -> None:
        """Raise InvalidInputError for content the vendor would refuse."""

    def build_sender(self) -> Sender:
        raise NotImplementedError

    # ----- the shared flow -------------------------------------------------------------------

    def execute(self, context: Any) -> dict[str, Any]:
        with airflow_outcome():
            self.check_content()
            sender = self.build_sender()
            report = self._validate_up_front(sender)
            campaign = Campaign(
                sender,
                progress_store_for(context),
                writer := ResultsWriter(
                    self.results_path, try_number=getattr(context["ti"], "try_number", 1)
                ),
                in_doubt=self.in_doubt,
            )
            recipients = validate_recipients(
                open_recipients(self.recipients),
                sender.number_format,
                on_invalid="skip",  # the pass above already enforced "fail"
                default_region=self.default_region,
                allowed_regions=self.allowed_regions,
            )
            summary = campaign.run(
                make_batches(recipients, sender.max_batch, campaign_key_from_context(context))
            )
            lines = writer.finish()
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
        self.log.info(
            "%s campaign: %d accepted, %d rejected, %d invalid, %d duplicates in %d batches (%d resumed)",
            sender.platform,
            summary.accepted,
            summary.rejected,
            report.invalid,
            report.duplicates,
            summary.batches,
            summary.resumed_batches,
        )
        return result

    def _validate_up_front(self, sender: Sender) -> ValidationReport:
        """One streaming pass over the recipients before the first request.

        With ``on_invalid="fail"`` an invalid number anywhere in the list fails the
        task before anything is sent; the pass also counts what "skip" will leave out.
        """
        return check_all(
            open_recipients(self.recipients),
            sender.number_format,
            on_invalid=self.on_invalid,
            default_region=self.default_region,
            allowed_regions=self.allowed_regions,
        )
