"""The pages' own additions to what the writers write: highlights in a source, and a quote's context.

- `highlight()` lays a source's text out as the reader shows it: blocks of the publisher's text
  and, set apart, the parts that are not the publisher's (never evidence); in the publisher's
  text every cited span is a `<mark>`. Spans may overlap: the marks nest (a span that crosses
  another is cut into pieces that do), so where two citations share words the words are marked
  twice, and each span ends with a link to each fact it backs.
- `context()` gives the sentence before and after a quote, within the publisher's text.

Offsets are those of the citations (`source.text[start:end] == quote`); nothing here queries.
"""

import re
from dataclasses import dataclass, field

from django.utils.html import escape, format_html
from django.utils.safestring import mark_safe

# A sentence ends at . ! ? or … (with any closing quotes or brackets) before white space, and at
# every line break: headlines, datelines and list items end without a full stop.
SENTENCE_END = re.compile(r"[.!?…][\"'”’)\]]*\s+|\n+")
PARAGRAPH_BREAK = re.compile(r"\n[ \t]*\n\s*")
# A full stop after these ends no sentence: "Illinois Gov. Pat Quinn", "U.S. Department", "Mary E. Heffernan".
ABBREVIATIONS = {
    "gov",
    "sen",
    "rep",
    "mr",
    "mrs",
    "ms",
    "dr",
    "st",
    "jr",
    "sr",
    "lt",
    "gen",
    "col",
    "sgt",
    "no",
    "vs",
    "inc",
    "co",
}
WHITE_SPACE = re.compile(r"\s+")
CONTEXT_LIMIT = 400  # characters of context on each side, at most


def span_id(start, end):
    """The anchor of a cited span in the reader: /sources/<slug>/#c-<start>-<end>."""
    return f"c-{start}-{end}"


@dataclass
class Backed:
    """A fact a cited span backs: what the reader says of it and the page that shows it."""

    kind: str  # "position", "voiced by Deval Patrick", "a reason", ...
    label: str
    href: str
    note: int = 0  # its number in the reader's list of notes


@dataclass
class Span:
    start: int
    end: int
    quote: str
    backs: list = field(default_factory=list)

    @property
    def id(self):
        return span_id(self.start, self.end)

    @property
    def title(self):
        return "Backs " + "; ".join(f"{backed.kind}: {backed.label}" for backed in self.backs)


@dataclass
class Block:
    kind: str  # "text", or the part's kind
    start: int
    end: int
    html: str
    part: dict | None = None


def publisher_blocks(text, parts):
    """[(start, end, part or None)] covering the text: the publisher's stretches and the parts."""
    blocks, position = [], 0
    for part in sorted(parts, key=lambda part: part["start"]):
        if part["start"] > position:
            blocks.append((position, part["start"], None))
        blocks.append((part["start"], part["end"], part))
        position = max(position, part["end"])
    if position < len(text):
        blocks.append((position, len(text), None))
    return blocks


def _paragraphs(text, start, end):
    """(start, end) of each paragraph of text[start:end], blank lines between them left out."""
    paragraphs, position = [], start
    for gap in PARAGRAPH_BREAK.finditer(text, start, end):
        if text[position : gap.start()].strip():
            paragraphs.append((position, gap.start()))
        position = gap.end()
    if text[position:end].strip():
        paragraphs.append((position, end))
    return paragraphs


def _refs(span):
    return "".join(
        format_html(
            '<a class="cite-ref" href="{}" title="Backs {}: {}" aria-label="Note {}, backs {}: {}">{}</a>',
            backed.href,
            backed.kind,
            backed.label,
            backed.note,
            backed.kind,
            backed.label,
            backed.note,
        )
        for backed in span.backs
    )


