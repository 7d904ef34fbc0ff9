"""Phrase families that generalize past a fixed word list, in English and six other languages.

The bot's "I can't / I'm unable to / I'm not authorized to" counts for any action verb, but
not for a search result ("I couldn't find that order"), politeness ("I can't thank you
enough"), a promise caveat, or a policy answer that states its condition ("we can't accept
returns after 30 days"); more handoff statements and platform events are read. Those go end to
end through the `rules` detector on the example workspace, on conversations about accounts,
sizing and orders (no sub agent with required details): a confirmed signal gives `escalate`,
anything else `none`.

The families `user_wish` (the user asks the company to do something) and `user_question` (an
information question's opening or frame), and each language's `clause_breaks`, are data the
detector consumes separately; they are checked here by matching the compiled patterns against
folded text, one realistic chat message per case, in all seven languages.
"""

from __future__ import annotations

import re
import time

import pytest

from escalation.decision import Signal, Status
from escalation.lexicon_loader import load_phrase_file
from escalation.phrase_tables import family_pattern, load_table
from escalation.rules import RulesDetector
from escalation.text import LANGUAGES, fold
from tests.conftest import decide

ACCOUNT = ("user", "I'd like to merge my two accounts into one.")
SIZING = ("user", "Do these boots run small? I'm usually a 42.")
ORDERS = ("user", "Can I add a second pair to my order?")
Turn = tuple[str, str]

# ---------------------------------------------------------------- 1. any action verb

CANNOT_ANY_ACTION: list[tuple[Turn, str]] = [
    (ACCOUNT, "I can't merge accounts in this chat."),
    (ACCOUNT, "I cannot reactivate closed accounts for you."),
    (ACCOUNT, "Sorry, I'm not able to transfer order history between accounts."),
    (ACCOUNT, "I'm not authorized to waive fees."),
    (ACCOUNT, "Unfortunately that's not something I can do."),
    (ACCOUNT, "I won't be able to change the email on the account myself."),
    (ACCOUNT, "We can't unlock accounts through this chat."),
    (ACCOUNT, "It isn't something I'm able to help with, I'm afraid."),
    (ORDERS, "I can't add items to an order in this chat."),
    (ORDERS, "I can't rebook flights in this chat."),
    (ORDERS, "I cannot book flights for you."),
    (ORDERS, "I'm unable to upgrade bookings, sorry."),
    (SIZING, "Sorry, I'm not able to reserve sizes."),
    (SIZING, "I'm unable to access your past orders."),
]


@pytest.mark.parametrize(("opener", "text"), CANNOT_ANY_ACTION)
def test_the_bot_cannot_do_an_action_is_a_handoff(
    detector: RulesDetector, opener: Turn, text: str
) -> None:
    decision = decide(detector, opener, ("bot", text))
    assert (decision.status, decision.signal) == (Status.ESCALATE, Signal.BOT_HANDOFF), (
        decision.reason
    )


NOT_A_LACK: list[tuple[Turn, str]] = [
    # nothing found is a result, not a lack of capability
    (ACCOUNT, "I can't find any account with that email address."),
    (ORDERS, "I couldn't find that order."),
    (ORDERS, "I can't see any order with that number."),
    (ACCOUNT, "I can't seem to find an account under that name."),
    (ORDERS, "I'm unable to locate that booking."),
    # politeness
    (SIZING, "I can't wait to hear how they fit!"),
    (ACCOUNT, "I can't thank you enough for your patience."),
    (SIZING, "I can't recommend the suede version enough."),
    (SIZING, "I can't stress enough how comfortable they are."),
    # a caveat, not a handoff
    (SIZING, "I can't promise they will arrive by Friday."),
    (SIZING, "I can't guarantee the size 44 will be back in stock soon."),
    (SIZING, "I can't make any promises about the restock date."),
    (SIZING, "I can't give you an exact restock date."),
    (SIZING, "I can't be sure which width suits you best, but most people take the regular."),
    # a policy answer that states its condition meets the need
    (ORDERS, "We can't accept returns after 30 days."),
    (ORDERS, "I can't accept returns after 30 days."),
    (ORDERS, "I'm not able to edit orders once they are placed, sorry."),
    (ORDERS, "I can't change bookings past the 24-hour window."),
    (ORDERS, "We can't ship to PO boxes."),
    # the user can't, not the bot
    (ORDERS, "You can't change the size once the order has shipped."),
    # the need is met another way
    (ACCOUNT, "I can't merge accounts in this chat, but you can do it under Settings > Accounts."),
    # hypothetical
    (ACCOUNT, "If I can't merge them, I'll explain the other options."),
    # the bot goes on by asking for a detail
    (ORDERS, "I'm not able to do that, could you give me the order number please?"),
]


