"""MPRIS2 answered over a private session bus (``dbus-run-session``); skipped without one."""

from __future__ import annotations

from pathlib import Path

from tests.fresh_python import run_on_private_bus

# Runs inside dbus-run-session: serves MPRIS from the Qt thread while a helper thread plays the
# desktop's part with dbus-send / dbus-monitor, then prints what it saw as JSON.
SCRIPT = r"""
import json, subprocess, sys, threading, time
from pathlib import Path
from PySide6.QtCore import QCoreApplication, QEvent, QTimer
from PySide6.QtWidgets import QApplication
from player.controller import PlayerController
from player.mpris import BUS_NAME, Mpris
from player.playback import Playback
from player.queue import QueueModel
from tests.audio import make_audio

class Track:
    def __init__(self, path):
        self.id, self.path, self.title, self.artist = 7, str(path), "Blue in Green", "Miles"
        self.album, self.duration_ms, self.available = "Kind of Blue", 2000, True

app = QApplication([])
audio = make_audio(Path(sys.argv[1]) / "a.ogg", seconds=2.0)
playback = Playback()
queue = QueueModel()
queue.add([Track(audio)])
queue.set_current(0)
controller = PlayerController(playback, queue)
raised = []
mpris = Mpris(controller, raise_window=lambda: raised.append(True))
out = {"registered": mpris.register()}
DEST = ["--dest=" + BUS_NAME, "/org/mpris/MediaPlayer2"]

def send(*args):
    cmd = ["dbus-send", "--session", "--print-reply", *DEST, *args]
    return subprocess.run(cmd, capture_output=True, text=True, timeout=20).stdout

def prop(name, iface="org.mpris.MediaPlayer2.Player"):
    return send("org.freedesktop.DBus.Properties.Get", "string:" + iface, "string:" + name)

def client():
    try:
        monitor = subprocess.Popen(
            ["dbus-monitor", "--session",
             "type='signal',interface='org.freedesktop.DBus.Properties'"],
            stdout=subprocess.PIPE, text=True)
        monitor.stdout.readline()  # ready once it reports its own connection
        out["identity"] = prop("Identity", "org.mpris.MediaPlayer2")
        out["status_before"] = prop("PlaybackStatus")
        send("org.mpris.MediaPlayer2.Player.PlayPause")
        deadline = time.monotonic() + 15
        while "Playing" not in prop("PlaybackStatus") and time.monotonic() < deadline:
            time.sleep(0.05)
        out["status_after"] = prop("PlaybackStatus")
        out["metadata"] = prop("Metadata")
        send("org.mpris.MediaPlayer2.Raise")
        send("org.mpris.MediaPlayer2.Player.Pause")
        time.sleep(0.3)  # let the signal reach the monitor
        monitor.terminate()
        out["signals"] = monitor.communicate(timeout=10)[0]
    except Exception as exc:
        out["error"] = repr(exc)

thread = threading.Thread(target=client)
thread.start()
timer = QTimer()
timer.timeout.connect(lambda: thread.is_alive() or app.quit())
timer.start(50)
app.exec()
out["raised"] = bool(raised)
playback.stop()
mpris.unregister()
# Free the media player while the application lives: destroying it during interpreter
# shutdown can hang in QtMultimedia's FFmpeg backend.
playback.deleteLater()
QCoreApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete)
print("RESULT " + json.dumps(out), flush=True)
"""


def test_mpris_over_private_bus(tmp_path: Path) -> None:
    out = run_on_private_bus(SCRIPT, str(tmp_path), what="MPRIS check")
    assert "error" not in out, out.get("error")
    assert '"Segue"' in out["identity"]
    assert '"Stopped"' in out["status_before"]
    assert '"Playing"' in out["status_after"]
    assert "Blue in Green" in out["metadata"]
    assert "/org/segue/track/7" in out["metadata"]
    assert "mpris:length" in out["metadata"]
    assert "PropertiesChanged" in out["signals"]
    assert "PlaybackStatus" in out["signals"]
    assert out["raised"]
