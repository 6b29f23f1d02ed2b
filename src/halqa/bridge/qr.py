"""QR-code sequences for small bundles, and scanning them back from images.

A sealed bundle (the age file's bytes) is cut into frames; each frame is one QR code in
alphanumeric mode (denser than byte mode for Base32)::

    HQB1:<TAG>:<I>:<N>:<BASE32 CHUNK>

``TAG`` is the first 10 Base32 characters of the BLAKE2b-128 hash of the whole file, ``I`` counts
from 1 to ``N``. Frames may be scanned in any order and more than once; reassembly checks that all
frames agree, none is missing and the hash of the result matches the tag. The age layer checks
everything else on import. Codes are drawn with ``segno`` and read with ``zxing-cpp``.
"""

from __future__ import annotations

import base64
import hashlib
import io
import os
from collections.abc import Callable, Iterable
from pathlib import Path

from halqa.errors import InvalidInput

__all__ = ["MAX_QR_BUNDLE", "frames", "join_frames", "qr_images", "scan_texts", "terminal_codes"]

PREFIX = "HQB1"
CHUNK = 600  # bytes per frame: 960 Base32 characters, QR version ~20 at level M
#: Bundles above this are refused: a QR sequence is for small bundles (about 110 codes).
MAX_QR_BUNDLE = 64 * 1024


def _tag(data: bytes) -> str:
    return base64.b32encode(hashlib.blake2b(data, digest_size=16, person=b"halqa-qr-v1").digest()).decode()[:10]


def frames(data: bytes, chunk: int = CHUNK) -> list[str]:
    """The frame texts of a bundle (raises :class:`InvalidInput` when it is too big for QR codes)."""
    if len(data) > MAX_QR_BUNDLE:
        raise InvalidInput("bridge.qr_too_large", size=len(data), limit=MAX_QR_BUNDLE)
    tag = _tag(data)
    parts = [data[i:i + chunk] for i in range(0, len(data), chunk)] or [b""]
    n = len(parts)
    return [f"{PREFIX}:{tag}:{i}:{n}:{base64.b32encode(p).decode().rstrip('=')}" for i, p in enumerate(parts, 1)]


def join_frames(texts: Iterable[str]) -> bytes:
    """Reassemble a bundle from frame texts (any order, duplicates allowed, foreign texts ignored)."""
    got: dict[int, bytes] = {}
    tag = total = None
    for text in texts:
        fields = text.strip().split(":")
        if len(fields) != 5 or fields[0] != PREFIX:
            continue
        try:
            i, n = int(fields[2]), int(fields[3])
            pad = "=" * (-len(fields[4]) % 8)
            chunk = base64.b32decode(fields[4] + pad)
        except ValueError:
            raise InvalidInput("bridge.qr_damaged") from None
        if tag is None:
            tag, total = fields[1], n
        # Each frame carries at least one byte: more frames than that is damage, and would make
        # the count of missing frames below run for ages (found by fuzz/).
        if fields[1] != tag or n != total or not 1 <= i <= n or n > MAX_QR_BUNDLE:
            raise InvalidInput("bridge.qr_mixed")
        if got.setdefault(i, chunk) != chunk:
            raise InvalidInput("bridge.qr_damaged")
    if tag is None or total is None:
        raise InvalidInput("bridge.qr_none")
    missing = [i for i in range(1, total + 1) if i not in got]
    if missing:
        raise InvalidInput("bridge.qr_missing", missing=", ".join(map(str, missing[:20])), total=total)
    data = b"".join(got[i] for i in range(1, total + 1))
    if _tag(data) != tag:
        raise InvalidInput("bridge.qr_damaged")
    return data


def qr_images(data: bytes, folder: str | os.PathLike[str], scale: int = 4,
              before: Callable[[Path], Path] | None = None) -> list[Path]:
    """Write one PNG per frame into ``folder`` (``bundle-01-of-12.png``...); return the paths.
    ``before(path)``, if given, is called before each file is written and returns where to write
    it (the CLI lists each file for panic there)."""
    import segno

    out = Path(folder)
    try:
        texts = frames(data)
        paths = []
        for i, text in enumerate(texts, 1):
            path = out / f"bundle-{i:02d}-of-{len(texts):02d}.png"
            if before is not None:
                path = before(path)
            path.parent.mkdir(parents=True, exist_ok=True)
            segno.make(text, error="m", micro=False).save(str(path), kind="png", scale=scale, border=4)
            paths.append(path)
    except OSError as exc:
        raise InvalidInput("bridge.cannot_write", path=str(out), detail=exc.strerror or str(exc)) from None
    return paths


def terminal_codes(data: bytes) -> list[str]:
    """Each frame's QR code drawn with block characters, for showing on a screen."""
    import segno

    out = []
    for text in frames(data):
        buf = io.StringIO()
        segno.make(text, error="m", micro=False).terminal(out=buf, compact=True, border=2)
        out.append(buf.getvalue())
    return out


def scan_texts(images: Iterable[str | os.PathLike[str]]) -> list[str]:
    """Every QR code text found in the images (PNG, JPEG...; photos work if sharp enough)."""
    import zxingcpp
    from PIL import Image, UnidentifiedImageError

    texts: list[str] = []
    for path in images:
        try:
            with Image.open(path) as im:
                found = zxingcpp.read_barcodes(im.convert("L"), formats=zxingcpp.BarcodeFormats(zxingcpp.BarcodeFormat.QRCode))
        except (OSError, UnidentifiedImageError):
            raise InvalidInput("bridge.not_an_image", path=str(path)) from None
        texts.extend(r.text for r in found if r.valid)
    return texts
