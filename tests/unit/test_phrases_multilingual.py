"""Spanish, French, German, Portuguese, Italian and Dutch phrase tables, end to end.

Every case goes through the real `rules` detector on the example workspace. Conversations
are about sizing (no sub agent with required details), so a confirmed signal gives
`escalate` and anything else `none`; the returns cases at the end check `pending` while a
returns workflow still misses its details. The bot's "I can't" is read for any action verb
(not for nothing found, a promise caveat or a policy answer with its condition), with more
handoff statements and platform events. The structural tests check that every language file
has every family and guard, and that every pattern compiles, fast.
"""

from __future__ import annotations

import dataclasses
import json
import re
import time
from typing import NamedTuple

import pytest

from escalation.decision import Signal, Status
from escalation.lexicon_loader import load_phrase_file
from escalation.phrase_tables import _squash, family_pattern, load_table
from escalation.phrasebook import FAMILIES, GUARDS, PhraseBook, build_phrasebook
from escalation.policy_model import PhraseRules
from escalation.rules import RulesDetector
from escalation.text import LANGUAGES as ALL_LANGUAGES
from tests.conftest import EXAMPLE_CASES, decide

LANGUAGES = ("es", "fr", "de", "pt", "it", "nl")
Turn = tuple[str, str]


class Table(NamedTuple):
    """One language's cases: a sizing opener, then what must and must not escalate."""

    opener: tuple[Turn, Turn]
    """A user sizing question and the bot's answer (the topic, with no required details)."""
    user_requests: tuple[str, ...]
    """User messages after the opener that ask for a human: escalate, user_request."""
    accepts: tuple[tuple[str, str], ...]
    """(bot offer, user reply) pairs: accepting the offer is a request for a human."""
    bot_handoffs: tuple[str, ...]
    """Bot answers to the sizing question that hand off: escalate, bot_handoff."""
    negatives: tuple[tuple[Turn, ...], ...]
    """Turns after the opener's question (and its answer when they start with the user): none."""


