"""The one font every PDF of the platform is written in, embedded so that any viewer shows its Chinese text.

`fonts/DigiparkSansSC.ttf` is a subset of Noto Sans CJK SC (GB 2312, Latin, units and every character of the
package's catalogues and data) with TrueType outlines, built by `tools/make_pdf_font.py` (SIL Open Font
License 1.1, `fonts/OFL.txt`). reportlab embeds the glyphs a document uses. A PDF builder writes every text in
`FONT` and builds its document with `canvas_maker()`, whose canvas starts in that font too (reportlab's own
canvas starts every page in Helvetica, a font no PDF carries).
"""

from __future__ import annotations

import functools
import threading
from pathlib import Path
from typing import Any

FONT = "DigiparkSansSC"
FONT_FILE = Path(__file__).with_name("fonts") / "DigiparkSansSC.ttf"

_lock = threading.Lock()


def register() -> str:
    """Register the font with reportlab (once per process) and answer its name."""
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.ttfonts import TTFont

    with _lock:
        if FONT not in pdfmetrics.getRegisteredFontNames():
            pdfmetrics.registerFont(TTFont(FONT, str(FONT_FILE)))
            pdfmetrics.registerFontFamily(FONT, normal=FONT, bold=FONT, italic=FONT, boldItalic=FONT)
    return FONT


@functools.cache
def canvas_maker() -> Any:
    """The canvas class for `SimpleDocTemplate.build(..., canvasmaker=canvas_maker())`: it starts in `FONT`
    whatever initial font the document template passes."""
    from reportlab.pdfgen.canvas import Canvas

    register()

    class EmbeddedFontCanvas(Canvas):  # type: ignore[misc]
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            kwargs["initialFontName"] = FONT
            super().__init__(*args, **kwargs)

    return EmbeddedFontCanvas