@pytest.mark.parametrize(("opener", "text"), NOT_A_LACK)
def test_results_politeness_and_policy_are_not_a_lack(
    detector: RulesDetector, opener: Turn, text: str
) -> None:
    decision = decide(detector, opener, ("bot", text))
    assert decision.status is Status.NONE, f"{decision.signal}: {decision.evidence}"


# ---------------------------------------------------------------- 2. handoff statements

HANDOFF_STATEMENTS: list[tuple[Turn, Turn]] = [
    (ACCOUNT, ("bot", "Your request has been handed off to a specialist.")),
    (ACCOUNT, ("bot", "Please hold while I connect you to an agent.")),
    (ACCOUNT, ("bot", "Our accounts team has been notified and will be in touch.")),
    (ORDERS, ("bot", "Our reservations team has been notified and will be in touch.")),
    (SIZING, ("bot", "Connecting you to a colleague now.")),
    (ORDERS, ("bot", "Your case was passed along to our support team.")),
    (ACCOUNT, ("bot", "The manager was informed about your account.")),
    (ACCOUNT, ("system", "Escalated to Tier 2 support.")),
    (ORDERS, ("system", "Conversation transferred to agent Maria (Reservations).")),
    (ACCOUNT, ("system", "Chat assigned to the Billing team.")),
    (ACCOUNT, ("system", "Ticket reassigned to the account specialists queue.")),
]


@pytest.mark.parametrize(("opener", "turn"), HANDOFF_STATEMENTS)
def test_handoff_statements_and_platform_events(
    detector: RulesDetector, opener: Turn, turn: Turn
) -> None:
    decision = decide(detector, opener, turn)
    assert (decision.status, decision.signal) == (Status.ESCALATE, Signal.BOT_HANDOFF), (
        decision.reason
    )
    assert decision.evidence and decision.evidence in turn[1]


NOT_HANDOFFS: list[tuple[Turn, Turn]] = [
    (ORDERS, ("system", "Your parcel was transferred to the local depot.")),
    (ACCOUNT, ("system", "Password reset link sent to the customer.")),
    (ACCOUNT, ("bot", "The reset link was sent to your email address.")),
    (ACCOUNT, ("bot", "Your new password has been saved.")),
]


@pytest.mark.parametrize(("opener", "turn"), NOT_HANDOFFS)
def test_other_transfers_are_not_handoffs(
    detector: RulesDetector, opener: Turn, turn: Turn
) -> None:
    decision = decide(detector, opener, turn)
    assert decision.status is Status.NONE, f"{decision.signal}: {decision.evidence}"


# ---------------------------------------------------------------- 3. user_wish, 4. user_question


class Cases:
    """Messages a family must match (`yes`) and must not match (`no`)."""

    def __init__(self, yes: tuple[str, ...], no: tuple[str, ...]) -> None:
        self.yes = yes
        self.no = no


