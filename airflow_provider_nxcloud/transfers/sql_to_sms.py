"""SQL to SMS: a campaign's recipients streamed from a query on any ``common.sql`` connection.

:class:`SqlRecipients` plugs a query into a send operator's :meth:`open_entries`, so the
platform's validation, spool, batching, exactly-once progress, results file, in-doubt
settlement and delivery wait are the send operator's own, unchanged. The rows are read
with ``fetchmany(fetch_size)`` and go one at a time into the validation pass, which spools
the valid numbers to disk: no list of rows is ever held.

A retry runs the query again and resumes by batch: the query must return the same rows in
the same order on every try, so it must have an ``ORDER BY`` (on a unique key), and the
campaign's "source changed between tries" check compares what it reads with the batches an
earlier try recorded, failing before anything is sent when they differ.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import closing
from typing import TYPE_CHECKING, Any, ClassVar

from airflow.providers.common.compat.sdk import BaseHook

from airflow_provider_nxcloud.campaign.buka import checked_texts
from airflow_provider_nxcloud.campaign.recipients import Entry
from airflow_provider_nxcloud.exceptions import InvalidInputError
from airflow_provider_nxcloud.hooks.buka import BukaHook
from airflow_provider_nxcloud.hooks.fonedynamics import FoneDynamicsHook
from airflow_provider_nxcloud.hooks.nxcloud import NXCloudHook
from airflow_provider_nxcloud.message_text import MESSAGE_TEMPLATE_EXT
from airflow_provider_nxcloud.operators.buka import BukaSendSmsOperator
from airflow_provider_nxcloud.operators.campaign import CampaignSendOperator, HookT
from airflow_provider_nxcloud.operators.fonedynamics import FoneDynamicsSendSmsOperator
from airflow_provider_nxcloud.operators.nxcloud import NXCloudSendSmsOperator

if TYPE_CHECKING:
    from airflow.providers.common.sql.hooks.sql import DbApiHook

#: rows read per ``fetchmany``
DEFAULT_FETCH_SIZE = 1_000
_ORDER_BY = re.compile(r"\border\s+by\b", re.IGNORECASE)
_SQL_FIELDS = ("sql", "sql_conn_id", "parameters")


class SqlRecipients(CampaignSendOperator[HookT]):
    """Base of the SQL to SMS operators: a send operator whose recipients are a query's rows.

    See the module docstring for how the rows are read and why the query needs an ``ORDER BY``.

    :param sql: the query (or a ``.sql`` file, rendered as a template). It must have an
        ``ORDER BY`` on a unique key: a retry reads the rows again and resumes by batch
        position, so the order must be the same on every try (the task fails before sending
        when a retry reads other rows where an earlier try sent). Templated.
    :param sql_conn_id: any connection whose hook is a ``common.sql`` ``DbApiHook``
        (SQLite, PostgreSQL, MySQL, Snowflake, ...). Templated.
    :param number_column: the column holding each row's number. A NULL or malformed number is
        invalid like any other (``on_invalid``); a column the query does not return fails the
        task before anything is sent.
    :param parameters: the query's bind parameters (a sequence or a mapping, as the driver
        takes them). Templated.
    :param fetch_size: rows read per ``fetchmany`` (1 or more), also the cursor's ``arraysize``.
    :param sql_hook_params: keyword arguments for the SQL hook (``Connection.get_hook``).

    Errors about an entry name ``sql`` and the number column, the entry being the query's
    N-th row. Streaming depends on the driver: ``fetchmany`` on SQLite, and on drivers with
    server-side result sets, reads rows as it goes; a driver that buffers the whole result
    client-side at ``execute`` (psycopg2's default cursor) holds it there, though never as
    Python rows: override :meth:`open_cursor` to open a server-side cursor
    (``connection.cursor(name=...)`` for psycopg).
    """

    #: the query may come from a .sql file, the message text from a .txt / .j2 one (MessageTextFiles)
    template_files: ClassVar[Mapping[str, tuple[str, ...]]] = {
        **CampaignSendOperator.template_files,
        "sql": (".sql",),
    }
    template_ext: Sequence[str] = (*MESSAGE_TEMPLATE_EXT, ".sql")
    template_fields_renderers: ClassVar[dict[str, str]] = {"sql": "sql", "parameters": "json"}
    #: the column of each row's own text, where the platform's send takes one (Buka)
    text_column: str | None = None

    def __init__(
        self,
        *,
        sql: str,
        sql_conn_id: str,
        number_column: str,
        parameters: Mapping[str, Any] | Sequence[Any] | None = None,
        fetch_size: int = DEFAULT_FETCH_SIZE,
        sql_hook_params: Mapping[str, Any] | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(recipients=None, **kwargs)
        self.sql = sql
        self.sql_conn_id = sql_conn_id
        self.number_column = number_column
        self.parameters = parameters
        self.fetch_size = fetch_size
        self.sql_hook_params = sql_hook_params

    @property
    def source_parameter(self) -> str:
        return f"sql, column {self.number_column!r}"

    def check_content(self) -> None:
        self.check_query()
        super().check_content()

    def check_query(self) -> None:
        """The query's settings, before the connection is opened."""
        if not isinstance(self.sql, str) or not self.sql.strip():
            raise InvalidInputError("sql", "is empty; give the query that returns the recipients")
        if not _ORDER_BY.search(self.sql):
            raise InvalidInputError(
                "sql",
                "has no ORDER BY: a retry reads the rows again and resumes by batch, so they must come "
                "in the same order on every try; order them by a unique key",
            )
        if not isinstance(self.sql_conn_id, str) or not self.sql_conn_id:
            raise InvalidInputError("sql_conn_id", "give the id of a connection to the database")
        _check_column("number_column", self.number_column)
        if self.text_column is not None:
            _check_column("text_column", self.text_column)
        if isinstance(self.fetch_size, bool) or not isinstance(self.fetch_size, int) or self.fetch_size < 1:
            raise InvalidInputError(
                "fetch_size", f"must be a whole number of rows, 1 or more, not {self.fetch_size!r}"
            )
        if self.parameters is not None and (
            isinstance(self.parameters, str | bytes) or not isinstance(self.parameters, Mapping | Sequence)
        ):
            raise InvalidInputError("parameters", "must be a sequence or a mapping of bind parameters")

    def get_sql_hook(self) -> DbApiHook:
        """The ``common.sql`` hook of :attr:`sql_conn_id` (opened on first use, in ``execute()``)."""
        try:
            from airflow.providers.common.sql.hooks.sql import DbApiHook
        except ImportError:
            raise InvalidInputError(
                "sql_conn_id", "needs apache-airflow-providers-common-sql (the provider's [sql] extra)"
            ) from None
        connection = BaseHook.get_connection(self.sql_conn_id)
        hook = connection.get_hook(hook_params=dict(self.sql_hook_params or {}))
        if not isinstance(hook, DbApiHook):
            raise InvalidInputError(
                "sql_conn_id",
                f"is a {connection.conn_type!r} connection, whose hook ({type(hook).__name__}) is not a "
                "common.sql DbApiHook",
            )
        return hook

    def open_cursor(self, connection: Any) -> Any:
        """A DB-API cursor on ``connection`` for the query; override for a driver's server-side cursor."""
        return connection.cursor()

    def open_entries(self) -> Iterator[str]:
        return query_entries(
            self.get_sql_hook,
            self.open_cursor,
            sql=self.sql,
            parameters=self.parameters,
            number_column=self.number_column,
            text_column=self.text_column,
            fetch_size=self.fetch_size,
        )


def query_entries(
    get_hook: Callable[[], Any],
    open_cursor: Callable[[Any], Any],
    *,
    sql: str,
    parameters: Mapping[str, Any] | Sequence[Any] | None,
    number_column: str,
    text_column: str | None,
    fetch_size: int,
) -> Iterator[str]:
    """The rows of ``sql`` as campaign entries, ``fetch_size`` rows at a time; nothing is opened
    until the first ``next()``, and the cursor and connection close when the stream ends.

    Row N is entry N: a plain number string, or, with ``text_column``, an :class:`.Entry` whose
    ``content`` is the row's text ("" for NULL). A NULL number is the entry "" (invalid).
    """
    with closing(get_hook().get_conn()) as connection, closing(open_cursor(connection)) as cursor:
        cursor.arraysize = fetch_size
        if parameters is None:
            cursor.execute(sql)
        else:
            cursor.execute(sql, parameters)
        columns = [str(column[0]) for column in cursor.description or ()]
        if not columns:
            raise InvalidInputError("sql", "returns no rows: give a SELECT")
        number_at = _column_index(columns, "number_column", number_column)
        text_at = _column_index(columns, "text_column", text_column) if text_column is not None else None
        row_number = 0
        while rows := cursor.fetchmany(fetch_size):
            for row in rows:
                row_number += 1
                number = _as_text(row[number_at]).strip()
                if text_at is None:
                    yield number
                else:
                    yield Entry(number, row_number, _as_text(row[text_at]))


def _as_text(value: Any) -> str:
    return "" if value is None else str(value)


def _check_column(parameter: str, name: Any) -> None:
    if not isinstance(name, str) or not name.strip():
        raise InvalidInputError(parameter, "give the name of a column the query returns")


def _column_index(columns: list[str], parameter: str, name: str) -> int:
    """Where ``name`` is among the query's columns: exactly, else the one that matches ignoring case
    (databases that fold unquoted names to upper or lower case)."""
    if name in columns:
        return columns.index(name)
    folded = [at for at, column in enumerate(columns) if column.lower() == name.lower()]
    if len(folded) == 1:
        return folded[0]
    raise InvalidInputError(
        parameter, f"the query returns no column {name!r}; its columns are {', '.join(columns)}"
    )


def _sql_template_fields(send_operator: type[CampaignSendOperator[Any]]) -> tuple[str, ...]:
    """The send operator's templated fields, its ``recipients`` replaced by the query's."""
    return (*_SQL_FIELDS, *(name for name in send_operator.template_fields if name != "recipients"))


class SqlToBukaSmsOperator(SqlRecipients[BukaHook], BukaSendSmsOperator):
    """Send an SMS to each row of a SQL query through Buka: one ``text`` for all, or each row's own.

    With ``text_column`` each row's text is sent to its number (``sendSms/batch``, 1,000 per
    request, each text checked as Buka would before the first send: a NULL or empty text
    fails the task naming the column and the row); ``text`` must then be None.

    :param text_column: the column of each row's own text (with ``text=None``).

    The query's parameters: see :class:`SqlRecipients`; the SMS's (``text``,
    ``buka_conn_id``, ``app_id``, ``sender_id``) and the campaign's: see
    :class:`~airflow_provider_nxcloud.operators.buka.BukaSendSmsOperator`.
    """

    template_fields: Sequence[str] = _sql_template_fields(BukaSendSmsOperator)

    def __init__(self, *, text_column: str | None = None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.text_column = text_column

    def check_query(self) -> None:
        super().check_query()
        if self.text_column is not None and self.text is not None:
            raise InvalidInputError("text_column", "is given with text: give one of them")
        if self.text_column is None and self.text is None:
            raise InvalidInputError("text", "is not given, and no text_column names a column of texts")

    def open_entries(self) -> Iterator[str]:
        entries = super().open_entries()
        if self.text_column is None:
            return entries
        return checked_texts(entries, parameter=f"sql, column {self.text_column!r}")


class SqlToNXCloudSmsOperator(SqlRecipients[NXCloudHook], NXCloudSendSmsOperator):
    """Send one SMS ``text`` to each row of a SQL query through NXCloud, 100 numbers per request.

    NXCloud's send carries one text for all its numbers, so there is no per-row text here.
    The query's parameters: see :class:`SqlRecipients`; the SMS's and the campaign's: see
    :class:`~airflow_provider_nxcloud.operators.nxcloud.NXCloudSendSmsOperator`.
    """

    template_fields: Sequence[str] = _sql_template_fields(NXCloudSendSmsOperator)


class SqlToFoneDynamicsSmsOperator(SqlRecipients[FoneDynamicsHook], FoneDynamicsSendSmsOperator):
    """Send one SMS ``text`` to each row of a SQL query through Fone Dynamics, 100 per request.

    The query's parameters: see :class:`SqlRecipients`; the SMS's and the campaign's: see
    :class:`~airflow_provider_nxcloud.operators.fonedynamics.FoneDynamicsSendSmsOperator`.
    """

    template_fields: Sequence[str] = _sql_template_fields(FoneDynamicsSendSmsOperator)


__all__ = [
    "DEFAULT_FETCH_SIZE",
    "SqlRecipients",
    "SqlToBukaSmsOperator",
    "SqlToFoneDynamicsSmsOperator",
    "SqlToNXCloudSmsOperator",
    "query_entries",
]