TABLES: dict[str, Table] = {
    "es": Table(
        opener=(
            (
                "user",
                "¿Qué talla de las sneakers Trail Runner me recomiendas? Normalmente uso un 42.",
            ),
            ("bot", "Las Trail Runner tallan normal, así que te recomiendo tu talla habitual."),
        ),
        user_requests=(
            "Quiero hablar con un agente, por favor.",
            "¿Puedo hablar con una persona real?",
            "Pásame con un asesor, esto no me sirve.",
            "Necesito hablar con alguien de atención al cliente sobre la talla de las sneakers.",
            "¿Me pasas con un humano?",
            "Sí, quiero hablar con un agente.",
            "si quiero hablar con una persona",
            "No consigo hablar con un agente, ¿me ayudas?",
            "¿Cómo contacto a un agente?",
            "Basta de bots, quiero una persona de verdad.",
            "Quisiera que me atienda un humano.",
            "AGENTE!!!",
            "Prefiero hablar con un operador",
            "¿Me puede comunicar con un supervisor, por favor?",
            "Si es posible, quiero hablar con una persona.",
            "no sé cómo hablar con un agente",
            "quiero atencion humana ya",
            "¿Hay alguna persona real con quien pueda hablar?",
        ),
        accepts=(
            ("¿Quieres que te pase con un agente?", "Sí, por favor"),
            ("Si quieres, te paso con un asesor.", "vale"),
            ("¿Le gustaría hablar con un compañero del equipo?", "Claro que sí"),
        ),
        bot_handoffs=(
            "He escalado tu caso a nuestro equipo de soporte.",
            "Te paso con un agente ahora mismo.",
            "Un compañero se pondrá en contacto contigo por correo en las próximas 24 horas.",
            "Lo consultaré con el equipo y te aviso en cuanto sepa algo.",
            "Lo siento, no tengo acceso a los datos de tu cuenta.",
            "Lo siento, no te he entendido.",
            "He avisado al equipo de logística para que lo revisen.",
            "Tu consulta ha sido derivada al departamento correspondiente.",
            "Voy a transferirte con un asesor.",
            "Se pondrán en contacto con usted mañana.",
            "No puedo modificar esa información desde aquí.",
        ),
        negatives=(
            (("user", "No necesito un agente, solo dime la talla de las sneakers."),),
            (("user", "No quiero hablar con un agente, gracias, prefiero que me lo digas tú."),),
            (("user", "¿Tengo que hablar con un agente para cambiar la talla de mi order?"),),
            (("user", "¿A qué hora puedo hablar con un agente?"),),
            (("user", "Ayer hablé con un agente y me dijo que las sneakers tallan pequeño."),),
            (("user", "Quería saber si necesito hablar con un agente para cambiar la talla."),),
            (("user", "Si no me puedes ayudar, supongo que tendré que hablar con un agente."),),
            (("bot", "Si no puedo resolverlo, te paso con un agente."),),
            (("bot", "Puede que tu caso requiera revisión."),),
            (
                (
                    "bot",
                    "No puedo cambiar la talla desde aquí, pero puedes hacerlo en la app, en Mis "
                    "pedidos.",
                ),
            ),
            (("bot", "No te he entendido bien, ¿puedes reformular la pregunta?"),),
            (
                ("user", "Quiero hablar con un agente."),
                ("bot", "Un momento, por favor."),
                ("user", "Olvídalo, ya está resuelto."),
            ),
            (("bot", "¿Quieres que te pase con un agente?"), ("user", "No, gracias.")),
            (("user", "Hola"),),
            (("user", "Sí, gracias, eso es todo."),),
        ),
    ),
    "fr": Table(
        opener=(
            (
                "user",
                "Bonjour, les sneakers Trail Runner taillent petit ? Je fais du 42 d'habitude.",
            ),
            (
                "bot",
                "Elles taillent normalement, je vous conseille de prendre votre pointure "
                "habituelle.",
            ),
        ),
        user_requests=(
            "Je voudrais parler à un conseiller, s'il vous plaît.",
            "Est-ce que je peux parler à un humain ?",
            "Passez-moi un conseiller, ça ne m'aide pas du tout.",
            "J'ai besoin de parler à quelqu'un du service client.",
            "jveux un vrai humain",
            "Pouvez-vous me mettre en relation avec un responsable ?",
            "Je n'arrive pas à joindre un conseiller, comment faire ?",
            "Comment contacter le service client ?",
            "J'en ai marre de ce robot, je veux parler à une vraie personne.",
            "Oui, je veux parler à un agent.",
            "CONSEILLER !!!",
            "Si possible, j'aimerais discuter avec une personne.",
            "je sais pas comment parler a un conseiller",
            "Je souhaiterais être rappelé par un conseiller.",
            "Il y a quelqu'un de réel avec qui je peux parler ?",
            "un humain svp",
            "Je me demande si je peux parler à quelqu'un.",
        ),
        accepts=(
            ("Voulez-vous que je vous transfère à un conseiller ?", "Oui, volontiers"),
            (
                "Si vous le souhaitez, je peux vous mettre en relation avec un conseiller.",
                "d'accord",
            ),
            ("Souhaitez-vous parler à un conseiller ?", "oui svp"),
        ),
        bot_handoffs=(
            "J'ai transmis votre demande à notre équipe support.",
            "Je vous transfère à un conseiller.",
            "Un conseiller vous contactera par e-mail dans les 24 heures.",
            "Je vais vérifier auprès de l'entrepôt et je reviens vers vous.",
            "Je n'ai pas accès à votre compte.",
            "Désolé, je n'ai pas compris.",
            "J'ai prévenu l'équipe logistique.",
            "Votre demande a été transmise au service concerné.",
            "Je vais vous mettre en relation avec un conseiller.",
            "Vous serez recontacté demain par notre équipe.",
            "Je ne peux pas modifier cette information depuis ici.",
            "Notre équipe va examiner votre dossier.",
        ),
        negatives=(
            (("user", "Je n'ai pas besoin d'un humain, dites-moi juste la taille des sneakers."),),
            (("user", "Je ne veux pas parler à un conseiller, répondez-moi simplement."),),
            (("user", "Je ne veux parler à personne, je veux juste la taille."),),
            (
                (
                    "user",
                    "Dois-je contacter le service client pour changer la taille de ma commande ?",
                ),
            ),
            (("user", "Quels sont les horaires pour parler à un conseiller ?"),),
            (
                (
                    "user",
                    "Hier j'ai parlé à un conseiller et il m'a dit que les sneakers taillent "
                    "petit.",
                ),
            ),
            (("user", "Si ça ne marche pas, je parlerai à un conseiller."),),
            (("bot", "Si le problème persiste, je vous transfère à un conseiller."),),
            (("bot", "Cela pourrait nécessiter une escalade."),),
            (
                (
                    "bot",
                    "Je ne peux pas changer la taille d'ici, mais vous pouvez le faire dans "
                    "l'application, rubrique Mes commandes.",
                ),
            ),
            (("bot", "Je n'ai pas bien compris, pouvez-vous reformuler votre question ?"),),
            (
                ("user", "Je veux parler à un conseiller."),
                ("bot", "Un instant."),
                ("user", "Laisse tomber, c'est réglé."),
            ),
            (
                ("bot", "Voulez-vous que je vous transfère à un conseiller ?"),
                ("user", "Non merci."),
            ),
            (("user", "Bonjour"),),
            (("user", "Merci, c'est tout !"),),
            (
                (
                    "user",
                    "C'est si long, je dois attendre combien de temps pour la livraison des "
                    "sneakers ?",
                ),
            ),
        ),
    ),
    "de": Table(
        opener=(
            (
                "user",
                "Hallo, fallen die Trail Runner Sneakers klein aus? Ich trage normalerweise 42.",
            ),
            ("bot", "Sie fallen normal aus, nehmen Sie am besten Ihre übliche Größe."),
        ),
        user_requests=(
            "Ich möchte bitte mit einem Mitarbeiter sprechen.",
            "Kann ich mit einem echten Menschen reden?",
            "Verbinden Sie mich bitte mit einem Kollegen.",
            "Ich will einen Menschen, keinen Bot!",
            "Wie erreiche ich einen Mitarbeiter?",
            "Können Sie mich bitte weiterleiten?",
            "Ich versuche seit Tagen, einen Mitarbeiter zu erreichen.",
            "Gibt es hier einen echten Menschen?",
            "Genug mit dem Bot, ich brauche einen Ansprechpartner.",
            "MITARBEITER!!!",
            "Ich hätte gern einen Rückruf.",
            "Ich wollte fragen, ob ich mit jemandem vom Kundenservice sprechen kann.",
            "Können Sie mich vielleicht mit einem Menschen verbinden?",
            "Ich komme nicht weiter und möchte mit einem Menschen sprechen.",
            "Wenn möglich, möchte ich mit einem Mitarbeiter sprechen.",
            "ich moechte mit einem mitarbeiter reden",
            "Kann mir ein Mensch helfen?",
        ),
        accepts=(
            ("Möchten Sie mit einem Mitarbeiter sprechen?", "Ja, bitte"),
            ("Soll ich Sie mit einem Kollegen verbinden?", "gerne"),
            ("Wenn Sie möchten, leite ich Sie an einen Kollegen weiter.", "Ja"),
        ),
        bot_handoffs=(
            "Ich habe Ihr Anliegen an unser Team weitergeleitet.",
            "Ich verbinde Sie jetzt mit einem Mitarbeiter.",
            "Ein Kollege wird sich in Kürze per E-Mail bei Ihnen melden.",
            "Ich werde das mit dem Lager klären und melde mich morgen bei Ihnen.",
            "Ich habe leider keinen Zugriff auf Ihr Kundenkonto.",
            "Entschuldigung, das habe ich nicht verstanden.",
            "Ich habe unser Logistikteam informiert.",
            "Ihre Anfrage wurde an die zuständige Abteilung weitergeleitet.",
            "Sie werden jetzt mit einem Mitarbeiter verbunden.",
            "Wir werden Sie morgen kontaktieren.",
            "Das kann ich leider nicht für Sie ändern.",
            "Unser Team wird sich darum kümmern.",
        ),
        negatives=(
            (
                (
                    "user",
                    "Ich brauche keinen Menschen, sagen Sie mir einfach die Größe der Sneakers.",
                ),
            ),
            (
                (
                    "user",
                    "Ich möchte nicht mit einem Mitarbeiter sprechen, beantworten Sie bitte "
                    "einfach meine Frage.",
                ),
            ),
            (
                (
                    "user",
                    "Muss ich mit einem Mitarbeiter sprechen, um die Größe meiner Bestellung zu "
                    "ändern?",
                ),
            ),
            (("user", "Wann sind Ihre Mitarbeiter erreichbar?"),),
            (
                (
                    "user",
                    "Gestern habe ich mit einem Mitarbeiter gesprochen, er sagte, die Sneakers "
                    "fallen klein aus.",
                ),
            ),
            (("user", "Falls das nicht klappt, würde ich mit einem Mitarbeiter sprechen."),),
            (("bot", "Wenn das nicht klappt, kann ich Sie weiterleiten."),),
            (("bot", "Das könnte eine Prüfung durch das Team erfordern."),),
            (
                (
                    "bot",
                    "Ich kann die Größe hier nicht ändern, aber Sie können das ganz einfach in "
                    "der App unter Meine Bestellungen tun.",
                ),
            ),
            (
                (
                    "bot",
                    "Das habe ich nicht ganz verstanden, können Sie Ihre Frage bitte "
                    "umformulieren?",
                ),
            ),
            (
                ("user", "Ich möchte mit einem Mitarbeiter sprechen."),
                ("bot", "Einen Moment bitte."),
                ("user", "Vergiss es, hat sich erledigt."),
            ),
            (("bot", "Möchten Sie mit einem Mitarbeiter sprechen?"), ("user", "Nein danke.")),
            (("user", "Hallo"),),
            (("user", "Danke, das war alles!"),),
            (("bot", "Ich habe Ihnen den Link zum Zurücksetzen des Passworts weitergeleitet."),),
            (("user", "Ich habe nicht vor, einen Mitarbeiter zu kontaktieren."),),
        ),
    ),
    "pt": Table(
        opener=(
            ("user", "Oi, o tênis Trail Runner (sneakers) é pequeno? Normalmente uso 42."),
            ("bot", "Ele tem a numeração normal, recomendo o seu tamanho habitual."),
        ),
        user_requests=(
            "Quero falar com um atendente, por favor.",
            "Posso falar com uma pessoa de verdade?",
            "Me passa pra um atendente humano",
            "Preciso falar com alguém do suporte sobre o tamanho dos sneakers.",
            "Gostaria de falar com um operador.",
            "Pode passar-me a um assistente humano?",
            "Não consigo falar com um atendente, me ajuda?",
            "Como falo com um atendente?",
            "Chega de robô, quero falar com uma pessoa.",
            "Sim, quero falar com um atendente.",
            "ATENDENTE!!!",
            "Se possível, quero falar com um atendente.",
            "não sei como falar com um atendente",
            "atendimento humano por favor",
            "Tem algum atendente disponível?",
            "Quero que um atendente me ligue.",
        ),
        accepts=(
            ("Quer que eu te transfira para um atendente?", "Sim, por favor"),
            ("Se quiser, posso te passar para um atendente.", "pode ser"),
            ("Você gostaria de falar com um atendente?", "quero sim"),
        ),
        bot_handoffs=(
            "Encaminhei sua solicitação para a nossa equipe de suporte.",
            "Te transfiro agora para um atendente.",
            "Um atendente vai entrar em contato com você por e-mail em até 24 horas.",
            "Vou verificar com a equipe e te retorno assim que possível.",
            "Não tenho acesso aos dados da sua conta.",
            "Desculpe, não entendi.",
            "Já avisei a equipe de logística.",
            "O seu caso foi escalado.",
            "Vou transferir você para um atendente.",
            "Entraremos em contato amanhã.",
            "Não consigo alterar essa informação por aqui.",
            "A nossa equipa vai analisar o seu pedido.",
        ),
        negatives=(
            (("user", "Não preciso de um atendente, só me diz o tamanho dos sneakers."),),
            (("user", "Não quero falar com um atendente, obrigado, só quero saber o tamanho."),),
            (("user", "É preciso falar com um atendente para mudar o tamanho do meu order?"),),
            (("user", "Qual o horário de atendimento para falar com um atendente?"),),
            (("user", "Ontem falei com um atendente e ele disse que os sneakers são pequenos."),),
            (("user", "Queria saber se preciso falar com um atendente para mudar o tamanho."),),
            (("user", "Se não resolver, vou falar com um atendente."),),
            (("bot", "Se não conseguir resolver, te transfiro para um atendente."),),
            (("bot", "Pode ser que o seu caso precise de revisão."),),
            (
                (
                    "bot",
                    "Não consigo alterar o tamanho por aqui, mas você pode fazer isso no app, em "
                    "Meus pedidos.",
                ),
            ),
            (("bot", "Não entendi bem, pode reformular a pergunta?"),),
            (
                ("user", "Quero falar com um atendente."),
                ("bot", "Um momento, por favor."),
                ("user", "Deixa pra lá, já resolvi."),
            ),
            (("bot", "Quer que eu te transfira para um atendente?"), ("user", "Não, obrigado.")),
            (("user", "Oi"),),
            (("user", "Obrigado, é só isso!"),),
            (("user", "Esqueci minha senha (password) e quero saber como redefinir."),),
        ),
    ),
    "it": Table(
        opener=(
            ("user", "Ciao, le sneakers Trail Runner vestono piccole? Di solito porto il 42."),
            ("bot", "Vestono regolari, ti consiglio la tua taglia abituale."),
        ),
        user_requests=(
            "Vorrei parlare con un operatore, per favore.",
            "Posso parlare con una persona vera?",
            "Passami un operatore, questo non mi aiuta.",
            "Ho bisogno di parlare con qualcuno del servizio clienti.",
            "Voglio un operatore umano!",
            "Mi può mettere in contatto con un responsabile?",
            "Non riesco a parlare con un operatore, come faccio?",
            "Come posso contattare l'assistenza clienti?",
            "Basta con il bot, voglio parlare con una persona.",
            "Sì, voglio parlare con un operatore.",
            "OPERATORE!!!",
            "Se possibile vorrei parlare con un operatore.",
            "Si può parlare con un operatore?",
            "non so come contattare un operatore",
            "C'è un operatore disponibile?",
            "Vorrei essere richiamato.",
        ),
        accepts=(
            ("Vuoi che ti passi un operatore?", "Sì, grazie"),
            ("Se vuoi, posso metterti in contatto con un collega.", "va bene"),
            ("Desidera parlare con un consulente?", "certo"),
        ),
        bot_handoffs=(
            "Ho inoltrato la tua richiesta al nostro team di assistenza.",
            "Ti passo subito un operatore.",
            "Un operatore ti contatterà via email entro 24 ore.",
            "Devo verificare con il magazzino, ti farò sapere al più presto.",
            "Non ho accesso ai dati del tuo account.",
            "Scusa, non ho capito.",
            "Ho avvisato il team logistica.",
            "La tua richiesta è stata inoltrata al reparto competente.",
            "Verrai trasferito a un operatore.",
            "Ti contatteremo domani.",
            "Non posso modificare queste informazioni da qui.",
            "Il nostro team se ne occuperà.",
        ),
        negatives=(
            (("user", "Non ho bisogno di un operatore, dimmi solo la taglia delle sneakers."),),
            (("user", "Non voglio parlare con un operatore, rispondimi e basta."),),
            (("user", "Bisogna parlare con un operatore per cambiare la taglia del mio order?"),),
            (("user", "Quali sono gli orari per parlare con un operatore?"),),
            (
                (
                    "user",
                    "Ieri ho parlato con un operatore e mi ha detto che le sneakers vestono "
                    "piccole.",
                ),
            ),
            (("user", "Se non funziona, parlerò con un operatore."),),
            (("bot", "Se non riesco a risolvere, ti passo un operatore."),),
            (("bot", "Potrebbe richiedere una verifica da parte del team."),),
            (
                (
                    "bot",
                    "Non posso cambiare la taglia da qui, ma puoi farlo nell'app, nella sezione I "
                    "miei ordini.",
                ),
            ),
            (("bot", "Non ho capito bene, puoi riformulare la domanda?"),),
            (
                ("user", "Voglio parlare con un operatore."),
                ("bot", "Un momento."),
                ("user", "Lascia perdere, ho risolto."),
            ),
            (("bot", "Vuoi che ti passi un operatore?"), ("user", "No, grazie.")),
            (("user", "Ciao"),),
            (("user", "Grazie mille, è tutto!"),),
            (("user", "Ho dimenticato la password, come la reimposto?"),),
            (("user", "Mi chiedo se serve parlare con un operatore per la taglia."),),
        ),
    ),
    "nl": Table(
        opener=(
            ("user", "Hoi, vallen de Trail Runner sneakers klein? Ik heb normaal maat 42."),
            ("bot", "Ze vallen normaal, dus ik raad je je gewone maat aan."),
        ),
        user_requests=(
            "Ik wil graag met een medewerker spreken.",
            "Kan ik met een echt persoon praten?",
            "Verbind me door met een medewerker, dit helpt niet.",
            "Ik wil een mens, geen bot!",
            "Hoe kan ik een medewerker bereiken?",
            "Kunt u mij doorverbinden met de klantenservice?",
            "Ik probeer al dagen een medewerker te spreken.",
            "Is er een medewerker beschikbaar?",
            "Genoeg met die bot, ik wil iemand van de klantenservice spreken.",
            "Ja, ik wil met een medewerker praten.",
            "MEDEWERKER!!!",
            "Als het kan wil ik graag een medewerker spreken.",
            "Kan ik misschien een medewerker spreken?",
            "ik weet niet hoe ik een medewerker kan bereiken",
            "Ik heb een medewerker nodig.",
            "Bel me alsjeblieft terug.",
            "Mijn wachtwoord werkt niet en ik wil een medewerker spreken.",
        ),
        accepts=(
            ("Wilt u met een medewerker spreken?", "Ja graag"),
            ("Als u wilt, verbind ik u door met een collega.", "prima"),
            ("Zal ik u doorverbinden met een collega?", "ja hoor"),
        ),
        bot_handoffs=(
            "Ik heb uw vraag doorgezet naar ons team.",
            "Ik verbind u nu door met een medewerker.",
            "Een collega neemt binnen 24 uur per e-mail contact met u op.",
            "Ik ga dit navragen bij het magazijn en kom er morgen bij u op terug.",
            "Ik heb helaas geen toegang tot uw account.",
            "Sorry, ik begrijp uw vraag niet.",
            "Ik heb ons logistieke team op de hoogte gebracht.",
            "Uw vraag is doorgestuurd naar de juiste afdeling.",
            "U wordt nu doorverbonden met een medewerker.",
            "We nemen morgen contact met u op.",
            "Dat kan ik helaas niet voor u wijzigen.",
            "Ons team gaat ernaar kijken.",
        ),
        negatives=(
            (
                (
                    "user",
                    "Ik heb geen medewerker nodig, zeg me gewoon welke maat sneakers ik moet "
                    "nemen.",
                ),
            ),
            (("user", "Ik wil niet met een medewerker praten, geef gewoon antwoord."),),
            (("user", "Moet ik een medewerker bellen om de maat van mijn order te wijzigen?"),),
            (("user", "Wat zijn de openingstijden van de klantenservice?"),),
            (
                (
                    "user",
                    "Gisteren heb ik met een medewerker gesproken en die zei dat de sneakers "
                    "klein vallen.",
                ),
            ),
            (("user", "Als dat niet lukt, wil ik met een medewerker spreken."),),
            (("bot", "Als dat niet lukt, kan ik u doorverbinden."),),
            (("bot", "Dit zou een controle door het team kunnen vereisen."),),
            (
                (
                    "bot",
                    "Ik kan de maat hier niet wijzigen, maar u kunt dat zelf doen in de app onder "
                    "Mijn bestellingen.",
                ),
            ),
            (("bot", "Ik begrijp uw vraag niet helemaal, kunt u het anders formuleren?"),),
            (
                ("user", "Ik wil met een medewerker spreken."),
                ("bot", "Een ogenblik."),
                ("user", "Laat maar, het is al opgelost."),
            ),
            (("bot", "Wilt u met een medewerker spreken?"), ("user", "Nee, dank je.")),
            (("user", "Hoi"),),
            (("user", "Dank je wel, dat was het!"),),
            (("bot", "Ik begrijp dat dit niet fijn is. De sneakers vallen normaal."),),
            (("user", "Als klant wil ik weten welke maat ik moet nemen."),),
        ),
    ),
}