WISHES: dict[str, Cases] = {
    "en": Cases(
        yes=(
            "I want to return my boots, they are too small.",
            "I'd like to exchange these for a size 10.",
            "I need to cancel my order.",
            "Please refund my order.",
            "Can you cancel my booking?",
            "Could you please send me a return label?",
            "Would you refund the difference?",
            "I wish to cancel my subscription.",
            "I want a refund.",
            "I'd like my money back.",
            "Can I get a replacement?",
            "I was wondering if you could change my seat.",
            "I'm looking to upgrade my seat.",
            "We would like to rebook our flight.",
            "I want you to cancel it.",
            "can you upgrade my seat",
        ),
        no=(
            "I'd like to know when my refund arrives.",
            "I want to ask about the return policy.",
            "I want to check whether my order shipped.",
            "I want to understand the fees.",
            "I want to find out whether I can return sale items.",
            "I need to know my order number.",
            "Do I need to return the box?",
            "Can you tell me how long shipping takes?",
            "Could you explain the return policy?",
            "Can you ship to Canada?",
            "I'd like some information about sizes.",
            "I don't want to return them.",
            "Please tell me the status.",
            "Yes please.",
            "Can you help me?",
            "I have to say, great service.",
            "Can I return these boots?",
            "Can I get an update on my refund?",
        ),
    ),
    "es": Cases(
        yes=(
            "Quiero devolver estas botas, me quedan pequeñas.",
            "Me gustaría cambiar la talla de mi pedido.",
            "Necesito cancelar mi reserva.",
            "Quisiera devolverlas.",
            "Quiero un reembolso.",
            "Quiero que me devuelvan el dinero.",
            "¿Puedes cancelar mi pedido?",
            "¿Me podría cambiar el asiento, por favor?",
            "Por favor, reembolsen mi pedido.",
            "Deseo anular la suscripción.",
        ),
        no=(
            "Quisiera saber cuándo llega mi reembolso.",
            "Quiero saber si puedo devolverlo.",
            "Necesito preguntar algo sobre la talla.",
            "Me gustaría entender las tarifas.",
            "¿Me puedes decir cuánto tarda el envío?",
            "¿Puedo devolver las botas?",
            "No quiero devolverlas.",
            "Quiero información sobre las tallas.",
            "Sí, por favor.",
            "¿Puede llegar mañana?",
        ),
    ),
    "fr": Cases(
        yes=(
            "Je voudrais retourner ces bottes, elles sont trop petites.",
            "Je veux échanger ma commande.",
            "J'ai besoin d'annuler ma réservation.",
            "Je voudrais un remboursement.",
            "Pouvez-vous annuler ma commande ?",
            "Tu peux me rembourser ?",
            "Merci de changer mon siège.",
            "Veuillez annuler ma réservation.",
            "j'aimerais l'échanger contre une pointure au-dessus",
        ),
        no=(
            "Je voudrais savoir quand arrive mon remboursement.",
            "J'aimerais comprendre les frais.",
            "Je veux juste savoir si c'est possible.",
            "Pouvez-vous me dire combien de temps prend la livraison ?",
            "Puis-je retourner les bottes ?",
            "Je ne veux pas les retourner.",
            "Je voudrais des informations sur les tailles.",
            "Merci de votre aide.",
            "Je voudrais le savoir avant vendredi.",
        ),
    ),
    "de": Cases(
        yes=(
            "Ich möchte die Schuhe zurücksenden, sie sind zu klein.",
            "Ich möchte zurücksenden.",
            "Ich will stornieren.",
            "Ich will meine Bestellung stornieren.",
            "Ich möchte eine Rückerstattung.",
            "Ich hätte gerne mein Geld zurück.",
            "Können Sie meine Bestellung stornieren?",
            "Könntest du mir den Sitzplatz ändern?",
            "Bitte stornieren Sie meine Buchung.",
            "Wir möchten unseren Flug umbuchen.",
        ),
        no=(
            "Ich möchte wissen, wann meine Erstattung kommt.",
            "Ich möchte gerne wissen, ob ich das zurückgeben kann.",
            "Ich wollte fragen, wie lange der Versand dauert.",
            "Können Sie mir sagen, wie lange der Versand dauert?",
            "Kann ich die Schuhe zurückgeben?",
            "Ich möchte die Schuhe nicht zurücksenden.",
            "Ich möchte Informationen zu den Größen.",
        ),
    ),
    "pt": Cases(
        yes=(
            "Quero devolver estas botas, ficaram pequenas.",
            "Gostaria de trocar o tamanho.",
            "Preciso cancelar minha reserva.",
            "Quero um reembolso.",
            "Quero o meu dinheiro de volta.",
            "Quero que cancelem o meu pedido.",
            "Você pode cancelar meu pedido?",
            "Poderia me trocar o assento?",
            "Por favor, cancelem a minha reserva.",
            "Gostaria de devolvê-las.",
        ),
        no=(
            "Gostaria de saber quando chega meu reembolso.",
            "Quero saber se posso devolver.",
            "Preciso tirar uma dúvida sobre tamanhos.",
            "Você pode me dizer quanto tempo demora a entrega?",
            "Posso devolver as botas?",
            "Não quero devolver.",
            "Quero informações sobre os tamanhos.",
            "Pode chegar amanhã?",
            "Sim, por favor.",
        ),
    ),
    "it": Cases(
        yes=(
            "Vorrei restituire queste scarpe, sono piccole.",
            "Voglio cambiare la taglia.",
            "Ho bisogno di annullare la prenotazione.",
            "Vorrei un rimborso.",
            "Puoi annullare il mio ordine?",
            "Mi potrebbe cambiare il posto?",
            "Per favore annullate il mio ordine.",
            "Vorrei restituirle.",
        ),
        no=(
            "Vorrei sapere quando arriva il rimborso.",
            "Voglio capire le commissioni.",
            "Puoi dirmi quanto tempo ci vuole?",
            "Posso restituire le scarpe?",
            "Non voglio restituirle.",
            "Vorrei informazioni sulle taglie.",
            "Può arrivare domani?",
        ),
    ),
    "nl": Cases(
        yes=(
            "Ik wil deze schoenen retourneren, ze zijn te klein.",
            "Ik wil retourneren.",
            "Ik zou graag mijn bestelling annuleren.",
            "Ik zou graag willen ruilen.",
            "Ik wil een terugbetaling.",
            "Ik wil mijn geld terug.",
            "Kunt u mijn bestelling annuleren?",
            "Graag mijn reservering annuleren.",
            "Ik heb een nieuwe factuur nodig.",
        ),
        no=(
            "Ik wil weten wanneer mijn terugbetaling komt.",
            "Ik wil graag weten of ik kan retourneren.",
            "Kunt u mij vertellen hoe lang de levering duurt?",
            "Kan ik de schoenen retourneren?",
            "Ik wil de schoenen niet retourneren.",
            "Ik wil informatie over de maten.",
            "Graag gedaan!",
        ),
    ),
}

