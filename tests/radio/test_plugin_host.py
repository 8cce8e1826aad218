"""The plugin host: worker threads, failure isolation, entry-point discovery, training jobs."""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from dataclasses import replace
from pathlib import Path

import pytest
from pytestqt.qtbot import QtBot
from radio_sim import BrokenPlugin, ShufflePlugin, make_context, start_host

from player.db.engine import Database
from player.history import History
from player.paths import AppPaths
from player.plugin_api import (
    LibraryChanged,
    Origin,
    Outcome,
    PlayRecord,
    Plugin,
    PluginContext,
    SessionClosed,
    SessionRecord,
    Suggestion,
    TrackInfo,
    TrackStarted,
    TrainProgress,
)
from player.plugin_host import PluginHost, PluginState


def test_calls_run_on_the_plugin_thread_never_the_gui_thread(
    qtbot: QtBot, app_paths: AppPaths, db: Database, history: History, library: list
) -> None:
    plugin = ShufflePlugin()
    host = start_host(qtbot, make_context(app_paths, db, history), [plugin])
    try:
        assert host.state("shuffle") is PluginState.READY
        got: list[object] = []
        host.track_started(TrackStarted(library[0].track_id, Origin.USER, 0.0))
        assert host.request_picks(3, frozenset(), lambda r, e: got.append((r, e)), spares=2)
        qtbot.waitUntil(lambda: bool(got))
        result, error = got[0]
        assert error is None and len(result) == 3
        assert all(len(slot) == 1 and isinstance(slot[0], Suggestion) for slot in result)
        assert threading.get_ident() not in plugin.threads
        assert len(plugin.threads) == 1  # load, events and picks: all on the one event thread
    finally:
        host.shutdown()


def test_a_plugin_raising_everywhere_is_degraded_and_reported(
    qtbot: QtBot, app_paths: AppPaths, db: Database, history: History, library: list
) -> None:
    host = PluginHost(make_context(app_paths, db, history), plugins=[BrokenPlugin()],
                      discover=False)  # fmt: skip
    with qtbot.waitSignal(host.plugin_failed, timeout=10000) as failed:
        host.start()
    assert failed.args[0] == "broken"
    assert host.state("broken") is PluginState.FAILED  # load raised: skipped
    answers: list[object] = []
    host.call("broken", "suggest", 1, frozenset(), on_done=lambda r, e: answers.append(e))
    assert answers and "not available" in str(answers[0])
    host.shutdown()


class KeepsLibrary(Plugin):
    """Keeps what ``load`` was handed as the library."""

    name = "keeps"

    def __init__(self) -> None:
        self.loading = threading.Event()

    def load(self, context: PluginContext) -> None:
        self.loading.set()
        self.library = context.load_library()


def test_a_plugin_loading_while_the_library_is_read_is_handed_the_players_records(
    qtbot: QtBot, app_paths: AppPaths, db: Database, history: History, library: list
) -> None:
    """Issue 29: no second read of the library (and no second record per track) for a plugin."""
    reads: list[int] = []
    context = make_context(app_paths, db, history)
    read = context.load_library
    context = replace(context, load_library=lambda: reads.append(1) or read())
    plugin = KeepsLibrary()
    host = PluginHost(context, plugins=[plugin], discover=False)
    host.library_loading()  # the window has begun to read the library
    host.start()
    qtbot.waitUntil(plugin.loading.is_set)
    tracks: tuple[TrackInfo, ...] = tuple(library)
    host.library_changed(LibraryChanged(tracks))  # ...and hands it over
    qtbot.waitUntil(lambda: host.state("keeps") is PluginState.READY, timeout=10000)
    try:
        assert plugin.library is tracks and reads == []
    finally:
        host.shutdown()


def test_a_failed_read_lets_a_waiting_plugin_read_the_library_itself_at_once(
    qtbot: QtBot, app_paths: AppPaths, db: Database, history: History, library: list
) -> None:
    plugin = KeepsLibrary()
    host = PluginHost(make_context(app_paths, db, history), plugins=[plugin], discover=False)
    host.library_loading()  # the window has begun to read the library...
    host.start()
    qtbot.waitUntil(plugin.loading.is_set)
    host.library_load_failed()  # ...and could not: no waiting out the minute
    qtbot.waitUntil(lambda: host.state("keeps") is PluginState.READY, timeout=5000)
    try:
        assert [t.track_id for t in plugin.library] == [t.track_id for t in library]
    finally:
        host.shutdown()


def test_with_no_read_under_way_a_loading_plugin_reads_the_library_itself(
    qtbot: QtBot, app_paths: AppPaths, db: Database, history: History, library: list
) -> None:
    plugin = KeepsLibrary()
    host = start_host(qtbot, make_context(app_paths, db, history), [plugin])
    try:
        assert [t.track_id for t in plugin.library] == [t.track_id for t in library]
    finally:
        host.shutdown()


class FailsInSuggest(ShufflePlugin):
    name = "flaky"

    def suggest(
        self, n: int, exclude: frozenset[int], *, after: Sequence[int] = (), spares: int = 0
    ) -> list[list[Suggestion]]:
        raise ValueError("no idea")


def test_a_method_that_raises_degrades_the_plugin_with_a_status_message(
    qtbot: QtBot, app_paths: AppPaths, db: Database, history: History, library: list
) -> None:
    host = start_host(qtbot, make_context(app_paths, db, history), [FailsInSuggest()])
    try:
        answers: list[tuple[object, object]] = []
        with qtbot.waitSignal(host.status_message, timeout=10000) as status:
            host.request_picks(1, frozenset(), lambda r, e: answers.append((r, e)))
        qtbot.waitUntil(lambda: bool(answers))
        assert answers[0][0] is None and "no idea" in str(answers[0][1])
        assert "flaky" in status.args[0]
        assert host.state("flaky") is PluginState.DEGRADED
        host.track_started(TrackStarted(1, Origin.USER, 0.0))  # still served
    finally:
        host.shutdown()


