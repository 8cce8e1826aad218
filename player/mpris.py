"""MPRIS2 over QtDBus, so media keys and desktop widgets control Segue.

Exports ``org.mpris.MediaPlayer2`` and ``org.mpris.MediaPlayer2.Player`` on
``/org/mpris/MediaPlayer2`` under the bus name ``org.mpris.MediaPlayer2.segue``, and emits
``org.freedesktop.DBus.Properties.PropertiesChanged`` when status, metadata or volume change.

MPRIS has no radio, so Segue adds its own interface ``org.segue.Radio`` on the same object: a
read/write boolean ``Radio`` (set it to turn radio on or off) and a read-only double
``Adventurousness`` (0 familiar .. 1 adventurous), both announced by PropertiesChanged; the
methods ``Love()`` and ``NeverPlay()`` (the current track: radio leans toward it / never plays it
again, and it is skipped); and the current track's ``Metadata`` carries ``segue:radioPick`` (true
when radio chose it) and ``segue:why`` (radio's reason for it, in plain words).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from typing import Any, Protocol, TypeVar, cast

from PySide6.QtCore import ClassInfo, Property, QMetaType, QObject, Signal, SignalInstance, Slot
from PySide6.QtDBus import (
    QDBusAbstractAdaptor,
    QDBusArgument,
    QDBusConnection,
    QDBusMessage,
    QDBusObjectPath,
)

from player.controller import PlayerController, Repeat
from player.paths import file_url, url_path
from player.playback import Playable, PlayState
from player.plugin_api import Origin

log = logging.getLogger(__name__)

BUS_NAME = "org.mpris.MediaPlayer2.segue"
OBJECT_PATH = "/org/mpris/MediaPlayer2"
ROOT_IFACE = "org.mpris.MediaPlayer2"
PLAYER_IFACE = "org.mpris.MediaPlayer2.Player"
RADIO_IFACE = "org.segue.Radio"
NO_TRACK = "/org/mpris/MediaPlayer2/TrackList/NoTrack"
_MIME_TYPES = ["audio/mpeg", "audio/flac", "audio/ogg", "audio/opus", "audio/mp4", "audio/x-wav"]


_T = TypeVar("_T")


def _dbus_interface(name: str) -> Callable[[type[_T]], type[_T]]:
    """Class decorator naming the D-Bus interface an adaptor exports."""
    class_info: Any = ClassInfo  # PySide's stubs do not type ClassInfo's dict form
    return cast(Callable[[type[_T]], type[_T]], class_info({"D-Bus Interface": name}))


class RadioSwitch(Protocol):
    """What MPRIS needs from radio (``player.radio.RadioController`` has it)."""

    @property
    def enabled_changed(self) -> SignalInstance:
        """Emitted with the new on/off state."""
        ...

    def is_enabled(self) -> bool:
        """Whether radio is on."""
        ...

    def set_enabled(self, on: bool) -> None:
        """Turn radio on or off."""
        ...


#: MPRIS ``LoopStatus`` for each repeat mode, and back.
LOOP_STATUS = {Repeat.OFF: "None", Repeat.ALL: "Playlist", Repeat.ONE: "Track"}
_REPEAT_OF = {status: mode for mode, status in LOOP_STATUS.items()}


class RadioSteer(Protocol):
    """What MPRIS needs to pass on a love or a never-play (``player.ui.steering.Steering``)."""

    def love(self, track_ids: Sequence[int], on: bool | None = None) -> None:
        """Love the tracks."""
        ...

    def never_play(self, track_ids: Sequence[int], on: bool = True) -> None:
        """Radio never plays the tracks again."""
        ...


def track_object_path(track_id: int) -> str:
    """The MPRIS track id of a library track."""
    return f"/org/segue/track/{track_id}"


@_dbus_interface(ROOT_IFACE)
class _RootAdaptor(QDBusAbstractAdaptor):
    def __init__(self, owner: Mpris) -> None:
        super().__init__(owner)
        self._owner = owner

    CanQuit = Property(bool, lambda self: True)
    CanRaise = Property(bool, lambda self: True)
    HasTrackList = Property(bool, lambda self: False)
    Identity = Property(str, lambda self: "Segue")
    DesktopEntry = Property(str, lambda self: "segue")
    SupportedUriSchemes = Property("QStringList", lambda self: ["file"])  # type: ignore[arg-type]
    SupportedMimeTypes = Property("QStringList", lambda self: list(_MIME_TYPES))  # type: ignore[arg-type]

    @Slot()
    def Raise(self) -> None:
        self._owner.raise_window()

    @Slot()
    def Quit(self) -> None:
        self._owner.quit_app()


@_dbus_interface(PLAYER_IFACE)
class _PlayerAdaptor(QDBusAbstractAdaptor):
    Seeked = Signal("qlonglong")  # type: ignore[arg-type]

    def __init__(self, owner: Mpris) -> None:
        super().__init__(owner)
        self._owner = owner
        self._c = owner.controller

    def _volume(self) -> float:
        return self._c.playback.volume

    def _set_volume(self, value: float) -> None:
        self._c.playback.set_volume(float(value))

    def _loop_status(self) -> str:
        return LOOP_STATUS[self._c.repeat]

    def _set_loop_status(self, value: str) -> None:
        mode = _REPEAT_OF.get(str(value))
        if mode is None:
            log.info("MPRIS: unknown LoopStatus %r ignored", value)
            return
        self._c.set_repeat(mode)

    def _shuffle(self) -> bool:
        return self._c.shuffle

    def _set_shuffle(self, on: bool) -> None:
        self._c.set_shuffle(bool(on))

    PlaybackStatus = Property(str, lambda self: self._owner.playback_status())
    LoopStatus = Property(str, _loop_status, _set_loop_status)
    Rate = Property(float, lambda self: 1.0)
    MinimumRate = Property(float, lambda self: 1.0)
    MaximumRate = Property(float, lambda self: 1.0)
    Shuffle = Property(bool, _shuffle, _set_shuffle)
    Metadata = Property("QVariantMap", lambda self: self._owner.metadata())  # type: ignore[arg-type]
    Volume = Property(float, _volume, _set_volume)
    Position = Property("qlonglong", lambda self: self._c.playback.position_ms * 1000)  # type: ignore[arg-type]
    CanGoNext = Property(bool, lambda self: True)
    CanGoPrevious = Property(bool, lambda self: True)
    CanPlay = Property(bool, lambda self: True)
    CanPause = Property(bool, lambda self: True)
    CanSeek = Property(bool, lambda self: self._c.playback.current is not None)
    CanControl = Property(bool, lambda self: True)

    @Slot()
    def Next(self) -> None:
        self._c.next()

    @Slot()
    def Previous(self) -> None:
        self._c.previous()

    @Slot()
    def Pause(self) -> None:
        self._c.playback.pause()

    @Slot()
    def PlayPause(self) -> None:
        self._c.play_pause()

    @Slot()
    def Stop(self) -> None:
        self._c.stop()

    @Slot()
    def Play(self) -> None:
        if self._c.playback.state != PlayState.PLAYING:
            self._c.play_pause()

    @Slot("qlonglong")
    def Seek(self, offset_us: int) -> None:
        p = self._c.playback
        p.seek(p.position_ms + int(offset_us) // 1000)
        self.Seeked.emit(p.position_ms * 1000)

    @Slot(QDBusObjectPath, "qlonglong")
    def SetPosition(self, track: QDBusObjectPath, position_us: int) -> None:
        current = self._c.playback.current
        if current is not None and track.path() == track_object_path(current.track_id):
            self._c.playback.seek(int(position_us) // 1000)
            self.Seeked.emit(int(position_us))

    @Slot(str)
    def OpenUri(self, uri: str) -> None:
        self._owner.open_uri(uri)


@_dbus_interface(RADIO_IFACE)
class _RadioAdaptor(QDBusAbstractAdaptor):
    def __init__(self, owner: Mpris) -> None:
        super().__init__(owner)
        self._owner = owner

    def _radio(self) -> bool:
        return self._owner.radio_enabled()

    def _set_radio(self, on: bool) -> None:
        self._owner.set_radio_enabled(bool(on))

    Radio = Property(bool, _radio, _set_radio)
    Adventurousness = Property(float, lambda self: self._owner.adventurousness())

    @Slot()
    def Love(self) -> None:
        self._owner.steer_current(love=True)

    @Slot()
    def NeverPlay(self) -> None:
        self._owner.steer_current(love=False)


class Mpris(QObject):
    """The MPRIS2 service of one player window."""

    def __init__(
        self,
        controller: PlayerController,
        *,
        raise_window: Callable[[], None] = lambda: None,
        quit_app: Callable[[], None] = lambda: None,
        connection: QDBusConnection | None = None,
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self.controller = controller
        self.raise_window = raise_window
        self.quit_app = quit_app
        self._bus = connection if connection is not None else QDBusConnection.sessionBus()
        # PropertiesChanged is (sa{sv}as); a bare [] would marshal as "av", which GDBus
        # clients (GNOME Shell, playerctl) reject.
        self._no_invalidated = QDBusArgument()
        self._no_invalidated.beginArray(QMetaType(QMetaType.Type.QString))
        self._no_invalidated.endArray()
        self._radio: RadioSwitch | None = None
        self._steer: RadioSteer | None = None
        self._adventurousness: Callable[[], float] = lambda: 0.5
        self._open_file: Callable[[str], None] | None = None
        self._root = _RootAdaptor(self)
        self._player = _PlayerAdaptor(self)
        self._radio_adaptor = _RadioAdaptor(self)
        playback = controller.playback
        playback.state_changed.connect(lambda _s: self._changed("PlaybackStatus", "CanSeek"))
        playback.track_loaded.connect(lambda _p: self._changed("Metadata", "CanSeek"))
        playback.duration_changed.connect(lambda _d: self._changed("Metadata"))
        playback.volume_changed.connect(lambda _v: self._changed("Volume"))
        controller.mode_changed.connect(lambda: self._changed("Shuffle", "LoopStatus"))

    def set_file_opener(self, open_file: Callable[[str], None]) -> None:
        """What ``OpenUri`` calls with a local file's path (it plays it)."""
        self._open_file = open_file

    def open_uri(self, uri: str) -> None:
        """Play a ``file://`` URI (other schemes are not supported and ignored)."""
        path = url_path(uri)
        if path is None:
            log.info("MPRIS OpenUri: only file:// URIs are supported, not %s", uri)
            return
        if self._open_file is None:
            log.info("MPRIS OpenUri: nothing opens files yet; %s ignored", path)
            return
        self._open_file(path)

    def attach_radio(
        self,
        radio: RadioSwitch,
        *,
        adventurousness: Callable[[], float] | None = None,
        adventurousness_changed: SignalInstance | None = None,
        steer: RadioSteer | None = None,
    ) -> None:
        """Expose ``radio`` as ``org.segue.Radio`` (its ``Radio`` property is read/write).

        Args:
            radio: The radio controller.
            adventurousness: Returns the slider's value in [0, 1].
            adventurousness_changed: Emitted when that value changes.
            steer: Where ``Love()`` and ``NeverPlay()`` go.
        """
        self._radio = radio
        self._steer = steer
        radio.enabled_changed.connect(lambda _on: self._radio_changed("Radio"))
        if adventurousness is not None:
            self._adventurousness = adventurousness
        if adventurousness_changed is not None:
            adventurousness_changed.connect(lambda *_: self._radio_changed("Adventurousness"))

    def radio_enabled(self) -> bool:
        """Whether radio is on (False when there is no radio)."""
        return self._radio is not None and self._radio.is_enabled()

    def set_radio_enabled(self, on: bool) -> None:
        """Turn radio on or off from the bus (ignored when there is no radio)."""
        if self._radio is None:
            log.info("MPRIS: radio is not available; Radio=%s ignored", on)
            return
        self._radio.set_enabled(on)

    def steer_current(self, *, love: bool) -> None:
        """Love (else never play) the current track, from the bus."""
        current = self.controller.playback.current
        if self._steer is None or current is None:
            log.info("MPRIS: %s ignored (no radio or no track)", "Love" if love else "NeverPlay")
            return
        if love:
            self._steer.love([current.track_id], True)
        else:
            self._steer.never_play([current.track_id])

    def adventurousness(self) -> float:
        """Radio's adventurousness in [0, 1]."""
        return float(self._adventurousness())

    def register(self) -> bool:
        """Export the object and take the bus name; False when there is no session bus."""
        if not self._bus.isConnected():
            return False
        if not self._bus.registerObject(OBJECT_PATH, self):
            log.warning("cannot export %s", OBJECT_PATH)
            return False
        if not self._bus.registerService(BUS_NAME):
            log.warning("cannot own %s (another Segue running?)", BUS_NAME)
            self._bus.unregisterObject(OBJECT_PATH)
            return False
        log.info("MPRIS2 registered as %s", BUS_NAME)
        return True

    def unregister(self) -> None:
        """Give the bus name back."""
        self._bus.unregisterService(BUS_NAME)
        self._bus.unregisterObject(OBJECT_PATH)

    def playback_status(self) -> str:
        """``Playing``, ``Paused`` or ``Stopped``."""
        state = self.controller.playback.state
        return {PlayState.PLAYING: "Playing", PlayState.PAUSED: "Paused"}.get(state, "Stopped")

    def metadata(self) -> dict[str, Any]:
        """MPRIS metadata of the current track."""
        track: Playable | None = self.controller.playback.current
        if track is None:
            return {"mpris:trackid": QDBusObjectPath(NO_TRACK)}
        meta: dict[str, Any] = {
            "mpris:trackid": QDBusObjectPath(track_object_path(track.track_id)),
            "xesam:url": file_url(track.path),
            "xesam:title": track.title or track.path.rsplit("/", 1)[-1],
            "segue:radioPick": track.origin == Origin.RADIO,
            "segue:why": track.why,
        }
        if track.artist:
            meta["xesam:artist"] = [track.artist]
        if track.album:
            meta["xesam:album"] = track.album
        length = self.controller.playback.duration_ms or track.duration_ms
        if length:
            meta["mpris:length"] = int(length) * 1000
        return meta

    def _changed(self, *names: str) -> None:
        self._announce(PLAYER_IFACE, self._player, names)

    def _radio_changed(self, *names: str) -> None:
        self._announce(RADIO_IFACE, self._radio_adaptor, names)

    def _announce(self, interface: str, adaptor: QObject, names: tuple[str, ...]) -> None:
        if not self._bus.isConnected():
            return
        values = {name: getattr(adaptor, name) for name in names}
        message = QDBusMessage.createSignal(
            OBJECT_PATH, "org.freedesktop.DBus.Properties", "PropertiesChanged"
        )
        message.setArguments([interface, values, self._no_invalidated])
        self._bus.send(message)
