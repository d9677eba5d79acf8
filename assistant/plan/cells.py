"""CSV cells that no spreadsheet runs as a formula (CSV injection): every CSV that `plan.exports`
writes (scheduler files and the generic one) goes through `neutralise_cell`."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Mapping, Sequence

# OWASP, "CSV Injection" (https://owasp.org/www-community/attacks/CSV_Injection): a spreadsheet that
# opens a CSV may run a cell as a formula when it begins with `=`, `+`, `-`, `@`, a tab (0x09) or a
# carriage return (0x0D); the advice is that no cell may begin with one of them: prefix such a cell
# with a single quote `'` (it then reads as text and shows the same), and wrap every cell in double
# quotes (so a spreadsheet that splits on `;`, like Excel in an Italian locale, cannot start a new
# cell in the middle of one). Decisions beyond that list:
# - a leading line feed is treated like the carriage return, and the full-width look-alikes
#   `＝ ＋ － ＠` (U+FF1D, U+FF0B, U+FF0D, U+FF20) like `= + - @` (cheap, and a spreadsheet or an
#   input method that folds them to ASCII would otherwise let them through);
# - the check looks past leading whitespace (spaces, non-breaking or ideographic spaces, tabs,
#   line breaks): an importer that trims cells (e.g. LibreOffice's "Trim spaces" option) would
#   otherwise hand ` =1+1` to the formula parser; the `'` goes before the whole cell, which is kept;
# - only text is neutralised: numbers we format ourselves (ids, counts, versions, a cost, even
#   `-3`) and booleans stay as they are, since they cannot carry a formula and must stay numbers;
#   every other value (headers and dates included) is written as the text `csv` would write and
#   checked;
# - every CSV is written with every cell quoted (QUOTE_ALL).
# Hootsuite and Buffer import the cell as the post's text, so the `'` would be published with it:
# the text is still neutralised (the file may be opened in a spreadsheet on the way), and the
# report warns for each such item (`formula_prefixed`) so that the post can be checked.
FORMULA_TRIGGERS = frozenset("=+-@\uff1d\uff0b\uff0d\uff20")
CONTROL_TRIGGERS = frozenset("\t\r\n")


def needs_neutralising(value: object) -> bool:
    """Whether `value`, written as a CSV cell, would start like a spreadsheet formula."""
    if value is None or isinstance(value, (bool, int, float)):
        return False
    text = value if isinstance(value, str) else str(value)
    return text[:1] in CONTROL_TRIGGERS or text.lstrip()[:1] in FORMULA_TRIGGERS


def neutralise_cell(value: object) -> str:
    """`value` as the text of a CSV cell that no spreadsheet runs: `'` + the text when it starts
    (after any whitespace) with `= + - @` or their full-width forms, or with a tab, CR or LF;
    otherwise the text unchanged. None is empty; numbers and booleans are written as they are."""
    if value is None:
        return ""
    text = value if isinstance(value, str) else str(value)
    return "'" + text if needs_neutralising(value) else text


def neutralised(cells: Iterable[object]) -> list[str]:
    """`neutralise_cell` of each cell: one CSV row."""
    return [neutralise_cell(c) for c in cells]


def rows_csv(rows: Sequence[Mapping[str, object]]) -> bytes:
    """Rows of a table (the same keys each) as a UTF-8 CSV: header and cells neutralised, every cell
    quoted. For tables the app offers as downloads."""
    columns = list(rows[0]) if rows else []
    out = io.StringIO()
    writer = csv.writer(out, quoting=csv.QUOTE_ALL, lineterminator="\r\n")
    writer.writerow(neutralised(columns))
    writer.writerows(neutralised(row.get(c) for c in columns) for row in rows)
    return out.getvalue().encode("utf-8")
