"""The simulated vendor accounts and their defaults, in one place.

Defaults (all three are accepted by a simulator started without arguments):

============== ================================ =====================================
platform       credential                       default
============== ================================ =====================================
NXCloud        accessKey / accessSecret         ``sim-access-key`` / ``sim-access-secret``
NXCloud        SMS app appkey / secretkey       ``sim-sms-app-key`` / ``sim-sms-app-secret``
NXCloud        voice app appkey / secretkey     ``sim-voice-app-key`` / ``sim-voice-app-secret``
NXCloud        number-check app appkey          ``sim-number-check-app-key``
NXCloud        WhatsApp app appkey              ``sim-whatsapp-app-key``
NXCloud        WhatsApp business phone          ``6561234567`` (bound to the WhatsApp app)
NXCloud        WhatsApp approved templates      ``hello_world``, ``order_update``, ``otp_code``
NXCloud        Viber app appkey                 ``sim-viber-app-key``
NXCloud        Zalo app appkey                  ``sim-zalo-app-key``
NXCloud        PNS virtual numbers (DIDs)       5 in SG (``653158000[1-5]``), 3 in HK
                                                (``8523575335[2-4]``), 3 in AU (``6128000000[1-3]``)
Buka           API key / API secret             ``sim-api-key`` / ``sim-api-secret``
Buka           appIds: SMS, voice, email, AI    ``sim-sms-app``, ``sim-voice-app``,
                                                ``sim-email-app``, ``sim-ai-voice-app``
Fone Dynamics  AccountSid / Token               ``sim-account-sid`` / ``sim-token``
Fone Dynamics  PropertySid                      ``sim-property-sid``
============== ================================ =====================================

Every account reports a balance of ``1000.00``; the NXCloud account has every product
(``products``: a signed request for another answers 1005). Pass your own
:class:`NXCloudAccount`, :class:`BukaAccount` or :class:`FoneDynamicsAccount`
to ``run_simulator(...)`` to use other values. :meth:`connection` gives the
Airflow connection (JSON form) that points at the simulator with the account's
credentials, using the connection extras the hooks read.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

NXCLOUD_ACCESS_KEY = "sim-access-key"
NXCLOUD_ACCESS_SECRET = "sim-access-secret"
NXCLOUD_SMS_APP_KEY = "sim-sms-app-key"
NXCLOUD_SMS_APP_SECRET = "sim-sms-app-secret"
NXCLOUD_VOICE_APP_KEY = "sim-voice-app-key"
NXCLOUD_VOICE_APP_SECRET = "sim-voice-app-secret"
NXCLOUD_NUMBER_CHECK_APP_KEY = "sim-number-check-app-key"
NXCLOUD_WHATSAPP_APP_KEY = "sim-whatsapp-app-key"
NXCLOUD_WHATSAPP_BUSINESS_PHONE = "6561234567"
#: template names Meta approved for the simulated WhatsApp account (others answer 9099)
NXCLOUD_WHATSAPP_TEMPLATES = ("hello_world", "order_update", "otp_code")
NXCLOUD_VIBER_APP_KEY = "sim-viber-app-key"
NXCLOUD_ZALO_APP_KEY = "sim-zalo-app-key"
#: the privacy-number pool (DIDs, with country code). ASSUMPTION [SIM-1]: the vendor assigns each
#: account its own numbers per country; a handful per country keeps exhaustion (10010) testable
NXCLOUD_PNS_VIRTUAL_NUMBERS = (
    *(f"65315800{i:02d}" for i in range(1, 6)),
    *(f"8523575335{i}" for i in range(2, 5)),
    *(f"6128000000{i}" for i in range(1, 4)),
)

#: the signed API's services, as the catalogs name them (an SMS-only account: ``("sms",)``)
NXCLOUD_PRODUCTS = ("sms", "voice", "number_check", "pns", "whatsapp", "viber", "zalo")

BUKA_API_KEY = "sim-api-key"
BUKA_API_SECRET = "sim-api-secret"
BUKA_SMS_APP_ID = "sim-sms-app"
BUKA_VOICE_APP_ID = "sim-voice-app"
BUKA_EMAIL_APP_ID = "sim-email-app"
BUKA_AI_VOICE_APP_ID = "sim-ai-voice-app"

FONEDYNAMICS_ACCOUNT_SID = "sim-account-sid"
FONEDYNAMICS_TOKEN = "sim-token"
FONEDYNAMICS_PROPERTY_SID = "sim-property-sid"

DEFAULT_BALANCE = "1000.00"

#: the Airflow env vars :meth:`Simulator.connection_env` sets, per platform
CONNECTION_ENV_VARS = {
    "nxcloud": "AIRFLOW_CONN_NXCLOUD_DEFAULT",
    "buka": "AIRFLOW_CONN_BUKA_DEFAULT",
    "fonedynamics": "AIRFLOW_CONN_FONEDYNAMICS_DEFAULT",
}


def _connection(conn_type: str, login: str, password: str, host: str, extra: dict[str, Any]) -> str:
    return json.dumps(
        {"conn_type": conn_type, "login": login, "password": password, "host": host, "extra": extra}
    )


@dataclass(frozen=True)
class NXCloudAccount:
    access_key: str = NXCLOUD_ACCESS_KEY
    access_secret: str = NXCLOUD_ACCESS_SECRET
    sms_app_key: str = NXCLOUD_SMS_APP_KEY
    sms_app_secret: str = NXCLOUD_SMS_APP_SECRET
    voice_app_key: str = NXCLOUD_VOICE_APP_KEY
    voice_app_secret: str = NXCLOUD_VOICE_APP_SECRET
    number_check_app_key: str = NXCLOUD_NUMBER_CHECK_APP_KEY
    whatsapp_app_key: str = NXCLOUD_WHATSAPP_APP_KEY
    #: the WABA numbers bound to the WhatsApp app (any other business_phone answers 9006)
    whatsapp_business_phones: tuple[str, ...] = (NXCLOUD_WHATSAPP_BUSINESS_PHONE,)
    whatsapp_templates: tuple[str, ...] = NXCLOUD_WHATSAPP_TEMPLATES
    viber_app_key: str = NXCLOUD_VIBER_APP_KEY
    zalo_app_key: str = NXCLOUD_ZALO_APP_KEY
    #: the virtual numbers privacy-number bindings draw from (none: every bind answers 10008)
    pns_virtual_numbers: tuple[str, ...] = NXCLOUD_PNS_VIRTUAL_NUMBERS
    balance: str = DEFAULT_BALANCE
    #: the services of the signed API the account has bought; a signed request to another
    #: answers 1005 "the account lacks this business permission" (common codes, seed 000)
    products: tuple[str, ...] = NXCLOUD_PRODUCTS

    def legacy_apps(self) -> dict[str, dict[str, str]]:
        """appkey -> secretkey of each legacy application, per catalog service."""
        sms = {self.sms_app_key: self.sms_app_secret}
        voice = {self.voice_app_key: self.voice_app_secret}
        return {"sms": sms, "sms_report": sms, "voice": voice, "voice_report": voice}

    def connection(self, url: str) -> str:
        return _connection(
            "nxcloud",
            self.access_key,
            self.access_secret,
            url,
            {
                "sms_app_key": self.sms_app_key,
                "sms_app_secret": self.sms_app_secret,
                "voice_app_key": self.voice_app_key,
                "voice_app_secret": self.voice_app_secret,
                "number_check_app_key": self.number_check_app_key,
                "whatsapp_app_key": self.whatsapp_app_key,
                "viber_app_key": self.viber_app_key,
                "zalo_app_key": self.zalo_app_key,
            },
        )


@dataclass(frozen=True)
class BukaAccount:
    api_key: str = BUKA_API_KEY
    api_secret: str = BUKA_API_SECRET
    app_id: str = BUKA_SMS_APP_ID
    voice_app_id: str = BUKA_VOICE_APP_ID
    email_app_id: str = BUKA_EMAIL_APP_ID
    ai_voice_app_id: str = BUKA_AI_VOICE_APP_ID
    balance: str = DEFAULT_BALANCE
    #: seconds before an accepted SMS shows in getSentRcd (the page documents no freshness): a
    #: lagging list, so a lost answer its lookup cannot prove goes to a person
    sent_records_lag_s: float = 0.0
    #: getSentRcd's rows per call: 50,000 "as default" (onbuka.com/sms-api5, so an account's may
    #: differ); smaller to page a small history the way a large one is paged
    sent_records_page_rows: int = 50_000

    def app_ids(self, service: str) -> frozenset[str]:
        """The appIds valid for a service (the SMS app id is the account's default app)."""
        by_service = {
            "sms": self.app_id,
            "voice": self.voice_app_id,
            "email": self.email_app_id,
            "ai_voice": self.ai_voice_app_id,
        }
        return frozenset({by_service.get(service, self.app_id)})

    def connection(self, url: str) -> str:
        return _connection(
            "buka",
            self.api_key,
            self.api_secret,
            url,
            {
                "app_id": self.app_id,
                "voice_app_id": self.voice_app_id,
                "email_app_id": self.email_app_id,
                "ai_voice_app_id": self.ai_voice_app_id,
            },
        )


@dataclass(frozen=True)
class FoneDynamicsAccount:
    account_sid: str = FONEDYNAMICS_ACCOUNT_SID
    token: str = FONEDYNAMICS_TOKEN
    property_sid: str = FONEDYNAMICS_PROPERTY_SID
    property_name: str = "Simulated property"
    #: seconds before an accepted message shows in the find-SMS list (the vendor documents
    #: no freshness): a lagging list, for proving lookups never take "not listed" as "not sent"
    list_lag_s: float = 0.0

    def connection(self, url: str) -> str:
        return _connection(
            "fonedynamics", self.account_sid, self.token, url, {"property_sid": self.property_sid}
        )


@dataclass(frozen=True)
class Accounts:
    nxcloud: NXCloudAccount = field(default_factory=NXCloudAccount)
    buka: BukaAccount = field(default_factory=BukaAccount)
    fonedynamics: FoneDynamicsAccount = field(default_factory=FoneDynamicsAccount)

    def connection_env(self, url: str) -> dict[str, str]:
        return {
            CONNECTION_ENV_VARS["nxcloud"]: self.nxcloud.connection(url),
            CONNECTION_ENV_VARS["buka"]: self.buka.connection(url),
            CONNECTION_ENV_VARS["fonedynamics"]: self.fonedynamics.connection(url),
        }
