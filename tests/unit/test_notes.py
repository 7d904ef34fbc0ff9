"""The internal note: default and structured fields, next steps, masking, languages."""

from __future__ import annotations

import string
from pathlib import Path

import pytest

from escalation.case import Message, Role
from escalation.decision import Decision, Signal, Status
from escalation.policy import Policy, load_policy
from escalation.rules import RulesDetector
from handover.note_templates import DEFAULT_LANGUAGE, TEMPLATES
from handover.notes import MASK, Note, compose_note, issue_summary, mask_collected, mask_text
from tests.conftest import EXAMPLE_WORKSPACE, make_case

U, B = "user", "bot"

GADGETS = """
workspace: gadget-repair
scope:
  description: A gadget repair shop, its repairs, billing and deliveries
  topics: [repairs, billing]
topics:
  repairs:
    description: Repairing broken devices
    examples: ["My tablet screen is cracked", "The speaker stopped working"]
    keywords: [repair, broken, cracked]
  billing:
    description: Charges and invoices
    examples: ["I was charged twice"]
    keywords: [charged, invoice]
  security:
    description: Hacked accounts and fraud
    examples: ["someone hacked my account"]
    keywords: [hacked, fraud]
escalation:
  always_topics: [security]
sub_agents:
  repairs:
    description: Books device repairs
    topics: [repairs]
    handoff: collected
    collect:
      - {name: serial, kind: pattern, pattern: "SN-\\\\d{6}", ask: "What is the serial number?"}
      - {name: contact_email, kind: email, ask: "Which email can we reach you at?"}
  billing:
    description: Billing problems
    topics: [billing]
    collect:
      - {name: card_holder, kind: text, ask: "Whose name is on the card?", sensitive: true}
      - {name: email, kind: email, ask: "Which email is on the account?", sensitive: true}
"""

WITH_TEMPLATE = GADGETS.replace(
    "    description: Books device repairs\n",
    "    description: Books device repairs\n"
    '    next_step: "Book a repair for {serial}, confirm to {contact_email}, note {warranty}"\n',
).replace(
    "    description: Billing problems\n",
    "    description: Billing problems\n"
    '    next_step: "Refund the card of {card_holder} and write to {email}"\n',
)

STRUCTURED = GADGETS.replace(
    "  always_topics: [security]\n",
    "  always_topics: [security]\n"
    "  summary: [signal, serial, issue, reason, evidence, sub_agent, target, warranty]\n",
)


def workspace(tmp_path: Path, text: str, extra: str = "") -> Policy:
    path = tmp_path / "workspace.yaml"
    path.write_text(text + extra, encoding="utf-8")
    return load_policy(path)


def msgs(*turns: tuple[str, str]) -> tuple[Message, ...]:
    return tuple(Message(Role(role), text) for role, text in turns)


def decision(
    signal: Signal | None,
    *,
    sub_agent: str | None = None,
    evidence: str | None = None,
    collected: dict[str, str] | None = None,
    missing: tuple[str, ...] = (),
    reason: str = "A reason.",
    status: Status = Status.ESCALATE,
) -> Decision:
    return Decision(
        id="t",
        status=status,
        signal=signal,
        sub_agent=sub_agent,
        target=None,
        reason=reason,
        evidence=evidence,
        missing=missing,
        collected=collected or {},
    )


def field(note: Note, label: str) -> str:
    values = dict(note.fields)
    assert label in values, f"{label!r} not in {note.fields}"
    return values[label]


def labels(note: Note) -> list[str]:
    return [label for label, _ in note.fields]


@pytest.fixture
def gadgets(tmp_path: Path) -> Policy:
    return workspace(tmp_path, GADGETS)


# --- default note, one per signal ---------------------------------------------------------


