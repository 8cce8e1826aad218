"""Desktop notifications (issue #27) against a real notification server on a private session bus:
a small org.freedesktop.Notifications served with QtDBus under ``dbus-run-session``."""

from __future__ import annotations

from pathlib import Path

from player.notifications import notice_for
from player.playback import Playable
from player.plugin_api import Origin
from tests.fresh_python import run_on_private_bus

# The server lives on its own bus connection in the Qt thread; the notifier sends from the task
# pool, as in the window. First with no server (one warning, nothing breaks), then with it.
SCRIPT = r"""
import json, logging, sys
from pathlib import Path
from PySide6.QtCore import ClassInfo, QObject, QTimer, Slot
from PySide6.QtDBus import QDBusAbstractAdaptor, QDBusConnection
from PySide6.QtWidgets import QApplication
from player.notifications import DesktopNotifier, NotificationSender
from player.playback import Playable
from player.plugin_api import Origin
from player.ui.tasks import TaskRunner

app = QApplication([])
warnings = []
class Catch(logging.Handler):
    def emit(self, record):
        warnings.append(record.getMessage())
logging.getLogger("player.notifications").addHandler(Catch(logging.WARNING))
received = []

@ClassInfo({"D-Bus Interface": "org.freedesktop.Notifications"})
class Server(QDBusAbstractAdaptor):
    @Slot(str, "uint", str, str, str, "QStringList", "QVariantMap", int, result="uint")
    def Notify(self, app_name, replaces_id, icon, summary, body, actions, hints, timeout):
        received.append({"app": app_name, "replaces": replaces_id, "icon": icon,
                         "summary": summary, "body": body, "hints": dict(hints)})
        return replaces_id or 40 + len(received)

    @Slot(result="QStringList")
    def GetCapabilities(self):
        return ["body", "body-markup"]

owner = QObject()
Server(owner)
bus = QDBusConnection.connectToBus(QDBusConnection.BusType.SessionBus, "fake-notification-server")
cover = sys.argv[1]
runner = TaskRunner()
notifier = DesktopNotifier(runner, lambda p: cover if p.track_id == 1 else None, enabled=True)
tracks = [Playable(1, "/m/a.flac", 1000, Origin.USER, "Blue in Green", "Miles", "Kind of Blue"),
          Playable(2, "/m/b.flac", 1000, Origin.USER, "So <What>", "Miles & Co", ""),
          Playable(3, "/m/c.flac", 1000, Origin.USER, "Third", "", "")]
out = {"registered": True}
steps = []

def later(check, then):
    def poll():
        if check():
            timer.stop()
            then()
    timer = QTimer(app, interval=20)
    timer.timeout.connect(poll)
    timer.start()
    steps.append(timer)

def without_server():
    notifier.track_started(tracks[2])
    later(lambda: warnings, with_server)

def with_server():
    out["registered"] = (bus.registerObject("/org/freedesktop/Notifications", owner)
                         and bus.registerService("org.freedesktop.Notifications"))
    notifier.track_started(tracks[0])
    notifier.track_started(tracks[1])  # while the first is on its way: sent after, replacing it
    later(lambda: len(received) >= 2, lambda: (notifier.set_enabled(False),
          notifier.track_started(tracks[2]), QTimer.singleShot(300, app.quit)))

QTimer.singleShot(0, without_server)
QTimer.singleShot(60000, app.quit)
app.exec()
runner.wait()
notifier.close()
out["received"] = received
out["warnings"] = warnings
print("RESULT " + json.dumps(out), flush=True)
"""


def test_notifications_replace_each_other_on_a_real_server(tmp_path: Path) -> None:
    cover = tmp_path / "cover.png"
    cover.write_bytes(b"\x89PNG")
    out = run_on_private_bus(SCRIPT, str(cover), what="notification check")
    assert len(out["warnings"]) == 1, out["warnings"]  # no server yet: one line, no traceback
    first, second = out["received"]  # and nothing once turned off
    assert (first["app"], first["summary"], first["body"]) == (
        "Segue",
        "Blue in Green",
        "Miles — Kind of Blue",
    )
    assert first["replaces"] == 0 and first["icon"] == "segue"
    assert first["hints"]["image-path"] == f"file://{cover}"
    assert first["hints"]["desktop-entry"] == "segue"
    assert second["replaces"] == 41  # the id the server gave the first
    assert (second["summary"], second["body"]) == ("So <What>", "Miles &amp; Co")
    assert "image-path" not in second["hints"]


def test_notice_text() -> None:
    bare = Playable(5, "/music/Some File.mp3", None, Origin.RADIO)
    assert notice_for(bare, None).summary == "Some File.mp3"
    assert notice_for(bare, None).body == ""
