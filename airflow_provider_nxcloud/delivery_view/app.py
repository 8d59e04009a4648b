"""The delivery view's API and page: a FastAPI app the plugin mounts in Airflow's API server.

Airflow does not protect a plugin's app. Every API request here resolves its user the way
Airflow's own API does (an ``Authorization: Bearer`` token first, else the UI's JWT cookie, read
by the configured auth manager) and is answered only with campaigns of DAGs whose XComs that
auth manager lets the user read: a campaign record *is* an XCom of its send task, so the
question asked is the one Airflow's XCom routes ask (``GET`` on ``DagAccessEntity.XCOM`` for the
DAG). No token: 401. A campaign of a DAG the user may not read: 403, before anything of it is
looked up, so the answer does not even say whether it exists.

The page (``GET /``) is plain HTML and JavaScript with inline SVG charts, served by this app
(no build step, nothing fetched from elsewhere); it addresses the API by relative URLs, because
the app is mounted under a prefix, behind Airflow's ``base_url``, and shown in the UI's iframe.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import TYPE_CHECKING, Annotated, Any, Protocol, TypeVar, cast

from fastapi import Depends, FastAPI, HTTPException, Query, Request, status
from fastapi.responses import HTMLResponse

from airflow_provider_nxcloud.delivery_view import CAMPAIGN_XCOM_KEY, DELIVERY_XCOM_KEY, CampaignRecord

if TYPE_CHECKING:
    from airflow.api_fastapi.auth.managers.base_auth_manager import BaseAuthManager

T = TypeVar("T")

#: the most campaigns one list request returns
MAX_LIMIT = 200
DEFAULT_LIMIT = 50
#: the record's fields a list row carries (the counts a person scans a list for)
LIST_FIELDS = ("platform", "kind", "operator", "recipients", "accepted", "rejected", "started_at", "ended_at")
#: the ``Authorization`` scheme a token comes with (compared case-insensitively, as Airflow does)
BEARER = "bearer"


@dataclass(frozen=True)
class StoredCampaign:
    """A campaign record as the metadata DB holds it: the task instance that pushed it, and when."""

    dag_id: str
    run_id: str
    task_id: str
    map_index: int
    pushed_at: str | None
    record: dict[str, Any]

    def identity(self) -> dict[str, Any]:
        return {
            "dag_id": self.dag_id,
            "run_id": self.run_id,
            "task_id": self.task_id,
            "map_index": self.map_index,
        }

    def list_row(self) -> dict[str, Any]:
        delivery = self.record.get("delivery") or {}
        return {
            **self.identity(),
            **{name: self.record.get(name) for name in LIST_FIELDS},
            "delivered": delivery.get("delivered"),
            "failed": delivery.get("failed"),
            "pushed_at": self.pushed_at,
        }


class CampaignStore(Protocol):
    """Where the campaign records are read from (Airflow's metadata DB; a test may hand its own)."""

    def dag_ids(self) -> set[str]:
        """Every DAG that has at least one campaign record."""

    def team_name(self, dag_id: str) -> str | None:
        """The team owning the DAG (Airflow's multi-team mode), for the auth manager."""

    def page(self, dag_ids: set[str], limit: int, offset: int) -> tuple[list[StoredCampaign], int]:
        """The records of these DAGs, newest first, and how many there are in all."""

    def get(self, dag_id: str, run_id: str, task_id: str, map_index: int) -> StoredCampaign | None:
        """The record one task instance pushed, if any."""

    def deliveries(self, dag_id: str, run_id: str) -> list[dict[str, Any]]:
        """The delivery records the delivery sensors of one run left (:data:`DELIVERY_XCOM_KEY`)."""


class MetadataCampaignStore:
    """The campaign records in Airflow's metadata DB: XComs under :data:`CAMPAIGN_XCOM_KEY`.

    Read as Airflow's own XCom routes read them: the stored value, not through an XCom backend
    (a campaign record is small JSON, always kept in the DB).
    """

    def dag_ids(self) -> set[str]:
        from airflow.models.xcom import XComModel
        from airflow.utils.session import create_session
        from sqlalchemy import select

        with create_session() as session:
            query = select(XComModel.dag_id).where(XComModel.key == CAMPAIGN_XCOM_KEY).distinct()
            return set(session.scalars(query))

    def team_name(self, dag_id: str) -> str | None:
        from airflow.models.dag import DagModel

        return DagModel.get_team_name(dag_id)

    def page(self, dag_ids: set[str], limit: int, offset: int) -> tuple[list[StoredCampaign], int]:
        from airflow.models.xcom import XComModel
        from airflow.utils.session import create_session
        from sqlalchemy import func, select

        if not dag_ids:
            return [], 0
        query = select(XComModel).where(XComModel.key == CAMPAIGN_XCOM_KEY, XComModel.dag_id.in_(dag_ids))
        with create_session() as session:
            total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
            rows = session.scalars(
                query.order_by(
                    XComModel.timestamp.desc(),
                    XComModel.dag_id,
                    XComModel.run_id,
                    XComModel.task_id,
                    XComModel.map_index,
                )
                .limit(limit)
                .offset(offset)
            ).all()
            return [self._stored(row) for row in rows], int(total)

    def get(self, dag_id: str, run_id: str, task_id: str, map_index: int) -> StoredCampaign | None:
        found = self._rows(
            CAMPAIGN_XCOM_KEY,
            self._stored,
            dag_id=dag_id,
            run_id=run_id,
            task_id=task_id,
            map_index=map_index,
        )
        return found[0] if found else None

    def deliveries(self, dag_id: str, run_id: str) -> list[dict[str, Any]]:
        values = self._rows(DELIVERY_XCOM_KEY, _stored_value, dag_id=dag_id, run_id=run_id)
        return [dict(value) for value in values if isinstance(value, dict)]

    @staticmethod
    def _rows(key: str, convert: Callable[[Any], T], **columns: Any) -> list[T]:
        """The XComs under ``key`` whose ``columns`` have these values, each converted in the session."""
        from airflow.models.xcom import XComModel
        from airflow.utils.session import create_session
        from sqlalchemy import select

        query = select(XComModel).where(
            XComModel.key == key, *(getattr(XComModel, name) == value for name, value in columns.items())
        )
        with create_session() as session:
            return [convert(row) for row in session.scalars(query)]

    @staticmethod
    def _stored(row: Any) -> StoredCampaign:

        value = _stored_value(row)
        return StoredCampaign(
            dag_id=row.dag_id,
            run_id=row.run_id,
            task_id=row.task_id,
            map_index=row.map_index,
            pushed_at=row.timestamp.isoformat() if row.timestamp else None,
            # anything else pushed under the key is no record: shown with no counts, never an error
            record=dict(value) if isinstance(value, dict) else {},
        )


def _stored_value(row: Any) -> Any:
    """An XCom row's value as stored (a campaign or delivery record is small JSON, kept in the DB)."""
    from airflow.models.xcom import XComModel

    return XComModel.deserialize_value(row)


def airflow_auth_manager() -> BaseAuthManager:
    """The API server's auth manager (the one its own routes ask)."""
    from airflow.api_fastapi.app import get_auth_manager

    return get_auth_manager()


def request_token(request: Request) -> str | None:
    """The caller's JWT, as Airflow's ``get_user`` picks it: an explicit Bearer token wins over the cookie."""
    from airflow.api_fastapi.auth.managers.base_auth_manager import COOKIE_NAME_JWT_TOKEN

    scheme, _, credentials = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() == BEARER and credentials.strip():
        return credentials.strip()
    return request.cookies.get(COOKIE_NAME_JWT_TOKEN) or None


async def current_user(request: Request) -> Any:
    """The signed-in user, resolved as Airflow's API resolves it; 401 without a token."""
    from jwt import ExpiredSignatureError, InvalidTokenError

    token = request_token(request)
    if not token:
        raise HTTPException(status.HTTP_401_UNAUTHORIZED, "Not authenticated")
    try:
        return await request.app.state.auth_manager().get_user_from_token(token)
    except ExpiredSignatureError:
        raise HTTPException(status.HTTP_401_UNAUTHORIZED, "Token Expired") from None
    except InvalidTokenError:
        # as Airflow's API answers a token it cannot read
        raise HTTPException(status.HTTP_403_FORBIDDEN, "Invalid JWT token") from None


#: a route's signed-in user (module level: FastAPI resolves the annotations against this module)
CurrentUser = Annotated[Any, Depends(current_user)]


def create_app(store: CampaignStore | None = None, auth_manager: BaseAuthManager | None = None) -> FastAPI:
    """The view's app; by default reading Airflow's metadata DB and asking the API server's auth manager."""
    campaigns: CampaignStore = store if store is not None else MetadataCampaignStore()

    def get_auth_manager() -> BaseAuthManager:
        return auth_manager if auth_manager is not None else airflow_auth_manager()

    def may_read(user: Any, dag_id: str) -> bool:
        """May ``user`` read the XComs of ``dag_id`` (the question Airflow's XCom routes ask)."""
        from airflow.api_fastapi.auth.managers.models.resource_details import DagAccessEntity, DagDetails

        return get_auth_manager().is_authorized_dag(
            method="GET",
            access_entity=DagAccessEntity.XCOM,
            details=DagDetails(id=dag_id, team_name=campaigns.team_name(dag_id)),
            user=user,
        )

    def list_campaigns(user: Any, dag_id: str | None, limit: int, offset: int) -> dict[str, Any]:
        candidates = campaigns.dag_ids()
        if dag_id is not None:
            candidates &= {dag_id}
        readable = {candidate for candidate in candidates if may_read(user, candidate)}
        found, total = campaigns.page(readable, limit, offset)
        return {
            "campaigns": [campaign.list_row() for campaign in found],
            "total_entries": total,
            "limit": limit,
            "offset": offset,
        }

    def one_campaign(user: Any, dag_id: str, run_id: str, task_id: str, map_index: int) -> dict[str, Any]:
        if not may_read(user, dag_id):
            raise HTTPException(status.HTTP_403_FORBIDDEN, "Forbidden")
        found = campaigns.get(dag_id, run_id, task_id, map_index)
        if found is None:
            raise HTTPException(status.HTTP_404_NOT_FOUND, "No campaign record for this task instance")
        from airflow_provider_nxcloud.delivery_view.summary import CampaignFileError, campaign_page

        record = with_sensor_delivery(found.record, campaigns.deliveries(dag_id, run_id))
        try:
            page: Any = campaign_page(cast("CampaignRecord", record), found.identity())
            error = None
        except CampaignFileError as exc:
            # a results file moved or unreadable: the record's own counts still show, with why
            # (the message names the file as it may be shown: an object-storage URL's credentials removed)
            page, error = None, str(exc)
        return {
            **found.identity(),
            "pushed_at": found.pushed_at,
            "record": record,
            "page": page,
            "error": error,
        }

    app = FastAPI(
        title="NXCloud delivery view",
        description="Campaigns sent by airflow-provider-nxcloud's send tasks, for the DAGs you may read.",
        # the API server's own docs list Airflow's API; this app's routes are the page's, not a public API
        docs_url=None,
        redoc_url=None,
        openapi_url=None,
    )
    app.state.auth_manager = get_auth_manager

    @app.get("/", response_class=HTMLResponse, include_in_schema=False)
    async def page() -> HTMLResponse:
        # no data in it: the page asks the API below, which checks the user
        return HTMLResponse(page_html(), headers={"Cache-Control": "no-cache"})

    @app.get("/api/campaigns")
    async def campaigns_list(
        user: CurrentUser,
        dag_id: Annotated[str | None, Query()] = None,
        limit: Annotated[int, Query(ge=1, le=MAX_LIMIT)] = DEFAULT_LIMIT,
        offset: Annotated[int, Query(ge=0)] = 0,
    ) -> dict[str, Any]:
        """Campaigns of the DAGs the user may read, newest first."""
        return await asyncio.to_thread(list_campaigns, user, dag_id, limit, offset)

    @app.get("/api/campaign")
    async def campaign(
        user: CurrentUser,
        dag_id: Annotated[str, Query(min_length=1)],
        run_id: Annotated[str, Query(min_length=1)],
        task_id: Annotated[str, Query(min_length=1)],
        map_index: Annotated[int, Query(ge=-1)] = -1,
    ) -> dict[str, Any]:
        """One campaign: its record and its page (funnel, timeline, failures, decisions)."""
        # the DB and the campaign's files are read in a thread: a big results file takes seconds
        return await asyncio.to_thread(one_campaign, user, dag_id, run_id, task_id, map_index)

    return app


def with_sensor_delivery(record: dict[str, Any], deliveries: list[dict[str, Any]]) -> dict[str, Any]:
    """A campaign whose send did not wait itself, with the delivery a sensor of the same run found
    by reading its results file (the newest such sensor's, when several did)."""
    results_path = record.get("results_path")
    if record.get("delivery") or not results_path:
        return record
    found = [
        d for d in deliveries if d.get("results_path") == results_path and isinstance(d.get("delivery"), dict)
    ]
    if not found:
        return record
    delivery = found[-1]["delivery"]
    return {**record, "delivery": delivery, "report_path": delivery.get("report_path") or None}


@cache
def page_html() -> str:
    return resources.files(__package__).joinpath("page.html").read_text(encoding="utf-8")
