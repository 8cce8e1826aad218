"""Cover art thumbnails: scaled once from embedded or folder art, cached as PNG files."""

from __future__ import annotations

import hashlib
import logging
import os
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
        source = path if has_embedded else cover_path
        if not source:
            return None
        try:
            mtime = os.stat(source).st_mtime_ns
        except OSError:
            return None
        key = hashlib.sha1(f"{source}\0{mtime}\0{self._size}".encode()).hexdigest()
        if key in self._memory:
            return self._memory[key]
        pixmap = self._load(key, path, cover_path, has_embedded)
        if len(self._memory) > 64:
            self._memory.clear()
        self._memory[key] = pixmap
        return pixmap

    def _load(
        self, key: str, path: str, cover_path: str | None, has_embedded: bool
    ) -> QPixmap | None:
        file = self._folder / f"{key}.png"
        if file.is_file():
            pixmap = QPixmap(str(file))
            if not pixmap.isNull():
                return pixmap
        try:
            data = cover_bytes(path, cover_path, has_embedded)
        except Exception:  # a damaged tag must not break the now-playing panel
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
            image.save(str(file), "PNG")
        except OSError:
            log.warning("cannot cache cover in %s", file, exc_info=True)
        return QPixmap.fromImage(image)
