"""Reading audio tags with mutagen into plain records, by content, with fallbacks for odd tags."""

from __future__ import annotations

import math
import os
import re
from dataclasses import dataclass
from typing import Any

import mutagen
from mutagen._vorbis import VCommentDict
from mutagen.aac import AAC
from mutagen.apev2 import APETextValue, APEv2
from mutagen.asf import ASFTags
from mutagen.flac import FLAC
from mutagen.id3 import ID3
from mutagen.mp3 import MP3
from mutagen.mp4 import MP4, MP4Tags
from mutagen.oggopus import OggOpus
from mutagen.oggvorbis import OggVorbis
from mutagen.wave import WAVE

from player.albums import UNKNOWN_ARTIST
from player.replaygain import TAG_FIELDS, ReplayGain, from_tags

# The mutagen class a suffix usually means. Opened directly only when the file's first bytes
# agree (skipping mutagen's guessing among two dozen formats); else mutagen picks by content.
CLASS_BY_SUFFIX: dict[str, Any] = {
    ".mp3": MP3,
    ".flac": FLAC,
    ".ogg": OggVorbis,
    ".oga": OggVorbis,
    ".opus": OggOpus,
    ".m4a": MP4,
    ".m4b": MP4,
    ".mp4": MP4,
    ".aac": AAC,
    ".wav": WAVE,
}
AUDIO_SUFFIXES = frozenset(CLASS_BY_SUFFIX)
_HEADER_BYTES = 128  # what mutagen's format scores look at

_CODEC_BY_CLASS = {
    "MP3": "mp3",
    "FLAC": "flac",
    "OggVorbis": "vorbis",
    "OggOpus": "opus",
    "OggFLAC": "flac",
    "AAC": "aac",
    "WAVE": "pcm",
    "ASF": "wma",
}
_ID3_KEYS = {
    "title": "TIT2",
    "artist": "TPE1",
    "album_artist": "TPE2",
    "album": "TALB",
    "track": "TRCK",
    "disc": "TPOS",
    "genre": "TCON",
    "date": "TDRC",
}
_VORBIS_KEYS = {
    "title": "title",
    "artist": "artist",
    "album_artist": "albumartist",
    "album": "album",
    "track": "tracknumber",
    "disc": "discnumber",
    "genre": "genre",
    "date": "date",
    "mbid": "musicbrainz_trackid",
}
_MP4_KEYS = {
    "title": "\xa9nam",
    "artist": "\xa9ART",
    "album_artist": "aART",
    "album": "\xa9alb",
    "genre": "\xa9gen",
    "date": "\xa9day",
}
_ASF_KEYS = {
    "title": "Title",
    "artist": "Author",
    "album_artist": "WM/AlbumArtist",
    "album": "WM/AlbumTitle",
    "track": "WM/TrackNumber",
    "disc": "WM/PartOfSet",
    "genre": "WM/Genre",
    "date": "WM/Year",
    "mbid": "MusicBrainz/Track Id",
}
_APE_KEYS = {  # APEv2 keys are case-insensitive
    "title": "title",
    "artist": "artist",
    "album_artist": "album artist",
    "album": "album",
    "track": "track",
    "disc": "disc",
    "genre": "genre",
    "date": "year",
    "mbid": "musicbrainz_trackid",
}
# MusicBrainz recording ids where they are not plain text frames.
_ID3_MBID = "UFID:http://musicbrainz.org"
_MP4_MBID = "----:com.apple.iTunes:MusicBrainz Track Id"
_LEADING_NUMBER = re.compile(r"\s*(\d+)")
_MAX_NUMBER_DIGITS = 6  # a longer track or disc number is junk (and would overflow SQLite)
_YEAR = re.compile(r"(\d{4})")


class TagError(Exception):
    """The file could not be read as audio; the message says why, for a human."""


@dataclass(frozen=True, slots=True)
class TagInfo:
    """What the library stores about a file's contents."""

    title: str
    artist: str
    album_artist: str
    album: str
    track_number: int | None
    disc_number: int | None
    genre: str
    year: int | None
    duration_ms: int | None
    codec: str
    has_embedded_cover: bool
    mbid: str = ""  # MusicBrainz recording id, lower case
    replaygain: ReplayGain | None = None


def read_tags(path: str) -> TagInfo:
    """Read ``path`` once with mutagen and return its tags, falling back where they are missing.

    The title falls back to the file name, the artist to ``"Unknown artist"``.

    Raises:
        TagError: Empty, vanished, unreadable, truncated or unrecognised file.
    """
    audio = _open(path)
    raw, cover = _raw_tags(audio.tags)
    cover = cover or bool(getattr(audio, "pictures", None))
    length = getattr(audio.info, "length", 0) or 0
    return TagInfo(
        title=raw.get("title") or display_stem(path),
        artist=raw.get("artist") or UNKNOWN_ARTIST,
        album_artist=raw.get("album_artist", ""),
        album=raw.get("album", ""),
        track_number=_number(raw.get("track")),
        disc_number=_number(raw.get("disc")),
        genre=raw.get("genre", ""),
        year=_year(raw.get("date")),
        duration_ms=round(length * 1000) if math.isfinite(length) and length > 0 else None,
        codec=_codec(audio),
        has_embedded_cover=cover,
        mbid=raw.get("mbid", "").lower(),
        replaygain=_replaygain(audio, path),
    )


