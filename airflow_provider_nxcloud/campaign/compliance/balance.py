"""The balance check before a send: the estimated cost of what is left to send against the account.

What each vendor documents:

* Buka: ``GET /v3/getBalance`` → ``balance``, ``gift``, ``credit`` (text, the account's
  currency) [onbuka.cloud/sms-api2; ``BukaHook.get_balance``];
* NXCloud: ``POST /api/common/getBalance`` → ``balance``, ``credit_balance``
  [NXcloud-API-document: Balance Inquiry.md; ``NXCloudHook.get_balance``];
* Fone Dynamics REST v2 documents no balance resource: the check is refused for it
  before anything is sent (a check that cannot be made must not look passed).

None of them documents a price query for a message (Buka's -19 "SMS price not configured"
and -26 "failed to get fee" are only errors of a send), so the price is the DAG's:
``price_per_message``, in the account's currency, per recipient (for a long SMS, the
price of all its parts). Only ``balance`` is counted: gift and credit amounts have
vendor-specific terms, so leaving them out can refuse a send that would have passed,
never the other way round.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from decimal import Decimal, InvalidOperation
from typing import Any, Protocol, runtime_checkable

from airflow_provider_nxcloud.exceptions import InvalidInputError


@runtime_checkable
class ReportsBalance(Protocol):
    """A hook with the vendor's documented balance query."""

    def get_balance(self) -> Mapping[str, Any]: ...


def check_balance_settings(
    balance_check: Any, price_per_message: Any, hook: Any, platform: str
) -> Decimal | None:
    """The price to estimate with, or None when no check is asked; InvalidInputError naming the parameter."""
    if not isinstance(balance_check, bool):
        raise InvalidInputError("balance_check", f"must be True or False, not {balance_check!r}")
    if not balance_check:
        if price_per_message is not None:
            raise InvalidInputError("price_per_message", "is only used with balance_check=True")
        return None
    if not isinstance(hook, ReportsBalance):
        raise InvalidInputError(
            "balance_check", f"{platform} documents no balance query, so the balance cannot be checked"
        )
    if isinstance(price_per_message, bool) or not isinstance(price_per_message, int | float | str | Decimal):
        raise InvalidInputError(
            "price_per_message",
            "is needed with balance_check=True: the price of one message in the account's currency "
            f"(no vendor documents a price query), not {price_per_message!r}",
        )
    try:
        price = Decimal(str(price_per_message))
    except InvalidOperation:
        raise InvalidInputError("price_per_message", f"is not a number: {price_per_message!r}") from None
    if not price.is_finite() or price <= 0:
        raise InvalidInputError(
            "price_per_message", f"must be a finite amount above 0, not {price_per_message!r}"
        )
    return price


def account_balance(hook: ReportsBalance) -> Decimal | None:
    """The account's ``balance`` as the vendor reports it; None if the reply holds no amount."""
    value = hook.get_balance().get("balance")
    try:
        amount = Decimal(str(value).strip())
    except (InvalidOperation, ValueError):
        return None
    return amount if amount.is_finite() and not math.isnan(amount) else None


def shortfall(messages: int, price: Decimal, balance: Decimal, platform: str) -> str | None:
    """Why ``messages`` at ``price`` cannot be paid from ``balance``; None when they can."""
    estimate = price * messages
    if estimate <= balance:
        return None
    return (
        f"balance_check: the estimated cost {estimate} ({messages} messages x price_per_message {price}; "
        f"the recipients left to send, suppressed ones not counted) is above the {platform} account "
        f"balance {balance}; nothing was sent"
    )
