"""The words of an escalation note in every supported language, as data.

`TEMPLATES[language][key]`: every language has the same keys and, per key, the same
`{placeholders}` (a unit test checks both). `title` takes the signal's words (`signal_*`,
which may name the sub agent); `next_*` are the generated next steps, which `and_email`
and `ask_missing` may extend; `quote` wraps the user's or the bot's own words, which are
never translated. `GREETINGS` and `SMALLTALK` are regex alternations, over every
language, of the small talk that an issue summary skips.
"""

from __future__ import annotations

from types import MappingProxyType
from typing import Final

DEFAULT_LANGUAGE: Final = "en"

_EN: Final = {
    "title": "Escalated to a human: {signal}",
    "title_no_signal": "Escalated to a human",
    "signal_user_request": "the customer asked for a person",
    "signal_bot_handoff": "the bot handed the conversation over",
    "signal_rule": "an escalation rule matched",
    "signal_out_of_scope": "the request is outside the assistant's scope",
    "signal_workflow": "the {sub_agent} workflow is ready for the team",
    "label_issue": "Issue",
    "label_signal": "Signal",
    "label_collected": "Collected",
    "label_missing": "Missing",
    "label_next_step": "Next step",
    "label_reason": "Reason",
    "label_evidence": "Evidence",
    "label_sub_agent": "Sub agent",
    "label_target": "Target",
    "not_given": "not given",
    "quote": "“{text}”",
    "and": "and",
    "their_request": "their request",
    "next_user_request": "Reply to the customer, who asked to talk to a person, about {issue}",
    "next_bot_handoff": "Follow up on what the bot promised the customer: {evidence}",
    "next_out_of_scope": "Tell the customer whether the team can help with {issue}",
    "next_rule": "Handle the {matter} matter: {issue}",
    "next_rule_general": "Handle the matter an escalation rule flagged: {issue}",
    "next_workflow": "Complete the {sub_agent} request using the collected details",
    "next_none": "Review the conversation about {issue}",
    "and_email": " and email the customer at {email}",
    "ask_missing": "Ask the customer for {missing} first.",
}

_ES: Final = {
    "title": "Escalado a una persona: {signal}",
    "title_no_signal": "Escalado a una persona",
    "signal_user_request": "el cliente pidió hablar con una persona",
    "signal_bot_handoff": "el bot transfirió la conversación",
    "signal_rule": "se cumplió una regla de escalado",
    "signal_out_of_scope": "la solicitud está fuera del ámbito del asistente",
    "signal_workflow": "el flujo {sub_agent} está listo para el equipo",
    "label_issue": "Problema",
    "label_signal": "Señal",
    "label_collected": "Datos recogidos",
    "label_missing": "Faltan",
    "label_next_step": "Siguiente paso",
    "label_reason": "Motivo",
    "label_evidence": "Evidencia",
    "label_sub_agent": "Subagente",
    "label_target": "Destino",
    "not_given": "no indicado",
    "quote": "«{text}»",
    "and": "y",
    "their_request": "su solicitud",
    "next_user_request": "Responde al cliente, que pidió hablar con una persona, sobre {issue}",
    "next_bot_handoff": "Haz el seguimiento de lo que el bot prometió al cliente: {evidence}",
    "next_out_of_scope": "Dile al cliente si el equipo puede ayudar con {issue}",
    "next_rule": "Gestiona el asunto de {matter}: {issue}",
    "next_rule_general": "Gestiona el asunto que señaló una regla de escalado: {issue}",
    "next_workflow": "Completa la solicitud de {sub_agent} con los datos recogidos",
    "next_none": "Revisa la conversación sobre {issue}",
    "and_email": " y escribe al cliente a {email}",
    "ask_missing": "Pide primero al cliente: {missing}.",
}

_FR: Final = {
    "title": "Transmis à un humain : {signal}",
    "title_no_signal": "Transmis à un humain",
    "signal_user_request": "le client a demandé à parler à une personne",
    "signal_bot_handoff": "le bot a transmis la conversation",
    "signal_rule": "une règle d'escalade s'applique",
    "signal_out_of_scope": "la demande sort du périmètre de l'assistant",
    "signal_workflow": "la procédure {sub_agent} est prête pour l'équipe",
    "label_issue": "Problème",
    "label_signal": "Signal",
    "label_collected": "Informations recueillies",
    "label_missing": "Manquant",
    "label_next_step": "Prochaine étape",
    "label_reason": "Raison",
    "label_evidence": "Extrait",
    "label_sub_agent": "Sous-agent",
    "label_target": "Destination",
    "not_given": "non fourni",
    "quote": "« {text} »",
    "and": "et",
    "their_request": "sa demande",
    "next_user_request": "Répondez au client, qui a demandé une personne, au sujet de {issue}",
    "next_bot_handoff": "Donnez suite à ce que le bot a promis au client : {evidence}",
    "next_out_of_scope": "Indiquez au client si l'équipe peut l'aider pour {issue}",
    "next_rule": "Traitez le dossier {matter} : {issue}",
    "next_rule_general": "Traitez le dossier signalé par une règle d'escalade : {issue}",
    "next_workflow": "Finalisez la demande {sub_agent} avec les informations recueillies",
    "next_none": "Examinez la conversation au sujet de {issue}",
    "and_email": " et écrivez au client à {email}",
    "ask_missing": "Demandez d'abord au client : {missing}.",
}