def _replaygain(audio: Any, path: str) -> ReplayGain | None:
    """The file's ReplayGain; for an MP3 without it in ID3, from an APEv2 tag at its end, where
    mp3gain writes it."""
    gain = from_tags(_gain_texts(audio.tags), path) if audio.tags else None
    if gain is None and isinstance(audio, MP3):
        try:
            gain = from_tags(_gain_texts(APEv2(path)), path)
        except Exception:  # no APEv2 tag (the usual case), or a broken one: no gain
            return None
    return gain


def _open(path: str) -> Any:
    """Open ``path`` with mutagen, as whatever format its content is; any failure is a TagError."""
    try:
        if os.path.getsize(path) == 0:
            raise TagError("empty file (0 bytes)")
        audio = _load(path)
    except TagError:
        raise
    except FileNotFoundError:
        raise TagError("the file disappeared during the scan") from None
    except PermissionError as error:
        raise TagError(f"cannot read the file: {error.strerror}") from None
    except Exception as error:  # mutagen raises many kinds on broken files
        raise TagError(f"unreadable or corrupt audio ({type(error).__name__}: {error})") from None
    if audio is None:
        raise TagError("not a recognised audio format")
    return audio


def _load(path: str) -> Any:
    """The suffix's class if the content agrees, else mutagen's pick, else its pick by content.

    mutagen weighs the suffix too: a WMA named ``.flac`` scores as FLAC, a FLAC named ``.mp3``
    ties with MP3. The last try hides the name, so only the bytes decide.
    """
    audio = _load_as_suffix_says(path)
    if audio is not None:
        return audio
    try:
        return mutagen.File(path)
    except Exception as error:
        first = error
    try:
        # A file object named by its descriptor (a number): mutagen sees no suffix.
        with open(os.open(path, os.O_RDONLY), "rb") as handle:
            audio = mutagen.File(handle)
    except Exception:
        audio = None
    if audio is None:
        raise first
    return audio


def _load_as_suffix_says(path: str) -> Any:
    """Open with the suffix's class when mutagen scores the first bytes (not the name) as it."""
    cls = CLASS_BY_SUFFIX.get(os.path.splitext(path)[1].lower())
    if cls is None:
        return None
    with open(path, "rb") as handle:
        if cls.score("", handle, handle.read(_HEADER_BYTES)) <= 0:
            return None
        handle.seek(0)
        try:
            return cls(handle)
        except Exception:  # e.g. an ID3 tag in front of FLAC: let mutagen look closer
            return None


def _raw_tags(tags: Any) -> tuple[dict[str, str], bool]:
    """Read the tag container mutagen found in the content: (text by our key, has a cover)."""
    if isinstance(tags, ID3):  # MP3, WAV, AIFF, ...
        return _from_id3(tags)
    if isinstance(tags, MP4Tags):
        return _from_mp4(tags)
    if isinstance(tags, ASFTags):  # before Vorbis: both are lists of (key, value) pairs
        return _from_asf(tags)
    if isinstance(tags, APEv2):  # WavPack, Monkey's Audio, Musepack, ...
        return _from_ape(tags)
    if isinstance(tags, VCommentDict):  # FLAC, Ogg
        return _from_vorbis(tags)
    return {}, False  # no tags, or a container we do not read: names fall back


def _from_id3(tags: ID3) -> tuple[dict[str, str], bool]:
    raw: dict[str, str] = {}
    for key, frame_id in _ID3_KEYS.items():
        frame = tags.get(frame_id)
        if frame is None or not frame.text:
            continue
        text = clean(str(frame.text[0]))
        if getattr(frame, "encoding", None) == 0:  # declared latin-1: often UTF-8 in disguise
            text = fix_mojibake(text)
        raw[key] = text
    ufid = tags.get(_ID3_MBID)
    if ufid is not None and ufid.data:
        raw["mbid"] = clean(ufid.data.decode("ascii", "replace"))
    cover = any(key.startswith("APIC") for key in tags)
    return raw, cover


def _from_vorbis(tags: list[tuple[str, str]]) -> tuple[dict[str, str], bool]:
    # One pass: VCommentDict.get() scans the whole list for every key it is asked.
    first: dict[str, str] = {}
    for key, value in tags:
        first.setdefault(key.lower(), value)
    raw = {key: clean(first[name]) for key, name in _VORBIS_KEYS.items() if name in first}
    return raw, "metadata_block_picture" in first or "coverart" in first


