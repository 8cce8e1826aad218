"""Real audio files for tests: ffmpeg-encoded templates, copied and tagged with mutagen."""

from __future__ import annotations

import base64
import os
import shutil
import subprocess
import tempfile
from pathlib import Path
from typing import Any

from mutagen import id3
from mutagen.apev2 import APENoHeaderError, APEv2
from mutagen.asf import ASF, ASFDWordAttribute
from mutagen.flac import FLAC, Picture
from mutagen.mp4 import MP4, MP4Cover, MP4FreeForm
from mutagen.oggopus import OggOpus
from mutagen.oggvorbis import OggVorbis
from mutagen.wave import WAVE
from mutagen.wavpack import WavPack

FORMATS = ("mp3", "flac", "ogg", "opus", "m4a", "wav")  # make_library's; make_audio also: wma wv

_ENCODERS: dict[str, list[str]] = {
    "mp3": ["-c:a", "libmp3lame", "-b:a", "64k", "-id3v2_version", "0", "-write_xing", "1"],
    "flac": ["-c:a", "flac"],
    "ogg": ["-c:a", "libvorbis", "-q:a", "0"],
    "opus": ["-c:a", "libopus", "-b:a", "32k", "-ar", "48000"],
    "m4a": ["-c:a", "aac", "-b:a", "64k"],
    "wav": ["-c:a", "pcm_s16le"],
    "wma": ["-c:a", "wmav2", "-b:a", "64k"],
    "wv": ["-c:a", "wavpack"],
}

_ID3_FRAMES: dict[str, type[id3.Frame]] = {
    "title": id3.TIT2,
    "artist": id3.TPE1,
    "album": id3.TALB,
    "albumartist": id3.TPE2,
    "tracknumber": id3.TRCK,
    "discnumber": id3.TPOS,
    "genre": id3.TCON,
    "date": id3.TDRC,
}

_MP4_KEYS = {
    "title": "\xa9nam",
    "artist": "\xa9ART",
    "album": "\xa9alb",
    "albumartist": "aART",
    "genre": "\xa9gen",
    "date": "\xa9day",
}

_ASF_KEYS = {
    "title": "Title",
    "artist": "Author",
    "album": "WM/AlbumTitle",
    "albumartist": "WM/AlbumArtist",
    "tracknumber": "WM/TrackNumber",
    "discnumber": "WM/PartOfSet",
    "genre": "WM/Genre",
    "date": "WM/Year",
}

_APE_KEYS = {
    "title": "Title",
    "artist": "Artist",
    "album": "Album",
    "albumartist": "Album Artist",
    "tracknumber": "Track",
    "discnumber": "Disc",
    "genre": "Genre",
    "date": "Year",
}


def cover_image(fmt: str = "jpg") -> bytes:
    """Return a real 8x8 JPEG (``"jpg"``) or PNG (``"png"``) made by ffmpeg (cached)."""
    target = template_dir() / f"cover.{fmt}"
    if not target.exists():
        fd, tmp_name = tempfile.mkstemp(dir=target.parent, suffix=f".{fmt}")
        os.close(fd)
        try:
            subprocess.run(
                ["ffmpeg", "-nostdin", "-loglevel", "error", "-y", "-f", "lavfi", "-i",
                 "color=c=red:s=8x8", "-frames:v", "1", "-f", "image2", tmp_name],
                check=True,
            )  # fmt: skip
            os.replace(tmp_name, target)
        finally:
            if os.path.exists(tmp_name):
                os.unlink(tmp_name)
    return target.read_bytes()


def template_dir() -> Path:
    """Folder holding one encoded template per (format, seconds); shared by every test run."""
    folder = os.environ.get("SEGUE_AUDIO_CACHE") or os.path.join(
        tempfile.gettempdir(), f"segue-audio-templates-{os.getuid()}"
    )
    path = Path(folder)
    path.mkdir(parents=True, exist_ok=True)
    return path