def test_user_request_note(gadgets: Policy) -> None:
    turns = msgs((U, "hello there"), (U, "My tablet screen is cracked, can I talk to a person?"))
    note = compose_note(
        decision(Signal.USER_REQUEST, evidence="can I talk to a person"), turns, gadgets
    )
    assert note.title == "Escalated to a human: the customer asked for a person"
    assert labels(note) == ["Issue", "Signal", "Next step"]
    assert field(note, "Issue") == "My tablet screen is cracked, can I talk to a person?"
    assert field(note, "Signal") == "the customer asked for a person — “can I talk to a person”"
    step = field(note, "Next step")
    assert step.startswith("Reply to the customer, who asked to talk to a person, about “My tablet")


def test_bot_handoff_note_quotes_what_the_bot_promised(gadgets: Policy) -> None:
    promise = "I've asked our billing team to look into the double charge."
    turns = msgs((U, "I was charged twice for one invoice"), (B, promise))
    note = compose_note(
        decision(Signal.BOT_HANDOFF, sub_agent="billing", evidence=promise), turns, gadgets
    )
    assert note.title == "Escalated to a human: the bot handed the conversation over"
    assert field(note, "Next step") == (
        f"Follow up on what the bot promised the customer: “{promise}”"
    )
    assert field(note, "Issue") == "I was charged twice for one invoice"


def test_out_of_scope_note(gadgets: Policy) -> None:
    ask = "Can you recommend a pasta recipe for tonight?"
    note = compose_note(decision(Signal.OUT_OF_SCOPE, evidence=ask), msgs((U, ask)), gadgets)
    assert note.title == "Escalated to a human: the request is outside the assistant's scope"
    assert field(note, "Next step") == f"Tell the customer whether the team can help with “{ask}”"


def test_rule_note_names_the_always_escalate_topic(gadgets: Policy) -> None:
    said = "Someone hacked my account and ordered things"
    made = decision(
        Signal.RULE,
        evidence=said,
        reason="The conversation is about 'security', a topic that always goes to a human.",
    )
    note = compose_note(made, msgs((U, said)), gadgets)
    assert note.title == "Escalated to a human: an escalation rule matched"
    assert field(note, "Next step") == f"Handle the security matter: “{said}”"


def test_rule_note_without_a_named_topic_stays_general(gadgets: Policy) -> None:
    note = compose_note(decision(Signal.RULE), msgs((U, "Something odd happened here")), gadgets)
    assert field(note, "Next step").startswith("Handle the matter an escalation rule flagged")


def test_workflow_note_lists_collected_and_missing_and_emails_the_customer(gadgets: Policy) -> None:
    made = decision(
        Signal.WORKFLOW,
        sub_agent="repairs",
        evidence="I need a repair",
        collected={"contact_email": "sam@example.net"},
        missing=("serial",),
        status=Status.PENDING,
    )
    note = compose_note(made, msgs((U, "I need a repair for my broken tablet")), gadgets)
    assert note.title == "Escalated to a human: the repairs workflow is ready for the team"
    assert labels(note) == ["Issue", "Signal", "Collected", "Missing", "Next step"]
    assert field(note, "Collected") == "contact email: sam@example.net"
    assert field(note, "Missing") == "serial"
    assert field(note, "Next step") == (
        "Complete the repairs request using the collected details and email the customer at "
        "sam@example.net. Ask the customer for serial first."
    )


def test_note_without_a_signal_still_renders(gadgets: Policy) -> None:
    note = compose_note(decision(None, status=Status.NONE), msgs((U, "hi")), gadgets)
    assert note.title == "Escalated to a human"
    assert field(note, "Issue") == "not given"
    assert field(note, "Next step") == "Review the conversation about their request."


