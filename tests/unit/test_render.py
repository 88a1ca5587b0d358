"""Lesson Markdown: a real parser's features, and nothing unsafe reaches the page."""

from edu.content.render import headings, plain_text, render_inline, render_markdown, sanitise


def test_tables_footnotes_and_strikethrough() -> None:
    html = render_markdown("| a | b |\n|---|---|\n| 1 | 2 |\n\nClaim.[^1] ~~old~~\n\n[^1]: Source 2020.\n")
    assert "<table>" in html and "<td>1</td>" in html
    assert 'class="footnote-ref"' in html and "Source 2020." in html
    assert "<s>old</s>" in html


def test_figures_keep_alt_text_and_get_served_urls() -> None:
    html = render_markdown('![Alt words](../figures/a.svg "Caption")', lambda src: f"/assets/{src[-5:]}")
    assert 'alt="Alt words"' in html and 'src="/assets/a.svg"' in html
    assert "<figure><img" in html and "<figcaption>Caption</figcaption></figure>" in html
    inline = render_markdown('Text with ![an icon](../figures/a.svg "Tip") inline.', lambda src: "/assets/x")
    assert "<figure>" not in inline and 'title="Tip"' in inline


def test_raw_html_is_shown_as_text_not_run() -> None:
    html = render_markdown("<script>alert(1)</script>\n\n<img src=x onerror=alert(1)>")
    assert "<script" not in html and "<img" not in html
    assert "&lt;script&gt;" in html and "&lt;img src=x onerror=alert(1)&gt;" in html


def test_javascript_links_are_removed() -> None:
    html = render_markdown("[click](javascript:alert(1)) and [ok](https://example.org)")
    assert 'href="javascript' not in html
    assert 'href="https://example.org"' in html
    assert sanitise('<a href="javascript:alert(1)">x</a>') == '<a rel="noopener noreferrer">x</a>'


def test_sanitise_strips_event_handlers_and_styles() -> None:
    assert sanitise('<p onclick="x()" style="color:red">hi</p>') == "<p>hi</p>"


def test_headings_get_anchors_for_the_table_of_contents() -> None:
    html = render_markdown("## What it is\n\ntext\n\n## What it is\n\n### Detail *here*\n")
    assert headings(html) == [
        (2, "what-it-is", "What it is"),
        (2, "what-it-is-2", "What it is"),
        (3, "detail-here", "Detail here"),
    ]


def test_aligned_columns_are_classes_not_style_attributes() -> None:
    """The CSP refuses style attributes: an aligned column must still align, and put no violation on the console."""
    html = render_markdown("| a | b | c | d |\n|:--|:-:|--:|---|\n| 1 | 2 | 3 | 4 |\n")
    assert "style=" not in html
    assert '<th class="align-left">a</th>' in html and '<td class="align-center">2</td>' in html
    assert '<td class="align-right">3</td>' in html and "<td>4</td>" in html
    assert (
        sanitise('<table><tr><td style="text-align:left">x</td></tr></table>')
        == "<table><tbody><tr><td>x</td></tr></tbody></table>"
    )


def test_inline_markdown_for_labels_has_no_paragraph_and_nothing_unsafe() -> None:
    """Options, matching prompts and ordering steps sit in labels: emphasis, code and links, no <p> around them."""
    html = render_inline("**Bold** `code` [a link](https://example.org) <script>alert(1)</script>")
    assert html == (
        '<strong>Bold</strong> <code>code</code> <a href="https://example.org" rel="noopener noreferrer">a link</a> '
        "&lt;script&gt;alert(1)&lt;/script&gt;"
    )
    assert render_inline("- not a list") == "- not a list" and render_inline("# nor a heading") == "# nor a heading"
    assert 'href="javascript' not in render_inline("[x](javascript:alert(1))")
    assert render_inline('<img src=x onerror="alert(1)">') == '&lt;img src=x onerror="alert(1)"&gt;'


def test_plain_text_is_the_words_without_the_markup() -> None:
    """A select's option holds no markup: `**Meow**` reads Meow; markup-like text stays text (the page escapes it)."""
    assert plain_text("**Meow** and *purr*") == "Meow and purr"
    assert plain_text("<b>x</b> & y") == "<b>x</b> & y"
    assert plain_text("[the guide](https://example.org)") == "the guide"


def test_each_table_scrolls_in_its_own_box() -> None:
    """A lesson's table wider than a phone scrolls by itself, not the whole page: every rendered table sits in one
    .table-scroll box, and nothing else changes."""
    from edu.content.render import scrolling_tables

    html = render_markdown("Before\n\n| a | b |\n|---|---|\n| 1 | 2 |\n\nBetween\n\n| c |\n|:-:|\n| 3 |\n")
    wrapped = scrolling_tables(html)
    assert wrapped.count('<div class="table-scroll"><table>') == 2 == wrapped.count("</table></div>")
    assert wrapped.replace('<div class="table-scroll">', "").replace("</table></div>", "</table>") == html


def test_a_text_among_others_gets_no_heading_ids() -> None:
    """A quiz page holds many prompts: an author's `## Q 3` must not take the id the page gives question 3."""
    assert 'id="q-3"' in render_markdown("## Q 3\n\nWhich nerve?")
    html = render_markdown("## Q 3\n\nWhich nerve?", anchors=False)
    assert "<h2>Q 3</h2>" in html and " id=" not in html
