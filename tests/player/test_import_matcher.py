"""Issue #24: export entries matched to library files; a cover by another artist never matches,
an ambiguous entry stays unmatched with its reason, version parts are a weaker match."""

from __future__ import annotations

from player.history_import.matcher import LibraryTrack, Matcher
from player.history_import.normalise import artist_keys, title_base, title_key

LIBRARY = [
    LibraryTrack(1, "/m/beatles/hey-jude.mp3", "The Beatles", "Hey Jude", "1", 431000),
    LibraryTrack(2, "/m/beatles/hey-jude-live.mp3", "The Beatles", "Hey Jude (Live)", "Live"),
    LibraryTrack(3, "/m/cover/yesterday.mp3", "Cover Band", "Yesterday"),
    LibraryTrack(4, "/m/beatles/let-it-be.mp3", "The Beatles", "Let It Be", "Let It Be", 243000),
    LibraryTrack(5, "/m/beatles/let-it-be-pm.mp3", "The Beatles", "Let It Be", "Past Masters",
                 230000),
    LibraryTrack(6, "/m/duet.mp3", "Anna & Bo", "Duet (feat. Cy)"),
    LibraryTrack(7, "/m/beyonce.mp3", "Beyoncé", "Halo"),
    LibraryTrack(8, "/m/abba-a.mp3", "ABBA", "Waterloo", "Waterloo"),
    LibraryTrack(9, "/m/abba-b.mp3", "ABBA", "Waterloo", "Gold"),
]  # fmt: skip


def matched(artist: str, title: str, album: str = "", duration_ms: int | None = None) -> str:
    found = Matcher(LIBRARY).match(artist, title, album, duration_ms)
    return found.track.path if found.track else "unmatched: " + found.reason


def test_keys_fold_case_accents_the_and_featured_artists() -> None:
    assert artist_keys("The Beatles") == artist_keys("beatles, the") == ("beatles",)
    assert artist_keys("Beyoncé")[0] == artist_keys("BEYONCE")[0]
    assert artist_keys("Simon & Garfunkel")[0] == artist_keys("Simon and Garfunkel")[0]
    assert artist_keys("A feat. B") == ("a",)
    assert artist_keys("AC/DC") == ("ac dc",)  # not split into "AC"
    assert title_key("Song (feat. X)") == title_key("song ft. Y") == "song"
    assert title_key("ＳＯＮＧ") == "song"  # compatibility forms
    assert title_base("Song - 2011 Remaster") == ("song", "2011 Remaster")
    assert title_base("Song (Radio Edit)") == ("song", "Radio Edit")
    assert title_key("PAIN FT. X (NIGHTCORE)") == "pain nightcore"  # the feat part only


def test_normalised_artist_and_title_match() -> None:
    assert matched("beatles", "HEY JUDE") == "/m/beatles/hey-jude.mp3"
    assert matched("Beyonce", "Halo") == "/m/beyonce.mp3"
    assert matched("Anna", "Duet (with Cy)") == "/m/duet.mp3"  # first of several, feat dropped


def test_a_cover_by_another_artist_is_never_matched() -> None:
    assert matched("The Beatles", "Yesterday") == (
        "unmatched: no such title by this artist (the library has it by Cover Band)"
    )
    assert matched("Nobody", "Hey Jude") == "unmatched: no file by this artist in the library"


def test_version_parts_are_a_weaker_match_live_with_live() -> None:
    found = Matcher(LIBRARY).match("The Beatles", "Hey Jude - Remastered 2015")
    assert found.track is not None and found.track.id == 1
    assert found.reason == "weaker match: version parts differ (Remastered 2015 / none)"
    live = Matcher(LIBRARY).match("The Beatles", "Hey Jude (Live at the Forum)")
    assert live.reason == "weaker match: version parts differ (Live at the Forum / Live)"
    assert matched("The Beatles", "Hey Jude - Live") == "/m/beatles/hey-jude-live.mp3"
    assert matched("The Beatles", "Hey Jude (Live at the Forum)") == (
        "/m/beatles/hey-jude-live.mp3"
    )


def test_album_then_duration_break_ties_else_ambiguous() -> None:
    assert matched("The Beatles", "Let It Be", "Past Masters") == "/m/beatles/let-it-be-pm.mp3"
    assert matched("The Beatles", "Let It Be", "", 243500) == "/m/beatles/let-it-be.mp3"
    assert matched("The Beatles", "Let It Be").startswith("unmatched: ambiguous: 2 files match")
    assert matched("ABBA", "Waterloo", "", 200000).startswith("unmatched: ambiguous")