QUESTIONS: dict[str, Cases] = {
    "en": Cases(
        yes=(
            "How do I reset my password?",
            "How long does shipping take",
            "how much is the upgrade",
            "What size should I get?",
            "When will my refund arrive",
            "Where is my order?",
            "Which boots run small?",
            "Who do I contact about billing?",
            "Why was I charged twice",
            "Is it possible to change the date?",
            "Are these true to size",
            "Does the price include tax?",
            "Do you know when they restock?",
            "Can I return these boots?",
            "Am I eligible for a refund?",
            "Will it arrive by Friday",
            "Quick question: do you ship to Canada?",
            "Hi, is there a way to pay by invoice?",
            "I was wondering if I can return sale items.",
            "I'd like to know when my refund arrives.",
            "Can you tell me how long shipping takes?",
            "Thanks! And what about the fees?",
            "I don't know how to reset my password",
        ),
        no=(
            "I want to return my boots.",
            "When I opened the box, the heel was broken.",
            "What I want is a refund.",
            "I bought the boots, which are too small.",
            "Could you cancel my booking?",
            "Can I get a replacement?",
            "Have a nice day!",
            "Please refund my order.",
            "How annoying, the app crashed again.",
            "The order never arrived.",
            "My friend, who ordered the same boots, got them yesterday.",
        ),
    ),
    "es": Cases(
        yes=(
            "¿Cómo cambio mi contraseña?",
            "Como puedo cambiar la talla",
            "cuanto tarda el envio",
            "Cuándo llega mi pedido",
            "donde esta mi paquete",
            "Qué talla me recomiendas",
            "cual es el plazo de devolucion",
            "Puedo devolver las botas",
            "Hola, es posible cambiar la fecha",
            "Quisiera saber cuándo llega mi reembolso.",
            "Tengo una duda sobre las tallas.",
            "Me puedes decir cuánto cuesta",
        ),
        no=(
            "Quiero devolver estas botas.",
            "Como el pedido no llegó, quiero un reembolso.",
            "Cuando llegó el paquete, estaba roto.",
            "Puedes cancelar mi pedido",
            "Necesito cancelar mi reserva.",
            "Que me devuelvan el dinero.",
            "El pedido no ha llegado.",
            "Porque no llegó, quiero cancelar.",
        ),
    ),
    "fr": Cases(
        yes=(
            "Comment réinitialiser mon mot de passe ?",
            "Combien de temps prend la livraison",
            "Quand vais-je recevoir mon colis",
            "Où est ma commande",
            "Quelle taille me conseillez-vous",
            "Est-ce que je peux retourner les bottes",
            "Puis-je payer par virement",
            "Bonjour, avez-vous cette chaussure en 42",
            "Je voudrais savoir quand arrive mon remboursement.",
            "J'ai une question sur les tailles.",
            "Pouvez-vous me dire combien ça coûte",
            "Qui dois-je contacter",
            "Les bottes taillent-elles grand ?",
        ),
        no=(
            "Je voudrais retourner ces bottes.",
            "Quand j'ai ouvert le colis, la semelle était décollée.",
            "Pouvez-vous annuler ma commande ?",
            "Ma commande n'est jamais arrivée.",
            "J'ai acheté des bottes, qui sont trop petites.",
            "Passez-moi un conseiller.",
            "Rouge ou bleu, peu importe.",
        ),
    ),
    "de": Cases(
        yes=(
            "Wie setze ich mein Passwort zurück?",
            "wie lange dauert der versand",
            "Wie viel kostet das Upgrade",
            "Wann kommt meine Bestellung",
            "Wo ist mein Paket",
            "Was kostet der Versand",
            "Welche Größe soll ich nehmen",
            "Kann ich die Schuhe zurückgeben",
            "Muss ich den Karton aufheben",
            "Hallo, gibt es die Schuhe in 42",
            "Ist es möglich, das Datum zu ändern",
            "Ich möchte wissen, wann meine Erstattung kommt.",
            "Kurze Frage: liefert ihr nach Österreich?",
            "Können Sie mir sagen, wie lange der Versand dauert",
        ),
        no=(
            "Ich möchte die Schuhe zurücksenden.",
            "Können Sie meine Bestellung stornieren?",
            "Meine Bestellung ist nicht angekommen.",
            "Wie gesagt, die Schuhe sind zu klein.",
            "Hat sich erledigt.",
        ),
    ),
    "pt": Cases(
        yes=(
            "Como redefino minha senha?",
            "como eu faço para trocar",
            "Quanto tempo demora a entrega",
            "Quando chega meu pedido",
            "Onde está meu pacote",
            "Qual tamanho devo escolher",
            "Posso devolver as botas",
            "Oi, é possível mudar a data",
            "Gostaria de saber quando chega meu reembolso.",
            "Tenho uma dúvida sobre tamanhos.",
            "Você pode me dizer quanto custa",
            "dá pra pagar no boleto",
        ),
        no=(
            "Quero devolver estas botas.",
            "Como eu comprei o tamanho errado, quero trocar.",
            "Quando abri a caixa, o salto estava quebrado.",
            "Você pode cancelar meu pedido",
            "Meu pedido não chegou.",
        ),
    ),
    "it": Cases(
        yes=(
            "Come reimposto la password?",
            "come posso cambiare la taglia",
            "Quanto tempo ci vuole per la consegna",
            "Quando arriva il mio ordine",
            "Dove si trova il mio pacco",
            "Quale taglia mi consigli",
            "Posso restituire le scarpe",
            "Ciao, è possibile cambiare la data",
            "Vorrei sapere quando arriva il rimborso.",
            "Ho una domanda sulle taglie.",
            "Puoi dirmi quanto costa",
            "Quando è disponibile la taglia 42?",
        ),
        no=(
            "Vorrei restituire queste scarpe.",
            "Quando ho aperto la scatola, il tacco era rotto.",
            "Puoi annullare il mio ordine",
            "Il mio ordine non è arrivato.",
            "Come ho detto, la taglia è sbagliata.",
        ),
    ),
    "nl": Cases(
        yes=(
            "Hoe reset ik mijn wachtwoord?",
            "hoe lang duurt de levering",
            "Hoeveel kost de upgrade",
            "Wanneer komt mijn bestelling",
            "Waar is mijn pakket",
            "Wat kost de verzending",
            "Welke maat moet ik nemen",
            "Kan ik de schoenen retourneren",
            "Moet ik de doos bewaren",
            "Hoi, is het mogelijk de datum te wijzigen",
            "Ik wil weten wanneer mijn terugbetaling komt.",
            "Korte vraag: leveren jullie in België?",
            "Kunt u me vertellen hoe lang de levering duurt",
        ),
        no=(
            "Ik wil deze schoenen retourneren.",
            "Kunt u mijn bestelling annuleren?",
            "Mijn bestelling is niet aangekomen.",
            "Wanneer ik de doos opende, was de hak kapot.",
            "Wat een gedoe, het pakket is kapot.",
        ),
    ),
}


