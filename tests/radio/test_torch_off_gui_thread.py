"""The recommender plugin loads on the plugin's thread, never the GUI's, and never imports torch."""

from __future__ import annotations

from pathlib import Path

from tests.fresh_python import run_offscreen

SCRIPT = """
import sys, threading

class Watch:
    seen = []
    def find_spec(self, name, path=None, target=None):
        if name == "torch" and not Watch.seen:
            Watch.seen.append(threading.current_thread() is threading.main_thread())
        return None

sys.meta_path.insert(0, Watch())
from PySide6.QtWidgets import QApplication
from player.app import build_player
from player.db.engine import open_database
from player.paths import AppPaths
from player.plugin_host import PluginState
from player.app import attach_radio

app = QApplication([])
paths = AppPaths.resolve(sys.argv[1])
paths.ensure()
db = open_database(paths.db_path)
parts = build_player(paths, db)
wiring = attach_radio(parts, paths.data_dir)  # discovers the real entry point
parts.window.show()
app.processEvents()
print("after-show", "torch" in sys.modules)
host = wiring.host
while any(host.state(n) is PluginState.LOADING for n in host.names()):
    app.processEvents()
print("states", {n: str(host.state(n)) for n in host.names()})
print("torch-on-main-thread", Watch.seen)
parts.shutdown()
wiring.shutdown()
db.close()
"""


def test_the_plugin_loads_off_the_gui_thread_without_torch(tmp_path: Path) -> None:
    result = run_offscreen(SCRIPT, str(tmp_path / "data"), timeout=300)
    assert result.returncode == 0, result.stderr[-3000:]
    out = result.stdout
    assert "states {'recommender': 'ready'}" in out
    assert "torch-on-main-thread []" in out  # #29: radio reads the model in numpy
