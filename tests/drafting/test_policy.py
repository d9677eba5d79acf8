"""Where a brand's data may go: `allowed_providers` / `allowed_hosts` in brand.yaml, checked before
any byte leaves the machine (a real OpenAI-compatible server and a bare TCP listener on loopback
prove nothing reached them), the refusal recorded in the account log with who asked."""

from __future__ import annotations

import pytest

from assistant.brands import BrandProfile, check_destination
from assistant.drafting.policy import check_provider
from assistant.drafting.providers import FakeProvider, OpenAICompatibleProvider
from assistant.drafting.schemas import DraftRequest
from assistant.errors import BrandProfileError, ProviderNotAllowed
from assistant.i18n import t
from assistant.knowledge.embeddings import CachedEmbedder
from assistant.services import Services
from assistant.settings import load_settings
from tests.factories import add_people
from tests.utils.openai_server import ScriptedServer
from tests.utils.policy import TcpListener, restrict

BRAND = "bottega-pasubio"


def profile(**policy) -> BrandProfile:
    return BrandProfile(slug="test", name="Test", language="it", voice="Caldo.", **policy)


def request(**kw) -> DraftRequest:
    return DraftRequest(**({"brand": BRAND, "platforms": ["instagram"], "brief": "Laboratorio di rammendo sabato"} | kw))


def services_with(settings, hash_embedder, **model) -> Services:
    """The app's composition root with the provider the settings choose (built by build_provider)."""
    chosen = settings.model_copy(update=model)
    return Services(chosen, embedder=CachedEmbedder(hash_embedder, chosen.cache_dir / "emb.sqlite"))


# --- the rule ---------------------------------------------------------------------------------------

def test_by_default_every_provider_is_allowed():
    p = profile()
    assert p.allowed_providers == ["local", "compatible", "openai"] and p.allowed_hosts is None
    for name, url in (("local", "http://127.0.0.1:5000/v1"), ("compatible", "https://llm.example.com/v1"),
                      ("openai", None), ("fake", None)):
        check_destination(p, name, url)  # no exception


def test_a_local_only_brand_refuses_remote_providers_and_says_how_to_change_it():
    p = profile(allowed_providers=["local"])
    check_destination(p, "local", "http://127.0.0.1:5000/v1")
    check_destination(p, "fake")  # the test provider sends nothing anywhere
    for name, url, host in (("compatible", "http://127.0.0.1:11434/v1", "127.0.0.1:11434"),
                            ("openai", None, "api.openai.com")):
        with pytest.raises(ProviderNotAllowed) as err:
            check_destination(p, name, url)
        assert err.value.code == "provider_refused"
        assert err.value.params["provider"] == name and err.value.params["host"] == host
        assert "allowed_providers in test/brand.yaml: local" in str(err.value) and "Models panel" in str(err.value)
        italian = t("error.provider_refused", "it", **err.value.params)
        assert f"«{name}»" in italian and "pannello Modelli" in italian and "allowed_providers" in italian
    with pytest.raises(ProviderNotAllowed) as err:
        check_destination(p, "openai", use="embeddings")
    assert err.value.code == "embedding_refused" and "ASSISTANT_EMBEDDING" in str(err.value)
    with pytest.raises(ProviderNotAllowed):
        check_destination(p, "some-new-backend")  # a provider nobody listed is not allowed


def test_compatible_servers_only_on_the_allowed_hosts():
    p = profile(allowed_providers=["local", "compatible"], allowed_hosts=["LLM.intranet.example", "127.0.0.1:11434"])
    assert p.allowed_hosts == ["llm.intranet.example", "127.0.0.1:11434"]
    check_destination(p, "compatible", "https://llm.intranet.example/v1")  # any port on a host listed bare
    check_destination(p, "compatible", "http://llm.intranet.example:8080/v1")
    check_destination(p, "compatible", "http://127.0.0.1:11434/v1")
    for url, host in (("http://other.example/v1", "other.example:80"), ("http://127.0.0.1:8080/v1", "127.0.0.1:8080"),
                      ("https://llm.intranet.example.evil.test/v1", "llm.intranet.example.evil.test:443")):
        with pytest.raises(ProviderNotAllowed) as err:
            check_destination(p, "compatible", url)
        assert err.value.code == "host_refused" and err.value.params["host"] == host
        assert "allowed_hosts" in str(err.value) and host in t("error.host_refused", "it", **err.value.params)