def template(fmt: str, seconds: float) -> Path:
    """Return the cached encoded sine tone for ``fmt`` and ``seconds``, encoding it once."""
    if fmt not in _ENCODERS:
        raise ValueError(f"unsupported audio format {fmt!r}; use one of {tuple(_ENCODERS)}")
    target = template_dir() / f"sine-{seconds:g}s.{fmt}"
    if target.exists():
        return target
    fd, tmp_name = tempfile.mkstemp(dir=target.parent, suffix=f".{fmt}")
    os.close(fd)
    try:
        subprocess.run(
            ["ffmpeg", "-nostdin", "-loglevel", "error", "-y", "-f", "lavfi", "-i",
             f"sine=frequency=440:sample_rate=44100:duration={seconds:g}",
             "-ac", "1", "-map_metadata", "-1", *_ENCODERS[fmt], "-f", _muxer(fmt), tmp_name],
            check=True,
        )  # fmt: skip
        os.replace(tmp_name, target)  # atomic: parallel runs never see half a template
    finally:
        if os.path.exists(tmp_name):
            os.unlink(tmp_name)
    return target


def _muxer(fmt: str) -> str:
    return {"m4a": "ipod", "opus": "ogg", "wma": "asf"}.get(fmt, fmt)


def make_audio(
    path: Path,
    *,
    seconds: float = 1.0,
    fmt: str | None = None,
    tags: dict[str, Any] | None = None,
    cover: bytes | None = None,
) -> Path:
    """Write a real audio file at ``path`` (format from ``fmt`` or the suffix) and tag it.

    Args:
        path: Target file; parent folders are created.
        seconds: Length of the tone.
        fmt: One of mp3 flac ogg opus m4a wav wma wv; defaults to the file's suffix (give it
            for content that is not what the suffix says, e.g. a WMA named ``.mp3``).
        tags: title, artist, album, albumartist, tracknumber, discnumber, genre, date (str or int);
            ``None`` writes no tags at all.
        cover: Image bytes (JPEG or PNG) embedded as the front cover.
    """
    path = Path(path)
    fmt = (fmt or path.suffix.lstrip(".")).lower()
    path.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(template(fmt, seconds), path)
    if tags or cover:
        write_tags(path, fmt, {k: str(v) for k, v in (tags or {}).items()}, cover)
    return path


def write_tags(path: Path, fmt: str, tags: dict[str, str], cover: bytes | None = None) -> None:
    """Write ``tags`` (and ``cover``) into the file with mutagen, in the format's native way."""
    mime = "image/png" if cover and cover.startswith(b"\x89PNG") else "image/jpeg"
    if fmt in ("mp3", "wav"):
        frames = [_ID3_FRAMES[k](encoding=3, text=[v]) for k, v in tags.items()]
        if cover:
            frames.append(id3.APIC(encoding=3, mime=mime, type=3, desc="", data=cover))
        if fmt == "mp3":
            tag = id3.ID3()
            for frame in frames:
                tag.add(frame)
            tag.save(path)
        else:
            wave = WAVE(path)
            wave.add_tags()
            assert wave.tags is not None
            for frame in frames:
                wave.tags.add(frame)
            wave.save()
    elif fmt in ("flac", "ogg", "opus"):
        audio: Any = {"flac": FLAC, "ogg": OggVorbis, "opus": OggOpus}[fmt](path)
        for key, value in tags.items():
            audio[key] = value
        if cover:
            picture = Picture()
            picture.type, picture.mime, picture.data = 3, mime, cover
            if fmt == "flac":
                audio.add_picture(picture)
            else:
                audio["metadata_block_picture"] = base64.b64encode(picture.write()).decode()
        audio.save()
    elif fmt == "m4a":
        mp4 = MP4(path)
        for key, value in tags.items():
            if key in ("tracknumber", "discnumber"):
                mp4["trkn" if key == "tracknumber" else "disk"] = [(int(value), 0)]
            else:
                mp4[_MP4_KEYS[key]] = [value]
        if cover:
            kind = MP4Cover.FORMAT_PNG if mime == "image/png" else MP4Cover.FORMAT_JPEG
            mp4["covr"] = [MP4Cover(cover, imageformat=kind)]
        mp4.save()
    elif fmt in ("wma", "wv") and not cover:
        _write_asf_or_ape(path, fmt, tags)
    else:
        raise ValueError(f"cannot tag format {fmt!r}" + (" with a cover" if cover else ""))


