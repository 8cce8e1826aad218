"""Issue #24 in the window: File → Import Listening History… runs off the GUI thread with
progress and cancel, then shows counts and the most-played unmatched artists and tracks."""

from __future__ import annotations

from pathlib import Path

from player.db.engine import Database
from player.db.models import Track
from player.history import History
from player.ui.import_dialog import summary_box

T0 = 1_600_000_000


def export(tmp_path: Path, rows: int) -> Path:
    path = tmp_path / "scrobbles.csv"
    lines = [f"{T0 + i * 300},{'A' if i % 2 else 'Ghost'},{'One' if i % 2 else 'Boo'}"
             for i in range(rows)]  # fmt: skip
    path.write_text("uts,artist,track\n" + "\n".join(lines) + "\n")
    return path


def test_import_from_the_file_menu_then_a_summary(
    qtbot, player_parts, db: Database, tmp_path: Path
) -> None:
    with db.session() as s, s.begin():
        s.add(Track(path="/m/one.mp3", artist="A", title="One", duration_ms=200_000))
    window = player_parts.window
    importer = player_parts.importer
    path = export(tmp_path, 10)
    assert importer.action in window.menus["file"].actions()
    importer._choose = lambda _parent: [path]  # the file dialog's answer
    added: list[int] = []
    importer.imported.connect(added.append)
    with qtbot.waitSignal(importer.job.finished, timeout=20000) as finished:
        importer.action.trigger()
    summary = finished.args[0]
    assert added == [5]  # radio retrains (attach_radio connects it to Retrain)
    assert (summary.matched, summary.unmatched, summary.plays_added) == (5, 5, 5)
    assert importer.box is not None and importer.box.isVisible()
    assert "Imported 5 plays from 1 file(s)." in importer.box.text()
    assert "5  Ghost" in importer.box.detailedText()
    assert "5  Ghost – Boo" in importer.box.detailedText()
    assert importer.action.isEnabled()
    assert History(db).stats().imported == {"lastfm": 5}
    qtbot.waitUntil(lambda: [r.play_count for r in window.model.rows()] == [5], timeout=20000)
    importer.box.close()


def test_cancel_keeps_nothing(qtbot, player_parts, db: Database, tmp_path: Path) -> None:
    importer = player_parts.importer
    importer.job.progressed.connect(lambda *_: importer.job.cancel())
    with qtbot.waitSignal(importer.job.failed, timeout=20000) as failed:
        importer.start([export(tmp_path, 3000)])
    assert failed.args == ["Import cancelled; nothing was imported."]
    assert History(db).stats().plays == 0 and importer.action.isEnabled()


def test_summary_box_names_problems(qtbot, tmp_path: Path) -> None:
    from player.history_import.report import ImportSummary

    box = summary_box(None, ImportSummary(entries=3, error=3, problems=["x.csv: no time column"]))
    qtbot.addWidget(box)
    assert "Unreadable entries: 3" in box.text() and "x.csv: no time column" in box.text()


def test_the_chooser_takes_a_folder_as_it_is(qtbot, tmp_path: Path) -> None:
    from PySide6.QtWidgets import QDialog

    from player.ui.import_dialog import ExportChooser

    folder = tmp_path / "my_spotify_data"
    folder.mkdir()
    chooser = ExportChooser(None)
    qtbot.addWidget(chooser)
    chooser.setDirectory(str(tmp_path))
    chooser.selectFile(str(folder))
    chooser.accept()
    assert chooser.result() == QDialog.DialogCode.Accepted
    assert [Path(p) for p in chooser.selectedFiles()] == [folder]


def test_a_scan_says_it_attached_imported_plays(
    qtbot, player_parts, db: Database, tmp_path: Path
) -> None:
    from player.history_import.store import import_summary
    from tests.audio import make_audio

    summary = import_summary(db, [export(tmp_path, 4)], lambda _p: None, lambda: False)
    assert summary.unmatched == 4
    make_audio(tmp_path / "music" / "boo.mp3", tags={"artist": "Ghost", "title": "Boo"})
    window = player_parts.window
    with qtbot.waitSignal(window.library_scanned, timeout=20000) as scanned:
        window.scan([tmp_path / "music"])
    assert scanned.args[0].attached == 2
    assert window.statusBar().currentMessage().endswith(", 2 imported plays attached")


def test_an_import_asked_for_during_a_scan_starts_after_it(
    qtbot, player_parts, db: Database, tmp_path: Path
) -> None:
    """The import then matches the files that scan found, and the two do not share the bar."""
    from tests.audio import make_library

    make_library(tmp_path / "music", 2, 3, seconds=0.3)
    path = tmp_path / "scrobbles.csv"
    path.write_text(f"uts,artist,track\n{T0},Artist 1,Song 1.1\n")
    window, importer = player_parts.window, player_parts.importer
    with qtbot.waitSignal(importer.job.finished, timeout=30000) as finished:
        window.scan([tmp_path / "music"])
        assert window.scan_job.running
        importer.start([path])
        assert not importer.job.running and not importer.action.isEnabled()
    assert finished.args[0].matched == 1
