"""Markdown to safe HTML: markdown-it (CommonMark + tables, footnotes, strikethrough), then nh3.

Raw HTML in a lesson is not rendered (markdown-it escapes it), and the output is sanitised anyway, so
neither an author's slip nor a learner's text can put script on a page.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from html import unescape

import nh3
from markdown_it import MarkdownIt
from markdown_it.rules_core import StateCore
from mdit_py_plugins.footnote import footnote_plugin

_md = MarkdownIt("commonmark", {"html": False, "linkify": False, "typographer": False}).enable(["table", "strikethrough"])
_md.use(footnote_plugin)

_ALIGNMENTS = {"text-align:left": "align-left", "text-align:center": "align-center", "text-align:right": "align-right"}


def _alignment_classes(state: StateCore) -> None:
    """An aligned table column (`|:--|`) is a class, not the style attribute markdown-it writes: the CSP refuses
    every style attribute, so the alignment never showed, and each cell was a policy violation in the console."""
    for token in state.tokens:
        if token.type in ("th_open", "td_open") and "style" in token.attrs:
            aligned = _ALIGNMENTS.get(str(token.attrs.pop("style")).replace(" ", ""))
            if aligned:
                token.attrSet("class", aligned)


_md.core.ruler.push("alignment_classes", _alignment_classes)

_TAGS = {
    "a",
    "abbr",
    "b",
    "blockquote",
    "br",
    "caption",
    "code",
    "dd",
    "del",
    "div",
    "dl",
    "dt",
    "em",
    "figcaption",
    "figure",
    "h1",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "hr",
    "i",
    "img",
    "li",
    "ol",
    "p",
    "pre",
    "s",
    "section",
    "small",
    "span",
    "strong",
    "sub",
    "sup",
    "table",
    "tbody",
    "td",
    "tfoot",
    "th",
    "thead",
    "tr",
    "ul",
}
_ATTRIBUTES = {
    "a": {"href", "title", "id", "class", "aria-label", "role"},
    "img": {"src", "alt", "title", "width", "height", "loading"},
    "th": {"class", "scope", "colspan", "rowspan"},
    "td": {"class", "colspan", "rowspan"},
    "li": {"id", "class"},
    "ol": {"class", "start"},
    "section": {"class", "role", "aria-label"},
    "sup": {"class", "id"},
    "hr": {"class"},
    "h1": {"id"},
    "h2": {"id"},
    "h3": {"id"},
    "h4": {"id"},
    "figure": {"class"},
    "span": {"class"},
}
_IMG_SRC = re.compile(r'(<img\b[^>]*\bsrc=")([^"]+)(")')
_HEADING = re.compile(r"<h([2-4])>(.*?)</h\1>", re.S)
_FIGURE = re.compile(r'<p><img ([^>]*?) title="([^"]*)"([^>]*)></p>')


def sanitise(html: str) -> str:
    return nh3.clean(
        html,
        tags=_TAGS,
        attributes=_ATTRIBUTES,
        url_schemes={"http", "https", "mailto"},
        link_rel="noopener noreferrer",
    )


def _slug(text: str) -> str:
    """A heading's anchor id. Deliberately not `edu.slugs.slugify`: links to a lesson's sections (shared, bookmarked)
    carry these ids, and that rule would change some of them (it folds accents, "Café" -> "cafe" where this gives
    "caf", and cuts long ids between words), silently breaking those links."""
    plain = re.sub(r"<[^>]+>", "", text)
    return re.sub(r"[^a-z0-9]+", "-", plain.lower()).strip("-")[:60] or "section"


def render_markdown(text: str, image_src: Callable[[str], str | None] | None = None, *, anchors: bool = True) -> str:
    """Render and sanitise; `image_src` maps a figure path as written to the URL it is served at.

    `anchors=False` for a text shown among others on one page (a quiz's prompts and feedback): a heading's id there
    could take the id the page gives a question or its save status (`## Q 3` would shadow `#q-3`)."""
    html = _md.render(text)
    if image_src is not None:

        def _swap(match: re.Match[str]) -> str:
            new = image_src(match.group(2))
            return f"{match.group(1)}{new or ''}{match.group(3)}"

        html = _IMG_SRC.sub(_swap, html)
    seen: dict[str, int] = {}

    def _anchor(match: re.Match[str]) -> str:
        slug = _slug(match.group(2))
        seen[slug] = seen.get(slug, 0) + 1
        if seen[slug] > 1:
            slug = f"{slug}-{seen[slug]}"
        return f'<h{match.group(1)} id="{slug}">{match.group(2)}</h{match.group(1)}>'

    if anchors:
        html = _HEADING.sub(_anchor, html)
    # An image alone in its paragraph with a title is a figure: show the title as its caption.
    html = _FIGURE.sub(r"<figure><img \1\3><figcaption>\2</figcaption></figure>", html)
    return sanitise(html)


def render_inline(text: str) -> str:
    """Markdown for text that sits inside a label or a list item (an option, a matching prompt, an ordering step):
    emphasis, code and links, without the paragraph `render_markdown` wraps around it (a <p> inside a <label> is not
    valid HTML and breaks a radio button's layout). Block syntax (a list, a heading) stays as written."""
    return sanitise(_md.renderInline(text))


def plain_text(text: str) -> str:
    """What a one-line Markdown text reads as without its markup, for places that hold no HTML (a select's
    options): `**Meow**` reads "Meow". The caller escapes it like any text."""
    return unescape(re.sub(r"<[^>]+>", "", render_inline(text)))


def headings(html: str) -> list[tuple[int, str, str]]:
    """(level, anchor, text) of the h2–h4 headings of rendered HTML, for an in-page table of contents."""
    found = re.findall(r'<h([2-4]) id="([^"]+)">(.*?)</h\1>', html, re.S)
    return [(int(level), anchor, re.sub(r"<[^>]+>", "", text)) for level, anchor, text in found]


def scrolling_tables(html: str) -> str:
    """Each table of rendered HTML inside a box that scrolls sideways by itself (`.table-scroll` in app.css): a table
    wider than a phone then scrolls on its own rather than making the whole page scroll sideways (WCAG 1.4.10
    reflow). Applied to stored HTML as a page shows it, not at sync, so lessons already stored get it without a new
    course version. `sanitise` leaves a table tag without attributes, so the tag is matched exactly."""
    return html.replace("<table>", '<div class="table-scroll"><table>').replace("</table>", "</table></div>")