def _fake_distribution(root: Path, group: str) -> None:
    dist = root / "segue_fake_plugins-1.0.dist-info"
    dist.mkdir(parents=True)
    (dist / "METADATA").write_text(
        "Metadata-Version: 2.1\nName: segue-fake-plugins\nVersion: 1.0\n"
    )
    (dist / "entry_points.txt").write_text(
        f"[{group}]\ngood = segue_fake_good:Good\nbad = segue_fake_missing_module:Nope\n"
    )
    (root / "segue_fake_good.py").write_text(
        "from player.plugin_api import Plugin\n\nclass Good(Plugin):\n    name = 'good'\n"
    )


def test_discovery_loads_entry_points_and_skips_one_that_fails_to_import(
    qtbot: QtBot, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, app_paths: AppPaths,
    db: Database, history: History,
) -> None:  # fmt: skip
    group = "segue.test_plugins"
    _fake_distribution(tmp_path / "site", group)
    monkeypatch.syspath_prepend(str(tmp_path / "site"))
    host = PluginHost(make_context(app_paths, db, history), group=group)
    messages: list[str] = []
    host.status_message.connect(messages.append)
    host.start()
    qtbot.waitUntil(lambda: all(host.state(n) is not PluginState.LOADING for n in host.names()))
    try:
        assert sorted(host.names()) == ["bad", "good"]
        assert host.state("good") is PluginState.READY
        assert host.state("bad") is PluginState.FAILED
        assert any("bad" in m and "skipped" in m for m in messages)
    finally:
        host.shutdown()


def test_our_recommender_is_declared_as_a_plugin() -> None:
    from importlib.metadata import entry_points

    names = {ep.name: ep.value for ep in entry_points(group="segue.plugins")}
    assert names.get("recommender") == "recommender.plugin:RecommenderPlugin"


class SlowTrainer(Plugin):
    """Trains for ten seconds unless stopped; suggests at once; learns a session slowly."""

    name = "trainer"
    suggests = True

    def __init__(self) -> None:
        self.saved = False
        self.sessions_seen: int | None = None
        self.training = threading.Event()
        self.trained = threading.Event()
        self.threads: dict[str, int] = {}
        self.should_stop: Callable[[], bool] = lambda: False

    def load(self, context: PluginContext) -> None:
        self.should_stop = context.should_stop

    def suggest(
        self, n: int, exclude: frozenset[int], *, after: Sequence[int] = (), spares: int = 0
    ) -> list[list[Suggestion]]:
        self.threads["suggest"] = threading.get_ident()
        return [[Suggestion(1, 1.0)]] * n

    def train(self, sessions, *, full, progress=None) -> None:  # type: ignore[no-untyped-def]
        self.threads["train"] = threading.get_ident()
        if not full:
            return  # the catch-up after load: nothing to learn
        self.sessions_seen = len(sessions)
        self._work(progress)

    def on_session_closed(self, event: SessionClosed) -> None:
        self.threads["session"] = threading.get_ident()
        self._work(None)

    def _work(self, progress) -> None:  # type: ignore[no-untyped-def]
        self.training.set()
        for step in range(10_000):
            if self.should_stop():
                return
            if progress is not None and step % 50 == 0:
                progress(TrainProgress(step, 10_000, "training"))
            threading.Event().wait(0.001)
        self.trained.set()

    def save_state(self) -> None:
        self.saved = True


def test_training_reports_progress_can_be_cancelled_and_state_is_saved_on_shutdown(
    qtbot: QtBot, app_paths: AppPaths, db: Database, history: History
) -> None:
    plugin = SlowTrainer()
    context = PluginContext(app_paths.data_dir, lambda: [], lambda: [])
    host = start_host(qtbot, context, [plugin])
    with qtbot.waitSignal(host.train_progress, timeout=10000):
        assert host.train(full=True)
    with qtbot.waitSignal(host.train_finished, timeout=10000) as finished:
        host.cancel_training()
    assert finished.args == ["trainer", False, "cancelled"]
    assert plugin.sessions_seen == 0  # history read on the worker
    host.shutdown()
    assert plugin.saved


def _session() -> SessionRecord:
    play = PlayRecord(1, Outcome.FINISHED, 1000, Origin.USER, 0.0, 1000)
    return SessionRecord(1, 0.0, 1.0, (play, play))


@pytest.mark.parametrize("how", ["retrain", "session closed"])
def test_picks_are_answered_while_the_plugin_trains(
    qtbot: QtBot, app_paths: AppPaths, how: str
) -> None:
    """Issue #22: training runs on its own thread, so radio's picks never wait for it."""
    plugin = SlowTrainer()
    host = start_host(qtbot, PluginContext(app_paths.data_dir, lambda: [], lambda: []), [plugin])
    try:
        if how == "retrain":
            assert host.train(full=True)
        else:
            host.session_closed(SessionClosed(_session()))
        qtbot.waitUntil(plugin.training.is_set, timeout=10000)
        got: list[tuple[object, object]] = []
        assert host.request_picks(1, frozenset(), lambda r, e: got.append((r, e)))
        qtbot.waitUntil(lambda: bool(got), timeout=2000)
        assert got[0][1] is None and not plugin.trained.is_set()  # answered mid-training
        assert plugin.threads["suggest"] != plugin.threads["train"]
        assert plugin.threads.get("session", plugin.threads["train"]) == plugin.threads["train"]
    finally:
        host.shutdown()  # stops the training at its next check
    assert not plugin.trained.is_set() and plugin.saved
