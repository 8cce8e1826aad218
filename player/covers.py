"""Cover art without Qt: embedded pictures (mutagen) and cover files next to the music."""

from __future__ import annotations

import base64
import logging
import os
from collections.abc import Iterable
from typing import Any

log = logging.getLogger(__name__)

# Preferred names first; each tried with every image suffix, case-insensitively.
COVER_STEMS = ("cover", "folder", "front", "album", "albumart", "albumartsmall")
IMAGE_SUFFIXES = (".jpg", ".jpeg", ".png")
FRONT_COVER = 3


def find_folder_cover(folder: str, names: Iterable[str]) -> str | None:
    """Pick the cover file among the file ``names`` of ``folder`` (e.g. ``Cover.JPG``)."""
    best: tuple[int, int, str] | None = None
    for name in names:
        stem, suffix = os.path.splitext(name.lower())
        if suffix not in IMAGE_SUFFIXES or stem not in COVER_STEMS:
            continue
        rank = (COVER_STEMS.index(stem), IMAGE_SUFFIXES.index(suffix), name)
        if best is None or rank < best:
            best = rank
    return os.path.join(folder, best[2]) if best else None


def cover_bytes(path: str, cover_path: str | None, has_embedded: bool) -> bytes | None:
    """Return the track's cover image: the embedded front cover, else the folder file, else None."""
    if has_embedded:
        data = embedded_cover(path)
        if data:
            return data
    if cover_path:
        try:
            with open(cover_path, "rb") as handle:
                return handle.read()
        except OSError as error:
            log.warning("Cannot read cover %s: %s", cover_path, error)
    return None


def embedded_cover(path: str) -> bytes | None:
    """Return the embedded picture of ``path`` (the front cover if marked), or None."""
    # Imported here: the window imports this module before it is shown, and mutagen's modules
    # take a tenth of a second to import on a busy machine; a cover is read only later.
    import mutagen
    from mutagen.flac import Picture
    from mutagen.id3 import ID3
    from mutagen.mp4 import MP4Tags

    try:
        audio: Any = mutagen.File(path)
    except Exception as error:  # a broken file simply has no cover
        log.warning("Cannot read embedded cover of %s: %s", path, error)
        return None
    if audio is None:
        return None
    tags = audio.tags
    pictures: list[tuple[int, bytes]] = []
    if isinstance(tags, ID3):
        pictures = [(frame.type, frame.data) for frame in tags.getall("APIC")]
    elif isinstance(tags, MP4Tags):
        pictures = [(FRONT_COVER, bytes(data)) for data in tags.get("covr", [])]
    else:
        pictures = [(p.type, p.data) for p in getattr(audio, "pictures", [])]
        if tags is not None and hasattr(tags, "get"):
            for encoded in tags.get("metadata_block_picture", []):
                try:
                    picture = Picture(base64.b64decode(encoded))
                except Exception:  # skip a malformed picture block
                    continue
                pictures.append((picture.type, picture.data))
    if not pictures:
        return None
    pictures.sort(key=lambda item: item[0] != FRONT_COVER)
    return pictures[0][1]
