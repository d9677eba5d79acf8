"""The draft-quality harness (bench/quality.py): its brief set, and its logic on fake runs.

The brief file is checked for what the harness promises to cover. Then the harness runs twice on
one home with the fake embedding: first with the plain fake provider (whose drafts break rules it
cannot repair), then with a fake whose repair round writes a clean post, compared with the first
run through --against. Every aggregate, the comparison and the table are recomputed here from the
per-draft rows, and the second run's "before repair" side is checked against the first run, where
the same deterministic fake wrote the same first attempts.
"""

from __future__ import annotations

import itertools
import json
import math
import re
import statistics

import pytest
import yaml

from assistant.brands import list_brand_slugs
from assistant.drafting.providers import FakeProvider
from assistant.drafting.schemas import GOALS, DraftRequest
from bench import quality
from bench.qualitylib.briefs import BRIEFS_FILE, load_briefs
from tests.conftest import DEMO_BRANDS

PLATFORMS = ("x", "instagram", "linkedin", "facebook")
LANGUAGES = ("it", "en")
# One brief per brand, a multi-platform one with banned words, X briefs over the limit for the fake:
# --limit 4 takes the first four round-robin across brands, leaving the last one out.
SUBSET = ("bp-it-instagram-xomo-banned", "vm-it-x-sciopero", "pc-en-linkedin-webinar", "vm-en-instagram-cachi",
          "pc-it-x-iban")
CHOSEN = ("bp-it-instagram-xomo-banned", "vm-it-x-sciopero", "pc-en-linkedin-webinar", "vm-en-instagram-cachi")


# --- the brief set ---------------------------------------------------------------------------------

def test_every_brief_is_a_valid_request_for_a_demo_brand():
    found = load_briefs()
    brands = set(list_brand_slugs(DEMO_BRANDS))
    assert len(found.briefs) >= 24
    for brief in found.briefs:
        request = DraftRequest(brand=brief.brand, platforms=brief.platforms, brief=brief.brief, goal=brief.goal,
                               language=brief.language, link=brief.link, call_to_action=brief.call_to_action)
        assert request.brand in brands, brief.id
        assert brief.language in LANGUAGES, brief.id


def test_briefs_cover_brands_platforms_languages_goals_and_hard_cases():
    briefs = load_briefs().briefs
    cells = {(b.brand, p, b.language) for b in briefs for p in b.platforms}
    brands = sorted({b.brand for b in briefs})
    assert brands == list_brand_slugs(DEMO_BRANDS)
    missing = [c for c in itertools.product(brands, PLATFORMS, LANGUAGES) if c not in cells]
    assert not missing, f"no brief for {missing}"
    for brand, lang in itertools.product(brands, LANGUAGES):
        assert sum(b.brand == brand and b.language == lang for b in briefs) >= 2, (brand, lang)
    assert {b.goal for b in briefs} == set(GOALS)
    hard = {case for b in briefs for case in b.hard}
    assert {"banned_word", "required_hashtag", "long_brief"} <= hard
    assert any(b.link for b in briefs) and any(b.call_to_action for b in briefs)
    assert any(len(b.brief) >= 1000 for b in briefs if "long_brief" in b.hard)


def test_banned_word_briefs_really_invite_a_banned_word():
    from assistant.brands import load_brand
    from assistant.platforms import find_phrases

    for brief in (b for b in load_briefs().briefs if "banned_word" in b.hard):
        banned = load_brand(DEMO_BRANDS, brief.brand).profile.banned_words
        assert find_phrases(brief.brief, banned), brief.id


def test_norms_fill_only_what_the_platform_table_lacks():
    from assistant.platforms import RULES

    norms = load_briefs().norms
    for rule in RULES:
        if rule.name in PLATFORMS:
            assert (rule.see_more_at is not None) != (rule.name in norms), rule.name
    assert all(n.source for n in norms.values())


# --- the harness on fake runs ----------------------------------------------------------------------

