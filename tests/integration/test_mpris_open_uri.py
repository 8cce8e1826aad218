"""A real MPRIS client opens a file in a real Segue under Xvfb on a private session bus: the file
plays and its album's next track follows (issue #26, item 12 and "Done means")."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.audio import make_audio
from tests.fresh_python import ROOT

# Runs inside dbus-run-session: starts `segue` under xvfb-run, then plays the desktop's part
# with dbus-send, and prints what it saw as one RESULT line.
CLIENT = r"""
import json, subprocess, sys, time, urllib.parse
data, music, first = sys.argv[1:4]
DEST = ["--dest=org.mpris.MediaPlayer2.segue", "/org/mpris/MediaPlayer2"]
PLAYER = "org.mpris.MediaPlayer2.Player"

def send(*args):
    cmd = ["dbus-send", "--session", "--print-reply", *DEST, *args]
    return subprocess.run(cmd, capture_output=True, text=True, timeout=60).stdout

def get(name):
    return send("org.freedesktop.DBus.Properties.Get", "string:" + PLAYER, "string:" + name)

def wait(check, seconds):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if check():
            return True
        time.sleep(0.1)
    return False

app = subprocess.Popen(
    ["xvfb-run", "-a", sys.executable, "-m", "player", "--data-dir", data, "--music-dir", music],
    stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
out = {"registered": wait(lambda: "Segue" in send(
    "org.freedesktop.DBus.Properties.Get", "string:org.mpris.MediaPlayer2", "string:Identity"), 90)}
urls = []
if out["registered"]:
    uri = "file://" + urllib.parse.quote(first)
    send(PLAYER + ".OpenUri", "string:" + uri)
    def playing_url():
        meta = get("Metadata")
        for line in meta.splitlines():
            if "file://" in line:
                url = line.split('"')[1]
                if not urls or urls[-1] != url:
                    urls.append(url)
        return len(urls) >= 2
    out["followed"] = wait(playing_url, 60)
    send("org.freedesktop.DBus.Properties.Set", "string:" + PLAYER, "string:LoopStatus",
         "variant:string:Track")
    send("org.freedesktop.DBus.Properties.Set", "string:" + PLAYER, "string:Shuffle",
         "variant:boolean:true")
    send("org.freedesktop.DBus.Properties.Set", "string:" + PLAYER, "string:Volume",
         "variant:double:0.25")
    out["loop"], out["shuffle"], out["volume"] = get("LoopStatus"), get("Shuffle"), get("Volume")
    send("org.mpris.MediaPlayer2.Quit")
try:
    _, err = app.communicate(timeout=60)
except subprocess.TimeoutExpired:
    app.kill()
    _, err = app.communicate()
out["urls"], out["stderr"], out["code"] = urls, err, app.returncode
print("RESULT " + json.dumps(out), flush=True)
"""


def _album(root: Path) -> list[Path]:
    tracks = []
    for n in (1, 2, 3):
        tags = {"artist": "Miles", "albumartist": "Miles", "album": "Kind of Blue",
                "title": f"Track {n}", "tracknumber": n}  # fmt: skip
        tracks.append(make_audio(root / f"0{n} Track {n}.ogg", seconds=0.6, tags=tags))
    return tracks


def test_open_uri_plays_the_file_then_the_albums_next_track(tmp_path: Path) -> None:
    for tool in ("dbus-run-session", "dbus-send", "xvfb-run"):
        if shutil.which(tool) is None:
            pytest.skip(f"{tool} not installed")
    music = tmp_path / "music"
    tracks = _album(music / "Miles" / "Kind of Blue")
    data = tmp_path / "data"
    data.mkdir()
    env = {k: v for k, v in os.environ.items() if k != "QT_QPA_PLATFORM"}  # a real X server
    result = subprocess.run(
        ["dbus-run-session", "--", sys.executable, "-c", CLIENT, str(data), str(music),
         str(tracks[1])],
        capture_output=True, text=True, timeout=240, cwd=ROOT, env=env,
    )  # fmt: skip
    lines = [ln for ln in result.stdout.splitlines() if ln.startswith("RESULT ")]
    assert lines, result.stderr[-2000:]
    out = json.loads(lines[-1][len("RESULT ") :])
    if not out["registered"]:
        pytest.skip(f"Segue did not appear on the bus: {out['stderr'][-500:]}")
    assert out["followed"], out
    assert [Path(u).name for u in out["urls"][:2]] == ["02%20Track%202.ogg", "03%20Track%203.ogg"]
    assert '"Track"' in out["loop"]
    assert "boolean true" in out["shuffle"]
    assert "double 0.25" in out["volume"]
    assert out["code"] == 0
    # Qt's and FFmpeg's chatter stays out of the terminal (item 14).
    for noise in ("Input #0", "No audio device detected", "qt.multimedia", "Stream #0"):
        assert noise not in out["stderr"], out["stderr"]
