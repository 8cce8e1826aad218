"""The radio controller: keeps the queue ahead, excludes recent / queued / missing, never stops."""

from __future__ import annotations

import os
import threading
from collections.abc import Sequence
from pathlib import Path

from pytestqt.qtbot import QtBot
from radio_sim import BrokenPlugin, ShufflePlugin, SimPlayer, make_context, make_radio, start_host
from sqlalchemy import select

from player.db.engine import Database
from player.db.models import Play, PlayEvent
from player.history import History
from player.paths import AppPaths
from player.plugin_api import Outcome, Plugin, Suggestion, TrackInfo
from player.plugin_host import PluginHost
from player.radio.controller import RadioController


def _run(qtbot: QtBot, sim: SimPlayer, radio: RadioController, plays: int) -> None:
    for _ in range(plays):
        qtbot.waitUntil(lambda: len(sim.queue) >= 2, timeout=10000)
        if sim.current is not None:
            sim.end(Outcome.FINISHED)
        assert sim.play_next() is not None


def _no_repeat_within(played: list[int], window: int) -> bool:
    return all(played[i] not in played[max(0, i - window) : i] for i in range(len(played)))


def test_radio_keeps_two_ahead_and_plays_40_tracks_without_repeats(
    qtbot: QtBot, app_paths: AppPaths, db: Database, history: History,
    library: list[TrackInfo], hosts: list[PluginHost],
) -> None:  # fmt: skip
    host = start_host(qtbot, make_context(app_paths, db, history), [ShufflePlugin(3)])
    hosts.append(host)
    sim = SimPlayer(history, db)
    radio = make_radio(sim, host, db, history)
    sim.play(library[0].track_id)
    radio.set_enabled(True)
    _run(qtbot, sim, radio, 40)
    assert radio.window_size() == 25  # a quarter of a 100-track library
    assert len(sim.played) == 41
    assert _no_repeat_within(sim.played, radio.window_size())


def test_radio_never_stops_when_the_plugin_raises_everywhere(
    qtbot: QtBot, app_paths: AppPaths, db: Database, history: History,
    library: list[TrackInfo], hosts: list[PluginHost],
) -> None:  # fmt: skip
    host = start_host(qtbot, make_context(app_paths, db, history), [BrokenPlugin()])
    hosts.append(host)
    sim = SimPlayer(history, db)
    radio = make_radio(sim, host, db, history)
    messages: list[str] = []
    radio.status_message.connect(messages.append)
    sim.play(library[0].track_id)
    radio.set_enabled(True)
    _run(qtbot, sim, radio, 30)
    assert _no_repeat_within(sim.played, radio.window_size())
    assert any("picking by" in m for m in messages)
    # Cold-start order: the fallback follows the album from the seed track on.
    assert sim.played[1] == library[1].track_id


class SuggestsBrokenFiles(ShufflePlugin):
    """Suggests the missing files first."""

    name = "missing-first"

    def __init__(self, missing: list[int]) -> None:
        super().__init__(1)
        self.missing = missing

    def suggest(
        self, n: int, exclude: frozenset[int], *, after: Sequence[int] = (), spares: int = 0
    ) -> list[list[Suggestion]]:
        first = [[Suggestion(t, 0.5)] for t in self.missing if t not in exclude]
        return (first + super().suggest(n, exclude))[:n]


def test_a_missing_pick_is_logged_as_failed_and_replaced(
    qtbot: QtBot, app_paths: AppPaths, db: Database, history: History,
    library: list[TrackInfo], hosts: list[PluginHost],
) -> None:  # fmt: skip
    gone = [library[50], library[70]]
    for track in gone:
        os.remove(track.path)
    plugin = SuggestsBrokenFiles([t.track_id for t in gone])
    host = start_host(qtbot, make_context(app_paths, db, history), [plugin])
    hosts.append(host)
    sim = SimPlayer(history, db)
    radio = make_radio(sim, host, db, history)
    sim.play(library[0].track_id)
    radio.set_enabled(True)
    _run(qtbot, sim, radio, 10)
    assert not {t.track_id for t in gone} & set(sim.played + sim.upcoming_track_ids())
    with db.session() as s:
        failed = s.execute(
            select(Play.track_id, PlayEvent.message)
            .join(PlayEvent, PlayEvent.play_id == Play.id)
            .where(PlayEvent.kind == Outcome.FAILED.value)
        ).all()
    assert {t for t, _ in failed} == {t.track_id for t in gone}
    assert all("file not found" in m for _, m in failed)


class Stalls(Plugin):
    """Never answers until released (a long retrain in the way)."""

    name = "stalls"
    suggests = True

    def __init__(self) -> None:
        self.release = threading.Event()

    def suggest(
        self, n: int, exclude: frozenset[int], *, after: Sequence[int] = (), spares: int = 0
    ) -> list[list[Suggestion]]:
        self.release.wait(30)
        return []


