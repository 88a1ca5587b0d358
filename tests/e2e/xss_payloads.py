"""Cross-site scripting payloads for the browser attack suite (tests/e2e/test_xss.py).

Written for this project in the style of the classic public cheat sheets (OWASP's XSS filter evasion list,
the HTML5 and mutation-XSS classics): script tags, event handlers, javascript: and data: URLs in HTML and in
Markdown, entity and Unicode variants, attribute and element breakouts, style tricks, mutation XSS and template
injection. None is copied from a file; each is typed out here.

Every payload that would run script does one thing a test can see: ``alert(n)`` (a dialog) or ``window.__xss=n``,
where n is the payload's number, so a payload that ran is named by the dialog or the value it left. ``§`` marks
where the number goes. Template-injection payloads compute ``7*191`` (1337) or ``7*7`` (49): the page must show
them as written. NUL and lone surrogates are left out on purpose: the request guard refuses them before any view
runs (tests/functional covers that), so no page can ever show them.
"""

from __future__ import annotations

import base64
from dataclasses import dataclass


@dataclass(frozen=True)
class Payload:
    number: int
    text: str

    @property
    def marker(self) -> str:
        """Plain letters and digits, written beside the payload, to find where it was shown."""
        return f"Xq{self.number:03d}q"


def _b64_script(n: int) -> str:
    return base64.b64encode(f"<script>alert({n})</script>".encode()).decode()