def test_rules_detector_decision_on_the_example_return_case() -> None:
    policy = load_policy(EXAMPLE_WORKSPACE)
    case = make_case(
        (U, "Hi there"),
        (U, "I want to return my sneakers"),
        (B, "Sure, what is your order number?"),
        (U, "AC123456"),
        (B, "Which email address did you use for the order?"),
        (U, "jane@example.com"),
        (B, "Why would you like to return it?"),
        (U, "They are too small"),
    )
    note = compose_note(RulesDetector(policy).decide(case), case.messages, policy)
    assert note.text().splitlines() == [
        "Escalated to a human: the returns workflow is ready for the team",
        "Issue: I want to return my sneakers",
        "Order number: AC123456",
        "Email: jane@example.com",
        "Return reason: They are too small",
        "Next step: Create the return for order AC123456 and email the customer at "
        "jane@example.com.",
    ]


# --- structured summary ---------------------------------------------------------------------


def test_structured_summary_has_exactly_the_listed_fields(tmp_path: Path) -> None:
    policy = workspace(tmp_path, STRUCTURED)
    made = Decision(
        id="t",
        status=Status.ESCALATE,
        signal=Signal.WORKFLOW,
        sub_agent="repairs",
        target="workshop",
        reason="The user asked for the repairs workflow.",
        evidence="repair my tablet",
        collected={"serial": "SN-123456"},
        missing=(),
    )
    note = compose_note(made, msgs((U, "Please repair my tablet, it is broken")), policy)
    assert note.fields == (
        ("Signal", "the repairs workflow is ready for the team"),
        ("Serial", "SN-123456"),
        ("Issue", "Please repair my tablet, it is broken"),
        ("Reason", "The user asked for the repairs workflow."),
        ("Evidence", "“repair my tablet”"),
        ("Sub agent", "repairs"),
        ("Target", "workshop"),
        ("Warranty", "not given"),
    )


def test_structured_summary_without_evidence_listed_quotes_it_in_signal(tmp_path: Path) -> None:
    policy = workspace(tmp_path, STRUCTURED.replace("reason, evidence,", "reason,"))
    made = decision(Signal.USER_REQUEST, evidence="a person please")
    note = compose_note(made, msgs((U, "a person please")), policy)
    assert field(note, "Signal") == "the customer asked for a person — “a person please”"
    assert field(note, "Serial") == "not given"
    assert field(note, "Sub agent") == "not given"
    assert "Next step" not in labels(note)


def test_example_workspace_summary_fields_in_order() -> None:
    policy = load_policy(EXAMPLE_WORKSPACE)
    made = decision(Signal.USER_REQUEST, evidence="a human please")
    note = compose_note(made, msgs((U, "a human please")), policy)
    assert labels(note) == ["Issue", "Order number", "Email", "Return reason", "Next step"]
    assert field(note, "Email") == "not given"


# --- next step templates --------------------------------------------------------------------


def test_next_step_template_takes_collected_values_and_not_given(tmp_path: Path) -> None:
    policy = workspace(tmp_path, WITH_TEMPLATE)
    made = decision(
        Signal.WORKFLOW,
        sub_agent="repairs",
        collected={"serial": "SN-654321"},
        missing=("contact_email",),
    )
    step = field(compose_note(made, msgs((U, "repair please")), policy), "Next step")
    assert step == (
        "Book a repair for SN-654321, confirm to not given, note not given. "
        "Ask the customer for contact email first."
    )


def test_next_step_template_masks_sensitive_values(tmp_path: Path) -> None:
    policy = workspace(tmp_path, WITH_TEMPLATE)
    collected = {"card_holder": "Maria Lopez", "email": "maria.lopez@example.com"}
    made = decision(Signal.BOT_HANDOFF, sub_agent="billing", collected=collected)
    step = field(compose_note(made, msgs((U, "I was charged twice")), policy), "Next step")
    assert step.startswith(f"Refund the card of {MASK}")
    assert "Maria" not in step and "maria.lopez" not in step


# --- masking --------------------------------------------------------------------------------


