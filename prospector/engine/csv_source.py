"""Stream a contacts CSV: encoding, delimiter and header mapping, row by row."""

from __future__ import annotations

import csv
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from functools import cached_property
from operator import itemgetter
from pathlib import Path
from typing import IO

from prospector.domain.rows import FIELDS, RowValues, header_field
from prospector.errors import ContactImportError

DELIMITERS = ",;\t"


@dataclass
class Layout:
    """How the file's columns map to our fields; unmapped columns are kept as extra data."""

    headers: tuple[str, ...]
    delimiter: str
    field_of: dict[int, str]  # column index -> field
    extra: dict[int, str]  # column index -> header kept in `extra`

    @cached_property
    def pick(self) -> Callable[[Sequence[str]], tuple[str, ...]]:
        """Cells -> one value per field in FIELDS order; cells padded by one "" (see `values`)."""
        index_of = {f: i for i, f in self.field_of.items()}
        blank = len(self.headers)
        return itemgetter(*(index_of.get(f, blank) for f in FIELDS))

    def values(self, cells: list[str]) -> RowValues:
        """The row's cells by field; a short row reads as empty cells."""
        padded = cells + [""] * (len(self.headers) + 1 - len(cells))
        return RowValues._make(self.pick(padded))

    @cached_property
    def columns(self) -> dict[str, str]:
        """field -> header as written, for messages that name the user's own column."""
        return {f: self.headers[i] for i, f in self.field_of.items()}


def open_csv(path: Path) -> IO[str]:
    """UTF-8 with or without BOM; anything else is refused with a hint rather than garbled."""
    try:
        handle = path.open("r", encoding="utf-8-sig", newline="")
        handle.read(65536)
        handle.seek(0)
        return handle
    except UnicodeDecodeError as exc:
        raise ContactImportError(
            f"{path}: not UTF-8 text (byte {exc.start}); save it as UTF-8 CSV and try again"
        ) from exc
    except OSError as exc:
        raise ContactImportError(f"{path}: cannot read: {exc.strerror}") from exc


def detect_layout(header_line: str, mapping: Mapping[str, str]) -> Layout:
    """Pick the delimiter that splits the header best, then map each header to a field.

    Args:
        header_line: the first line of the file.
        mapping: user overrides, file header -> field (from `--map column=field`).
    """
    delimiter = max(DELIMITERS, key=header_line.count)
    headers = tuple(next(csv.reader([header_line], delimiter=delimiter)))
    wanted = {k.strip().lower(): v for k, v in mapping.items()}
    unknown = [v for v in wanted.values() if v not in FIELDS]
    if unknown:
        raise ContactImportError(
            f"--map names unknown field(s) {', '.join(unknown)}; fields are: {', '.join(FIELDS)}"
        )
    present = {h.strip().lower() for h in headers}
    missing = [k for k in wanted if k not in present]
    if missing:
        raise ContactImportError(
            f"--map names column(s) not in the header: {', '.join(missing)}; "
            f"the header has {', '.join(repr(h) for h in headers)}"
        )
    # The user's --map wins; other headers are matched by name where the field is free.
    field_of = {
        i: wanted[h.strip().lower()] for i, h in enumerate(headers) if h.strip().lower() in wanted
    }
    extra: dict[int, str] = {}
    for index, header in enumerate(headers):
        if index in field_of:
            continue
        field = header_field(header)
        if field and field not in field_of.values():
            field_of[index] = field
        elif header.strip():
            extra[index] = header.strip()
    if "email" not in field_of.values():
        raise ContactImportError(
            "no email column: the header has "
            + ", ".join(repr(h) for h in headers)
            + "; name it with --map COLUMN=email"
        )
    return Layout(headers, delimiter, field_of, extra)


def read_rows(handle: IO[str], layout: Layout) -> Iterator[tuple[int, list[str]]]:
    """(row number as a spreadsheet shows it, header = 1; cells) for every data row."""
    # strict: an unclosed quote is an error, not a field that swallows the rest of the file.
    reader = csv.reader(handle, delimiter=layout.delimiter, strict=True)
    next(reader, None)
    for number, cells in enumerate(reader, start=2):
        if any(cells):
            yield number, cells
