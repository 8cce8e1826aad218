"""Cover art thumbnails: scaled once from embedded or folder art, cached as PNG files."""

from __future__ import annotations

import hashlib
import logging
import os
import threading
from pathlib import Path

from PySide6.QtCore import QSize, Qt
from PySide6.QtGui import QImage, QPixmap

from player.covers import cover_bytes

log = logging.getLogger(__name__)


class CoverCache:
    """Thumbnails of one size, kept in ``folder`` (the cache dir) keyed by source and mtime."""

    def __init__(self, folder: Path, size: int = 256) -> None:
        self._folder = folder
        self._size = size
        self._memory: dict[str, QPixmap | None] = {}

    def thumbnail(self, path: str, cover_path: str | None, has_embedded: bool) -> QPixmap | None:
        """The cover for a track, or None when it has none (or it cannot be read)."""
        key = self._key(path, cover_path, has_embedded)
        if key is None:
            return None
        if key in self._memory:
            return self._memory[key]
        image = self._load(key, path, cover_path, has_embedded)
        pixmap = None if image is None else QPixmap.fromImage(image)
        if len(self._memory) > 64:
            self._memory.clear()
        self._memory[key] = pixmap
        return pixmap

    def image(self, path: str, cover_path: str | None, has_embedded: bool) -> QImage | None:
        """The cover as an image: safe on a worker thread (no pixmap, no shared state)."""
        key = self._key(path, cover_path, has_embedded)
        return None if key is None else self._load(key, path, cover_path, has_embedded)

    def thumbnail_file(self, path: str, cover_path: str | None, has_embedded: bool) -> Path | None:
        """The thumbnail as a PNG file (made now if need be), for other programs to show."""
        if self.thumbnail(path, cover_path, has_embedded) is None:
            return None
        key = self._key(path, cover_path, has_embedded)
        file = self._folder / f"{key}.png"
        return file if key is not None and file.is_file() else None

    def _key(self, path: str, cover_path: str | None, has_embedded: bool) -> str | None:
        source = path if has_embedded else cover_path
        if not source:
            return None
        try:
            mtime = os.stat(source).st_mtime_ns
        except OSError:
            return None
        return hashlib.sha1(f"{source}\0{mtime}\0{self._size}".encode()).hexdigest()

    def _load(
        self, key: str, path: str, cover_path: str | None, has_embedded: bool
    ) -> QImage | None:
        file = self._folder / f"{key}.png"
        if file.is_file():
            cached = QImage(str(file))
            if not cached.isNull():
                return cached
        try:
            data = cover_bytes(path, cover_path, has_embedded)
        except Exception:  # a damaged tag must not break the now-playing panel or the browser
            log.warning("cannot read cover of %s", path, exc_info=True)
            return None
        if not data:
            return None
        image = QImage.fromData(data)
        if image.isNull():
            return None
        image = image.scaled(
            QSize(self._size, self._size),
            Qt.AspectRatioMode.KeepAspectRatio,
            Qt.TransformationMode.SmoothTransformation,
        )
        try:
            self._folder.mkdir(parents=True, exist_ok=True)
            # Written under a temporary name: a worker and the GUI thread may cache one cover.
            tmp = file.with_name(f"{file.stem}.{threading.get_ident()}.tmp")
            image.save(str(tmp), "PNG")
            os.replace(tmp, file)
        except OSError:
            log.warning("cannot cache cover in %s", file, exc_info=True)
        return image
