"""Raw bulk inserts of an import give every column a value, as an ORM insert would."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import Table

from prospector.store.contacts import ACCOUNT, CONTACT, Stamp, new_row_constants
from prospector.store.row_values import ACCOUNT_COLUMNS, CONTACT_COLUMNS


@pytest.mark.parametrize(
    ("table", "columns"), [(ACCOUNT, ACCOUNT_COLUMNS), (CONTACT, CONTACT_COLUMNS)]
)
def test_new_rows_fill_every_required_column(table: Table, columns: tuple[str, ...]) -> None:
    constants = new_row_constants(Stamp(datetime(2026, 1, 1, tzinfo=UTC), "x.csv"))[table]
    required = {
        c.name
        for c in table.columns
        if not c.nullable and c.server_default is None and not c.primary_key
    }
    assert required <= {*columns, *constants}


def test_columns_the_import_does_not_know_take_their_python_default() -> None:
    constants = new_row_constants(Stamp(datetime(2026, 1, 1, tzinfo=UTC), "x.csv"))[CONTACT]
    stated = {*CONTACT_COLUMNS, "source", "created_at", "updated_at", "stage", "do_not_contact"}
    for column in CONTACT.columns:
        if column.name not in stated and column.default is not None:
            assert constants[column.name] == column.default.arg  # type: ignore[attr-defined]
    assert constants["stage"] == "prospect" and constants["do_not_contact"] is False
