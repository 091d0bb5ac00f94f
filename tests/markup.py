"""Reading back the HTML of snippets: every piece of markup, and the text."""

from __future__ import annotations

from html.parser import HTMLParser
from typing import Any


class TagRecorder(HTMLParser):
    """Records every piece of markup of an HTML fragment, and its text."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.markup: list[tuple[str, str, list[Any]]] = []
        self.text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[Any]) -> None:
        self.markup.append(("start", tag, attrs))

    def handle_endtag(self, tag: str) -> None:
        self.markup.append(("end", tag, []))

    def handle_startendtag(self, tag: str, attrs: list[Any]) -> None:
        self.markup.append(("startend", tag, attrs))

    def handle_data(self, data: str) -> None:
        self.text.append(data)

    def handle_comment(self, data: str) -> None:
        self.markup.append(("comment", data, []))

    def handle_decl(self, decl: str) -> None:
        self.markup.append(("decl", decl, []))

    def handle_pi(self, data: str) -> None:
        self.markup.append(("pi", data, []))

    def unknown_decl(self, data: str) -> None:
        self.markup.append(("unknown", data, []))


def parse_html(fragment: str) -> TagRecorder:
    """Parse ``fragment`` whole and return what was recorded."""
    recorder = TagRecorder()
    recorder.feed(fragment)
    recorder.close()
    return recorder