def test_a_busy_plugin_times_out_into_the_fallback(
    qtbot: QtBot, app_paths: AppPaths, db: Database, history: History,
    library: list[TrackInfo], hosts: list[PluginHost],
) -> None:  # fmt: skip
    plugin = Stalls()
    host = start_host(qtbot, make_context(app_paths, db, history), [plugin])
    hosts.append(host)
    sim = SimPlayer(history, db)
    radio = make_radio(sim, host, db, history, timeout_ms=200)
    sim.play(library[3].track_id)
    with qtbot.waitSignal(radio.status_message, timeout=10000):
        radio.set_enabled(True)
    qtbot.waitUntil(lambda: len(sim.queue) >= 2, timeout=10000)
    assert sim.upcoming_track_ids()[0] == library[4].track_id  # album order
    plugin.release.set()


def test_a_tiny_library_relaxes_the_window_and_keeps_playing(
    qtbot: QtBot, tmp_path: Path, db: Database, history: History
) -> None:
    from radio_sim import add_library

    from tests.audio import make_library

    tracks = add_library(db, make_library(tmp_path / "tiny", 1, 2, seconds=0.5))
    sim = SimPlayer(history, db)
    radio = make_radio(sim, None, db, history)
    sim.play(tracks[0].track_id)
    radio.set_enabled(True)
    _run(qtbot, sim, radio, 12)
    assert len(sim.played) == 13
    assert set(sim.played) == {t.track_id for t in tracks}


def test_radio_seeds_from_the_last_played_track_when_nothing_plays(
    qtbot: QtBot, db: Database, history: History, library: list[TrackInfo]
) -> None:
    sim = SimPlayer(history, db)
    radio = make_radio(sim, None, db, history)
    sim.play(library[10].track_id)
    sim.end(Outcome.FINISHED)
    assert radio.seed_track() == library[10].track_id
    radio.set_enabled(True)
    qtbot.waitUntil(lambda: len(sim.queue) >= 2)
    assert sim.upcoming_track_ids() == [library[11].track_id, library[12].track_id]
    radio.set_enabled(False)
    sim.play_next()
    qtbot.wait(50)
    assert len(sim.queue) == 1  # off: nothing added


def test_a_skip_replaces_radio_picks_but_keeps_user_queued_tracks(
    qtbot: QtBot, db: Database, history: History, library: list[TrackInfo]
) -> None:
    sim = SimPlayer(history, db)
    radio = make_radio(sim, None, db, history)
    sim.play(library[0].track_id)
    radio.set_enabled(True)
    qtbot.waitUntil(lambda: len(sim.queue) >= 2)
    sim.queue.insert(0, (library[60].track_id, False))  # the user queued one
    before = list(sim.queue)
    sim.end(Outcome.SKIPPED, played_ms=100)
    assert sim.queue == [before[0]]  # radio's picks dropped at once
    assert sim.play_next() == library[60].track_id
    qtbot.waitUntil(lambda: len(sim.queue) >= 2)
    assert not set(sim.upcoming_track_ids()) & {t for t, _ in before[1:]}


class MissingFirstWithSpares(ShufflePlugin):
    """Answers with candidates: a missing file first in every slot, a playable spare after it."""

    name = "spares"

    def __init__(self, missing: list[int]) -> None:
        super().__init__(2)
        self.missing = missing
        self.requests: list[tuple[int, int]] = []

    def suggest(
        self, n: int, exclude: frozenset[int], *, after: Sequence[int] = (), spares: int = 0
    ) -> list[list[Suggestion]]:
        self.requests.append((n, spares))
        gone = [t for t in self.missing if t not in exclude]
        picks = super().suggest(n, exclude | set(gone))
        return [[Suggestion(t, 0.5) for t in gone[:1]] + slot for slot in picks]


def test_a_missing_pick_is_replaced_by_a_spare_without_asking_again(
    qtbot: QtBot, app_paths: AppPaths, db: Database, history: History,
    library: list[TrackInfo], hosts: list[PluginHost],
) -> None:  # fmt: skip
    gone = [library[40], library[41], library[42]]
    for track in gone:
        os.remove(track.path)
    plugin = MissingFirstWithSpares([t.track_id for t in gone])
    host = start_host(qtbot, make_context(app_paths, db, history), [plugin])
    hosts.append(host)
    sim = SimPlayer(history, db)
    radio = make_radio(sim, host, db, history)
    sim.play(library[0].track_id)
    radio.set_enabled(True)
    qtbot.waitUntil(lambda: len(sim.queue) >= 2, timeout=10000)
    for _ in range(4):
        sim.end(Outcome.FINISHED)
        sim.play_next()
        qtbot.waitUntil(lambda: len(sim.queue) >= 2, timeout=10000)
    assert not {t.track_id for t in gone} & set(sim.played + sim.upcoming_track_ids())
    assert all(spares > 0 for _, spares in plugin.requests)
    # Start: one slot answered by its spare, then one more request for the second slot; after
    # that one request per track, whether or not the pick's file was missing.
    assert len(plugin.requests) == 2 + 4
