"""The measured side of ``bench/ui.py``: a window started as ``segue --radio`` starts, then typed
into and scrolled; and the memory of each part, one step at a time (``--parts``)."""

from __future__ import annotations

import gc
import json
import sys
import time
from collections.abc import Callable
from pathlib import Path


def rss_mb() -> float:
    """This process's resident memory."""
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return 0.0


def main(data: Path, t0: float) -> None:
    """Start the window like ``segue --radio --data-dir DATA``, measure, print ``RESULT {json}``."""
    from PySide6.QtCore import QEvent, QObject
    from PySide6.QtWidgets import QApplication

    import player.cli  # noqa: F401  (the `segue` entry point's imports: a launch pays them first)
    from player.app import attach_database, attach_radio, build_window
    from player.paths import AppPaths

    app = QApplication(sys.argv[:1])
    paths = AppPaths.resolve(str(data))
    paths.ensure()
    parts = build_window(paths)  # the same steps as player.app._show_window
    window = parts.window

    class Paints(QObject):
        count = 0

        def eventFilter(self, obj: QObject, event: QEvent) -> bool:
            if event.type() == QEvent.Type.Paint:
                self.count += 1
            return False

    paints = Paints()
    window.table.viewport().installEventFilter(paints)
    window.show()
    app.processEvents()
    # CPU time beside wall time: on a shared machine the wall clock is mostly waiting for a core.
    out: dict[str, object] = {"shown_s": time.time() - t0, "shown_cpu_s": time.process_time()}
    out["torch_at_show"] = "torch" in sys.modules
    out["sqlalchemy_at_show"] = "sqlalchemy" in sys.modules
    mb = {"shown": rss_mb()}
    print("SHOWN", flush=True)

    def wait_until(done: Callable[[], bool], timeout_s: float) -> bool:
        end = time.monotonic() + timeout_s
        while not done() and time.monotonic() < end:
            app.processEvents()
            time.sleep(0.005)  # the loading threads get the CPU and the GIL
        return done()

    from player.db.engine import open_database

    attach_database(parts, open_database(paths.db_path))
    parts.radio = attach_radio(parts, paths.data_dir, start_radio=True)
    loaded: list[float] = []
    window.library_loaded.connect(lambda _rows: loaded.append(time.time() - t0))
    window.start()
    wait_until(lambda: bool(loaded), 300)
    out["loaded_s"], out["rows"] = loaded[0], window.model.rowCount()
    out["torch_at_loaded"] = "torch" in sys.modules
    mb["loaded"] = rss_mb()

    host, radio = parts.radio.host, parts.radio.radio
    picks: list[bool] = []  # per pick: did the recommender make it (not the player's fallback)
    radio.track_picked.connect(lambda _t, _p, why: picks.append("could not answer" not in why))
    started = time.monotonic()
    ready = wait_until(
        lambda: (
            str(host.state("recommender")) == "ready"
            and any(picks)
            and parts.playback.state == "playing"
        ),
        300,
    )
    waited = time.monotonic() - started
    mb["ready"] = rss_mb()
    wait_until(lambda: False, 5.0)  # five more seconds of radio playing
    mb["radio"] = rss_mb()
    # Typing and scrolling with playback paused: the bench's clips last a second, and a track
    # change every second (queue, history, radio refill, now-playing panel) is no real listening.
    parts.playback.pause()
    out["radio"] = (
        f"plugin {host.state('recommender')}, playback {parts.playback.state}, picks "
        f"{len(picks)} ({sum(picks)} from the recommender), ready {ready} after {waited:.1f} s"
    )
    out.update(type_words(app, window, paints))
    out["frames_ms"], out["frames_cpu_ms"] = scroll(app, window)
    out["scrolled_to"] = window.table.currentIndex().row() + 1
    header = window.table.horizontalHeader()
    out["sort_ms"] = {}
    for column, name in ((0, "title"), (1, "artist"), (4, "time")):  # clicks on those headers
        t = time.perf_counter()
        header.setSortIndicator(column, header.sortIndicatorOrder())
        app.processEvents()
        out["sort_ms"][name] = (time.perf_counter() - t) * 1000  # type: ignore[index]
    mb["end"] = rss_mb()
    out["rss_mb"] = mb
    parts.shutdown()
    parts.dispose()
    print("RESULT " + json.dumps(out), flush=True)


def type_words(app, window, paints, words=("summer", "golden", "shadow", "secret"), gap_s=0.15):
    """Press each letter of ``words`` in the search box ``gap_s`` apart (about 7 keys a second);
    time each from the key press until the table has repainted, and check what it shows."""
    from PySide6.QtCore import Qt
    from PySide6.QtTest import QTest

    search = window.search
    search.setFocus()
    keys: dict[str, list[float]] = {}
    cpu: list[float] = []
    clear, lost, disorder = [], 0, 0
    for word in words:
        t = time.perf_counter()
        search.clear()
        app.processEvents()
        clear.append((time.perf_counter() - t) * 1000)
        times = []
        for i, letter in enumerate(word):
            nxt = time.perf_counter() + gap_s
            while time.perf_counter() < nxt:  # the event loop runs between keys, as it would
                app.processEvents()
                time.sleep(0.002)
            before = paints.count
            t, c = time.perf_counter(), time.thread_time()
            QTest.keyClick(search, letter)
            deadline = t + 1.0
            while paints.count == before and time.perf_counter() < deadline:
                app.processEvents()
            times.append((time.perf_counter() - t) * 1000)
            cpu.append((time.thread_time() - c) * 1000)
            if paints.count == before:
                lost += 1
            elif window.model.search_terms != [word[: i + 1]]:
                disorder += 1
        keys[word] = times
        lost += window.model.search_terms != [word]
    t = time.perf_counter()
    search.clear()
    app.processEvents()
    clear.append((time.perf_counter() - t) * 1000)
    search.clearFocus()
    del Qt
    return {
        "keys_ms": keys,
        "keys_cpu_ms": cpu,
        "clear_ms": clear,
        "keys_lost": lost,
        "keys_out_of_order": disorder,
    }