def test_mask_collected_masks_only_sensitive_details(gadgets: Policy) -> None:
    collected = {"card_holder": "Maria Lopez", "email": "maria@example.com", "note": "ok"}
    masked = mask_collected(collected, gadgets, "billing")
    assert masked["note"] == "ok"
    assert masked["card_holder"].startswith(MASK) and "Maria" not in masked["card_holder"]
    assert masked["email"].startswith(MASK) and len(masked["email"]) <= len(MASK) + 2
    assert mask_collected({"serial": "SN-123456"}, gadgets, "repairs") == {"serial": "SN-123456"}


@pytest.mark.parametrize(
    "summary", ["", "  summary: [issue, evidence, reason, card_holder, email, next_step]\n"]
)
def test_sensitive_values_never_appear_in_the_note(tmp_path: Path, summary: str) -> None:
    policy = workspace(tmp_path, GADGETS.replace("escalation:\n", "escalation:\n" + summary))
    email, holder = "maria.lopez@example.com", "Maria Lopez"
    turns = msgs(
        (U, f"Hi! I'm {holder}, my email is {email} and I was charged twice"),
        (B, "Whose name is on the card?"),
        (U, holder),
        (U, "oops, the account email is actually m.lopez@example.org"),
    )
    made = decision(
        Signal.USER_REQUEST,
        sub_agent="billing",
        evidence=f"I'm {holder}, my email is {email}, get me a person",
        reason=f"The user ({email}) asked for a human.",
        collected={"card_holder": holder, "email": email},
    )
    note = compose_note(made, turns, policy)
    assert note.title and len(note.fields) >= 4
    for secret in (email, holder, "Maria", "lopez@", "m.lopez@example.org"):
        assert secret not in note.text(), (secret, note.text())
    assert MASK in field(note, "Issue") and MASK in note.text()


def test_issue_masking_happens_before_trimming(gadgets: Policy) -> None:
    email = "someone.with.a.long.address@example.com"
    text = "I was charged twice " + "and again " * 12 + f"so write me at {email}"
    made = decision(Signal.USER_REQUEST, sub_agent="billing", collected={"email": email})
    note = compose_note(made, msgs((U, text)), gadgets)
    assert "someone" not in note.text() and "example.com" not in note.text()


# --- issue summary --------------------------------------------------------------------------


@pytest.mark.parametrize(
    "small_talk",
    [["hi"], ["hello there", "thanks!"], ["Hola", "buenos días"], ["Bonjour !", "merci beaucoup"]],
)
def test_issue_skips_greetings_and_small_talk(small_talk: list[str]) -> None:
    turns = msgs(
        *((U, line) for line in small_talk),
        (B, "Hi! How can I help?"),
        (U, "My speaker stopped working after the update"),
    )
    assert issue_summary(turns) == "My speaker stopped working after the update"


def test_issue_drops_a_leading_greeting_but_keeps_the_words() -> None:
    assert (
        issue_summary(msgs((U, "Hey team, my Order AC-1 never arrived!")))
        == "my Order AC-1 never arrived!"
    )
    for kept in ("Higher prices than last week?", "Hello-kitty case arrived broken"):
        assert issue_summary(msgs((U, kept))) == kept


def test_short_first_request_takes_the_next_user_message() -> None:
    turns = msgs(
        (U, "I need help"), (B, "Sure, with what?"), (U, "123"), (U, "my card was charged twice")
    )
    assert issue_summary(turns) == "I need help. my card was charged twice"


def test_issue_is_one_line_and_ignores_bot_messages() -> None:
    turns = msgs(
        (B, "Welcome to the shop, what can I do?"), (U, "The screen\n\nis cracked   badly")
    )
    assert issue_summary(turns) == "The screen is cracked badly"
    assert issue_summary(msgs((B, "Hello"), (U, "thanks"))) == ""


def test_long_issue_is_trimmed_at_a_word_boundary() -> None:
    words = "word" + " alphabet" * 40
    issue = issue_summary(msgs((U, words)), limit=60)
    assert len(issue) <= 60 and issue.endswith("…")
    assert words.startswith(issue[:-1]) and issue[:-1].endswith("alphabet")
    assert len(issue_summary(msgs((U, words)))) <= 160


