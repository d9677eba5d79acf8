"""`assistant voice`: one text or a posts file scored against a demo brand; errors say what to fix."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from assistant.cli import app
from tests.conftest import write_brand

BRAND = "paycairn"


@pytest.fixture
def cli_env(monkeypatch, tmp_path, brands_dir, hash_embedder):
    monkeypatch.setenv("ASSISTANT_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("ASSISTANT_BRANDS_DIR", str(brands_dir))
    import assistant.cli.common as cli

    from assistant.services import Services
    from assistant.settings import load_settings

    monkeypatch.setattr(cli, "services", lambda **kw: Services(load_settings(**kw), embedder=hash_embedder))
    return brands_dir


def run(*args):
    result = CliRunner().invoke(app, list(args))
    return result.exit_code, result.stdout, result.stderr


def test_one_text_as_json_with_the_brands_calibration(cli_env):
    code, out, err = run("voice", BRAND, "--text", "We looked at 1.8 million invoices. One number stood out.", "--json")
    assert code == 0, err
    data = json.loads(out)
    assert data["brand"] == BRAND and len(data["scores"]) == 1
    assert 0 <= data["scores"][0]["score"] <= 100
    cal = data["calibration"]
    assert cal["posts"] >= 40 and cal["background"] >= 1000 and cal["other_brands_posts"] == 0
    assert cal["q1"] <= cal["median"] <= cal["q3"] and 0.5 < cal["cv_auc"] <= 1
    assert cal["train_seconds"] > 0 and cal["size_bytes"] > 0


def test_a_posts_file_is_scored_row_by_row(cli_env, tmp_path):
    f = tmp_path / "bozze.csv"
    f.write_text("Testo;Data\n\"Ciao a tuttiii!!! 🎉 stasera festa in piazza!!!\";01/02/2026\n"
                 "\"Invoices that arrive with a purchase order number are approved faster.\";02/02/2026\n;03/02/2026\n",
                 encoding="utf-8")
    code, out, err = run("voice", BRAND, "--file", str(f), "--json")
    assert code == 0, err
    rows = json.loads(out)["scores"]
    assert [r["text"][:4] for r in rows] == ["Ciao", "Invo"]
    assert rows[1]["score"] > rows[0]["score"]  # the brand's register against a village fair's
    assert "1 riga di bozze.csv non ha testo" in err  # the row without text is said, in Italian by default


def test_plain_output_is_a_table_in_the_chosen_language(cli_env):
    code, out, err = run("voice", BRAND, "--text", "Payment terms: what to check.", "--ui-language", "en")
    assert code == 0, err
    assert out.splitlines()[0].split() == ["Score", "Text"]
    assert "median of its own posts" in out and "AUC" in out
    code, out, _ = run("voice", BRAND, "--text", "Payment terms: what to check.")
    assert out.splitlines()[0].split() == ["Punteggio", "Testo"] and "mediana dei suoi post" in out


def test_errors_say_what_to_fix(cli_env, tmp_path):
    code, _, err = run("voice", "nessuno", "--text", "x", "--ui-language", "en")
    assert code == 1 and "No brand “nessuno”" in err and "paycairn" in err
    code, _, err = run("voice", BRAND, "--text", "   ", "--ui-language", "en")
    assert code == 2 and "The text is empty" in err
    code, _, err = run("voice", BRAND)
    assert code == 2 and "--text" in err and "--file" in err
    code, _, err = run("voice", BRAND, "--text", "x", "--file", "a.csv")
    assert code == 2
    write_brand(cli_env, "prova")
    code, _, err = run("voice", "prova", "--text", "Ciao", "--ui-language", "en")
    assert code == 1 and "Not enough posts to learn the voice of prova (0 of 20)" in err
    code, _, err = run("voice", "prova", "--text", "Ciao")
    assert code == 1 and "(0 su 20)" in err
    code, _, err = run("voice", BRAND, "--file", str(tmp_path / "manca.csv"), "--ui-language", "en")
    assert code == 1 and "manca.csv" in err
    f = tmp_path / "senza.csv"
    f.write_text("data,titolo\n01/02/2026,niente\n", encoding="utf-8")
    code, _, err = run("voice", BRAND, "--file", str(f), "--ui-language", "en")
    assert code == 1 and "no text column" in err.lower()
