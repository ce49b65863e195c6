"""PDF documents from one self-contained HTML page (WeasyPrint), with no network access.

Letters and reports are written as HTML (one template per document) and turned into PDF here.
Only `data:` and local `file:` resources are ever loaded: text a citizen typed can end up in a
document, and a document must never make the server fetch a URL.
"""

from __future__ import annotations

import asyncio

# A4 with the margins of an Indonesian official letter (Permendagri 1/2023 tata naskah dinas
# uses 2-3 cm); body text in DejaVu, which Debian installs and which covers every script a name
# may be written in.
PRINT_STYLE = """
@page { size: A4; margin: 2cm 2cm 2cm 2.5cm; }
body { font-family: "DejaVu Serif", serif; font-size: 11pt; line-height: 1.35; color: #000; }
"""


LOCAL_RESOURCES = frozenset({"data", "file"})


def html_to_pdf(html: str) -> bytes:
    """The PDF of `html`; remote resources are refused, so rendering never touches the network."""
    # Loaded with the first PDF, not with the module: WeasyPrint (Pango, fontTools) takes about
    # a second to import, and most `loket` commands never render a document.
    from weasyprint import HTML
    from weasyprint.urls import URLFetcher

    fetcher = URLFetcher(timeout=5, allowed_protocols=LOCAL_RESOURCES)
    document = HTML(string=html, url_fetcher=fetcher, base_url=".")
    return document.write_pdf()  # type: ignore[no-any-return]


async def render_pdf(html: str) -> bytes:
    """`html_to_pdf` in a worker thread, so a long document never stalls the event loop."""
    return await asyncio.to_thread(html_to_pdf, html)