def _from_mp4(tags: MP4Tags) -> tuple[dict[str, str], bool]:
    raw = {key: _first(tags.get(atom)) for key, atom in _MP4_KEYS.items()}
    for key, atom in (("track", "trkn"), ("disc", "disk")):
        value = tags.get(atom)
        if value and isinstance(value[0], tuple) and value[0][0]:
            raw[key] = str(value[0][0])
    mbid = tags.get(_MP4_MBID)
    if mbid and isinstance(mbid[0], bytes):
        raw["mbid"] = clean(mbid[0].decode("utf-8", "replace"))
    return raw, bool(tags.get("covr"))


def _from_asf(tags: ASFTags) -> tuple[dict[str, str], bool]:
    """WMA: each name holds a list of typed attributes, not strings."""
    raw = {key: _asf_text(tags.get(name)) for key, name in _ASF_KEYS.items()}
    return {key: text for key, text in raw.items() if text}, "WM/Picture" in tags


def _asf_text(values: Any) -> str:
    """The first ASF attribute's value as text (Unicode, DWORD, ...); binary values are not text."""
    value = values[0].value if values else ""
    return "" if isinstance(value, bytes) else clean(str(value))


def _from_ape(tags: APEv2) -> tuple[dict[str, str], bool]:
    """APEv2 (WavPack, Monkey's Audio, ...): text values, several joined by NULs; first one."""
    raw: dict[str, str] = {}
    for key, name in _APE_KEYS.items():
        value = tags.get(name)
        if isinstance(value, APETextValue) and value[0]:
            raw[key] = clean(value[0])
    return raw, "cover art (front)" in tags


def _gain_texts(tags: Any) -> dict[str, str]:
    """ReplayGain values as text by lower-cased key (:data:`player.replaygain.TAG_FIELDS`), from
    ID3 TXXX frames, MP4 freeform atoms, ASF attributes, APEv2 items or Vorbis comments."""
    pairs: list[tuple[str, Any]]
    if isinstance(tags, ID3):
        pairs = [(frame.desc, frame.text[0] if frame.text else "") for frame in tags.getall("TXXX")]
    elif isinstance(tags, MP4Tags):  # ----:com.apple.iTunes:replaygain_track_gain
        pairs = [(k.rsplit(":", 1)[-1], v[0] if v else b"") for k, v in tags.items()]
    elif isinstance(tags, ASFTags):
        pairs = [(k, v[0].value if v else "") for k, v in tags.as_dict().items()]
    elif isinstance(tags, APEv2):
        pairs = [(k, v[0] if isinstance(v, APETextValue) else "") for k, v in tags.items()]
    elif isinstance(tags, VCommentDict):
        pairs = list(tags)
    else:
        return {}
    texts: dict[str, str] = {}
    for key, value in pairs:
        name = key.lower()
        if name in TAG_FIELDS and name not in texts:
            texts[name] = clean(
                value.decode("utf-8", "replace") if isinstance(value, bytes) else str(value)
            )
    return texts


def _first(values: Any) -> str:
    if not values:
        return ""
    return clean(str(values[0]))


def clean(text: str) -> str:
    """Strip NULs and blanks; make sure SQLite can store the text (valid UTF-8)."""
    text = text.replace("\x00", " ").strip()
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        text = text.encode("utf-8", "replace").decode("utf-8")
    return text


def fix_mojibake(text: str) -> str:
    """Undo UTF-8 bytes that were decoded as latin-1 (``"CafÃ©"`` -> ``"Café"``)."""
    if text.isascii():
        return text
    try:
        return text.encode("latin-1").decode("utf-8")
    except UnicodeError:
        return text


def display_stem(path: str) -> str:
    """The file name without suffix, readable even when the name is not valid UTF-8."""
    stem = os.path.splitext(os.path.basename(path))[0]
    raw = os.fsencode(stem)
    try:
        return raw.decode("utf-8").strip() or stem
    except UnicodeDecodeError:
        try:
            return raw.decode("cp1252")
        except UnicodeDecodeError:
            return raw.decode("latin-1")


def _number(text: str | None) -> int | None:
    """The leading number of a track or disc tag; None when missing, zero or absurdly long."""
    match = _LEADING_NUMBER.match(text or "")
    digits = match.group(1).lstrip("0") if match else ""
    return int(digits) if 0 < len(digits) <= _MAX_NUMBER_DIGITS else None


def _year(text: str | None) -> int | None:
    match = _YEAR.search(text or "")
    return int(match.group(1)) if match else None


def _codec(audio: Any) -> str:
    name = type(audio).__name__
    if name == "MP4":
        codec = str(getattr(audio.info, "codec", ""))
        return "aac" if codec.startswith("mp4a") else codec or "mp4"
    return _CODEC_BY_CLASS.get(name, name.lower())