_DE: Final = {
    "title": "An einen Menschen übergeben: {signal}",
    "title_no_signal": "An einen Menschen übergeben",
    "signal_user_request": "der Kunde hat nach einer Person gefragt",
    "signal_bot_handoff": "der Bot hat das Gespräch übergeben",
    "signal_rule": "eine Eskalationsregel hat gegriffen",
    "signal_out_of_scope": "die Anfrage liegt außerhalb des Bereichs des Assistenten",
    "signal_workflow": "der Ablauf {sub_agent} ist bereit für das Team",
    "label_issue": "Anliegen",
    "label_signal": "Signal",
    "label_collected": "Erfasst",
    "label_missing": "Fehlt",
    "label_next_step": "Nächster Schritt",
    "label_reason": "Grund",
    "label_evidence": "Beleg",
    "label_sub_agent": "Sub-Agent",
    "label_target": "Ziel",
    "not_given": "nicht angegeben",
    "quote": "„{text}“",
    "and": "und",
    "their_request": "sein Anliegen",
    "next_user_request": "Antworte dem Kunden, der eine Person verlangt hat, zu {issue}",
    "next_bot_handoff": "Kümmere dich um das, was der Bot dem Kunden zugesagt hat: {evidence}",
    "next_out_of_scope": "Sag dem Kunden, ob das Team bei {issue} helfen kann",
    "next_rule": "Bearbeite das Thema {matter}: {issue}",
    "next_rule_general": "Bearbeite das von einer Eskalationsregel markierte Thema: {issue}",
    "next_workflow": "Schließe die Anfrage {sub_agent} mit den erfassten Angaben ab",
    "next_none": "Prüfe das Gespräch zu {issue}",
    "and_email": " und schreibe dem Kunden an {email}",
    "ask_missing": "Frage den Kunden zuerst nach: {missing}.",
}

_PT: Final = {
    "title": "Encaminhado para uma pessoa: {signal}",
    "title_no_signal": "Encaminhado para uma pessoa",
    "signal_user_request": "o cliente pediu para falar com uma pessoa",
    "signal_bot_handoff": "o bot transferiu a conversa",
    "signal_rule": "uma regra de escalonamento foi acionada",
    "signal_out_of_scope": "o pedido está fora do âmbito do assistente",
    "signal_workflow": "o fluxo {sub_agent} está pronto para a equipa",
    "label_issue": "Problema",
    "label_signal": "Sinal",
    "label_collected": "Dados recolhidos",
    "label_missing": "Em falta",
    "label_next_step": "Próximo passo",
    "label_reason": "Motivo",
    "label_evidence": "Evidência",
    "label_sub_agent": "Subagente",
    "label_target": "Destino",
    "not_given": "não indicado",
    "quote": "“{text}”",
    "and": "e",
    "their_request": "o pedido",
    "next_user_request": "Responda ao cliente, que pediu para falar com uma pessoa, sobre {issue}",
    "next_bot_handoff": "Dê seguimento ao que o bot prometeu ao cliente: {evidence}",
    "next_out_of_scope": "Diga ao cliente se a equipa pode ajudar com {issue}",
    "next_rule": "Trate o assunto {matter}: {issue}",
    "next_rule_general": "Trate o assunto assinalado por uma regra de escalonamento: {issue}",
    "next_workflow": "Conclua o pedido de {sub_agent} com os dados recolhidos",
    "next_none": "Reveja a conversa sobre {issue}",
    "and_email": " e envie um email ao cliente para {email}",
    "ask_missing": "Peça primeiro ao cliente: {missing}.",
}