def _matches(language: str, family: str, text: str) -> bool:
    pattern = family_pattern(language, family)
    assert pattern is not None, f"{language} has no {family}"
    return pattern.search(fold(text)) is not None


def _params(table: dict[str, Cases], kind: str) -> list[object]:
    return [
        pytest.param(language, text, id=f"{language}-{index}")
        for language, cases in table.items()
        for index, text in enumerate(getattr(cases, kind))
    ]


@pytest.mark.parametrize(("language", "text"), _params(WISHES, "yes"))
def test_user_wish_asks_for_an_action(language: str, text: str) -> None:
    assert _matches(language, "user_wish", text)


@pytest.mark.parametrize(("language", "text"), _params(WISHES, "no"))
def test_information_wishes_and_questions_are_not_user_wishes(language: str, text: str) -> None:
    assert not _matches(language, "user_wish", text)


@pytest.mark.parametrize(("language", "text"), _params(QUESTIONS, "yes"))
def test_user_question_opens_an_information_question(language: str, text: str) -> None:
    assert _matches(language, "user_question", text)


@pytest.mark.parametrize(("language", "text"), _params(QUESTIONS, "no"))
def test_statements_and_action_requests_are_not_user_questions(language: str, text: str) -> None:
    assert not _matches(language, "user_question", text)


