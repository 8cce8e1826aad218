"""Qt's and FFmpeg's own diagnostics, kept out of the terminal unless ``--debug``.

QtMultimedia prints a stream description per track, "No audio device detected" and backend
probes (Qt logging: ``qt.multimedia.*`` and uncategorised warnings), and FFmpeg prints decoder
warnings itself (``av_log``). Segue's own log says what matters: a track that cannot be played
is reported by playback, with its reason.
"""

from __future__ import annotations

import ctypes
import logging
import os

from PySide6.QtCore import QLoggingCategory

log = logging.getLogger(__name__)

#: Qt logging rules outside ``--debug`` (``QT_LOGGING_RULES`` in the environment still wins).
QUIET_RULES = "qt.multimedia.*=false\ndefault.warning=false"
_AV_LOG_FATAL = 8
_AVUTIL_NAMES = [f"libavutil.so.{major}" for major in range(56, 64)]


def quiet_qt(debug: bool) -> None:
    """Silence QtMultimedia's messages (call before the first media object)."""
    if not debug:
        QLoggingCategory.setFilterRules(QUIET_RULES)


def quiet_ffmpeg(debug: bool) -> bool:
    """Lower FFmpeg's own log level to fatal errors; call once a media player exists (QtMultimedia
    loads FFmpeg then). False when no FFmpeg library is loaded (another backend, or macOS)."""
    if debug:
        return False
    mode = os.RTLD_LAZY | getattr(os, "RTLD_NOLOAD", 0)  # only a library already loaded
    for name in _AVUTIL_NAMES:
        try:
            avutil = ctypes.CDLL(name, mode=mode)
        except OSError:
            continue
        avutil.av_log_set_level(ctypes.c_int(_AV_LOG_FATAL))
        log.debug("FFmpeg log level set to fatal (%s)", name)
        return True
    return False