_TEMPLATES: tuple[str, ...] = (
    # script elements
    "<script>alert(§)</script>",
    "<SCRIPT>alert(§)</SCRIPT>",
    "<ScRiPt>window.__xss=§</sCrIpT>",
    "<script src=data:,alert(§)></script>",
    "<script/x>alert(§)</script>",
    "<script\n>alert(§)</script\n>",
    "<script\x0c>alert(§)</script>",
    "<scr<script>ipt>alert(§)</scr</script>ipt>",
    "</script><script>alert(§)</script>",
    "<script>/*</script><script>*/alert(§)</script>",
    # event handlers on images and their relatives
    "<img src=x onerror=alert(§)>",
    '<img src="x" onerror="alert(§)">',
    "<IMG SRC=x OnErRoR=alert(§)>",
    '<img src=x onerror="window.__xss=§">',
    "<img/src=x/onerror=alert(§)>",
    "<img src onerror=alert(§)>",
    "<img src=x onerror=alert`§`>",
    "<img src=x:alert(alt) onerror=eval(src) alt=§>",
    "<img src=x onerror=&#97;&#108;&#101;&#114;&#116;&#40;§&#41;>",
    "<img src=x onerror=\\u0061lert(§)>",
    "<img src=x onerror=eval('\\x61lert(§)')>",
    "<img src=x\x0bonerror=alert(§)>",
    "<image src=x onerror=alert(§)>",
    "<img src=`x`onerror=alert(§)>",
    "<picture><source srcset=x><img src=x onerror=alert(§)></picture>",
    # svg
    "<svg onload=alert(§)>",
    "<svg/onload=alert(§)>",
    "<svg><script>alert(§)</script></svg>",
    "<svg><script>&#97;lert(§)</script></svg>",
    "<svg><script href=data:,alert(§) />",
    "<svg><animate onbegin=alert(§) attributeName=x dur=1s>",
    "<svg><set onbegin=alert(§) attributeName=x to=1>",
    "<svg><a><animate attributeName=href values=javascript:alert(§) /><text x=20 y=20>X</text></a></svg>",
    "<svg><foreignObject><img src=x onerror=alert(§)></foreignObject></svg>",
    "<svg><style><img src=x onerror=alert(§)></style></svg>",
    "<svg><use href=\"data:image/svg+xml,<svg id='x' xmlns='http://www.w3.org/2000/svg'><image href='1' onerror='alert(§)'/></svg>#x\"/></svg>",
    # other elements with handlers
    "<body onload=alert(§)>",
    "<body/onpageshow=alert(§)>",
    "<details open ontoggle=alert(§)>",
    "<details/open/ontoggle=window.__xss=§>",
    "<video><source onerror=alert(§)></video>",
    "<video src=x onerror=alert(§)>",
    "<audio src=x onerror=alert(§)>",
    "<input autofocus onfocus=alert(§)>",
    "<select autofocus onfocus=alert(§)>",
    "<textarea autofocus onfocus=alert(§)>",
    "<keygen autofocus onfocus=alert(§)>",
    "<a onfocus=alert(§) autofocus href=#>x</a>",
    "<marquee onstart=alert(§)>x</marquee>",
    "<div onmouseover=alert(§)>hover</div>",
    "<x onclick=alert(§)>click</x>",
    "<iframe onload=alert(§)>",
    "<style onload=alert(§)></style>",
    "<link rel=stylesheet href=x onerror=alert(§)>",
    "<object data=javascript:alert(§)>",
    "<embed src=javascript:alert(§)>",
    '<object type=text/html data="data:text/html,<script>alert(§)</script>"></object>',
    "<form><button formaction=javascript:alert(§)>x</button></form>",
    "<form action=javascript:alert(§)><input type=submit>",
    "<isindex action=javascript:alert(§) type=image>",
    "<table background=javascript:alert(§)>",
    # javascript: and data: URLs in HTML
    '<a href="javascript:alert(§)">x</a>',
    "<a href=JaVaScRiPt:alert(§)>x</a>",
    '<a href="jav&#x09;ascript:alert(§)">x</a>',
    '<a href="&#106;&#97;&#118;&#97;&#115;&#99;&#114;&#105;&#112;&#116;&#58;alert(§)">x</a>',
    '<a href="&#x6A;avascript:alert(§)">x</a>',
    '<a href=" javascript:alert(§)">x</a>',
    '<a href="java\nscript:alert(§)">x</a>',
    '<a href="javascript&colon;alert(§)">x</a>',
    '<a href="&#14;javascript:alert(§)">x</a>',
    '<a href="vbscript:alert(§)">x</a>',
    '<a href="data:text/html;base64,{b64}">x</a>',
    "<iframe src=javascript:alert(§)>",
    '<iframe srcdoc="<script>alert(§)</script>">',
    '<iframe srcdoc="&lt;img src=x onerror=alert(§)&gt;">',
    '<meta http-equiv="refresh" content="0;url=javascript:alert(§)">',
    '<base href="javascript:alert(§)//">',
    '<math><a xlink:href="javascript:alert(§)">x</a></math>',
    '<math href="javascript:alert(§)">x</math>',
    # Markdown links and images
    "[x](javascript:alert(§))",
    "[x](JaVaScRiPt:alert(§))",
    "[x](javascript&#58;alert(§))",
    "[x](&#106;avascript:alert(§))",
    "[x](<javascript:alert(§)>)",
    '[x](javascript:alert(§) "title")',
    "[x](vbscript:alert(§))",
    "[x](data:text/html,<script>alert(§)</script>)",
    "[x](data:text/html;base64,{b64})",
    "![x](javascript:alert(§))",
    '![x](x" onerror="alert(§))',
    '![x](/x.png "a\\" onerror=\\"alert(§)")',
    "[x](/x \"t' onclick='alert(§)\")",
    '[x](#" onmouseover="alert(§))',
    "<javascript:alert(§)>",
    "[x][r]\n\n[r]: javascript:alert(§)",
    "[<img src=x onerror=alert(§)>](/x)",
    "![<img src=x onerror=alert(§)>](/x.png)",
    "[x](/x.png)<!-- --><img src=x onerror=alert(§)>",
    # Markdown blocks around HTML
    "# <img src=x onerror=alert(§)>",
    "> <script>alert(§)</script>",
    "- <details open ontoggle=alert(§)>",
    "~~<img src=x onerror=alert(§)>~~",
    "**<svg/onload=alert(§)>**",
    "`<script>alert(§)</script>`",
    "```html\n<script>alert(§)</script>\n```",
    "| a | b |\n|---|---|\n| <img src=x onerror=alert(§)> | x |",
    "| a |\n|:--|\n| <svg onload=alert(§)> |",
    "x[^1]\n\n[^1]: <svg onload=alert(§)>",
    '<div markdown="1">[x](javascript:alert(§))</div>',
    "\\<script>alert(§)\\</script>",
    # attribute, element and context breakouts
    '"><svg onload=alert(§)>',
    "'><svg onload=alert(§)>",
    '" onmouseover="alert(§)',
    "' onfocus='alert(§)' autofocus='",
    '" autofocus onfocus="alert(§)',
    '"><script>alert(§)</script>',
    '"><img src=x onerror=alert(§)>',
    "</textarea><script>alert(§)</script>",
    "</title><script>alert(§)</script>",
    "</option></select><img src=x onerror=alert(§)>",
    "</style><script>alert(§)</script>",
    "--><script>alert(§)</script>",
    "]]><script>alert(§)</script>",
    "</code></pre><script>alert(§)</script>",
    "</noscript><img src=x onerror=alert(§)>",
    "</svg><img src=x onerror=alert(§)>",
    "</script><svg onload=alert(§)>",
    "javascript:alert(§)",
    "';alert(§);//",
    '";alert(§);//',
    '\\";alert(§);//',
    # style and expression
    '<div style="background:url(javascript:alert(§))">x</div>',
    '<div style="width:expression(alert(§))">x</div>',
    "<style>@import 'javascript:alert(§)';</style>",
    '<style>*{background:url("javascript:alert(§)")}</style>',
    '<p style="x:expr/**/ession(alert(§))">x</p>',
    '<td style="text-align:left;background:url(javascript:alert(§))">x</td>',
    '<table><tr><th style="text-align:center" onclick=alert(§)>x</th></tr></table>',
    # mutation XSS classics
    '<noscript><p title="</noscript><img src=x onerror=alert(§)>">',
    '<math><mtext><table><mglyph><style><!--</style><img title="--&gt;&lt;img src=x onerror=alert(§)&gt;">',
    '<svg></p><style><a id="</style><img src=1 onerror=alert(§)>">',
    '<math><mi//xlink:href="data:x,<script>alert(§)</script>">',
    "<form><math><mtext></form><form><mglyph><style></math><img src onerror=alert(§)>",
    '<!--<img src="--><img src=x onerror=alert(§)//">',
    "<listing>&lt;img src=x onerror=alert(§)&gt;</listing>",
    "<xmp><img src=x onerror=alert(§)></xmp>",
    "<template><img src=x onerror=alert(§)></template>",
    '<a href="javas&Tab;cript:alert(§)">x</a>',
    # encodings as text: must stay text, never decode into markup
    "&lt;script&gt;alert(§)&lt;/script&gt;",
    "&#60;img src=x onerror=alert(§)&#62;",
    "\\u003cscript\\u003ealert(§)\\u003c/script\\u003e",
    "%3Cscript%3Ealert(§)%3C/script%3E",
    "%00<script>alert(§)</script>",
    # Unicode variants a database can store
    "\uff1cscript\uff1ealert(§)\uff1c/script\uff1e",
    "<scr\u0130pt>alert(§)</scr\u0130pt>",
    "\u2028<script>alert(§)</script>",
    "\ufeff<img src=x onerror=alert(§)>",
    "<img src=x onerror=alert(§)\u200b>",
    "\u202e<svg onload=alert(§)>",
    "<svg\u00a0onload=alert(§)>",
    # template injection: shown as written, never computed
    "{{7*7}}",
    "tpl{{7*191}}end",
    "tpl{% print(7*191) %}end",
    "tpl${7*191}end",
    "tpl#{7*191}end",
    "tpl<%= 7*191 %>end",
    "{{config}}{{''.__class__.__mro__}}",
    "{{constructor.constructor('alert(§)')()}}",
    "${alert(§)}",
)

PAYLOADS: tuple[Payload, ...] = tuple(
    Payload(n, template.replace("{b64}", _b64_script(n)).replace("§", str(n))) for n, template in enumerate(_TEMPLATES, start=1)
)

TEMPLATE_RESULTS: tuple[str, ...] = ("tpl1337end", "49 Xq")
"""What a computed template payload would leave on a page: 7*191 between its delimiters, or {{7*7}} as 49 just
before the marker written beside it."""


def fitting(limit: int, *, one_line: bool = False) -> list[Payload]:
    """The payloads a field of at most ``limit`` characters can hold with the marker beside them."""
    return [
        p
        for p in PAYLOADS
        if len(p.text) + len(p.marker) + 1 <= limit and not (one_line and any(c in p.text for c in "\n\r\x0b\x0c\u2028"))
    ]