class RepairingFake(FakeProvider):
    """The fake, but its repair round answers a short clean post in the asked language."""

    def _compose(self, messages, temperature):
        prompt = messages[-1]["content"]
        if "<previous_draft>" not in prompt:
            return super()._compose(messages, temperature)
        tags = re.search(r"<required_hashtags>(.*?)</required_hashtags>", prompt, re.DOTALL).group(1).split()
        text = ("Un testo breve e pulito, scritto per la prova del banco." if "(Italian)" in prompt
                else "A short and clean text, written for the bench test.")
        return " ".join([text, *tags])


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    """Run 1: the plain fake. Run 2: the repairing fake on the same home, --against run 1."""
    root = tmp_path_factory.mktemp("quality")
    subset = root / "briefs.yaml"
    raw = yaml.safe_load(BRIEFS_FILE.read_text(encoding="utf-8"))
    raw["briefs"] = [next(b for b in raw["briefs"] if b["id"] == wanted) for wanted in SUBSET]
    subset.write_text(yaml.safe_dump(raw, allow_unicode=True), encoding="utf-8")
    common = ["--provider", "fake", "--embedding", "fake", "--variants", "2", "--limit", "4",
              "--briefs", str(subset), "--home", str(root / "home")]
    assert quality.main([*common, "--out", str(root / "one.json"), "--markdown", str(root / "one.md")]) == 0
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(quality, "build_provider", lambda settings: RepairingFake())
        assert quality.main([*common, "--out", str(root / "two.json"), "--markdown", str(root / "two.md"),
                             "--against", str(root / "one.json")]) == 0
    text = {name: (root / name).read_text(encoding="utf-8") for name in ("one.json", "two.json", "one.md", "two.md")}
    return {"one": json.loads(text["one.json"]), "two": json.loads(text["two.json"]),
            "one_md": text["one.md"], "two_md": text["two.md"]}


def test_limit_picks_briefs_round_robin_and_every_platform_variant_is_drafted(runs):
    for run in (runs["one"], runs["two"]):
        assert run["options"]["briefs"] == list(CHOSEN)
        assert not run["failures"]
        keys = sorted((d["brief_id"], d["platform"], d["variant"]) for d in run["drafts"])
        assert len(keys) == len(set(keys)) == 10  # xomo on two platforms, three one-platform briefs; x 2 variants
        assert {d["variant"] for d in run["drafts"]} == {1, 2}


def test_per_draft_fields_are_consistent(runs):
    for d in runs["one"]["drafts"] + runs["two"]["drafts"]:
        for side in ("violations_before", "violations_after"):
            assert d[side]["errors"] + d[side]["warnings"] == len(d[side]["codes"])
        if d["repaired"]:
            assert d["violations_after"]["errors"] < d["violations_before"]["errors"]
            assert d["first_attempt"] and d["first_attempt"] != d["text"] and d["repair_attempted"]
        else:
            assert d["violations_after"] == d["violations_before"] and d["first_attempt"] is None
        assert d["language_ok"] == (None if d["language_detected"] is None
                                    else d["language_detected"] == d["language_asked"])
        assert d["prompt_echo"] == ("prompt_echo" in d["violations_after"]["codes"])
        assert d["copied_exemplar"] == ("copied_exemplar" in d["violations_after"]["codes"])
        length = d["length"]
        assert length["over_limit"] == (length["count"] > length["limit"])
        assert length["norm"] is not None and length["over_norm"] == (length["count"] > length["norm"])
        assert (d["voice"]["score"] is None) == (d["voice"]["reason"] is not None)
        assert d["provider"] == "fake" and d["model"] == "fake-echo-1"
        assert d["latency_ms"] >= (d["first_token_ms"] or 0) and d["prompt_tokens"] > 0


def test_the_plain_fake_breaks_rules_it_cannot_repair(runs):
    drafts = runs["one"]["drafts"]
    assert not any(d["repaired"] for d in drafts)
    banned = [d for d in drafts if d["brief_id"] == "bp-it-instagram-xomo-banned"]
    assert len(banned) == 4 and all("banned_word" in d["violations_after"]["codes"] for d in banned)
    x = [d for d in drafts if d["platform"] == "x"]
    assert x and all(d["length"]["over_limit"] and d["incomplete"] == "over_limit" for d in x)


def test_before_repair_is_what_the_first_run_kept(runs):
    """The fake is deterministic: run 2's first attempts are run 1's drafts, with the same checks.
    Variant 1 only: a later variant depends on the earlier ones' final text (the drafter writes
    a variant again when it repeats one), which the repair changed in run 2."""
    first = {(d["brief_id"], d["platform"]): d for d in runs["one"]["drafts"] if d["variant"] == 1}
    repaired = [d for d in runs["two"]["drafts"] if d["repaired"]]
    assert repaired and all(d["violations_after"]["errors"] == 0 for d in repaired)
    second = [d for d in runs["two"]["drafts"] if d["variant"] == 1]
    assert any(d["repaired"] for d in second)
    for d in second:
        earlier = first[(d["brief_id"], d["platform"])]
        assert (d["first_attempt"] or d["text"]) == earlier["text"]
        assert d["violations_before"] == earlier["violations_before"]


def nearest_rank_p90(values):
    ordered = sorted(values)
    return ordered[math.ceil(0.9 * len(ordered)) - 1]


