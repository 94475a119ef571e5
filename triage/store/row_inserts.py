"""Multi-row INSERTs for the intake's hot path, with less work per statement.

Every new ticket runs four INSERTs (the ticket, its events, its escalation points, its
channel keys). Through SQLAlchemy's compiled-statement path each cost the worker about
twice the CPU psycopg itself spends on it (cache lookup, the execution context, bind
processing, ``insertmanyvalues`` batching, the result), and the worker shares two cores
with PostgreSQL (issue 18). On PostgreSQL ``RowInserts`` therefore renders the statement
once per row count, from SQLAlchemy's own compilation of one row (the same SQL, casts
and all), binds the values with the columns' own bind processors (so JSON and times are
stored exactly as before), and runs it with ``exec_driver_sql``: still SQLAlchemy's
connection, transaction, events and error translation (an ``IntegrityError`` is the
same ``IntegrityError``), without the compiled-statement machinery. RETURNING is
rendered only when the caller wants the ids.

Elsewhere (SQLite), or for rows that leave a column with a Python-side default unset
(which SQLAlchemy would fill in), the ordinary Core statement runs, as before.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from sqlalchemy import Column, Connection, Dialect, Table, insert

_PLACEHOLDER = re.compile(r"%\((\w+)\)s")
#: (columns in the statement's order, their bind processors, "INSERT INTO t (...)",
#: one row's "(%s, ...)")
_Prepared = tuple[tuple[str, ...], tuple[Callable[[Any], Any] | None, ...], str, str]


class RowInserts:
    """``INSERT INTO table (columns) VALUES (...), (...)`` for rows of the same keys."""

    def __init__(self, table: Table, returning: Column[Any] | None = None) -> None:
        self.table = table
        self.returning = returning
        #: The statement off PostgreSQL: as intake ran it before (RETURNING, so that
        #: SQLAlchemy sends many rows as one statement).
        self.statement = insert(table).returning(returning if returning is not None else table.c.id)
        self._defaulted = frozenset(c.key for c in table.columns if c.default is not None)
        self._rendered: dict[tuple[tuple[str, ...], int], str] = {}
        self._prepared_for: dict[tuple[str, ...], _Prepared] = {}

    def execute(self, connection: Connection, rows: Sequence[Mapping[str, Any]]) -> list[Any]:
        """Insert ``rows`` in one statement; the ``returning`` column's values, in the
        rows' order, when one was given (else an empty list)."""
        if not rows:
            return []
        names = tuple(rows[0])
        if (
            connection.dialect.name != "postgresql"
            or not self._defaulted <= set(names)
            or any(len(row) != len(names) for row in rows)
        ):
            result = connection.execute(self.statement, [dict(row) for row in rows])
            return list(result.scalars()) if self.returning is not None else []
        order, binders, head, values = self._prepared(connection.dialect, names)
        params = tuple(
            value if bind is None else bind(value)
            for row in rows
            for value, bind in zip((row[name] for name in order), binders, strict=True)
        )
        sql = self._rendered.get((names, len(rows)))
        if sql is None:
            sql = f"{head} VALUES " + ", ".join([values] * len(rows))
            if self.returning is not None:
                sql += f" RETURNING {self.table.name}.{self.returning.name}"
            self._rendered[(names, len(rows))] = sql
        result = connection.exec_driver_sql(sql, params)
        return [row[0] for row in result] if self.returning is not None else []

    def _prepared(self, dialect: Dialect, names: tuple[str, ...]) -> _Prepared:
        """SQLAlchemy's SQL for one row of these columns, split at VALUES, with
        positional placeholders, the columns in its order and their bind processors."""
        prepared = self._prepared_for.get(names)
        if prepared is None:
            one = str(insert(self.table).compile(dialect=dialect, column_keys=list(names)))
            head, values = one.split(" VALUES ", 1)
            values = values.split(" RETURNING ", 1)[0]  # the implicit one of the key
            order = tuple(_PLACEHOLDER.findall(values))
            if sorted(order) != sorted(names):
                raise AssertionError(f"unexpected INSERT for {self.table.name}: {one}")
            columns = self.table.columns
            binders = tuple(
                columns[n].type.dialect_impl(dialect).bind_processor(dialect) for n in order
            )
            prepared = (order, binders, head, _PLACEHOLDER.sub("%s", values))
            self._prepared_for[names] = prepared
        return prepared