def scroll(app, window, limit_s: float = 90.0) -> tuple[list[float], list[float]]:
    """PageDown from the first row until the last is current (or ``limit_s`` has passed); each
    frame's time (ms)."""
    from PySide6.QtCore import Qt
    from PySide6.QtTest import QTest

    table = window.table
    last = table.model().rowCount() - 1
    table.setFocus()
    table.setCurrentIndex(table.model().index(0, 0))
    app.processEvents()
    frames: list[float] = []
    cpu: list[float] = []
    end = time.perf_counter() + limit_s
    while table.currentIndex().row() < last and time.perf_counter() < end:
        t, c = time.perf_counter(), time.thread_time()
        QTest.keyClick(table, Qt.Key.Key_PageDown)
        app.processEvents()
        frames.append((time.perf_counter() - t) * 1000)
        cpu.append((time.thread_time() - c) * 1000)
    return frames, cpu


def window_memory(data: Path) -> None:
    """Print the RSS of the window with the library in the table and the browser, no radio."""
    from PySide6.QtWidgets import QApplication

    from player.app import attach_database, build_window
    from player.db.engine import open_database
    from player.paths import AppPaths

    app = QApplication(sys.argv[:1])
    paths = AppPaths.resolve(str(data))
    parts = build_window(paths)
    parts.window.show()
    attach_database(parts, open_database(paths.db_path))
    browser = parts.window.browser.tree_model
    listed: list[bool] = []
    browser.modelReset.connect(lambda: listed.append(browser.rowCount() > 1))
    parts.window.start()
    end = time.monotonic() + 300
    while not any(listed) and time.monotonic() < end:  # rows loaded, then the browser's lists
        app.processEvents()
        time.sleep(0.005)
    print(
        f"  RSS of the window with the library and the browser's lists, no radio: {rss_mb():.0f} MB"
    )
    parts.shutdown()
    parts.dispose()


def memory_parts(data: Path) -> None:
    """Print the RSS each part adds, loaded one after another in this one thread."""
    base = rss_mb()
    steps: list[tuple[str, float]] = []
    keep: list[object] = []

    def step(name: str, action: Callable[[], object]) -> object:
        before = rss_mb()
        result = action()
        keep.append(result)
        gc.collect()
        steps.append((name, rss_mb() - before))
        return result

    def qt() -> object:
        from PySide6.QtWidgets import QApplication

        import player.ui.main_window  # noqa: F401

        return QApplication([])

    step("Qt and the window's modules", qt)
    step("SQLAlchemy, mutagen (modules; Alembic only to upgrade)", _import_library)
    from player.db.engine import open_database
    from player.library import load_track_rows

    db = open_database(data / "library.db")
    rows = step("the library's rows (TrackRow)", lambda: load_track_rows(db))
    assert isinstance(rows, list)
    from player.ui.library_model import LibraryModel
    from player.ui.library_rows import prepare_rows

    prepared = step("search text (sorted by artist)", lambda: prepare_rows(rows, (1, 0)))  # type: ignore[arg-type]

    def model() -> object:
        m = LibraryModel()
        m.set_rows(prepared)  # type: ignore[arg-type]
        return m

    step("the table model (its lists and id index)", model)
    import random

    from player.plugin_host import SharedLibrary
    from player.radio.fallback import FallbackPicker
    from player.ui.browser_index import build_index

    step("the browser's lists (artists, albums)", lambda: build_index(rows))  # type: ignore[arg-type]
    tracks = step("radio's library records (the rows, shared)", lambda: tuple(rows))
    assert isinstance(tracks, tuple)
    picker = lambda: FallbackPicker(tracks, random.Random())  # noqa: E731
    step("radio's fallback picker (id index, album order)", picker)
    shared = SharedLibrary(lambda: ())  # what the plugin host hands a loading plugin
    shared.publish(tracks)
    infos = step("the plugin's library records (the same rows)", shared.get)
    from recommender.radio.engine import RadioModel
    from recommender.radio.prior import ColdStartPrior

    step(
        "the model's weights (numpy: W, neighbours, vocabulary)",
        lambda: RadioModel.load(data / "models"),
    )
    step("the cold-start prior", lambda: ColdStartPrior(list(infos)))  # type: ignore[call-overload]
    print(f"  memory by part (RSS added, one step after another; interpreter {base:.0f} MB):")
    for name, added in steps:
        print(f"    {name:55} {added:6.0f} MB")
    print(f"    {'total':55} {rss_mb():6.0f} MB")


def _import_library() -> object:
    import player.history
    import player.library
    import player.scanner  # noqa: F401

    return None