# --- languages ------------------------------------------------------------------------------


@pytest.mark.parametrize("language", [lang for lang in TEMPLATES if lang != DEFAULT_LANGUAGE])
def test_each_language_renders_its_own_words_and_keeps_the_users(
    gadgets: Policy, language: str
) -> None:
    said = "My tablet screen is cracked, get me a person"
    made = decision(
        Signal.WORKFLOW,
        sub_agent="repairs",
        evidence=said,
        collected={"serial": "SN-123456"},
        missing=("contact_email",),
    )
    english = compose_note(made, msgs((U, said)), gadgets)
    note = compose_note(made, msgs((U, said)), gadgets, language=language)
    words = TEMPLATES[language]
    assert note.title != english.title and note.title.startswith(words["title"].split("{")[0])
    assert labels(note) == [
        words[f"label_{key}"] for key in ("issue", "signal", "collected", "missing", "next_step")
    ]
    assert labels(note)[0] != labels(english)[0]
    assert field(note, words["label_issue"]) == said
    assert "SN-123456" in field(note, words["label_collected"])
    assert field(note, words["label_next_step"]) != field(english, "Next step")


def test_workspace_note_language_and_the_override(tmp_path: Path) -> None:
    policy = workspace(tmp_path, GADGETS, "handover: {note_language: de}\n")
    made = decision(Signal.USER_REQUEST, evidence="Mensch bitte")
    assert compose_note(made, msgs((U, "Mensch bitte")), policy).title.startswith(
        "An einen Menschen"
    )
    assert compose_note(made, msgs((U, "x")), policy, language="fr").title.startswith("Transmis")
    assert compose_note(made, msgs((U, "x")), policy, language="pt-BR").title.startswith(
        "Encaminhado"
    )
    with pytest.raises(ValueError, match="note language"):
        compose_note(made, msgs((U, "x")), policy, language="xx")


def test_not_given_is_translated(tmp_path: Path) -> None:
    policy = workspace(tmp_path, STRUCTURED)
    note = compose_note(decision(Signal.USER_REQUEST), msgs((U, "hola")), policy, language="es")
    assert field(note, "Warranty") == "no indicado"


def _placeholders(template: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(template) if name}


def test_every_language_has_every_key_with_the_same_placeholders() -> None:
    english = TEMPLATES[DEFAULT_LANGUAGE]
    assert set(TEMPLATES) == {"en", "es", "fr", "de", "pt", "it", "nl"}
    for language, words in TEMPLATES.items():
        assert set(words) == set(english), language
        for key, template in words.items():
            assert _placeholders(template) == _placeholders(english[key]), (language, key)
            assert template.strip(), (language, key)


def test_note_text_is_the_title_then_one_line_per_field() -> None:
    note = Note(title="T", fields=(("A", "1"), ("B", "2")))
    assert note.text() == "T\nA: 1\nB: 2"


def test_a_sensitive_value_split_across_lines_is_still_masked(gadgets: Policy) -> None:
    holder = "Maria Lopez"
    text = "The card of Maria\n   Lopez " + "was charged twice " * 12
    made = decision(
        Signal.USER_REQUEST,
        sub_agent="billing",
        evidence=text,
        collected={"card_holder": holder},
    )
    note = compose_note(made, msgs((U, text)), gadgets)
    assert "Maria" not in note.text() and "Lopez" not in note.text()


def test_mask_text_masks_sensitive_values_and_their_shapes(gadgets: Policy) -> None:
    collected = {"email": "maria@example.com", "card_holder": "Maria Lopez"}
    text = "Maria Lopez wrote from maria@example.com, then from ml@example.org"
    masked = mask_text(text, collected, gadgets, "billing")
    assert "Maria" not in masked and "maria@" not in masked and "ml@example.org" not in masked
    assert masked.count(MASK) == 3
    assert mask_text(text, collected, gadgets, "repairs") == text