@pytest.mark.parametrize(("lines", "message"), [
    ("allowed_providers: [gemini]", r"'allowed_providers': .*unknown provider 'gemini'.*local, compatible"),
    ("allowed_providers: []", r"'allowed_providers': .*empty"),
    ("allowed_providers: [local]\nallowed_hosts: [llm.example.com]", r"'allowed_hosts': .*does not include compatible"),
    ("allowed_hosts: ['http://llm.example.com/v1']", r"'allowed_hosts': .*not a host.*without scheme or path"),
    ("allowed_hosts: ['llm.example.com:99999']", r"'allowed_hosts': .*not a host"),
    ("allowed_hosts: []", r"'allowed_hosts': .*empty"),
])
def test_policy_values_are_validated_naming_the_file_and_the_key(tmp_path, lines, message):
    from assistant.brands import load_brand
    from tests.conftest import write_brand

    folder = write_brand(tmp_path, "strict")
    (folder / "brand.yaml").write_text((folder / "brand.yaml").read_text(encoding="utf-8") + lines + "\n",
                                       encoding="utf-8")
    with pytest.raises(BrandProfileError, match=message) as err:
        load_brand(tmp_path, "strict")
    assert str(err.value).startswith(str(folder / "brand.yaml"))


# --- nothing leaves the machine ------------------------------------------------------------------

def test_a_local_only_brand_sends_nothing_to_a_listening_compatible_server(settings, hash_embedder, network_guard):
    add_people(Services(settings).review, ["Ada"], role="editor")
    with ScriptedServer(reply="Questo testo non deve mai essere chiesto #BottegaPasubio") as srv:
        svc = services_with(settings, hash_embedder, provider="compatible", base_url=srv.base_url)
        svc.knowledge.index_brand(svc.brand(BRAND))
        ada = svc.people.actor("ada")
        earlier = svc.drafter(provider=FakeProvider(), actor=ada).draft(request())[0]  # to refine below
        # control: while the brand allows it, the same composition root does reach the server
        assert svc.drafter(actor=ada).draft(request())[0].provider == "compatible" and srv.requests
        sent = len(srv.requests)
        restrict(settings.brands_dir, BRAND, allowed_providers=["local"])
        drafter = svc.drafter(actor=ada)
        assert drafter.provider.name == "compatible" and drafter.provider.base_url == srv.base_url
        with pytest.raises(ProviderNotAllowed) as err:
            drafter.draft(request(brief="Il segreto del cliente: nuova collezione a marzo"))
        assert err.value.code == "provider_refused"
        with pytest.raises(ProviderNotAllowed):
            drafter.refine(earlier, "più breve, il segreto del cliente")
        assert len(srv.requests) == len(srv.headers) == sent  # only the control's, before the policy changed
    assert "segreto" not in repr(srv.requests)
    assert network_guard.attempts == []


def test_not_even_a_connection_reaches_a_refused_server(settings, hash_embedder):
    """A bare TCP listener: the refusal comes before the reachability probe, so no handshake at all."""
    restrict(settings.brands_dir, BRAND, allowed_providers=["local"])
    with TcpListener() as listener:
        svc = services_with(settings, hash_embedder, provider="compatible", base_url=listener.base_url)
        svc.knowledge.index_brand(svc.brand(BRAND))
        drafter = svc.drafter()
        with pytest.raises(ProviderNotAllowed):
            list(drafter.stream(request()))
        assert listener.connections() == 0 and listener.received == b""
        drafter.provider.probe()  # control: the listener does see a connection that sends no byte
        assert listener.connections() == 1


def test_a_compatible_server_on_another_host_than_the_allowed_ones_is_refused(settings, hash_embedder):
    with ScriptedServer() as srv, TcpListener() as listener:
        svc = services_with(settings, hash_embedder, provider="compatible", base_url=srv.base_url)
        svc.knowledge.index_brand(svc.brand(BRAND))
        restrict(settings.brands_dir, BRAND, allowed_providers=["local", "compatible"], allowed_hosts=["other.example"])
        with pytest.raises(ProviderNotAllowed) as err:
            svc.drafter().draft(request())
        assert err.value.code == "host_refused" and err.value.params["host"] == f"127.0.0.1:{srv.port}"
        assert srv.requests == [] and srv.headers == []
        listed = svc.drafter(provider=OpenAICompatibleProvider(model="m", base_url=listener.base_url, api_key=None,
                                                                timeout=1, max_retries=0, probe=True))
        with pytest.raises(ProviderNotAllowed):
            listed.draft(request())
        assert listener.connections() == 0
        # the host listed (with its port) is allowed: the same server then gets the request
        restrict(settings.brands_dir, BRAND, allowed_hosts=[f"127.0.0.1:{srv.port}"])
        [draft] = svc.drafter().draft(request())
        assert draft.provider == "compatible" and srv.requests  # the draft (and its repair round, if any)


