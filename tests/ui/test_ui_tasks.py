"""The window's task pool: a result that arrives after its window closed is dropped."""

from __future__ import annotations

import threading

import shiboken6
from PySide6.QtCore import QObject

from player.ui.tasks import TaskRunner


def test_a_result_after_the_runner_was_deleted_is_dropped(qtbot) -> None:  # type: ignore[no-untyped-def]
    owner = QObject()
    runner = TaskRunner(owner)
    release, seen = threading.Event(), []
    runner.run(lambda: release.wait(10), seen.append)
    release.set()
    shiboken6.delete(owner)  # the window closed (a quit) before the result was delivered
    qtbot.waitUntil(lambda: not runner._relays, timeout=5000)  # the result came
    assert seen == []  # nobody left to tell: the callback would touch deleted widgets


def test_a_result_for_a_deleted_owner_is_dropped(qtbot) -> None:  # type: ignore[no-untyped-def]
    runner = TaskRunner()  # the app's pool outlives the window
    window = QObject()
    release, seen = threading.Event(), []
    runner.run(lambda: release.wait(10), lambda r: seen.append(r), owner=window)
    shiboken6.delete(window)  # closed before the result came
    release.set()
    qtbot.waitUntil(lambda: not runner._relays, timeout=5000)  # the result came
    assert seen == []
    runner.run(lambda: 2, seen.append)  # a plain callback with nobody to outlive: delivered
    qtbot.waitUntil(lambda: seen == [2], timeout=5000)
