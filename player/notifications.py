"""Desktop notifications on track change, through ``org.freedesktop.Notifications`` on D-Bus.

Each notice replaces the one before (``replaces_id``) rather than stacking. The call is made
with jeepney, off the GUI thread: PySide6's QtDBus cannot send the uint32 that ``replaces_id``
is (a Python int goes out as int32, ``QDBusArgument << int`` as uint16), and notification
servers check the signature.
"""

from __future__ import annotations

import html
import logging
import os
import urllib.parse
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol

from jeepney import DBusAddress, new_method_call
from jeepney.io.blocking import DBusConnection, open_dbus_connection
from jeepney.wrappers import unwrap_msg
from PySide6.QtCore import QObject

from player.playback import Playable

log = logging.getLogger(__name__)

SERVICE = DBusAddress(
    "/org/freedesktop/Notifications",
    bus_name="org.freedesktop.Notifications",
    interface="org.freedesktop.Notifications",
)
APP_NAME = "Segue"
APP_ICON = "segue"  # the icon theme name of segue.desktop
TIMEOUT_S = 2.0


@dataclass(frozen=True)
class Notice:
    """What a notification shows: the title, a body (artist — album) and a cover image file."""

    summary: str
    body: str
    image: str | None = None


def notice_for(playable: Playable, cover: str | None) -> Notice:
    """The notice of a track that started (the body is markup: escaped)."""
    title = playable.title or os.path.basename(playable.path)
    parts = [p for p in (playable.artist, playable.album) if p]
    return Notice(title, html.escape(" — ".join(parts), quote=False), cover)


class NotificationSender:
    """Sends notices over the session bus, each replacing the last (blocking: use a worker)."""

    def __init__(self, bus: str = "SESSION", timeout_s: float = TIMEOUT_S) -> None:
        self._bus = bus
        self._timeout_s = timeout_s
        self._connection: DBusConnection | None = None
        self.last_id = 0

    def send(self, notice: Notice) -> int:
        """Show ``notice`` in place of the previous one; returns the server's id for it.

        Raises:
            Exception: No session bus, no notification server, or the server refused.
        """
        hints: dict[str, tuple[str, Any]] = {
            "desktop-entry": ("s", "segue"),
            "category": ("s", "x-gnome.music"),
            "transient": ("b", True),
        }
        if notice.image:
            hints["image-path"] = ("s", "file://" + urllib.parse.quote(os.fsencode(notice.image)))
        body: tuple[Any, ...] = (
            APP_NAME,
            self.last_id,
            APP_ICON,
            notice.summary,
            notice.body,
            [],
            hints,
            -1,
        )
        message = new_method_call(SERVICE, "Notify", "susssasa{sv}i", body)
        try:
            connection = self._connection or open_dbus_connection(self._bus)
            self._connection = connection
            reply = connection.send_and_get_reply(message, timeout=self._timeout_s)
        except Exception:
            self.close()  # a broken connection is opened afresh next time
            raise
        (self.last_id,) = unwrap_msg(reply)
        return self.last_id

    def close(self) -> None:
        """Close the bus connection."""
        connection, self._connection = self._connection, None
        if connection is not None:
            connection.close()


class Runner(Protocol):
    """Runs work off the GUI thread (``player.ui.tasks.TaskRunner`` does)."""

    def run(
        self,
        fn: Callable[[], Any],
        on_done: Callable[[Any], None],
        on_error: Callable[[Exception], None] | None = None,
    ) -> None:
        """Run ``fn`` on a worker; ``on_done(result)`` back on the GUI thread."""
        ...


class DesktopNotifier(QObject):
    """Shows a notification when a track starts (while enabled), one call at a time."""

    def __init__(
        self,
        runner: Runner,
        cover_file: Callable[[Playable], str | None],
        *,
        sender: NotificationSender | None = None,
        enabled: bool = False,
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self._runner = runner
        self._cover_file = cover_file
        self._sender = sender or NotificationSender()
        self._enabled = enabled
        self._busy = False
        self._next: Notice | None = None
        self._warned = False

    @property
    def enabled(self) -> bool:
        """Whether notices are shown."""
        return self._enabled

    def set_enabled(self, on: bool) -> None:
        """Turn notices on or off."""
        self._enabled = on

    def track_started(self, playable: Playable) -> None:
        """Announce ``playable`` (connect to ``Playback.track_started``)."""
        if not self._enabled:
            return
        notice = notice_for(playable, self._cover_file(playable))
        if self._busy:  # the last one is still on its way: send this after (it replaces it)
            self._next = notice
            return
        self._send(notice)

    def close(self) -> None:
        """Close the bus connection (on quit)."""
        self._sender.close()

    def _send(self, notice: Notice) -> None:
        self._busy = True
        sender = self._sender

        def work() -> str | None:
            try:
                sender.send(notice)
            except Exception as error:  # no bus or no server: one log line, not a traceback
                return f"{type(error).__name__}: {error}"
            return None

        self._runner.run(work, self._sent)

    def _sent(self, error: str | None) -> None:
        self._busy = False
        if error is not None and not self._warned:
            self._warned = True
            log.warning("Desktop notifications are not available: %s", error)
        elif error is None:
            self._warned = False
        notice, self._next = self._next, None
        if notice is not None:
            self._send(notice)
