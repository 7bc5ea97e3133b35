"""Build the CJK font every PDF of the platform embeds: src/digipark/core/fonts/DigiparkSansSC.ttf.

Run once (the result is committed); rerun after adding characters the platform prints:

    apt-get install fonts-noto-cjk          # Debian's Noto Sans CJK (SIL Open Font License 1.1)
    pip install fonttools
    python tools/make_pdf_font.py

What it does:
1. takes Noto Sans CJK SC Regular from Debian's fonts-noto-cjk (an OpenType collection with CFF outlines);
2. keeps the characters of GB 2312 (every two-byte code the `gb2312` codec decodes: 6,763 hanzi and 682 other
   symbols), ASCII and Latin-1, general punctuation, letter-like symbols, arrows, mathematical operators, CJK
   punctuation, full-width forms, the sub- and superscripts of units (CO₂, m³), and every character found in the
   package's Chinese catalogues, templates and data files;
3. converts the cubic CFF outlines to quadratic TrueType outlines (fontTools' cu2qu), because reportlab embeds
   only TrueType-outline fonts;
4. renames the family to "Digipark Sans SC" (a modified version under the OFL; "Noto" is Google's trademark) and
   writes it with its licence text beside it (OFL.txt).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from fontTools import subset
from fontTools.pens.cu2quPen import Cu2QuPen
from fontTools.pens.ttGlyphPen import TTGlyphPen
from fontTools.ttLib import TTCollection, TTFont, newTable

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "src" / "digipark"
SOURCE = Path("/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc")
SOURCE_FONT_NAME = "Noto Sans CJK SC"
LICENCE_SOURCE = Path("/usr/share/doc/fonts-noto-cjk/copyright")
TARGET = PACKAGE / "core" / "fonts" / "DigiparkSansSC.ttf"
FAMILY = "Digipark Sans SC"
POSTSCRIPT_NAME = "DigiparkSansSC-Regular"
MAX_ERROR_UNITS = 1.0  # cu2qu's tolerance in font units (1/1000 em): invisible at any print size

EXTRA_RANGES = (
    (0x0020, 0x007E),  # ASCII
    (0x00A0, 0x00FF),  # Latin-1 (°, ±, ×, µ, ², ³, ·)
    (0x0391, 0x03C9),  # Greek (β, Δ, μ)
    (0x2000, 0x206F),  # general punctuation (‰, –, —, …)
    (0x2070, 0x209F),  # super- and subscripts (CO₂, m³)
    (0x2100, 0x214F),  # letter-like symbols (℃, №)
    (0x2150, 0x218F),  # number forms (Ⅰ–Ⅻ)
    (0x2190, 0x21FF),  # arrows
    (0x2200, 0x22FF),  # mathematical operators (≥, ≤, ≈)
    (0x2460, 0x24FF),  # enclosed numbers (①)
    (0x25A0, 0x25FF),  # geometric shapes (■, ●)
    (0x3000, 0x303F),  # CJK punctuation
    (0x3200, 0x33FF),  # enclosed CJK and CJK compatibility (㎡, ㎥)
    (0xFF00, 0xFFEF),  # full-width forms
)
SCANNED_SUFFIXES = (".po", ".html", ".yaml", ".json", ".py")


def gb2312_characters() -> set[str]:
    characters = set()
    for high in range(0xA1, 0xF8):
        for low in range(0xA1, 0xFF):
            try:
                characters.add(bytes((high, low)).decode("gb2312"))
            except UnicodeDecodeError:
                continue
    return characters


def package_characters() -> set[str]:
    characters: set[str] = set()
    for path in PACKAGE.rglob("*"):
        if path.suffix in SCANNED_SUFFIXES and path.is_file():
            characters.update(path.read_text(encoding="utf-8", errors="ignore"))
    return {c for c in characters if ord(c) >= 0x2E80}  # CJK and beyond; Latin is covered by the ranges


def wanted_codepoints() -> set[int]:
    codepoints = {ord(c) for c in gb2312_characters() | package_characters()}
    for first, last in EXTRA_RANGES:
        codepoints.update(range(first, last + 1))
    return codepoints


def subset_font(font: TTFont, codepoints: set[int]) -> None:
    options = subset.Options()
    options.layout_features = []  # reportlab neither shapes nor sets vertical text
    options.drop_tables += ["BASE", "GDEF", "GPOS", "GSUB", "VORG", "vhea", "vmtx", "DSIG"]
    options.hinting = False
    options.desubroutinize = True
    options.notdef_outline = True
    options.name_IDs = ["*"]
    subsetter = subset.Subsetter(options)
    subsetter.populate(unicodes=codepoints)
    subsetter.subset(font)


def cff_to_truetype(font: TTFont) -> None:
    glyph_order = font.getGlyphOrder()
    glyph_set = font.getGlyphSet()
    glyphs = {}
    for name in glyph_order:
        pen = TTGlyphPen(glyph_set)
        glyph_set[name].draw(Cu2QuPen(pen, MAX_ERROR_UNITS, reverse_direction=True))
        glyphs[name] = pen.glyph()
    del font["CFF "]
    font["loca"] = newTable("loca")
    glyf = font["glyf"] = newTable("glyf")
    glyf.glyphOrder = glyph_order
    glyf.glyphs = glyphs
    for name in glyph_order:
        glyphs[name].recalcBounds(glyf)
    font["head"].glyphDataFormat = 0
    font["head"].indexToLocFormat = 1
    maxp = font["maxp"]
    maxp.tableVersion = 0x00010000
    for field in (
        "maxZones",
        "maxTwilightPoints",
        "maxStorage",
        "maxFunctionDefs",
        "maxInstructionDefs",
        "maxStackElements",
        "maxSizeOfInstructions",
        "maxComponentElements",
    ):
        setattr(maxp, field, 0)
    maxp.maxZones = 1
    post = font["post"]
    post.formatType = 3.0  # no glyph names: CID-keyed names mean nothing outside the collection
    font.sfntVersion = "\x00\x01\x00\x00"


def rename(font: TTFont) -> None:
    names = font["name"]
    replacements = {1: FAMILY, 3: f"{POSTSCRIPT_NAME};digipark", 4: FAMILY, 6: POSTSCRIPT_NAME}
    for record in names.names:
        if record.nameID in replacements:
            record.string = replacements[record.nameID]
        elif record.nameID in (16, 17, 18, 21, 22):
            record.string = ""
    names.names = [r for r in names.names if r.toUnicode()]
    names.setName(
        "Digipark Sans SC is a subset of Noto Sans CJK SC Regular converted to TrueType outlines.",
        10,
        3,
        1,
        0x409,
    )


def build(target: Path) -> None:
    if not SOURCE.exists():
        sys.exit(f"{SOURCE} missing: apt-get install fonts-noto-cjk")
    font = TTFont(SOURCE, fontNumber=_font_number(SOURCE_FONT_NAME))
    subset_font(font, wanted_codepoints())
    cff_to_truetype(font)
    rename(font)
    target.parent.mkdir(parents=True, exist_ok=True)
    font.save(target)
    _write_licence(target.parent / "OFL.txt")
    mapped = len(TTFont(target)["cmap"].getBestCmap())
    print(f"{target.relative_to(ROOT)}: {target.stat().st_size / 1e6:.2f} MB, {mapped} characters")


def _font_number(wanted: str) -> int:
    for number, font in enumerate(TTCollection(SOURCE, lazy=True).fonts):
        if font["name"].getDebugName(4) == wanted:
            return number
    sys.exit(f"{wanted!r} not found in {SOURCE}")


def _write_licence(path: Path) -> None:
    text = LICENCE_SOURCE.read_text(encoding="utf-8")
    body = text.split("License: SIL-1.1\n", 2)[-1].split("\nLicense: ", 1)[0]
    lines = [line[1:] if line.startswith(" ") else line for line in body.splitlines()]
    licence = "\n".join("" if line == "." else line for line in lines).strip()
    header = (
        "Digipark Sans SC (DigiparkSansSC.ttf) is a Modified Version of Noto Sans CJK SC Regular 2.004\n"
        "(© 2014-2021 Adobe, https://github.com/googlefonts/noto-cjk; Noto is a trademark of Google Inc.),\n"
        "taken from Debian's fonts-noto-cjk, subset and converted to TrueType outlines by tools/make_pdf_font.py.\n"
        "It is distributed under the SIL Open Font License, Version 1.1:\n\n"
    )
    path.write_text(header + licence + "\n", encoding="utf-8")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", type=Path, default=TARGET)
    build(parser.parse_args().out)


if __name__ == "__main__":
    main()