def _cases(kind: str) -> list[object]:
    params = []
    for language, table in TABLES.items():
        for index, item in enumerate(getattr(table, kind)):
            params.append(pytest.param(language, item, id=f"{language}-{index}"))
    return params


@pytest.mark.parametrize(("language", "text"), _cases("user_requests"))
def test_user_asks_for_a_human(detector: RulesDetector, language: str, text: str) -> None:
    decision = decide(detector, *TABLES[language].opener, ("user", text))
    assert (decision.status, decision.signal) == (Status.ESCALATE, Signal.USER_REQUEST), (
        decision.reason
    )


@pytest.mark.parametrize(("language", "offer_and_reply"), _cases("accepts"))
def test_user_accepts_the_offer_of_a_human(
    detector: RulesDetector, language: str, offer_and_reply: tuple[str, str]
) -> None:
    offer, reply = offer_and_reply
    question = TABLES[language].opener[0]
    decision = decide(detector, question, ("bot", offer), ("user", reply))
    assert (decision.status, decision.signal) == (Status.ESCALATE, Signal.USER_REQUEST), (
        decision.reason
    )


@pytest.mark.parametrize(("language", "offer_and_reply"), _cases("accepts"))
def test_an_offer_alone_is_not_a_handoff(
    detector: RulesDetector, language: str, offer_and_reply: tuple[str, str]
) -> None:
    offer, _ = offer_and_reply
    decision = decide(detector, TABLES[language].opener[0], ("bot", offer))
    assert decision.status is Status.NONE, decision.reason


