from __future__ import annotations

import pytest

from connectors.text import html_to_text, looks_like_html, to_plain_text


def test_html_blocks_lists_and_entities_become_readable_text() -> None:
    html = (
        "<p>Hallo J&uuml;rgen,</p><p>danke &ndash; storniert:</p>"
        "<ul><li>Gutschrift: 49,00&nbsp;€</li><li>Dauer: <b>3–5</b> Tage</li></ul>"
        "<p>Viele Grüße<br>Marta</p>"
    )
    assert html_to_text(html) == (
        "Hallo Jürgen,\n\ndanke – storniert:\n\n- Gutschrift: 49,00 €\n- Dauer: 3–5 Tage\n\n"
        "Viele Grüße\nMarta"
    )


def test_links_keep_their_url_unless_the_label_shows_it() -> None:
    html = (
        '<p>Suivez <a href="https://track.example.com/AC-1">ici</a>, '
        '<a href="https://x.example">https://x.example</a>, '
        '<a href="mailto:help@acme.example">help@acme.example</a></p>'
    )
    assert html_to_text(html) == (
        "Suivez ici (https://track.example.com/AC-1), https://x.example, help@acme.example"
    )


def test_scripts_styles_are_dropped_and_images_keep_alt_text() -> None:
    html = '<style>p{color:red}</style><p>Hi <img src="x.png" alt="screenshot"></p>'
    html += "<script>x()</script>"
    assert html_to_text(html) == "Hi [screenshot]"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("a < b and c > d", False),
        ("1<2", False),
        ("<p>x</p>", True),
        ("line<br/>break", True),
        ("<@U123> hi", False),
    ],
)
def test_looks_like_html_needs_a_real_tag(text: str, expected: bool) -> None:
    assert looks_like_html(text) is expected


def test_plain_text_is_only_tidied_and_keeps_its_line_breaks() -> None:
    assert to_plain_text("  Hallo,\n\n\n\nich   wurde  belastet.  \nDanke &amp; Gruß ") == (
        "Hallo,\n\nich wurde belastet.\nDanke &amp; Gruß"
    )