def test_the_models_panel_choice_is_the_provider_checked(settings, hash_embedder):
    """No ASSISTANT_PROVIDER: the administrators' saved choice (a compatible server) is what is built and refused."""
    from assistant.drafting.models import ModelStore, changed

    add_people(Services(settings).review, ["Ada"], role="editor")
    restrict(settings.brands_dir, BRAND, allowed_providers=["local"])
    with ScriptedServer() as srv:
        svc = services_with(settings, hash_embedder)
        root = svc.people.actor("root")
        ModelStore(settings.home).save(changed(ModelStore(settings.home).load(), provider="compatible",
                                               base_url=srv.base_url, model="panel-model"), by=root)
        assert svc.provider.name == "compatible" and svc.provider.model == "panel-model"
        with pytest.raises(ProviderNotAllowed, match="provider 'compatible'"):
            svc.drafter(actor=svc.people.actor("ada")).draft(request())
        assert srv.requests == []


def test_the_repair_round_checks_the_policy_too(settings, hash_embedder):
    """The repair round is one more request: a draft with errors, repaired by a drafter whose
    provider the brand refuses, is refused before the request (nothing reaches the listener)."""
    svc = services_with(settings, hash_embedder)
    svc.knowledge.index_brand(svc.brand(BRAND))
    first = "Un maglione economico per tutti #BottegaPasubio"  # a banned word: an error to repair
    [draft] = svc.drafter(provider=FakeProvider(script=[first, first])).draft(request())
    assert draft.errors and draft.complete
    restrict(settings.brands_dir, BRAND, allowed_providers=["local"])
    with TcpListener() as listener:
        remote = svc.drafter(provider=OpenAICompatibleProvider(model="m", base_url=listener.base_url, api_key=None,
                                                               timeout=1, max_retries=0, probe=True))
        events = []
        with pytest.raises(ProviderNotAllowed, match="provider 'compatible'"):
            for event in remote._repair(svc.brand(BRAND), draft, svc.rules["instagram"]):
                events.append(event)
        assert events == [] and listener.connections() == 0


# --- the audit ----------------------------------------------------------------------------------------

def test_the_refusal_is_recorded_with_who_asked_and_what(settings, hash_embedder):
    add_people(Services(settings).review, ["Ada"], role="editor")
    restrict(settings.brands_dir, BRAND, allowed_providers=["local"])
    with ScriptedServer() as srv:
        svc = services_with(settings, hash_embedder, provider="compatible", base_url=srv.base_url)
        ada = svc.people.actor("ada")
        with pytest.raises(ProviderNotAllowed):
            svc.drafter(actor=ada).draft(request())
    [event] = [e for e in svc.people.events() if e.action == "provider_refused"]
    assert (event.user_id, event.actor_id) == (ada.user_id, ada.user_id)
    assert event.data == {"brand": BRAND, "provider": "compatible", "host": f"127.0.0.1:{srv.port}",
                          "use": "drafting", "allowed": "local"}
    assert srv.requests == []


def test_check_provider_uses_the_built_providers_name_and_url():
    p = profile(allowed_providers=["local", "compatible"], allowed_hosts=["127.0.0.1:11434"])
    check_provider(p, FakeProvider())
    ok = OpenAICompatibleProvider(model="m", base_url="http://127.0.0.1:11434/v1", api_key=None, timeout=1,
                                  max_retries=0)
    check_provider(p, ok)
    other = OpenAICompatibleProvider(model="m", base_url="http://127.0.0.1:8080/v1", api_key=None, timeout=1,
                                     max_retries=0)
    with pytest.raises(ProviderNotAllowed, match="not at 127.0.0.1:8080"):
        check_provider(p, other)
    openai = OpenAICompatibleProvider(model="m", base_url=None, api_key="sk-x", timeout=1, max_retries=0, name="openai")
    with pytest.raises(ProviderNotAllowed, match="provider 'openai'"):
        check_provider(p, openai)
