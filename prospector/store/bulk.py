"""INSERT written once and handed straight to the driver's executemany.

During a large import SQLAlchemy's per-row parameter processing cost more than SQLite
itself. Rows here are plain tuples in the caller's column order; only datetime columns
go through SQLAlchemy's own bind processor (memoised, since an import stamps every row
with the same instant), so the stored format is exactly what the ORM would write.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

from sqlalchemy import Connection, DateTime, Table

_PLACEHOLDER = {"qmark": "?", "format": "%s", "pyformat": "%s"}


class BulkInsert:
    """Insert many tuples of `columns` into `table`, each followed by the same `constants`.

    Constants (an import's timestamp and source, a new row's state) are converted once
    and appended to every row, instead of travelling through each row's tuple.
    """

    def __init__(
        self,
        connection: Connection,
        table: Table,
        columns: Sequence[str],
        constants: Mapping[str, Any] | None = None,
    ) -> None:
        constants = dict(constants or {})
        self.tail = tuple(converted(table, connection, name, v) for name, v in constants.items())
        columns = (*columns, *constants)
        placeholder = _PLACEHOLDER.get(connection.dialect.paramstyle)
        if placeholder is None:
            raise ValueError(
                f"bulk insert needs a qmark or format driver, not {connection.dialect.paramstyle}"
            )
        preparer = connection.dialect.identifier_preparer
        names = ", ".join(preparer.quote(c) for c in columns)
        marks = ", ".join([placeholder] * len(columns))
        self.sql = f"INSERT INTO {preparer.format_table(table)} ({names}) VALUES ({marks})"
        self.connection = connection
        self.converters: list[tuple[int, Callable[[Any], Any]]] = []
        for index, name in enumerate(columns[: len(columns) - len(constants)]):
            column_type = table.c[name].type
            processor = column_type._cached_bind_processor(connection.dialect)
            if processor is not None and isinstance(_impl(column_type), DateTime):
                self.converters.append((index, _memoised(processor)))

    def run(self, rows: Sequence[tuple[Any, ...]]) -> None:
        if not rows:
            return
        tail = self.tail
        self.connection.exec_driver_sql(self.sql, [self._convert(row) + tail for row in rows])

    def _convert(self, row: tuple[Any, ...]) -> tuple[Any, ...]:
        for index, _ in self.converters:
            if row[index] is not None:
                break
        else:
            return row  # nothing to convert, the common case (no dates in the row)
        values = list(row)
        for index, convert in self.converters:
            values[index] = convert(values[index])
        return tuple(values)


def converted(table: Table, connection: Connection, name: str, value: Any) -> Any:
    """`value` as the driver gets it for `table.name` (SQLAlchemy's bind processor, if any)."""
    processor = table.c[name].type._cached_bind_processor(connection.dialect)
    return value if processor is None else processor(value)


def _impl(column_type: Any) -> Any:
    return getattr(column_type, "impl", column_type)


def _memoised(convert: Callable[[Any], Any]) -> Callable[[Any], Any]:
    cache: dict[Any, Any] = {}

    def memo(value: Any) -> Any:
        if value is None:
            return None
        found = cache.get(value)
        if found is None:
            if len(cache) > 4096:
                cache.clear()
            found = cache[value] = convert(value)
        return found

    return memo
