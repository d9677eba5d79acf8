"""Reading the files people upload: decoding (any encoding Excel or an export writes), CSV
dialect and header, column guessing from aliases, counts and dates as exports write them, and
size limits that say what to do. One copy, used by posts ingestion and performance imports.

Messages say what to fix; a file that cannot be read as a whole raises `FileError` (an
`IngestError` with a catalogue code: said in the reader's language by `localised`), and a row or
column problem is an `IngestWarning` (with a code too). Dates without an offset are read in the
zone the caller gives (the brand's), DST included, and returned in UTC.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timezone, tzinfo
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from assistant.errors import AssistantError, IngestError

_DATE_FORMATS = (
    "%d/%m/%Y %H:%M:%S", "%d/%m/%Y %H:%M", "%d/%m/%Y", "%d-%m-%Y %H:%M", "%d-%m-%Y", "%d.%m.%Y %H:%M",
    "%d.%m.%Y", "%Y/%m/%d %H:%M", "%Y/%m/%d", "%m/%d/%Y %I:%M %p", "%a %b %d %H:%M:%S %z %Y",
)
_SNIFF_BYTES = 64 * 1024


@dataclass
class IngestWarning:
    """A row or column problem: `message` in English (CLI, logs), `code` and `params` for the UI
    catalogues (`ingest.<code>`)."""

    file: str
    row: int | None
    column: str | None
    message: str
    code: str = ""
    params: dict[str, object] = field(default_factory=dict)

    def __str__(self) -> str:
        where = self.file
        if self.row is not None:
            where += f", row {self.row}"
        if self.column:
            where += f", column '{self.column}'"
        return f"{where}: {self.message}"

    def localised(self, lang: str) -> str:
        """The warning in `lang`: where (file, row, column), then what, from the catalogue."""
        from assistant.i18n import t

        where = [self.file]
        if self.row is not None:
            where.append(t("ingest.at_row", lang, row=self.row))
        if self.column:
            where.append(t("ingest.at_column", lang, column=self.column))
        what = _localised(self.code, self.params, lang) if self.code else self.message
        return f"{', '.join(where)}: {what}"


class FileError(IngestError):
    """A file that cannot be used as a whole: the message in English (CLI, logs); `code` and
    `params` name the same problem for the UI catalogues (`ingest.<code>`), as a platform
    `Violation` does; `localised(lang)` says it in the reader's language (the pages' `shown_errors`
    uses it). A `details` param lists the rows that made the file unusable."""

    def __init__(self, message: str, *, code: str, **params: object) -> None:
        super().__init__(message)
        self.code = code
        self.params = params

    def localised(self, lang: str) -> str:
        details = [d for d in self.params.get("details") or () if isinstance(d, IngestWarning)]  # type: ignore[attr-defined]
        text = _localised(self.code, self.params, lang)
        return text + (f" ({'; '.join(d.localised(lang) for d in details)})" if details else "")


def problem_text(problem: AssistantError | IngestWarning, lang: str) -> str:
    """A file problem in `lang` (`FileError`, `IngestWarning`); any other error as its message."""
    localised = getattr(problem, "localised", None)
    return localised(lang) if callable(localised) else str(problem)


def _localised(code: str, params: Mapping[str, object], lang: str) -> str:
    from assistant.i18n import number, t

    values = {k: number(v, lang) if isinstance(v, float) else v
              for k, v in params.items() if k != "details"}
    return t(f"ingest.{code}", lang, **values)


# --- decoding -----------------------------------------------------------------------------------

# Where the fixed rules below cannot tell, charset-normalizer chooses, among these only (Python
# codec name -> the name we report). Unrestricted it reads Italian cp1252 as cp1258 or cp1250.
_UTF16_NO_BOM = {"utf_16_le": "utf-16-le", "utf_16_be": "utf-16-be"}
_WESTERN_8BIT = {"mac_roman": "mac_roman", "iso8859_15": "iso-8859-15", "latin_1": "latin-1"}


def _guess_encoding(raw: bytes, names: Mapping[str, str]) -> tuple[str, str] | None:
    from charset_normalizer import from_bytes

    best = from_bytes(raw, cp_isolation=list(names)).best()
    if best is None or best.encoding not in names:
        return None
    try:
        return raw.decode(best.encoding), names[best.encoding]
    except UnicodeDecodeError:
        return None


def decode_bytes(raw: bytes, source: str) -> tuple[str, str]:
    """Decode a text file; returns (text, encoding). Binary or empty files raise IngestError.

    BOMs first (UTF-8, UTF-16), then UTF-8, then cp1252 (what Italian Excel on Windows writes).
    Only what those leave is guessed by charset-normalizer (deterministic): NUL bytes without a
    BOM as UTF-16 LE/BE, else binary; bytes cp1252 does not define (0x81, 0x8D, 0x8F, 0x90, 0x9D,
    e.g. è and ù in a Mac Roman export) as Mac Roman or ISO-8859-15/1; latin-1 decodes anything
    left.
    """
    if not raw.strip():
        raise FileError(f"{source}: the file is empty; export it again with a header row and at least one post",
                          code="empty_file", file=source)
    if raw.startswith(b"\xef\xbb\xbf"):
        return raw[3:].decode("utf-8", errors="strict"), "utf-8-sig"
    if raw.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            return raw.decode("utf-16"), "utf-16"
        except UnicodeDecodeError as exc:
            raise FileError(f"{source}: starts like UTF-16 but does not decode ({exc})", code="bad_utf16",
                              file=source) from exc
    if b"\x00" in raw[:_SNIFF_BYTES]:
        if (found := _guess_encoding(raw, _UTF16_NO_BOM)) is not None:
            return found
        raise FileError(
            f"{source}: this looks like a binary file (e.g. .xlsx or an image), not text; "
            "save it as CSV (UTF-8) and upload that", code="binary", file=source
        )
    try:
        return raw.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        pass
    try:
        return raw.decode("cp1252"), "cp1252"
    except UnicodeDecodeError:
        pass
    return _guess_encoding(raw, _WESTERN_8BIT) or (raw.decode("latin-1"), "latin-1")


def detect_delimiter(text: str) -> str:
    sample = text[:_SNIFF_BYTES]
    try:
        return csv.Sniffer().sniff(sample, delimiters=",;\t").delimiter
    except csv.Error:
        header = sample.splitlines()[0] if sample.splitlines() else ""
        counts = {d: header.count(d) for d in (",", ";", "\t")}
        best = max(counts, key=lambda d: counts[d])
        return best if counts[best] else ","


def header_key(name: str) -> str:
    return " ".join(name.replace("_", " ").strip().lower().split())


def guess_columns(header: Sequence[str], aliases: Mapping[str, Sequence[str]]) -> dict[str, str]:
    """Map our fields to the file's column names from `aliases` ({field: names, first wins}),
    case- and underscore-insensitively; a column is used for one field only."""
    by_key: dict[str, str] = {}
    for col in header:
        by_key.setdefault(header_key(col), col)
    mapping: dict[str, str] = {}
    for fld, names in aliases.items():
        for alias in names:
            col = by_key.get(header_key(alias))
            if col is not None and col not in mapping.values():
                mapping[fld] = col
                break
    return mapping


# --- values -------------------------------------------------------------------------------------

def zone_info(name: str | None) -> tzinfo:
    """The zone naive dates of a file are read in: an IANA name ("Europe/Rome"), or None / "UTC"."""
    if name is None or name.strip().upper() in {"UTC", "Z", "GMT"}:
        return timezone.utc
    try:
        return ZoneInfo(name.strip())
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise FileError(f"unknown time zone {name!r}: use an IANA name such as Europe/Rome, or UTC",
                          code="unknown_zone", zone=name) from exc


def parse_date(value: str, zone: tzinfo | None = None) -> datetime | None:
    """ISO 8601 first, then common day-first (Italian) and export formats. None if unparseable.

    A date that carries an offset (or `Z`, ` UTC`) keeps it. A date without one is a wall-clock
    time in `zone` (the brand's, from `zone_info`; UTC when None), DST included, returned in UTC:
    14/03/2026 18:30 in Europe/Rome is 17:30 UTC, 14/07/2026 18:30 is 16:30 UTC."""
    value = value.strip()
    if not value:
        return None
    try:
        parsed = datetime.fromisoformat(value.replace(" UTC", "+00:00"))
    except ValueError:
        parsed = None
        for fmt in _DATE_FORMATS:
            try:
                parsed = datetime.strptime(value, fmt)
                break
            except ValueError:
                continue
    if parsed is None:
        return None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=zone or timezone.utc).astimezone(timezone.utc)
    return parsed


def parse_count(value: str) -> int | None:
    """'1.234' (Italian), '1,234', '1 234', '2,5K', '3M' -> int. Empty -> None. Bad -> ValueError."""
    raw = value.strip().replace("\u00a0", "").replace(" ", "")
    if not raw or raw in {"-", "—", "n/a", "N/A", "NA"}:
        return None
    mult = 1
    if raw[-1] in "kK":
        mult, raw = 1_000, raw[:-1]
    elif raw[-1] in "mM":
        mult, raw = 1_000_000, raw[:-1]
    if mult > 1:
        number = float(raw.replace(",", "."))
    elif re.fullmatch(r"\d{1,3}([.,]\d{3})+", raw):
        number = float(re.sub(r"[.,]", "", raw))
    else:
        number = float(raw.replace(",", "."))
    if number < 0:
        raise ValueError("negative")
    return int(round(number * mult))


# --- posts --------------------------------------------------------------------------------------

@dataclass(frozen=True)
class SniffedCSV:
    """What a posts file looks like before parsing: for a mapping preview the user can correct."""

    text: str
    encoding: str
    delimiter: str
    header: list[str]
    mapping: dict[str, str]


def sniff_csv(raw: bytes, source: str, aliases: Mapping[str, Sequence[str]] | None = None) -> SniffedCSV:
    """Decode, detect the delimiter, read the header, guess the mapping from `aliases` (if given).
    Raises on unreadable files."""
    text, encoding = decode_bytes(raw, source)
    delimiter = detect_delimiter(text)
    try:
        header = next(csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=True))
    except StopIteration as exc:
        raise FileError(f"{source}: the file is empty; it needs a header row and at least one post",
                          code="empty_file", file=source) from exc
    except csv.Error as exc:
        raise FileError(f"{source}: not a readable CSV ({exc})", code="not_csv", file=source) from exc
    header = [h.strip() for h in header]
    return SniffedCSV(text, encoding, delimiter, header, guess_columns(header, aliases or {}))


def read_rows(sniffed: SniffedCSV, source: str, what: str = "ingested") -> list[list[str]]:
    """Every row of the file (the header included), strictly quoted: a malformed file fails whole.
    A cell may be as long as the whole file (Python's csv module stops at 131,072 characters by
    default): a long post is read, not refused; the upload limit bounds the file instead."""
    if csv.field_size_limit() < len(sniffed.text) + 1:
        csv.field_size_limit(len(sniffed.text) + 1)
    reader = csv.reader(io.StringIO(sniffed.text, newline=""), delimiter=sniffed.delimiter, strict=True)
    try:
        return list(reader)
    except csv.Error as exc:
        raise FileError(f"{source}: malformed CSV near line {reader.line_num} ({exc}); check the quoting of that "
                          f"row (a quote inside a cell is written twice: \"\"); nothing was {what}",
                          code="malformed_csv", file=source, line=reader.line_num) from exc


def duplicate_header_warnings(header: Sequence[str], mapping: Mapping[str, str], source: str) -> list[IngestWarning]:
    """Columns named twice: the first one is used; say which, so the person can rename the other."""
    out, seen = [], {}
    for position, name in enumerate(header, start=1):
        key = header_key(name)
        if not key:
            continue
        if key in seen:
            used = next((f for f, col in mapping.items() if header_key(col) == key), None)
            out.append(IngestWarning(source, 1, name, f"the column name appears twice (columns {seen[key]} and "
                                     f"{position}); column {seen[key]} is used"
                                     + (f" for {used}" if used else "") + ": rename the other to use it",
                                     "duplicate_column", {"first": seen[key], "second": position}))
        else:
            seen[key] = position
    return out


def read_file(path: Path, max_bytes: int | None = None) -> bytes:
    """Read a file for ingestion with a size limit that says what to do."""
    path = Path(path)
    if not path.is_file():
        raise FileError(f"{path}: no such file", code="no_such_file", file=str(path))
    check_size(path.stat().st_size, max_bytes, path.name)
    return path.read_bytes()


def check_size(size: int, max_bytes: int | None, source: str, what: str = "ingested") -> None:
    """Refuse a file over the upload limit (ASSISTANT_MAX_UPLOAD_MB), saying what to do."""
    if max_bytes is not None and size > max_bytes:
        raise FileError(f"{source}: {size / 1e6:.1f} MB is over the {max_bytes / 1e6:g} MB limit; split the file "
                          f"or raise ASSISTANT_MAX_UPLOAD_MB; nothing was {what}", code="too_big", file=source,
                          mb=round(size / 1e6, 1), limit=max_bytes / 1e6)


