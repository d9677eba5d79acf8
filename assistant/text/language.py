"""A light offline language guesser for short social posts (it, en, es, fr, de, pt).

No dependencies and no model: it counts very common function words (short lists written for
this project) plus a few spelling cues (endings, accented letters). Good enough to notice an
English draft for an Italian post; not a general-purpose detector. URLs, @mentions, #hashtags,
digits and emoji are ignored. Returns None when there is too little to go on.
"""

from __future__ import annotations

import re
import unicodedata

# Function words per language. A word listed under several languages is shared evidence and
# weighs 1/n for each of them (see _WEIGHTS), so "in", "a", "la", "e" decide little on their own.
_FUNCTION_WORDS: dict[str, str] = {
    "it": """il lo la i gli le un una uno l dell nell all sull dall c di del della dello dei degli
        delle al alla allo ai agli alle dal dalla dai nel nella nei nelle sul sulla sui con per tra
        fra che non è e ed o ma se anche come più perché quando dove chi cosa ci vi si ne noi voi
        loro mi ti sono siamo siete hanno ho hai ha abbiamo era questo questa questi queste
        quello quella quelli essere stato molto ancora già sempre poi qui ora oggi domani ogni
        tutto tutti tutte nostro nostra nostri nostre vostro vostra suo sua mio mia dopo senza
        sopra sotto fino verso invece però quindi allora ecco""",
    "en": """the a an and or but if of to in on at by for with from about into over after before
        is are was were be been being have has had do does did not no this that these those it its
        we you they he she our your their my his her i me us them there here what which who when
        where why how all any more most some just also than then so as can will would could should
        may up out off get got our ours don t s""",
    "es": """el la los las un una unos unas de del al a y o pero si que no en con por para como
        más es son está están fue ser estar hay muy también este esta estos estas ese esa nuestro
        nuestra su sus lo le les se mi tu yo nosotros ustedes cuando donde porque todo todos hoy
        aquí ya""",
    "fr": """le la les l un une des du de d et ou mais si que qui ne pas en dans sur avec pour
        par comme plus est sont était être avoir a ont ce cette ces c nous vous ils elles il elle
        on son sa ses notre nos votre vos leur leurs au aux très aussi tout tous quand où ici
        aujourd hui""",
    "de": """der die das den dem des ein eine einen einem einer und oder aber wenn dass nicht
        kein keine in im auf mit für von zu zum zur bei aus nach ist sind war waren sein haben
        hat wir ihr sie er es ich du uns unser unsere auch noch schon sehr wie wo was wer hier
        heute""",
    "pt": """o a os as um uma uns umas de do da dos das ao à e ou mas se que não em no na nos
        nas com por para como mais é são está estão foi ser estar há muito também este esta
        estes estas esse essa nosso nossa seu sua eu você vocês nós quando onde porque tudo
        todos hoje aqui já""",
}

# Spelling cues, each worth half a function word: word endings and letters typical of a language.
_ENDINGS: dict[str, tuple[str, ...]] = {
    "it": ("zione", "zioni", "iamo", "ete", "ggio", "zza", "gli", "cchi", "tti", "ssi", "ato", "ati",
           "uto", "oni", "ino", "ini", "etto", "etta", "oli", "elli", "ella"),
    "en": ("ing", "ght", "ly", "ness", "ful", "ed", "th", "ship"),
    "es": ("ción", "ciones", "mos", "dad", "ado", "ada", "idos"),
    "fr": ("eux", "eau", "aux", "ière", "ment", "tion", "ons", "ez"),
    "de": ("ung", "keit", "heit", "lich", "chen", "isch", "sch", "cht"),
    "pt": ("ção", "ções", "ão", "ões", "nh", "lh", "mos", "dade"),
}
_LETTERS: dict[str, str] = {"it": "ìò", "es": "ñ¿¡", "fr": "êûœçë", "de": "äöüß", "pt": "ãõç"}
_FINAL_GRAVE = re.compile(r"[àèìòù]$")  # Italian writes final stressed vowels with a grave accent

# Links, mentions and hashtags. A bare domain may only start where a token starts, which keeps
# the scan linear on inputs like "a.a.a.a…".
_STRIP = re.compile(
    r"https?://\S+|www\.\S+|(?<![\w.@/-])(?:[\w-]+\.)+(?:com|it|org|net|io|eu|co|uk)\b(?:/\S*)?|[@#＃]\w+",
    re.IGNORECASE,
)
_WORD = re.compile(r"[^\W\d_]+")

MIN_WORDS = 3


def _weights() -> dict[str, dict[str, float]]:
    owners: dict[str, set[str]] = {}
    for lang, words in _FUNCTION_WORDS.items():
        for word in words.split():
            owners.setdefault(word, set()).add(lang)
    return {lang: {w: 1 / len(owners[w]) for w in words.split()} for lang, words in _FUNCTION_WORDS.items()}


_WEIGHTS = _weights()
LANGUAGES: tuple[str, ...] = tuple(_FUNCTION_WORDS)


def words(text: str) -> list[str]:
    """Lower-case words of `text`, without URLs, @mentions, #hashtags, digits and emoji."""
    text = unicodedata.normalize("NFC", text)
    return _WORD.findall(_STRIP.sub(" ", text).lower())


def _evidence(token: str) -> dict[str, float]:
    found = {}
    for lang, weights in _WEIGHTS.items():
        score = weights.get(token, 0.0)
        if len(token) > 3 and token.endswith(_ENDINGS[lang]):
            score += 0.5
        if any(ch in _LETTERS.get(lang, "") for ch in token):
            score += 0.5
        if lang == "it" and _FINAL_GRAVE.search(token):
            score += 0.5
        if score:
            found[lang] = score
    return found


def _tally(text: str) -> tuple[dict[str, float], int]:
    """Evidence per language, and how many words were evidence for some language."""
    result = dict.fromkeys(_FUNCTION_WORDS, 0.0)
    recognised = 0
    seen: dict[str, dict[str, float]] = {}
    for token in words(text):
        evidence = seen[token] if token in seen else seen.setdefault(token, _evidence(token))
        recognised += bool(evidence)
        for lang, score in evidence.items():
            result[lang] += score
    return result, recognised


def scores(text: str) -> dict[str, float]:
    """Evidence per language (higher is more likely); exposed for tests and debugging."""
    return _tally(text)[0]


def detect(text: str) -> str | None:
    """ISO 639-1 code of the most likely language, or None if too short or too close to call.

    "Too short": fewer than three words that are evidence for some language (a function word, a
    typical ending or letter). "Too close": the best language does not beat the runner-up by half
    again its score and by at least one whole word.
    """
    result, recognised = _tally(text)
    if recognised < MIN_WORDS:
        return None
    ranked = sorted(result.items(), key=lambda item: item[1], reverse=True)
    (best, top), (_, second) = ranked[0], ranked[1]
    if top < 1.5 or top < second * 1.5 or top - second < 1.0:
        return None
    return best
