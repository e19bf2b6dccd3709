"""Small but real image and document bytes for the sample portals.

Crawlers store media as they get it, so the fixtures serve files that real decoders
accept: a baseline JPEG (a mosaic of flat 8x8 blocks), an RGB PNG and a one-page PDF.
Each is derived from a label, so every URL has its own deterministic bytes.
"""

from __future__ import annotations

import hashlib
import struct
import zlib
from functools import cache

_WIDTH, _HEIGHT = 64, 40

# The standard JPEG luminance DC table (ITU T.81, K.3): code lengths 1-16, then symbols.
_DC_BITS = (0, 1, 5, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 0, 0, 0)
_DC_SYMBOLS = tuple(range(12))
# Flat blocks have no AC coefficients, so the AC table holds only end-of-block, code "0".
_AC_BITS = (1,) + (0,) * 15
_AC_SYMBOLS = (0,)


def _huffman_codes(bits: tuple[int, ...], symbols: tuple[int, ...]) -> dict[int, tuple[int, int]]:
    """Canonical Huffman codes: symbol -> (code, length)."""
    codes, code, index = {}, 0, 0
    for length, count in enumerate(bits, start=1):
        for _ in range(count):
            codes[symbols[index]] = (code, length)
            code += 1
            index += 1
        code <<= 1
    return codes


_DC_CODES = _huffman_codes(_DC_BITS, _DC_SYMBOLS)


class _BitWriter:
    """Packs bits MSB first, stuffing a zero byte after every 0xFF as JPEG requires."""

    def __init__(self) -> None:
        self.out = bytearray()
        self.acc = 0
        self.count = 0

    def write(self, value: int, length: int) -> None:
        for shift in range(length - 1, -1, -1):
            self.acc = (self.acc << 1) | ((value >> shift) & 1)
            self.count += 1
            if self.count == 8:
                self.out.append(self.acc)
                if self.acc == 0xFF:
                    self.out.append(0)
                self.acc = self.count = 0

    def flush(self) -> bytes:
        if self.count:
            self.write((1 << (8 - self.count)) - 1, 8 - self.count)
        return bytes(self.out)


def _segment(marker: int, payload: bytes) -> bytes:
    return struct.pack(">HH", 0xFF00 | marker, len(payload) + 2) + payload


def _block_colours(label: str) -> list[tuple[int, int, int]]:
    """One RGB colour per 8x8 block: a warm gradient tinted by the label's hash."""
    digest = hashlib.sha256(label.encode()).digest()
    columns, rows = _WIDTH // 8, _HEIGHT // 8
    colours = []
    for row in range(rows):
        for col in range(columns):
            tint = digest[(row * columns + col) % len(digest)] // 4
            colours.append((90 + col * 16 + tint % 30, 120 + row * 20, 150 + tint))
    return colours


def _ycbcr(r: int, g: int, b: int) -> tuple[int, int, int]:
    y = 0.299 * r + 0.587 * g + 0.114 * b
    cb = 128 - 0.168736 * r - 0.331264 * g + 0.5 * b
    cr = 128 + 0.5 * r - 0.418688 * g - 0.081312 * b
    return tuple(max(0, min(255, round(v))) for v in (y, cb, cr))


@cache
def jpeg(label: str) -> bytes:
    """A 64x40 baseline JPEG whose mosaic and comment depend on ``label``."""
    header = b"".join(
        (
            b"\xff\xd8",
            _segment(0xE0, b"JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00"),
            _segment(0xFE, label.encode()),
            _segment(0xDB, b"\x00" + b"\x01" * 64),
            _segment(
                0xC0,
                struct.pack(">BHHB", 8, _HEIGHT, _WIDTH, 3)
                + b"\x01\x11\x00\x02\x11\x00\x03\x11\x00",
            ),
            _segment(0xC4, b"\x00" + bytes(_DC_BITS) + bytes(_DC_SYMBOLS)),
            _segment(0xC4, b"\x10" + bytes(_AC_BITS) + bytes(_AC_SYMBOLS)),
            _segment(0xDA, b"\x03\x01\x00\x02\x00\x03\x00\x00\x3f\x00"),
        )
    )
    bits = _BitWriter()
    previous = [0, 0, 0]
    for colour in _block_colours(label):
        for component, sample in enumerate(_ycbcr(*colour)):
            dc = 8 * (sample - 128)  # the DC coefficient of a flat block, quantised by 1
            diff, previous[component] = dc - previous[component], dc
            size = abs(diff).bit_length()
            bits.write(*_DC_CODES[size])
            bits.write(diff if diff >= 0 else diff + (1 << size) - 1, size)
            bits.write(0, 1)  # end of block
    return header + bits.flush() + b"\xff\xd9"


def _png_chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


@cache
def png(label: str, width: int = 240, height: int = 60) -> bytes:
    """An RGB PNG banner: a horizontal gradient coloured by ``label``."""
    seed = hashlib.sha256(label.encode()).digest()
    row = bytes(
        channel
        for x in range(width)
        for channel in (seed[0] // 2 + x * 100 // width, 60 + seed[1] // 4, 40 + seed[2] // 3)
    )
    raw = b"".join(b"\x00" + row for _ in range(height))
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + _png_chunk(b"IHDR", ihdr)
        + _png_chunk(b"IDAT", zlib.compress(raw, 9))
        + _png_chunk(b"IEND", b"")
    )


@cache
def pdf(text: str) -> bytes:
    """A one-page PDF printing ``text`` (ASCII) in Helvetica, with a correct xref table."""
    stream = f"BT /F1 14 Tf 60 780 Td ({text}) Tj ET".encode("ascii")
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R "
        b"/Resources << /Font << /F1 5 0 R >> >> >>",
        b"<< /Length %d >>\nstream\n%s\nendstream" % (len(stream), stream),
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n%s\nendobj\n" % (number, body)
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (
        len(objects) + 1,
        xref,
    )
    return bytes(out)
