"""One plugin's two threads: the event thread (load, events, picks) and the training thread.

Jobs come in through :meth:`PluginWorker.submit` and go to the thread the plugin contract names
(:data:`~player.plugin_api.TRAINING_METHODS` to training, the rest to events), each a FIFO run
one job at a time, so a pick never queues behind training. Answers and failures go back as Qt
signals, which the :class:`~player.plugin_host.PluginHost` receives on the GUI thread. A method
that raises is logged and reported, never raised into the player.
"""

from __future__ import annotations

import dataclasses
import logging
import queue
import threading
import traceback
from collections.abc import Callable
from dataclasses import dataclass, field
from importlib.metadata import EntryPoint
from typing import Any

from PySide6.QtCore import QObject, QThread, Signal

from player.plugin_api import TRAINING_METHODS, Plugin, PluginContext

log = logging.getLogger(__name__)


@dataclass
class Job:
    method: str
    args: tuple[Any, ...] = ()
    kwargs: dict[str, Any] = field(default_factory=dict)
    request_id: int = 0  # 0: nobody waits for the answer


STOP = Job(method="__stop__")


class _Lane(QThread):
    """A thread that runs one FIFO of jobs through ``run_job`` until :data:`STOP`."""

    def __init__(self, run_job: Callable[[Job], None], before: Callable[[], None]) -> None:
        super().__init__()
        self.jobs: queue.SimpleQueue[Job] = queue.SimpleQueue()
        self._run_job = run_job
        self._before = before

    def run(self) -> None:
        self._before()
        while (job := self.jobs.get()) is not STOP:
            self._run_job(job)


class PluginWorker(QObject):
    """The plugin's event and training threads, and the jobs routed to them."""

    loaded = Signal(str, str)  # name, error ("" when it loaded)
    call_done = Signal(int, object, str)  # request id, result, error ("" on success)
    call_failed = Signal(str, str, str)  # name, method, message
    progressed = Signal(str, object)  # name, TrainProgress

    def __init__(
        self,
        name: str,
        factory: Callable[[], Plugin],
        context: PluginContext,
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self.name = name
        self._factory = factory
        self.cancel = threading.Event()  # the user cancelled training: cleared at each new job
        self._closing = threading.Event()  # the player quits: training stops for good
        self._context = dataclasses.replace(context, should_stop=self._should_stop)
        self._loaded = threading.Event()
        self.plugin: Plugin | None = None
        self._events = _Lane(self._run_job, self._load)
        self._training = _Lane(self._run_job, self._catch_up)
        self._events.setObjectName(f"plugin-{name}")
        self._training.setObjectName(f"plugin-{name}-training")

    def start(self) -> None:
        """Start both threads; the plugin loads first, then training catches up."""
        self._events.start(QThread.Priority.LowPriority)
        self._training.start(QThread.Priority.LowestPriority)

    def submit(self, job: Job) -> None:
        """Queue ``job`` on the thread the plugin contract names for its method."""
        lane = self._training if job.method in TRAINING_METHODS else self._events
        lane.jobs.put(job)

    def stop(self, timeout_ms: int) -> bool:
        """Stop training, then save the plugin's state, close it and end both threads."""
        self._closing.set()
        self._training.jobs.put(STOP)
        stopped = self._training.wait(timeout_ms)
        for job in (Job("save_state"), Job("close"), STOP):
            self._events.jobs.put(job)
        return self._events.wait(timeout_ms) and stopped

    def _should_stop(self) -> bool:
        return self.cancel.is_set() or self._closing.is_set()

    def _load(self) -> None:
        try:
            plugin = self._factory()
            plugin.load(self._context)
        except Exception as exc:  # a broken plugin must never take the player down
            log.error("plugin %s could not be loaded:\n%s", self.name, traceback.format_exc())
            self.loaded.emit(self.name, f"{type(exc).__name__}: {exc}")
        else:
            self.plugin = plugin
            self.loaded.emit(self.name, "")
        finally:
            self._loaded.set()

    def _catch_up(self) -> None:
        """Training's first job, once the plugin is loaded: learn sessions closed while away."""
        self._loaded.wait()
        self._run_job(Job("train", kwargs={"full": False}))

    def _run_job(self, job: Job) -> None:
        if self.plugin is None:
            if job.request_id:
                self.call_done.emit(job.request_id, None, f"plugin {self.name} is not available")
            return
        kwargs = dict(job.kwargs)
        if job.method in TRAINING_METHODS:
            if self._closing.is_set():
                return
            self.cancel.clear()
        try:
            if job.method == "train":
                if job.request_id:
                    kwargs["progress"] = lambda p: self.progressed.emit(self.name, p)
                if kwargs.get("sessions") is None:
                    # Reading the whole history is slow on a big library: done here, off the GUI.
                    kwargs["sessions"] = list(self._context.load_sessions())
            result = getattr(self.plugin, job.method)(*job.args, **kwargs)
        except Exception as exc:
            message = f"{type(exc).__name__}: {exc}"
            log.error("plugin %s failed in %s:\n%s", self.name, job.method, traceback.format_exc())
            self.call_failed.emit(self.name, job.method, message)
            if job.request_id:
                self.call_done.emit(job.request_id, None, message)
            return
        if job.request_id:
            self.call_done.emit(job.request_id, result, "")


def same_plugin(plugin: Plugin) -> Plugin:
    return plugin


def from_entry_point(ep: EntryPoint) -> Plugin:
    """Import an entry point (on the worker thread) and build its plugin.

    The entry point names a Plugin subclass or a factory returning an instance.
    """
    obj = ep.load()
    instance = obj() if callable(obj) else obj
    if not isinstance(instance, Plugin):
        raise TypeError(f"{obj!r} is not a segue Plugin")
    return instance