_IT: Final = {
    "title": "Passato a una persona: {signal}",
    "title_no_signal": "Passato a una persona",
    "signal_user_request": "il cliente ha chiesto di parlare con una persona",
    "signal_bot_handoff": "il bot ha passato la conversazione",
    "signal_rule": "è scattata una regola di escalation",
    "signal_out_of_scope": "la richiesta è fuori dall'ambito dell'assistente",
    "signal_workflow": "la procedura {sub_agent} è pronta per il team",
    "label_issue": "Problema",
    "label_signal": "Segnale",
    "label_collected": "Dati raccolti",
    "label_missing": "Mancano",
    "label_next_step": "Prossimo passo",
    "label_reason": "Motivo",
    "label_evidence": "Estratto",
    "label_sub_agent": "Sottoagente",
    "label_target": "Destinazione",
    "not_given": "non indicato",
    "quote": "«{text}»",
    "and": "e",
    "their_request": "la sua richiesta",
    "next_user_request": "Rispondi al cliente, che ha chiesto una persona, riguardo a {issue}",
    "next_bot_handoff": "Dai seguito a quanto il bot ha promesso al cliente: {evidence}",
    "next_out_of_scope": "Di' al cliente se il team può aiutarlo con {issue}",
    "next_rule": "Gestisci la questione {matter}: {issue}",
    "next_rule_general": "Gestisci la questione segnalata da una regola di escalation: {issue}",
    "next_workflow": "Completa la richiesta {sub_agent} con i dati raccolti",
    "next_none": "Esamina la conversazione su {issue}",
    "and_email": " e scrivi al cliente a {email}",
    "ask_missing": "Chiedi prima al cliente: {missing}.",
}

_NL: Final = {
    "title": "Doorgezet naar een mens: {signal}",
    "title_no_signal": "Doorgezet naar een mens",
    "signal_user_request": "de klant vroeg om een persoon",
    "signal_bot_handoff": "de bot heeft het gesprek overgedragen",
    "signal_rule": "een escalatieregel is van toepassing",
    "signal_out_of_scope": "de vraag valt buiten het domein van de assistent",
    "signal_workflow": "de werkstroom {sub_agent} is klaar voor het team",
    "label_issue": "Probleem",
    "label_signal": "Signaal",
    "label_collected": "Verzameld",
    "label_missing": "Ontbreekt",
    "label_next_step": "Volgende stap",
    "label_reason": "Reden",
    "label_evidence": "Bewijs",
    "label_sub_agent": "Subagent",
    "label_target": "Bestemming",
    "not_given": "niet opgegeven",
    "quote": "‘{text}’",
    "and": "en",
    "their_request": "de vraag",
    "next_user_request": "Antwoord de klant, die om een persoon vroeg, over {issue}",
    "next_bot_handoff": "Volg op wat de bot de klant heeft beloofd: {evidence}",
    "next_out_of_scope": "Laat de klant weten of het team kan helpen met {issue}",
    "next_rule": "Behandel de kwestie {matter}: {issue}",
    "next_rule_general": "Behandel de kwestie die een escalatieregel markeerde: {issue}",
    "next_workflow": "Rond het verzoek {sub_agent} af met de verzamelde gegevens",
    "next_none": "Bekijk het gesprek over {issue}",
    "and_email": " en mail de klant op {email}",
    "ask_missing": "Vraag de klant eerst om: {missing}.",
}

GREETINGS: Final = (  # a regex alternation: greetings in every note language
    r"hi|hello|hey|hiya|howdy|greetings|good\s+(?:morning|afternoon|evening|day)|hola|"
    r"buen(?:os|as)\s+(?:d[ií]as|tardes|noches)|buenas|bonjour|bonsoir|salut|coucou|hallo|"
    r"guten\s+(?:morgen|tag|abend)|servus|moin|ol[áa]|oi|bo[ma]\s+(?:dia|tarde|noite)|ciao|"
    r"buongiorno|buonasera|salve|hoi|goede(?:morgen|middag|navond)|dag"
)
SMALLTALK: Final = (  # a regex alternation: thanks, yes/no, goodbyes and other glue
    r"there|again|all|team|everyone|thanks?|thank\s+you|thx|ty|cheers|"
    r"(?:so|very)\s+much|a\s+lot|ok(?:ay)?|great|perfect|cool|nice|yes|yeah|yep|sure|no|"
    r"bye|goodbye|how\s+are\s+you(?:\s+doing)?|gracias|muchas|vale|s[ií]|adi[óo]s|"
    r"perfecto|merci|beaucoup|d'accord|oui|non|parfait|au\s+revoir|danke|sch[öo]n|"
    r"vielen\s+dank|ja|nein|tsch[üu]ss|perfekt|obrigad[oa]|valeu|sim|n[ãa]o|tchau|grazie|"
    r"mille|va\s+bene|perfetto|arrivederci|bedankt|dank\s+(?:je|u)(?:\s+wel)?|nee|prima|doei"
)

TEMPLATES: Final = MappingProxyType(
    {
        "en": MappingProxyType(_EN),
        "es": MappingProxyType(_ES),
        "fr": MappingProxyType(_FR),
        "de": MappingProxyType(_DE),
        "pt": MappingProxyType(_PT),
        "it": MappingProxyType(_IT),
        "nl": MappingProxyType(_NL),
    }
)
"""Every note language's words by key (read-only)."""