@pytest.mark.parametrize(("language", "text"), _cases("bot_handoffs"))
def test_bot_hands_off(detector: RulesDetector, language: str, text: str) -> None:
    decision = decide(detector, TABLES[language].opener[0], ("bot", text))
    assert (decision.status, decision.signal) == (Status.ESCALATE, Signal.BOT_HANDOFF), (
        decision.reason
    )


@pytest.mark.parametrize(("language", "turns"), _cases("negatives"))
def test_nothing_to_escalate(
    detector: RulesDetector, language: str, turns: tuple[Turn, ...]
) -> None:
    question, answer = TABLES[language].opener
    opener = (question, answer) if turns[0][0] == "user" else (question,)
    decision = decide(detector, *opener, *turns)
    assert decision.status is Status.NONE, f"{decision.signal}: {decision.evidence}"


# "sí" (yes) folds to "si" (if): a yes must never read as a hypothetical.
@pytest.mark.parametrize(
    ("language", "prefix", "hypothetical"),
    [
        ("es", "si, ", False),
        ("es", "si por favor, ", False),
        ("es", "si quiero ", False),
        ("es", "si es posible, ", False),
        ("es", "si no puedes ayudarme, ", True),
        ("es", "si esto no funciona, ", True),
        ("it", "si, ", False),
        ("it", "si puo ", False),
        ("it", "se non riesci ad aiutarmi, ", True),
        ("fr", "oui, ", False),
        ("fr", "c'est si long, ", False),
        ("fr", "si ca ne marche pas, ", True),
        ("de", "wenn moglich ", False),
        ("de", "wenn das nicht klappt, ", True),
        ("nl", "als klant ", False),
        ("nl", "als het kan ", False),
        ("nl", "als dat niet lukt, ", True),
        ("pt", "como se ", False),
        ("pt", "se possivel, ", False),
        ("pt", "se nao resolver, ", True),
    ],
)
def test_hypothetical_guard(language: str, prefix: str, hypothetical: bool) -> None:
    assert base_phrasebook().guard_matches("hypothetical", language, prefix) is hypothetical


