"""The one way an operator, sensor or notifier gets its hook: ``hook_class`` and a cached ``hook``.

Model: ``AwsBaseHookMixin`` (amazon/aws/utils/mixins.py). A platform operator names
its hook class as a class attribute; a platform-generic class (the delivery and
job sensors, the SMS notifier) resolves it from its platform instead. The hook is
built on first use, in ``execute()`` / ``poke()`` / ``notify()``, from the rendered
connection id and ``disposition_overrides``: nothing touches the network in
``__init__``, and one task try keeps one hook (one pooled transport).
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import cached_property
from typing import Generic, TypeVar

from airflow_provider_nxcloud.exceptions import check_one_of
from airflow_provider_nxcloud.hooks.base import CPaaSHook
from airflow_provider_nxcloud.hooks.buka import BukaHook
from airflow_provider_nxcloud.hooks.fonedynamics import FoneDynamicsHook
from airflow_provider_nxcloud.hooks.nxcloud import NXCloudHook

HookT = TypeVar("HookT", bound=CPaaSHook)

#: platform (the connection type) -> its hook
PLATFORM_HOOKS: dict[str, type[CPaaSHook]] = {
    BukaHook.conn_type: BukaHook,
    NXCloudHook.conn_type: NXCloudHook,
    FoneDynamicsHook.conn_type: FoneDynamicsHook,
}


def hook_class_for(platform: str) -> type[CPaaSHook]:
    """The hook of ``platform`` (``"buka"``, ``"nxcloud"`` or ``"fonedynamics"``); InvalidInputError otherwise."""
    return PLATFORM_HOOKS[check_one_of("platform", platform, PLATFORM_HOOKS)]


class PlatformHookMixin(Generic[HookT]):
    """Gives a task its platform hook as :attr:`hook`, built once from :attr:`hook_conn_id`.

    A class using it sets ``hook_class`` (a class attribute, or a property resolving it)
    and has a ``disposition_overrides`` attribute.
    """

    disposition_overrides: Mapping[str | int, str] | None

    @property
    def hook_class(self) -> type[HookT]:
        """The platform's hook class; a subclass sets it."""
        raise NotImplementedError(f"{type(self).__name__} names no hook_class")

    @property
    def hook_conn_id(self) -> str:
        """The connection the hook reads: the attribute the hook class names (``buka_conn_id``, ...)."""
        return str(getattr(self, self.hook_class.conn_name_attr))

    @cached_property
    def hook(self) -> HookT:
        """The platform hook, built on first use (in ``execute()``, never in ``__init__``)."""
        return self.hook_class(self.hook_conn_id, disposition_overrides=self.disposition_overrides)


__all__ = ["PLATFORM_HOOKS", "PlatformHookMixin", "hook_class_for"]