# "can you + action" is a wish and not a question; "can I + verb?" is a question, not a wish
DISJOINT = {
    "en": ("Could you cancel my booking?", "Can I return these boots?"),
    "es": ("¿Puedes cancelar mi pedido?", "Puedo devolver las botas"),
    "fr": ("Pouvez-vous annuler ma commande ?", "Puis-je retourner les bottes ?"),
    "de": ("Können Sie meine Bestellung stornieren?", "Kann ich die Schuhe zurückgeben?"),
    "pt": ("Você pode cancelar meu pedido?", "Posso devolver as botas?"),
    "it": ("Puoi annullare il mio ordine?", "Posso restituire le scarpe?"),
    "nl": ("Kunt u mijn bestelling annuleren?", "Kan ik de schoenen retourneren?"),
}


@pytest.mark.parametrize("language", LANGUAGES)
def test_wish_and_question_do_not_claim_the_same_request(language: str) -> None:
    action, permission = DISJOINT[language]
    assert _matches(language, "user_wish", action)
    assert not _matches(language, "user_question", fold(action).replace("?", ""))
    assert _matches(language, "user_question", permission)
    assert not _matches(language, "user_wish", permission)


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_language_has_both_new_families(language: str) -> None:
    table = load_table(language)
    for family in ("user_wish", "user_question"):
        assert table.families.get(family), f"{language}: {family} is empty"
        assert family_pattern(language, family) is not None


# ---------------------------------------------------------------- 5. clause_breaks