RETURN_HANDOFFS = {
    "es": "He pasado tu caso a nuestro equipo de devoluciones.",
    "fr": "J'ai transmis votre demande à notre équipe des retours.",
    "de": "Ich habe Ihr Anliegen an unser Retourenteam weitergeleitet.",
    "pt": "Encaminhei a sua solicitação para a nossa equipe de devoluções.",
    "it": "Ho inoltrato la tua richiesta al nostro team resi.",
    "nl": "Ik heb uw vraag doorgezet naar ons retourteam.",
}


@pytest.mark.parametrize("language", LANGUAGES)
def test_handoff_while_return_details_are_missing_is_pending(
    detector: RulesDetector, language: str
) -> None:
    decision = decide(
        detector,
        ("user", "I want to return these boots, they are too small."),
        ("bot", RETURN_HANDOFFS[language]),
    )
    assert (decision.status, decision.signal) == (Status.PENDING, Signal.BOT_HANDOFF)
    assert "order_number" in decision.missing


# The bot cannot do an action, whatever the verb ("I can't rebook flights in this chat").
CANNOT_ANY_ACTION: dict[str, tuple[str, ...]] = {
    "es": (
        "No puedo mejorar asientos desde este chat.",
        "Lo siento, no puedo fusionar cuentas por aquí.",
        "No estoy autorizado para anular cargos.",
        "Eso no es algo que pueda hacer, lo siento.",
    ),
    "fr": (
        "Je ne peux pas surclasser les places.",
        "Je ne suis pas autorisé à annuler ces frais.",
        "Ce n'est pas quelque chose que je peux faire.",
    ),
    "de": (
        "Ich kann keine Sitzplätze upgraden.",
        "Ich kann das leider nicht ändern.",
        "Ich kann Konten leider nicht zusammenlegen.",
        "Das kann ich leider nicht.",
    ),
    "pt": (
        "Não consigo alterar a reserva.",
        "Não consigo remarcar voos por este chat.",
        "Isso não é algo que eu possa fazer.",
    ),
    "it": (
        "Non posso modificare la prenotazione.",
        "Non posso unire due account da questa chat.",
        "Non è qualcosa che posso fare.",
    ),
    "nl": (
        "Ik kan geen stoelen upgraden.",
        "Ik kan accounts helaas niet samenvoegen.",
        "Dat kan ik helaas niet.",
    ),
}

