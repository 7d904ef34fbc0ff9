"""Message bodies to readable plain text, with the standard library only."""

from __future__ import annotations

import re
from html.parser import HTMLParser

_BLOCK_TAGS = frozenset(
    {"p", "div", "br", "li", "ul", "ol", "tr", "table", "blockquote", "pre", "hr"}
    | {"h1", "h2", "h3", "h4", "h5", "h6", "section", "article", "header", "footer"}
)
_SKIP_TAGS = frozenset({"script", "style", "head", "title"})
_TAG_RE = re.compile(r"</?[a-zA-Z][a-zA-Z0-9]*(\s[^<>]*)?/?>")
_SPACES_RE = re.compile(r"[ \t\r\f\v\u00a0]+")
_BLANK_LINES_RE = re.compile(r"\n{3,}")


class _TextExtractor(HTMLParser):
    """Collects the text of an HTML fragment, turning block boundaries into newlines."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self._skipping = 0
        self._links: list[tuple[str, int]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _SKIP_TAGS:
            self._skipping += 1
        elif tag == "li":
            self.parts.append("\n- ")
        elif tag == "a":
            self._links.append((dict(attrs).get("href") or "", len(self.parts)))
        elif tag == "img":
            alt = dict(attrs).get("alt")
            if alt:
                self.parts.append(f"[{alt}]")
        elif tag in _BLOCK_TAGS:
            self.parts.append("\n")

    def handle_endtag(self, tag: str) -> None:
        if tag in _SKIP_TAGS:
            self._skipping = max(0, self._skipping - 1)
        elif tag == "a" and self._links:
            href, start = self._links.pop()
            self.parts.append(link_suffix("".join(self.parts[start:]), href))
        elif tag in _BLOCK_TAGS and tag != "li":
            self.parts.append("\n")

    def handle_data(self, data: str) -> None:
        if not self._skipping:
            self.parts.append(data.replace("\n", " "))


def link_suffix(label: str, target: str) -> str:
    """Return ` (<url>)` to follow a link's label, or "" when the label already shows it.

    Any URL not visible in the label is kept, so tracking links stay readable;
    `mailto:`/`tel:` links whose address is the label get no suffix.
    """
    address = target.split(":", 1)[-1] if target.startswith(("mailto:", "tel:")) else target
    if not target or not label.strip() or address in label:
        return ""
    return f" ({target})"


def tidy(text: str) -> str:
    """Collapse runs of spaces, trim every line, keep at most one blank line in a row."""
    lines = (_SPACES_RE.sub(" ", line).strip() for line in text.split("\n"))
    return _BLANK_LINES_RE.sub("\n\n", "\n".join(lines)).strip()


def html_to_text(fragment: str) -> str:
    """Return readable text of an HTML fragment (tags dropped, entities decoded, blocks kept)."""
    parser = _TextExtractor()
    parser.feed(fragment)
    parser.close()
    return tidy("".join(parser.parts))


def looks_like_html(text: str) -> bool:
    """Tell whether `text` contains at least one HTML tag."""
    return _TAG_RE.search(text) is not None


def to_plain_text(body: str) -> str:
    """Return `body` as plain text: HTML is converted, plain text is only tidied."""
    return html_to_text(body) if looks_like_html(body) else tidy(body)
