"""`assistant media add|list` and `assistant queue attach` through Typer's CliRunner, on real
files, a real database and the demo brands."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from assistant.cli import app
from assistant.review import ReviewQueue
from tests.factories import add_people, make_draft
from tests.media.helpers import jpeg_with_gps, png


@pytest.fixture
def cli(monkeypatch, services, tmp_path):
    import assistant.cli.common as cli_module

    monkeypatch.setattr(cli_module, "services", lambda: services)
    queue = add_people(ReviewQueue.open(services.settings))
    root = queue.people.actor("root")
    queue.people.add("vera", name="Vera Viewer", grants=[("viewer", "bottega-pasubio")], by=root)
    item = queue.add_draft(make_draft("Sabato in bottega", brand="bottega-pasubio"), by="Ada", submit=True)
    queue.close()
    return item.id


def run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(app, list(args))
    return result.exit_code, result.stdout, result.stderr


def test_add_list_attach(cli, tmp_path):
    photo = tmp_path / "IMG_0042_maglioni.jpg"
    photo.write_bytes(jpeg_with_gps())
    code, out, _ = run("media", "add", "bottega-pasubio", str(photo), "--by", "ada", "--json",
                       "--alt", "Maglioni piegati sul banco")
    assert code == 0
    added = json.loads(out)
    assert added["mime"] == "image/jpeg" and added["alt_text"] == "Maglioni piegati sul banco"
    assert b"SecretCam" not in open(added["path"], "rb").read()
    second = tmp_path / "logo.png"
    second.write_bytes(png())
    code, out, _ = run("media", "add", "bottega-pasubio", str(second), "--by", "ada", "--ui-language", "en")
    assert code == 0 and "image/png" in out
    code, out, _ = run("media", "add", "bottega-pasubio", str(second), "--by", "ada", "--ui-language", "en")
    assert code == 0 and "already in the library" in out
    code, out, _ = run("media", "list", "bottega-pasubio", "--json")
    listed = json.loads(out)
    assert code == 0 and [m["original_name"] for m in listed] == ["logo.png", "IMG_0042_maglioni.jpg"]
    ids = [str(m["id"]) for m in reversed(listed)]
    code, out, _ = run("queue", "attach", str(cli), *ids, "--by", "bea", "--json")
    assert code == 0
    attached = json.loads(out)
    assert [a["media_id"] for a in attached] == [int(i) for i in ids]
    assert attached[0]["alt_source"] == "human" and attached[0]["alt_text"] == "Maglioni piegati sul banco"
    assert attached[1]["alt_source"] == "proposal" and attached[1]["alt_text"].startswith("Immagine: logo")


def test_bad_input_says_what_to_fix(cli, tmp_path):
    text = tmp_path / "finto.png"
    text.write_text("not an image at all")
    code, _, err = run("media", "add", "bottega-pasubio", str(text), "--by", "ada")
    assert code == 1 and "finto.png" in err and "JPEG, PNG, WebP, HEIC, MP4" in err and "esportalo" in err
    code, _, err = run("media", "add", "nessun-brand", str(text), "--by", "ada")
    assert code == 1 and "nessun-brand" in err and "bottega-pasubio" in err  # the known brands are named
    code, _, err = run("queue", "attach", "4242", "1", "--by", "ada", "--ui-language", "en")
    assert code == 1 and "no review item 4242" in err.lower()
    photo = tmp_path / "a.png"
    photo.write_bytes(png())
    code, _, err = run("media", "add", "bottega-pasubio", str(photo), "--by", "vera", "--ui-language", "en")
    assert code == 1 and "does not allow" in err and "assistant users grant vera" in err
    code, out, _ = run("media", "list", "bottega-pasubio", "--json")
    assert json.loads(out) == []