def _write_asf_or_ape(path: Path, fmt: str, tags: dict[str, str]) -> None:
    """Tag a WMA (ASF attributes; the track number as a DWORD, as players write it) or a WavPack."""
    if fmt == "wma":
        asf = ASF(path)
        for key, value in tags.items():
            number = key == "tracknumber"
            asf[_ASF_KEYS[key]] = [ASFDWordAttribute(int(value)) if number else value]
        asf.save()
    else:
        wavpack = WavPack(path)
        if wavpack.tags is None:  # ffmpeg usually writes one (its encoder name)
            wavpack.add_tags()
        assert wavpack.tags is not None
        for key, value in tags.items():
            wavpack.tags[_APE_KEYS[key]] = value
        wavpack.save()


def write_replaygain(path: Path, fmt: str, values: dict[str, str]) -> None:
    """Write ReplayGain tags (``REPLAYGAIN_TRACK_GAIN``: ``"-6.2 dB"``, ...) the way taggers do
    for ``fmt`` (ID3 TXXX, Vorbis comments, MP4 freeform, APEv2, ASF)."""
    if fmt == "mp3":
        tags = id3.ID3(path)
        for key, value in values.items():
            tags.add(id3.TXXX(encoding=3, desc=key, text=[value]))
        tags.save(path)
    elif fmt in ("flac", "ogg", "opus"):
        audio = {"flac": FLAC, "ogg": OggVorbis, "opus": OggOpus}[fmt](path)
        for key, value in values.items():
            audio[key.lower() if fmt == "ogg" else key] = value
        audio.save()
    elif fmt == "m4a":
        mp4 = MP4(path)
        for key, value in values.items():
            mp4[f"----:com.apple.iTunes:{key.lower()}"] = [MP4FreeForm(value.encode())]
        mp4.save()
    elif fmt == "wv":  # also into an MP3, at its end, as mp3gain does
        try:
            ape = APEv2(path)
        except APENoHeaderError:
            ape = APEv2()
        for key, value in values.items():
            ape[key.lower()] = value
        ape.save(path)
    elif fmt == "wma":
        asf = ASF(path)
        for key, value in values.items():
            asf[key.lower()] = [value]
        asf.save()
    else:
        raise ValueError(f"cannot write ReplayGain tags into {fmt!r}")


def make_library(
    root: Path, n_albums: int, tracks_per_album: int, *, seconds: float = 1.0
) -> list[Path]:
    """Create ``Artist N/Album N/NN Song N.M.<fmt>`` files, formats cycling per album.

    Album ``a`` (from 0) uses ``FORMATS[a % 6]``; every file is tagged (title, artist, album,
    albumartist, tracknumber, discnumber, genre, date). Returns the paths in creation order.
    """
    genres = ("Rock", "Jazz", "Pop")
    paths: list[Path] = []
    for a in range(n_albums):
        fmt = FORMATS[a % len(FORMATS)]
        folder = Path(root) / f"Artist {a + 1}" / f"Album {a + 1}"
        for t in range(tracks_per_album):
            title = f"Song {a + 1}.{t + 1}"
            tags = {
                "title": title,
                "artist": f"Artist {a + 1}",
                "album": f"Album {a + 1}",
                "albumartist": f"Artist {a + 1}",
                "tracknumber": t + 1,
                "discnumber": 1,
                "genre": genres[a % len(genres)],
                "date": 2000 + a,
            }
            paths.append(
                make_audio(folder / f"{t + 1:02d} {title}.{fmt}", seconds=seconds, tags=tags)
            )
    return paths
