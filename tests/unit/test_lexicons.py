"""The subject-domain lexicon and the multilingual support glossary are well formed.

`escalation/lexicon/domains.yaml` maps everyday subject domains to characteristic English
words; `escalation/lexicon/glossary.yaml` maps English head words to their folded forms in
es, fr, de, pt, it and nl. Both are general world knowledge; these tests check their shape
(folded single words, no duplicates, no ambiguous forms) and a few facts Handoff relies on.
"""

from __future__ import annotations

import unicodedata
from collections import defaultdict
from functools import cache
from importlib import resources
from typing import Any

import pytest
import yaml

from escalation.text import fold

GLOSSARY_LANGUAGES = frozenset({"es", "fr", "de", "pt", "it", "nl"})


def _read(name: str) -> Any:
    text = resources.files("escalation").joinpath("lexicon", f"{name}.yaml").read_text("utf-8")
    return yaml.safe_load(text)


@cache
def domains() -> dict[str, list[str]]:
    return _read("domains")


@cache
def glossary() -> dict[str, dict[str, list[str]]]:
    return _read("glossary")


@cache
def stopwords() -> dict[str, list[str]]:
    return _read("stopwords")


def _is_folded(word: str) -> bool:
    decomposed = unicodedata.normalize("NFKD", word)
    return (
        word == word.strip()
        and word == word.lower()
        and not any(unicodedata.combining(ch) for ch in decomposed)
        and fold(word) == word
    )


def _glossary_forms() -> list[tuple[str, str, str]]:
    """Every (head word, language, form) in the glossary."""
    return [
        (head, language, form)
        for head, languages in glossary().items()
        for language, forms in languages.items()
        for form in forms
    ]


def _owners() -> dict[str, set[str]]:
    """Folded form → the head words it is listed under (any language)."""
    owners: dict[str, set[str]] = defaultdict(set)
    for head, _language, form in _glossary_forms():
        owners[form].add(head)
    return owners


# ---------------------------------------------------------------- loading and shape


def test_both_files_load_as_mappings() -> None:
    assert isinstance(domains(), dict) and domains()
    assert isinstance(glossary(), dict) and glossary()


def test_files_are_shipped_and_readable_through_the_package_loader() -> None:
    from escalation.lexicon_loader import load_lexicon

    assert load_lexicon("domains") == domains()
    assert load_lexicon("glossary") == glossary()


def test_domains_shape() -> None:
    assert 30 <= len(domains()) <= 45
    for name, words in domains().items():
        assert isinstance(name, str) and name == name.lower(), name
        assert isinstance(words, list), name
        assert all(isinstance(word, str) for word in words), (name, words)


def test_every_domain_has_at_least_60_words() -> None:
    small = {name: len(words) for name, words in domains().items() if len(words) < 60}
    assert not small, small


def test_domain_words_are_folded_single_words() -> None:
    bad = [
        (name, word)
        for name, words in domains().items()
        for word in words
        if not _is_folded(word) or " " in word or not word.replace("'", "").isalnum()
    ]
    assert not bad, bad


def test_no_duplicates_inside_a_domain() -> None:
    for name, words in domains().items():
        duplicates = sorted({word for word in words if words.count(word) > 1})
        assert not duplicates, (name, duplicates)


def test_domains_leave_very_generic_words_to_the_common_list() -> None:
    generic = {"help", "problem", "time", "need", "want", "get", "new", "good", "thing"}
    generic |= {"question", "change", "please", "thanks", "someone", "person", "back"}
    found = {(name, word) for name, words in domains().items() for word in words if word in generic}
    # time_date is the one domain where "time" is the subject itself.
    found.discard(("time_date", "time"))
    assert not found, sorted(found)


def test_glossary_shape() -> None:
    assert 200 <= len(glossary()) <= 350
    for head, languages in glossary().items():
        assert isinstance(head, str) and _is_folded(head) and " " not in head, head
        assert isinstance(languages, dict) and languages, head
        assert set(languages) <= GLOSSARY_LANGUAGES, (head, set(languages) - GLOSSARY_LANGUAGES)
        assert len(languages) >= 3, (head, sorted(languages))
        for language, forms in languages.items():
            assert isinstance(forms, list) and forms, (head, language)
            assert all(isinstance(form, str) for form in forms), (head, language, forms)


def test_glossary_forms_are_folded_single_words() -> None:
    bad = [
        (head, language, form)
        for head, language, form in _glossary_forms()
        if not _is_folded(form) or not form.isalnum()
    ]
    assert not bad, bad


def test_no_duplicates_inside_a_glossary_list() -> None:
    for head, languages in glossary().items():
        for language, forms in languages.items():
            duplicates = sorted({form for form in forms if forms.count(form) > 1})
            assert not duplicates, (head, language, duplicates)


def test_no_form_maps_to_two_head_words() -> None:
    conflicts = {form: sorted(heads) for form, heads in _owners().items() if len(heads) > 1}
    assert not conflicts, conflicts


