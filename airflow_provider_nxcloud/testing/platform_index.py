"""The three simulated platforms, each assembled from its modules' plain tables.

The one module that imports every vendor module of the simulator: each exports its
handlers (``HANDLERS``, endpoint name -> function) and imports only shared helpers,
never this index, so no module registers into another's object and the imports
under ``testing/`` form no cycle. A platform's router takes its endpoint table and
contracts from ``platforms/``, its auth and error replies from the platform's base
module (:mod:`~airflow_provider_nxcloud.testing.nxcloud`,
:mod:`~airflow_provider_nxcloud.testing.buka`,
:mod:`~airflow_provider_nxcloud.testing.fonedynamics`).
"""

from __future__ import annotations

from airflow_provider_nxcloud.platforms import buka as buka_vendor
from airflow_provider_nxcloud.platforms import buka_contracts, fonedynamics_contracts, nxcloud_contracts
from airflow_provider_nxcloud.platforms import fonedynamics as fonedynamics_vendor
from airflow_provider_nxcloud.platforms import nxcloud as nxcloud_vendor
from airflow_provider_nxcloud.testing import (
    buka,
    buka_ai_voice,
    buka_voice_tasks,
    fonedynamics,
    nxcloud,
    nxcloud_chat,
    nxcloud_number_check,
    nxcloud_pns,
)
from airflow_provider_nxcloud.testing.routing import PlatformSim, VendorRouter

NXCLOUD = PlatformSim(
    nxcloud.PLATFORM,
    nxcloud.PREFIXES,
    VendorRouter(
        nxcloud.PLATFORM,
        nxcloud_vendor.ENDPOINTS,
        handlers=(
            nxcloud.HANDLERS,
            nxcloud_chat.HANDLERS,
            nxcloud_number_check.HANDLERS,
            nxcloud_pns.HANDLERS,
        ),
        authenticate=nxcloud.authenticate,
        bad_body=nxcloud.bad_body,
        service_bad_body=nxcloud_pns.BAD_BODY,
        select=nxcloud.select_endpoint,
        contracts=nxcloud_contracts.CONTRACTS,
    ),
    nxcloud.fault_reply,
    nxcloud.code_reply,
)

BUKA = PlatformSim(
    buka.PLATFORM,
    buka.PREFIXES,
    VendorRouter(
        buka.PLATFORM,
        buka_vendor.ENDPOINTS,
        handlers=(buka.HANDLERS, buka_voice_tasks.HANDLERS, buka_ai_voice.HANDLERS),
        prefix=buka_vendor.BASE_PATH,
        authenticate=buka.authenticate,
        bad_body=buka.bad_body,
        contracts=buka_contracts.CONTRACTS,
    ),
    buka.fault_reply,
    buka.code_reply,
)

FONEDYNAMICS = PlatformSim(
    fonedynamics.PLATFORM,
    fonedynamics.PREFIXES,
    VendorRouter(
        fonedynamics.PLATFORM,
        fonedynamics_vendor.ENDPOINTS,
        handlers=(fonedynamics.HANDLERS,),
        authenticate=fonedynamics.authenticate,
        bad_body=fonedynamics.bad_body,
        contracts=fonedynamics_contracts.CONTRACTS,
    ),
    fonedynamics.fault_reply,
    fonedynamics.code_reply,
)

PLATFORMS: tuple[PlatformSim, ...] = (NXCLOUD, BUKA, FONEDYNAMICS)