def check_aggregate(agg, rows):
    assert agg["drafts"] == len(rows) and agg["briefs"] == len({r["brief_id"] for r in rows})
    for stage in ("before", "after"):
        assert agg[f"errors_{stage}"] == sum(r[f"violations_{stage}"]["errors"] for r in rows)
        assert agg[f"warnings_{stage}"] == sum(r[f"violations_{stage}"]["warnings"] for r in rows)
        codes = [c for r in rows for c in r[f"violations_{stage}"]["codes"]]
        assert agg[f"codes_{stage}"] == {c: codes.count(c) for c in set(codes)}
    assert agg["repaired"] == sum(r["repaired"] for r in rows)
    assert agg["complete"] == sum(r["complete"] for r in rows)
    detected = [r for r in rows if r["language_detected"]]
    assert agg["language_ok_rate"] == pytest.approx(sum(r["language_ok"] for r in detected) / len(detected), abs=1e-4)
    assert agg["over_limit"] == sum(r["length"]["over_limit"] for r in rows)
    latency = [r["latency_ms"] for r in rows]
    assert agg["latency_ms"]["median"] == statistics.median(latency)
    assert agg["latency_ms"]["p90"] == nearest_rank_p90(latency) and agg["latency_ms"]["total"] == sum(latency)
    assert agg["length_median"] == statistics.median(r["length"]["count"] for r in rows)
    assert agg["prompt_tokens"] == sum(r["prompt_tokens"] for r in rows)
    assert agg["completion_tokens"] == sum(r["completion_tokens"] for r in rows)
    assert agg["mentions_found"] == sum(r["mentions"]["found"] for r in rows)
    assert agg["cost_usd"] == pytest.approx(sum(r["cost_usd"] for r in rows if r["cost_usd"] is not None))


def test_aggregates_are_the_sums_and_medians_of_the_rows(runs):
    for run in (runs["one"], runs["two"]):
        rows, aggs = run["drafts"], run["aggregates"]
        check_aggregate(aggs["overall"], rows)
        for group, field in (("by_brand", "brand"), ("by_platform", "platform"), ("by_language", "language_asked")):
            assert sorted(aggs[group]) == sorted({r[field] for r in rows})
            for name, agg in aggs[group].items():
                check_aggregate(agg, [r for r in rows if r[field] == name])
    assert runs["two"]["aggregates"]["overall"]["errors_after"] < runs["one"]["aggregates"]["overall"]["errors_after"]


def test_against_gives_every_aggregate_with_its_delta(runs):
    from bench.qualitylib.aggregate import flatten

    old, new = flatten(runs["one"]["aggregates"]), flatten(runs["two"]["aggregates"])
    entries = {e["key"]: e for e in runs["two"]["comparison"]["aggregates"]}
    assert set(entries) == set(old) | set(new)
    for key, entry in entries.items():
        assert entry["old"] == old.get(key, entry["old"]) and entry["new"] == new.get(key, entry["new"])
        if entry["old"] is not None and entry["new"] is not None:
            assert entry["delta"] == pytest.approx(entry["new"] - entry["old"])
    delta = entries["overall.errors_after"]["delta"]
    assert delta == new["overall.errors_after"] - old["overall.errors_after"] < 0
    assert entries["overall.codes_after.banned_word"]["new"] == 0  # gone after repair: 0, not missing
    changed = {d["draft"] for d in runs["two"]["comparison"]["drafts"]}
    assert changed == {f"{d['brief_id']}/{d['platform']}/{d['variant']}" for d in runs["two"]["drafts"] if d["repaired"]}
    for d in runs["two"]["comparison"]["drafts"]:
        after = d["errors_after"]
        assert after["delta"] == after["new"] - after["old"] < 0 and d["errors_before"]["delta"] == 0


def test_markdown_has_one_row_per_draft_and_the_comparison(runs):
    for run, table in ((runs["one"], runs["one_md"]), (runs["two"], runs["two_md"])):
        section = table.split("## Drafts", 1)[1].split("## Aggregates", 1)[0]
        rows = [line for line in section.splitlines() if line.startswith("| ") and not line.startswith("| brief |")]
        assert len(rows) == len(run["drafts"])
        for line, d in zip(rows, run["drafts"]):
            cells = [c.strip() for c in line.strip("|").split("|")]
            assert cells[:3] == [d["brief_id"], d["platform"], str(d["variant"])]
            assert cells[3].startswith(f"{d['violations_before']['errors']}→{d['violations_after']['errors']}")
    assert "## Comparison" not in runs["one_md"] and "## Comparison with the previous run" in runs["two_md"]
    assert "| errors_after |" in runs["two_md"]


@pytest.mark.parametrize(("argv", "message"), [
    (["--provider", "openai"], "OPENAI_API_KEY"),
    (["--provider", "compatible"], "--base-url"),
])
def test_remote_providers_without_configuration_fail_with_how_to_fix(tmp_path, capsys, argv, message):
    assert quality.main([*argv, "--embedding", "fake", "--home", str(tmp_path), "--out", str(tmp_path / "r.json")]) == 2
    assert message in capsys.readouterr().err
    assert not (tmp_path / "r.json").exists()
