"""The provider's metrics, sent through Airflow's own ``Stats`` (statsd or OpenTelemetry, as the
deployment's ``[metrics]`` section configures; nothing when metrics are off).

The names, each under ``[metrics] statsd_prefix`` (``airflow`` by default); ``<platform>`` is
``nxcloud``, ``buka`` or ``fonedynamics``, ``<endpoint>`` the name of the vendor action
(``sms_send``, ``sms_report``... as in ``platforms/<vendor>.py``):

``nxcloud_provider.<platform>.accepted`` (counter)
    recipients the vendor accepted, counted as each batch's answer is recorded
``nxcloud_provider.<platform>.rejected`` (counter)
    recipients the vendor refused
``nxcloud_provider.<platform>.in_doubt`` (counter)
    batches whose answer was lost and that no lookup settled
``nxcloud_provider.<platform>.retried`` (counter)
    vendor requests tried again after a retryable failure
``nxcloud_provider.<platform>.<endpoint>.latency`` (timer, milliseconds)
    each vendor request that got an HTTP answer, from the request written to the body read

Plain names, no tags: the statsd backend Airflow ships drops tags unless a tagging flavour
is on, so what a metric is about is in its name.
"""

from __future__ import annotations

from airflow.providers.common.compat.sdk import Stats

PREFIX = "nxcloud_provider"


def recipients(platform: str, accepted: int, rejected: int) -> None:
    """One batch's answer: its accepted and rejected recipients."""
    if accepted:
        Stats.incr(f"{PREFIX}.{platform}.accepted", accepted)
    if rejected:
        Stats.incr(f"{PREFIX}.{platform}.rejected", rejected)


def in_doubt(platform: str) -> None:
    Stats.incr(f"{PREFIX}.{platform}.in_doubt")


def retried(platform: str) -> None:
    Stats.incr(f"{PREFIX}.{platform}.retried")


def latency(platform: str, endpoint: str, seconds: float) -> None:
    Stats.timing(f"{PREFIX}.{platform}.{endpoint}.latency", seconds * 1000.0)