# Handed off, "please hold while I connect you", "the team has been notified".
HANDOFF_STATEMENTS: dict[str, tuple[str, ...]] = {
    "es": (
        "Tu solicitud ha sido traspasada a un especialista.",
        "Espera un momento mientras te transfiero.",
        "Nuestro equipo de atención al cliente ha sido notificado.",
    ),
    "fr": (
        "Votre demande a été confiée à un spécialiste.",
        "Veuillez patienter pendant que je vous transfère.",
        "Notre équipe du service client a été prévenue.",
    ),
    "de": (
        "Ihre Anfrage wurde an einen Spezialisten übergeben.",
        "Bitte warten Sie, während ich Sie mit einem Mitarbeiter verbinde.",
        "Unser Kundenservice-Team wurde informiert.",
    ),
    "pt": (
        "Sua solicitação foi encaminhada para um especialista.",
        "Aguarde enquanto transfiro você para um atendente.",
        "Nossa equipe de atendimento foi notificada.",
    ),
    "it": (
        "La tua richiesta è stata affidata a uno specialista.",
        "Attendi mentre ti trasferisco.",
        "Il nostro team assistenza è stato avvisato.",
    ),
    "nl": (
        "Uw verzoek is overgedragen aan een specialist.",
        "Een ogenblik geduld terwijl ik u doorverbind.",
        "Ons klantenserviceteam is op de hoogte gebracht.",
    ),
}

