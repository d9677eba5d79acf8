"""The media library's refusals: an English message (CLI, logs) that says what to fix, and a
`code` with its `params` for the catalogues (`error.<code>`), said in the reader's language by
`localised(lang)`."""

from __future__ import annotations

from assistant.errors import InvalidRequest


NUMBERS = frozenset({"size", "max", "width", "height"})  # shown in the language's number format


class MediaError(InvalidRequest):
    """A file or an attachment refused: nothing was stored or changed."""

    def __init__(self, message: str, *, code: str, **params: object) -> None:
        super().__init__(message, code=code, **params)

    def localised(self, lang: str) -> str:
        from assistant.i18n import number, t

        values = {k: number(v, lang) if k in NUMBERS and isinstance(v, (int, float)) else v
                  for k, v in self.params.items()}
        key = f"error.{self.code}"
        text = t(key, lang, **values)
        return str(self) if text == key else text
