"""Streamlit's upload limit is Copydesk's (ASSISTANT_MAX_UPLOAD_MB) whichever way the app starts:
`assistant app` passes `--server.maxUploadSize`, and the server's start-up (what `streamlit run
streamlit_app.py`, i.e. `make run`, goes through) sets the option in the process."""

from __future__ import annotations

import pytest
from typer.testing import CliRunner

from assistant.web.server import max_upload_mib


@pytest.mark.parametrize(("mb", "mib"), [(20, 20), (1, 1), (2.5, 3), (0.5, 1), (200, 191)])
def test_copydesk_megabytes_as_streamlit_mebibytes(mb, mib):
    assert max_upload_mib(mb) == mib
    assert mib * 2**20 >= mb * 1_000_000 > (mib - 1) * 2**20 or mib == 1  # the smallest that admits the limit


@pytest.mark.parametrize(("setting", "flag"), [(None, "--server.maxUploadSize=20"), ("5", "--server.maxUploadSize=5")])
def test_assistant_app_passes_the_upload_limit(monkeypatch, env, setting, flag):
    import assistant.cli.server as launcher
    from assistant.cli import app

    if setting:
        monkeypatch.setenv("ASSISTANT_MAX_UPLOAD_MB", setting)
    started: list[list[str]] = []
    monkeypatch.setattr(launcher.os, "execv", lambda exe, argv: started.append(argv))
    result = CliRunner().invoke(app, ["app", "--port", "8599"])
    assert result.exit_code == 0, result.output
    (command,) = started
    assert flag in command and sum(a.startswith("--server.maxUploadSize") for a in command) == 1
    assert command[command.index("run") + 1].endswith("launch.py")


def test_the_server_start_sets_the_upload_limit(monkeypatch, env):
    from streamlit import config

    from assistant.web import server
    from assistant.web.common import services

    monkeypatch.setenv("ASSISTANT_MAX_UPLOAD_MB", "7")
    assert services().settings.max_upload_mb == 7
    before = config.get_option("server.maxUploadSize")
    try:
        server.startup()  # what the lifespan of streamlit_app.py's st.App runs
        assert config.get_option("server.maxUploadSize") == 7
    finally:
        config.set_option("server.maxUploadSize", before)