def _marked_paragraph(text, start, end, spans):
    """One paragraph's HTML, each span in it a mark, nested where spans overlap."""
    inside = [span for span in spans if span.start < end and span.end > start]
    cuts = sorted({start, end, *(max(start, s.start) for s in inside), *(min(end, s.end) for s in inside)})
    out, stack = [], []

    def close(span, at):
        out.append((_refs(span) if span.end == at else "") + "</mark>")

    for left, right in zip(cuts, cuts[1:], strict=False):
        covering = [span for span in inside if span.start <= left and span.end >= right]
        keep = 0
        while keep < len(stack) and stack[keep] in covering:
            keep += 1
        for span in reversed(stack[keep:]):
            close(span, left)
        del stack[keep:]
        # Open the spans reaching furthest first: they are the outer marks, so fewer are cut.
        for span in sorted((s for s in covering if s not in stack), key=lambda s: (-s.end, s.start)):
            first = left == span.start
            out.append(
                format_html(
                    '<mark class="cite" data-span="{}" title="{}"{}>',
                    span.id,
                    span.title,
                    mark_safe(f' id="{span.id}" tabindex="-1"') if first else "",
                )
            )
            stack.append(span)
        out.append(escape(text[left:right]))
    for span in reversed(stack):
        close(span, end)
    return mark_safe("".join(str(piece) for piece in out))


def highlight(text, parts, spans):
    """The reader's blocks: the publisher's text with its marks, and the parts set apart."""
    blocks = []
    for start, end, part in publisher_blocks(text, parts):
        marked = [] if part is not None else spans
        paragraphs = [
            format_html("<p>{}</p>", _marked_paragraph(text, first, last, marked))
            for first, last in _paragraphs(text, start, end)
        ]
        blocks.append(Block(part["kind"] if part else "text", start, end, mark_safe("".join(paragraphs)), part))
    return blocks


def _ends_sentence(text, match):
    if match.group().startswith("\n") or not match.group().startswith("."):
        return True
    word = re.search(r"[\w.]*$", text[: match.start()]).group()
    # An abbreviation, an initial ("E."), or letters with full stops ("U.S.") before the full stop.
    return not (word.lower() in ABBREVIATIONS or re.fullmatch(r"[A-Z]|(?:[A-Za-z]\.)+[A-Za-z]", word))


def _sentence_starts(text, start, end):
    inner = [
        match.end()
        for match in SENTENCE_END.finditer(text, start, end)
        if match.end() < end and _ends_sentence(text, match)
    ]
    return [start, *inner, end]


def _clip_left(words):
    if len(words) <= CONTEXT_LIMIT:
        return words
    cut = words[-CONTEXT_LIMIT:]
    return "… " + cut[cut.find(" ") + 1 :] if " " in cut else "… " + cut


def _clip_right(words):
    if len(words) <= CONTEXT_LIMIT:
        return words
    cut = words[:CONTEXT_LIMIT]
    return (cut[: cut.rfind(" ")] if " " in cut else cut) + " …"


def context(text, parts, start, end):
    """(before, after): from the start of the sentence before the quote's to the end of the one
    after it, within the publisher's stretch of text the quote is in (never into a part)."""
    region = next(
        (
            (first, last)
            for first, last, part in publisher_blocks(text, parts)
            if part is None and first <= start < last
        ),
        (0, len(text)),
    )
    starts = _sentence_starts(text, *region)
    # The sentence holding the quote's first character starts at the last start at or before it.
    holding = max(index for index, boundary in enumerate(starts) if boundary <= start)
    before_start = starts[max(0, holding - 1)]
    # The sentence holding the quote's last character ends at the first start after it.
    ending = min((index for index, boundary in enumerate(starts) if boundary >= end), default=len(starts) - 1)
    after_end = starts[min(len(starts) - 1, ending + 1)]
    before = WHITE_SPACE.sub(" ", text[before_start:start]).lstrip()
    after = WHITE_SPACE.sub(" ", text[end:after_end]).rstrip()
    return _clip_left(before), _clip_right(after)