# Platform events (role "system"): escalated to a tier, transferred to an agent, assigned to a team.
PLATFORM_EVENTS: dict[str, tuple[str, ...]] = {
    "es": (
        "Escalado a soporte de nivel 2.",
        "Conversación transferida al agente María (Reservas).",
        "Chat asignado al equipo de Facturación.",
    ),
    "fr": (
        "Escaladé au support de niveau 2.",
        "Conversation transférée à l'agent Maria (Réservations).",
        "Chat attribué à l'équipe Facturation.",
    ),
    "de": (
        "An Tier-2-Support eskaliert.",
        "Unterhaltung an Agent Maria (Reservierungen) übergeben.",
        "Chat dem Abrechnungsteam zugewiesen.",
    ),
    "pt": (
        "Escalado para o suporte de nível 2.",
        "Conversa transferida para o agente Maria (Reservas).",
        "Chat atribuído à equipe de Faturamento.",
    ),
    "it": (
        "Escalato al supporto di livello 2.",
        "La conversazione è stata trasferita all'operatore Maria (Prenotazioni).",
        "Chat assegnata al team Fatturazione.",
    ),
    "nl": (
        "Geëscaleerd naar Tier 2-support.",
        "Gesprek overgedragen aan medewerker Maria (Reserveringen).",
        "Chat toegewezen aan het facturatieteam.",
    ),
}

# Nothing found, a promise caveat, a policy answer with its condition, the need met another way.
NOT_A_LACK: dict[str, tuple[str, ...]] = {
    "es": (
        "No encuentro ningún pedido con ese número.",
        "No puedo prometer que lleguen el viernes.",
        "No podemos aceptar devoluciones después de 30 días.",
        "No puedo reembolsar pedidos después de 30 días.",
        "No puedo esperar a que las pruebes.",
        "No puedo mejorar asientos desde este chat, pero puedes hacerlo en la app.",
    ),
    "fr": (
        "Je ne trouve aucune commande avec ce numéro.",
        "Je ne peux pas vous promettre qu'elles arriveront vendredi.",
        "Nous ne pouvons pas accepter les retours après 30 jours.",
        "Je ne peux pas surclasser les places ici, mais vous pouvez le faire dans l'application.",
    ),
    "de": (
        "Ich kann keine Bestellung mit dieser Nummer finden.",
        "Ich kann Ihnen nicht versprechen, dass sie bis Freitag ankommen.",
        "Wir können Rücksendungen nach 30 Tagen nicht annehmen.",
        "Ich kann Rücksendungen nach 30 Tagen leider nicht erstatten.",
        "Ich kann keine Sitzplätze upgraden, aber Sie können das in der App selbst tun.",
    ),
    "pt": (
        "Não encontrei nenhum pedido com esse número.",
        "Não posso prometer que cheguem na sexta.",
        "Não aceitamos devoluções depois de 30 dias.",
        "Não consigo remarcar voos por este chat, mas você pode fazer isso no app.",
    ),
    "it": (
        "Non trovo nessun ordine con questo numero.",
        "Non posso prometterti che arrivino venerdì.",
        "Non possiamo accettare resi dopo 30 giorni.",
        "Non posso riprenotare i voli da questa chat, ma puoi farlo nell'app.",
    ),
    "nl": (
        "Ik kan geen bestelling met dat nummer vinden.",
        "Ik kan niet beloven dat ze vrijdag aankomen.",
        "We kunnen retouren na 30 dagen niet accepteren.",
        "Ik kan geen stoelen upgraden, maar u kunt dat zelf doen in de app.",
    ),
}


def _by_language(table: dict[str, tuple[str, ...]]) -> list[object]:
    return [
        pytest.param(language, text, id=f"{language}-{index}")
        for language, texts in table.items()
        for index, text in enumerate(texts)
    ]


