"""Subject domains and the multilingual glossary: the general word knowledge scope relies on.

`lexicon/domains.yaml` groups English words by everyday subject (footwear, banking,
cooking, travel...). A workspace's own words pull in the domains they belong to; the
other domains' words are evidence that a message is about something else.
`lexicon/glossary.yaml` maps common support words of six languages to English heads.
"""

from __future__ import annotations

from collections import Counter
from functools import cache

from escalation.lexicon_loader import load_lexicon
from escalation.text import stem, words

_DOMAIN_MIN = 1.5
_DOMAIN_SHARE = 0.25


def domains_of(stems: set[str]) -> frozenset[str]:
    """The subject domains a workspace's words belong to.

    Each shared word counts 1 / (the number of domains that hold it), so "order" or
    "bill", which many domains share, say little on their own.
    """
    spread = domain_spread()
    scores = {
        name: sum(1 / spread[s] for s in members & stems)
        for name, members in domain_stems().items()
    }
    bar = max(_DOMAIN_MIN, _DOMAIN_SHARE * max(scores.values(), default=0.0))
    return frozenset(name for name, score in scores.items() if score >= bar)


@cache
def domain_spread() -> Counter[str]:
    """How many domains hold each stem."""
    return Counter(s for members in domain_stems().values() for s in members)


@cache
def domain_stems() -> dict[str, frozenset[str]]:
    """Each subject domain's stems (`lexicon/domains.yaml`)."""
    table = load_lexicon("domains")
    return {
        name: frozenset(stem(w) for word in items for w in words(str(word)))
        for name, items in table.items()
    }


@cache
def off_subject_stems(own: frozenset[str]) -> frozenset[str]:
    """Stems of every domain but a workspace's own and the neutral ones."""
    neutral = set(load_lexicon("common").get("neutral_domains", ()))
    others = [members for name, members in domain_stems().items() if name not in own | neutral]
    return frozenset().union(*others) - weak_stems() - service_stems()


@cache
def glossary() -> dict[str, str]:
    """Folded word in another language → its English head word."""
    table = load_lexicon("glossary")
    return {
        str(form): str(head)
        for head, languages in table.items()
        for forms in (languages or {}).values()
        for form in forms
    }


@cache
def weak_stems() -> frozenset[str]:
    """Everyday words that say little about a subject (`lexicon/common.yaml`)."""
    return frozenset(stem(str(w)) for w in load_lexicon("common")["weak"])


@cache
def service_stems() -> frozenset[str]:
    """Words any helpdesk conversation uses, whatever the business."""
    return frozenset(stem(str(w)) for w in load_lexicon("common")["service"])
