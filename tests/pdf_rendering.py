"""What a reader of a PDF sees, asked of poppler (pdffonts, pdftotext, pdftoppm): the fonts and whether they are
embedded, the text, and how much ink a region of the first page carries. Tests skip when poppler is missing
(`apt-get install poppler-utils`; ./dev test installs it), or fail under DIGIPARK_REQUIRE_SERVICES=1."""

from __future__ import annotations

import dataclasses
import os
import shutil
import subprocess
import tempfile
from pathlib import Path

from tests.conftest import service_unavailable

POPPLER_TOOLS = ("pdffonts", "pdftotext", "pdftoppm")


def require_poppler() -> None:
    missing = [tool for tool in POPPLER_TOOLS if shutil.which(tool) is None]
    if missing:
        service_unavailable(f"poppler-utils ({', '.join(missing)}): apt-get install poppler-utils")


@dataclasses.dataclass(frozen=True)
class PdfFont:
    name: str
    kind: str
    embedded: bool


def text(content: bytes) -> str:
    require_poppler()
    with tempfile.TemporaryDirectory() as folder:
        source = Path(folder) / "in.pdf"
        source.write_bytes(content)
        arguments = ["pdftotext", "-enc", "UTF-8", str(source), "-"]
        return subprocess.run(arguments, check=True, capture_output=True, timeout=60).stdout.decode("utf-8")


def fonts(content: bytes) -> list[PdfFont]:
    require_poppler()
    with tempfile.TemporaryDirectory() as folder:
        source = Path(folder) / "in.pdf"
        source.write_bytes(content)
        lines = subprocess.run(["pdffonts", str(source)], check=True, capture_output=True, text=True).stdout
    rows = lines.splitlines()[2:]  # a header and a rule of dashes
    found = []
    for row in rows:
        # name, type (may hold spaces), encoding, emb, sub, uni, object number, generation
        fields = row.split()
        found.append(PdfFont(name=fields[0], kind=" ".join(fields[1:-6]), embedded=fields[-5] == "yes"))
    return found


@dataclasses.dataclass(frozen=True)
class Page:
    """The first page rendered at 72 dpi in grey levels (0 black, 255 white), one byte a pixel, row by row."""

    width: int
    height: int
    pixels: bytes

    def ink(self, left: int, top: int, right: int, bottom: int, *, below: int = 160) -> int:
        """The pixels darker than `below` in the box (in points from the top left, 1 pt = 1 px at 72 dpi)."""
        count = 0
        for row in range(max(top, 0), min(bottom, self.height)):
            line = self.pixels[row * self.width + max(left, 0) : row * self.width + min(right, self.width)]
            count += sum(1 for value in line if value < below)
        return count


def first_page(content: bytes) -> Page:
    require_poppler()
    with tempfile.TemporaryDirectory() as folder:
        source = Path(folder) / "in.pdf"
        source.write_bytes(content)
        # a fontconfig without font folders: poppler can draw only what the PDF embeds, as on a phone without
        # Chinese fonts, instead of substituting the machine's own
        no_fonts = Path(folder) / "fonts.conf"
        no_fonts.write_text(f"<fontconfig><cachedir>{folder}/cache</cachedir></fontconfig>", encoding="utf-8")
        environment = {**os.environ, "FONTCONFIG_FILE": str(no_fonts)}
        arguments = ["pdftoppm", "-r", "72", "-gray", "-singlefile", str(source), str(Path(folder) / "page")]
        subprocess.run(arguments, check=True, capture_output=True, timeout=60, env=environment)
        raw = (Path(folder) / "page.pgm").read_bytes()
    # binary PGM: "P5\n<width> <height>\n<maxval>\n" then the pixels
    header, _, rest = raw.partition(b"\n")
    assert header == b"P5", header
    size, _, rest = rest.partition(b"\n")
    _maxval, _, pixels = rest.partition(b"\n")
    width, height = (int(v) for v in size.split())
    return Page(width=width, height=height, pixels=pixels[: width * height])