@pytest.mark.parametrize(("language", "text"), _by_language(CANNOT_ANY_ACTION))
def test_bot_cannot_do_an_action_whatever_the_verb(
    detector: RulesDetector, language: str, text: str
) -> None:
    decision = decide(detector, TABLES[language].opener[0], ("bot", text))
    assert (decision.status, decision.signal) == (Status.ESCALATE, Signal.BOT_HANDOFF), (
        decision.reason
    )


@pytest.mark.parametrize(("language", "text"), _by_language(HANDOFF_STATEMENTS))
def test_more_handoff_statements(detector: RulesDetector, language: str, text: str) -> None:
    decision = decide(detector, TABLES[language].opener[0], ("bot", text))
    assert (decision.status, decision.signal) == (Status.ESCALATE, Signal.BOT_HANDOFF), (
        decision.reason
    )


@pytest.mark.parametrize(("language", "text"), _by_language(PLATFORM_EVENTS))
def test_platform_events_state_a_handoff(detector: RulesDetector, language: str, text: str) -> None:
    decision = decide(detector, TABLES[language].opener[0], ("system", text))
    assert (decision.status, decision.signal) == (Status.ESCALATE, Signal.BOT_HANDOFF), (
        decision.reason
    )


@pytest.mark.parametrize(("language", "text"), _by_language(NOT_A_LACK))
def test_results_caveats_and_policy_answers_are_not_a_lack(
    detector: RulesDetector, language: str, text: str
) -> None:
    decision = decide(detector, TABLES[language].opener[0], ("bot", text))
    assert decision.status is Status.NONE, f"{decision.signal}: {decision.evidence}"


def test_portuguese_no_means_in_the(detector: RulesDetector) -> None:
    decision = decide(
        detector, *TABLES["pt"].opener, ("user", "Estou no app e quero falar com um atendente")
    )
    assert decision.status is Status.ESCALATE


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_family_and_guard_is_present(language: str) -> None:
    data = load_phrase_file(language)
    assert data["language"] == language
    assert set(data["families"]) == set(FAMILIES)
    assert set(data["guards"]) == set(GUARDS)
    assert all(data["families"][family] for family in FAMILIES)
    assert all(data["guards"][guard] for guard in GUARDS)
    assert data["smalltalk"]


def _top_level_bar(pattern: str) -> bool:
    """Whether a regex has a `|` outside every group (a term must be one unit)."""
    depth, index, in_class = 0, 0, False
    while index < len(pattern):
        char = pattern[index]
        if char == "\\":
            index += 2
            continue
        if in_class:
            in_class = char != "]"
        elif char == "[":
            in_class = True
        elif char in "()":
            depth += 1 if char == "(" else -1
        elif char == "|" and depth == 0:
            return True
        index += 1
    return False


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_pattern_compiles(language: str) -> None:
    data = load_phrase_file(language)
    for name, value in data["terms"].items():
        term = _squash(value)
        assert " " not in term, f"{name}: a line break inside a term must come before a '|'"
        assert not _top_level_bar(term), f"{name}: wrap the alternatives in (?:...)"
    table = load_table(language)
    for family, patterns in table.families.items():
        for pattern in patterns:
            re.compile(pattern)
            assert " " not in pattern, family
            assert not re.search(r"\{[a-z_]+\}", pattern), f"{family}: unknown term"
    assert all(table.guards[guard] for guard in GUARDS)
    assert table.smalltalk
    assert all(family_pattern(language, family) is not None for family in FAMILIES)


def base_phrasebook() -> PhraseBook:
    return build_phrasebook(PhraseRules())


def test_no_other_language_matches_the_english_examples() -> None:
    book = base_phrasebook()
    texts = [
        message["text"]
        for line in EXAMPLE_CASES.read_text(encoding="utf-8").splitlines()
        if line.strip()
        for message in json.loads(line)["messages"]
    ]
    foreign = []
    for text in texts:
        message = dataclasses.replace(book.prepare(text), languages=ALL_LANGUAGES)
        for family in FAMILIES:
            hits = book.find(family, message)
            english = [(h.start, h.end) for h in hits if h.language == "en"]
            foreign += [
                (family, h.language, text)
                for h in hits
                if h.language != "en" and not any(s < h.end and h.start < e for s, e in english)
            ]
    assert foreign == [], "a foreign pattern adds a hit to English text"


@pytest.mark.parametrize(
    "text",
    [
        "no " * 300 + "agente",
        "quiero " * 200 + "hablar con",
        "je ne " * 200 + "pas parler a",
        "ich habe " * 200 + "nicht weitergeleitet",
        "nao " * 200 + "consigo falar com",
        "non ho " * 200 + "capito",
        "ik heb " * 200 + "niet doorgezet naar",
        "a " * 400,
    ],
    ids=["es", "es-want", "fr", "de", "pt", "it", "nl", "letters"],
)
def test_no_catastrophic_backtracking(detector: RulesDetector, text: str) -> None:
    decide(detector, ("user", text[:40]), ("bot", text[:40]))  # compile the tables first
    started = time.perf_counter()
    decide(detector, ("user", text), ("bot", text))
    # catastrophic backtracking takes seconds to hours; 2 s leaves room for a loaded machine
    assert time.perf_counter() - started < 2.0