# (message, the clause break it holds) — each break starts a new clause in its language
CLAUSE_BREAK_MESSAGES: dict[str, tuple[tuple[str, str], ...]] = {
    "en": (
        ("I love the colour but the size is wrong.", "but"),
        ("The app says delivered, however nothing arrived.", "however"),
        ("I can log in, although the reset email never came.", "although"),
    ),
    "es": (
        ("Me gusta el color pero la talla no es correcta.", "pero"),
        ("Dice entregado, sin embargo no ha llegado nada.", "sin embargo"),
    ),
    "fr": (
        ("J'aime la couleur mais la taille ne va pas.", "mais"),
        ("Il est marqué livré, cependant rien n'est arrivé.", "cependant"),
        ("J'ai payé, pourtant la commande est annulée.", "pourtant"),
    ),
    "de": (
        ("Die Farbe gefällt mir, aber die Größe passt nicht.", "aber"),
        ("Es steht zugestellt, jedoch ist nichts angekommen.", "jedoch"),
        ("Nicht die Größe 42, sondern die 43 habe ich bestellt.", "sondern"),
    ),
    "pt": (
        ("Gostei da cor, mas o tamanho está errado.", "mas"),
        ("Diz entregue, porém nada chegou.", "porém"),
        ("Paguei, contudo o pedido foi cancelado.", "contudo"),
        ("Está como entregue, entretanto não recebi nada.", "entretanto"),
    ),
    "it": (
        ("Il colore mi piace ma la taglia è sbagliata.", "ma"),
        ("Risulta consegnato, però non è arrivato niente.", "però"),
        ("Ho pagato, tuttavia l'ordine è annullato.", "tuttavia"),
    ),
    "nl": (
        ("De kleur is mooi maar de maat klopt niet.", "maar"),
        ("Er staat bezorgd, echter is er niets aangekomen.", "echter"),
    ),
}


def _breaks(language: str) -> re.Pattern[str]:
    fragments = load_phrase_file(language).get("clause_breaks") or []
    assert fragments, f"{language}: no clause_breaks"
    return re.compile(r"\b(?:" + "|".join(f"(?:{f})" for f in fragments) + r")\b")


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_language_lists_clause_breaks_that_compile(language: str) -> None:
    fragments = load_phrase_file(language)["clause_breaks"]
    assert isinstance(fragments, list) and fragments
    for fragment in fragments:
        assert isinstance(fragment, str) and fragment == fold(fragment), fragment
        re.compile(fragment)


@pytest.mark.parametrize(
    ("language", "message", "word"),
    [
        pytest.param(language, message, word, id=f"{language}-{index}")
        for language, cases in CLAUSE_BREAK_MESSAGES.items()
        for index, (message, word) in enumerate(cases)
    ],
)
def test_clause_breaks_find_the_new_clause(language: str, message: str, word: str) -> None:
    found = _breaks(language).search(fold(message))
    assert found is not None and found.group(0) == fold(word)


def test_spanish_mas_is_more_not_but() -> None:
    # folded Spanish "más" (more) is "mas"; only Portuguese lists "mas" (but)
    assert _breaks("es").search(fold("Quiero más opciones de talla para las botas.")) is None
    assert _breaks("pt").search(fold("Quero trocar, mas não tenho a nota.")) is not None


# ---------------------------------------------------------------- speed


@pytest.mark.parametrize("language", LANGUAGES)
def test_new_patterns_do_not_backtrack_catastrophically(language: str) -> None:
    texts = [
        "i can't " * 150 + "x",
        "i want to " * 150,
        "can you please " * 100,
        "no puedo " * 150 + "quiero " * 100,
        "je ne peux pas " * 100 + "je voudrais " * 100,
        "ich kann " * 150 + "nicht " * 50,
        "ich mochte " * 150 + "konnen sie " * 50,
        "nao consigo " * 150 + "quero " * 100,
        "non posso " * 150 + "vorrei " * 100,
        "ik kan " * 150 + "niet " * 50 + "ik wil " * 100,
        "our team " * 150 + "has been",
        "a " * 400,
    ]
    patterns = [
        family_pattern(language, family)
        for family in ("bot_lacks", "bot_escalated", "user_wish", "user_question")
    ]
    started = time.perf_counter()
    for pattern in patterns:
        assert pattern is not None
        for text in texts:
            list(pattern.finditer(text))
    # catastrophic backtracking takes seconds to hours; 2 s leaves room for a loaded machine
    assert time.perf_counter() - started < 2.0
