"""`assistant app` (the web app from the installed package) and `assistant demo` (the demo brands)."""

from __future__ import annotations

import os
import shutil
import sys
from pathlib import Path
from typing import Annotated, Optional

import typer

from assistant.cli import common
from assistant.cli.common import fail
from assistant.errors import AssistantError

# What .streamlit/config.toml sets in a checkout, passed as flags so an installed app behaves the same.
STREAMLIT_FLAGS = ("--server.headless=true", "--server.fileWatcherType=none", "--browser.gatherUsageStats=false",
                   "--client.toolbarMode=minimal", "--runner.magicEnabled=false")


def app_command(
    address: Annotated[str, typer.Option("--address", help="Interface to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option("--port", min=1, max=65535)] = 8501,
) -> None:
    """Start the web app (Streamlit) from the installed package."""
    from assistant.web import LAUNCHER
    from assistant.web.server import max_upload_mib

    try:
        settings = common.services().settings
    except AssistantError as exc:
        fail(str(exc))
    command = [sys.executable, "-m", "streamlit", "run", str(LAUNCHER), f"--server.address={address}",
               f"--server.port={port}", f"--server.maxUploadSize={max_upload_mib(settings.max_upload_mb)}",
               *STREAMLIT_FLAGS]
    typer.echo(f"Copydesk on http://{address}:{port} (brands: {settings.brands_dir}; state: {settings.home})",
               err=True)
    os.execv(sys.executable, command)  # the app replaces this process: signals reach it directly


def demo(
    into: Annotated[Optional[Path], typer.Option("--into", help="Brands folder (default: ASSISTANT_BRANDS_DIR).")] = None,
    index: Annotated[bool, typer.Option("--index/--no-index", help="Index the demo brands afterwards.")] = True,
) -> None:
    """Copy the three demo brands into the brands folder (existing brands are left alone) and index them."""
    from assistant.resources import demo_brands_dir

    try:
        svc = common.services(brands_dir=into) if into else common.services()
        target = svc.settings.brands_dir
        source = demo_brands_dir()
        copied = []
        if source.resolve() != target.resolve():
            target.mkdir(parents=True, exist_ok=True)
            for folder in sorted(p for p in source.iterdir() if (p / "brand.yaml").is_file()):
                if not (target / folder.name).exists():
                    shutil.copytree(folder, target / folder.name)
                    copied.append(folder.name)
        typer.echo(f"demo brands in {target}: " + (", ".join(copied) + " copied" if copied else "already there"))
        if index:
            for brand in svc.brands():
                report = svc.knowledge.index_brand(brand)
                typer.echo(f"{brand.slug}: " + ("index up to date" if report is None else
                                                f"{report.added} documents indexed"))
    except AssistantError as exc:
        fail(str(exc))
