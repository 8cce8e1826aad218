"""Radio on the bus: org.segue.Radio read and set over a private session bus, signals, metadata."""

from __future__ import annotations

from pathlib import Path

from tests.fresh_python import run_on_private_bus

# Runs inside dbus-run-session: the Qt thread serves MPRIS with a real radio controller while a
# helper thread plays a desktop script's part with dbus-send / dbus-monitor.
SCRIPT = r"""
import json, subprocess, sys, threading, time
from pathlib import Path
from PySide6.QtCore import QCoreApplication, QEvent, QTimer
from PySide6.QtWidgets import QApplication
from player.controller import PlayerController
from player.mpris import BUS_NAME, Mpris
from player.playback import Playback
from player.plugin_api import Origin
from player.queue import QueueModel
from player.radio.controller import RadioController
from tests.audio import make_audio

class Track:
    def __init__(self, path):
        self.id, self.path, self.title, self.artist = 7, str(path), "So What", "Miles"
        self.album, self.duration_ms, self.available = "Kind of Blue", 2000, True

class NoQueue:
    def current_track_id(self): return None
    def upcoming_track_ids(self): return []
    def append_radio_track(self, track_id, probability, why=""): pass
    def drop_radio_tail(self): return []
    def start_if_idle(self): pass

app = QApplication([])
audio = make_audio(Path(sys.argv[1]) / "a.ogg", seconds=2.0)
playback = Playback()
queue = QueueModel()
(entry,) = queue.add([Track(audio)], Origin.RADIO)
queue.set_note(entry.entry_id, "next on the album “Kind of Blue”")
queue.set_current(0)
controller = PlayerController(playback, queue)
radio = RadioController(NoQueue(), None, recent_tracks=lambda n: [],
                        report_missing=lambda t, m: None)
class Steer:  # records what the bus asked (the window's Steering does the work)
    def __init__(self): self.calls = []
    def love(self, ids, on=None): self.calls.append(["love", list(ids), on])
    def never_play(self, ids, on=True): self.calls.append(["never", list(ids), on])

steer = Steer()
mpris = Mpris(controller)
mpris.attach_radio(radio, adventurousness=lambda: 0.25, steer=steer)
out = {"registered": mpris.register()}
DEST = ["--dest=" + BUS_NAME, "/org/mpris/MediaPlayer2"]
PROPS = "org.freedesktop.DBus.Properties"
requests = []

def send(*args):
    cmd = ["dbus-send", "--session", "--print-reply", *DEST, *args]
    return subprocess.run(cmd, capture_output=True, text=True, timeout=20).stdout

def prop(name, iface="org.segue.Radio"):
    return send(PROPS + ".Get", "string:" + iface, "string:" + name)

def wait(check):
    deadline = time.monotonic() + 15
    while not check() and time.monotonic() < deadline:
        time.sleep(0.05)
    return check()

def client():
    try:
        monitor = subprocess.Popen(
            ["dbus-monitor", "--session", "type='signal',interface='" + PROPS + "'"],
            stdout=subprocess.PIPE, text=True)
        monitor.stdout.readline()  # ready once it reports its own connection
        out["introspect"] = send("org.freedesktop.DBus.Introspectable.Introspect")
        out["radio_before"] = prop("Radio")
        out["adventurousness"] = prop("Adventurousness")
        send(PROPS + ".Set", "string:org.segue.Radio", "string:Radio", "variant:boolean:true")
        out["enabled_in_app"] = wait(radio.is_enabled)
        out["radio_after"] = prop("Radio")
        requests.append("radio off")  # the user turns radio off in the window
        out["disabled_in_app"] = wait(lambda: not radio.is_enabled())
        send("org.mpris.MediaPlayer2.Player.PlayPause")
        wait(lambda: "Playing" in prop("PlaybackStatus", "org.mpris.MediaPlayer2.Player"))
        out["metadata"] = prop("Metadata", "org.mpris.MediaPlayer2.Player")
        send("org.segue.Radio.Love")
        send("org.segue.Radio.NeverPlay")
        out["steer"] = steer.calls
        time.sleep(0.3)  # let the signals reach the monitor
        monitor.terminate()
        out["signals"] = monitor.communicate(timeout=10)[0]
    except Exception as exc:
        out["error"] = repr(exc)

def tick():
    while requests:
        requests.pop()
        radio.set_enabled(False)
    if not thread.is_alive():
        app.quit()

thread = threading.Thread(target=client)
thread.start()
timer = QTimer()
timer.timeout.connect(tick)
timer.start(50)
app.exec()
playback.stop()
mpris.unregister()
playback.deleteLater()
QCoreApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete)
print("RESULT " + json.dumps(out), flush=True)
"""


def _signal_blocks(monitor_output: str) -> list[str]:
    return [b for b in monitor_output.split("\nsignal ") if "PropertiesChanged" in b]


def test_radio_is_readable_settable_and_announced_over_dbus(tmp_path: Path) -> None:
    out = run_on_private_bus(SCRIPT, str(tmp_path), what="MPRIS radio check")
    assert "error" not in out, out.get("error")
    assert 'interface name="org.segue.Radio"' in out["introspect"]
    assert 'name="Radio" type="b" access="readwrite"' in out["introspect"]
    assert 'name="Adventurousness" type="d" access="read"' in out["introspect"]
    assert "boolean false" in out["radio_before"]
    assert "double 0.25" in out["adventurousness"]
    assert out["enabled_in_app"]  # set from the bus: radio turned on in the app
    assert "boolean true" in out["radio_after"]
    assert out["disabled_in_app"]
    radio_signals = [b for b in _signal_blocks(out["signals"]) if "org.segue.Radio" in b]
    assert any('"Radio"' in b and "boolean true" in b for b in radio_signals)
    assert any('"Radio"' in b and "boolean false" in b for b in radio_signals)  # the app's toggle
    assert "segue:radioPick" in out["metadata"]
    pick = out["metadata"].split("segue:radioPick", 1)[1]
    assert pick.split("variant", 1)[1].split()[0:2] == ["boolean", "true"]
    assert "segue:why" in out["metadata"]  # issue #28: radio's reason, in plain words
    assert "next on the album “Kind of Blue”" in out["metadata"].split("segue:why", 1)[1]
    assert '<method name="Love"' in out["introspect"]
    assert '<method name="NeverPlay"' in out["introspect"]
    assert out["steer"] == [["love", [7], True], ["never", [7], True]]


def test_track_urls_are_percent_encoded_from_the_files_bytes() -> None:
    """A name that is not UTF-8 (or has spaces) gives a valid URL naming the same bytes."""
    import os
    import urllib.parse

    from player.paths import file_url

    odd = os.fsdecode(b"/music/a b/\xff caf\xc3\xa9.ogg")
    url = file_url(odd)
    assert url.isascii() and " " not in url
    assert urllib.parse.unquote_to_bytes(url.removeprefix("file://")) == os.fsencode(odd)