def test_a_form_that_is_an_english_head_word_belongs_to_that_head() -> None:
    # e.g. French "pain" (bread) must not sit under "bread" while "pain" is a head word.
    heads = set(glossary())
    clashes = {
        form: sorted(owners)
        for form, owners in _owners().items()
        if form in heads and form not in owners
    }
    assert not clashes, clashes


def test_no_glossary_form_is_a_function_word_in_any_language() -> None:
    function_words = {str(word) for words in stopwords().values() for word in words}
    clashes = sorted(
        (head, language, form)
        for head, language, form in _glossary_forms()
        if form in function_words and form != head
    )
    assert not clashes, clashes


# ---------------------------------------------------------------- facts Handoff relies on


@pytest.mark.parametrize(
    ("domain", "word"),
    [
        ("footwear_apparel", "feet"),
        ("footwear_apparel", "foot"),
        ("footwear_apparel", "heel"),
        ("footwear_apparel", "wide"),
        ("footwear_apparel", "fit"),
        ("footwear_apparel", "size"),
        ("food_cooking", "recipe"),
        ("food_cooking", "banana"),
        ("food_cooking", "bread"),
        ("travel_flights", "flight"),
        ("travel_flights", "airport"),
        ("internet_it", "laptop"),
        ("internet_it", "wifi"),
        ("internet_it", "router"),
        ("banking", "overdraft"),
        ("banking", "iban"),
        ("payments_billing", "invoice"),
        ("shipping_delivery", "parcel"),
        ("returns_refunds", "refund"),
        ("weather", "forecast"),
        ("legal", "lawyer"),
        ("legal", "chargeback"),
        ("investing_markets", "dow"),
        ("health_medical", "prescription"),
    ],
)
def test_domain_contains(domain: str, word: str) -> None:
    assert word in domains()[domain]


@pytest.mark.parametrize(
    ("word", "domain"),
    [
        ("recipe", "footwear_apparel"),
        ("flight", "footwear_apparel"),
        ("feet", "food_cooking"),
        ("banana", "banking"),
    ],
)
def test_domain_does_not_contain(word: str, domain: str) -> None:
    assert word not in domains()[domain]


@pytest.mark.parametrize(
    ("language", "form", "head"),
    [
        ("es", "devolver", "return"),
        ("es", "devolucion", "return"),
        ("de", "rucksendung", "return"),
        ("fr", "retour", "return"),
        ("fr", "remboursement", "refund"),
        ("es", "reembolso", "refund"),
        ("nl", "bestelling", "order"),
        ("es", "pedido", "order"),
        ("fr", "commande", "order"),
        ("de", "bestellung", "order"),
        ("it", "ordine", "order"),
        ("pt", "encomenda", "order"),
        ("es", "talla", "size"),
        ("fr", "pointure", "size"),
        ("de", "große", "size"),
        ("fr", "colis", "parcel"),
        ("de", "paket", "package"),
        ("es", "tarjeta", "card"),
        ("de", "uberweisung", "transfer"),
        ("es", "contrasena", "password"),
        ("fr", "vol", "flight"),
        ("es", "vuelo", "flight"),
        ("es", "receta", "recipe"),
        ("de", "mitarbeiter", "agent"),
        ("es", "humano", "human"),
        ("nl", "wachtwoord", "password"),
        ("pt", "fatura", "invoice"),
        ("it", "rimborso", "refund"),
    ],
)
def test_glossary_maps(language: str, form: str, head: str) -> None:
    assert form in glossary()[head][language]


def test_glossary_covers_the_core_support_vocabulary() -> None:
    core = {
        "order", "cancel", "return", "exchange", "refund", "delivery", "parcel", "package",
        "tracking", "shipping", "late", "lost", "damaged", "broken", "size", "shoes", "payment",
        "charge", "card", "invoice", "receipt", "account", "password", "login", "email",
        "address", "phone", "subscription", "plan", "price", "discount", "coupon", "bank",
        "balance", "transfer", "loan", "fraud", "stolen", "flight", "booking", "hotel",
        "ticket", "appointment", "doctor", "insurance", "claim", "internet", "wifi", "router",
        "app", "bug", "error", "human", "person", "agent", "manager", "representative",
        "someone", "recipe", "weather", "movie", "song", "joke", "football",
    }  # fmt: skip
    assert core <= set(glossary()), sorted(core - set(glossary()))


def test_words_that_mean_something_else_elsewhere_are_left_out() -> None:
    owners = _owners()
    # es "seguro" is also "sure", es "pie" is English pie, nl "mens"/"les" are English
    # "men's" and the French article, fr "chats" is also English "chats".
    for word in ("seguro", "pie", "mens", "les", "chats", "red"):
        assert word not in owners, (word, owners.get(word))
    assert "sim" not in glossary()["sim"].get("pt", [])  # Portuguese "yes"
    assert "pain" not in glossary()["bread"].get("fr", [])  # English "pain" is a head word
