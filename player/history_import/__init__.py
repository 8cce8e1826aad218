"""Importing listening history exported from Last.fm, Spotify and ListenBrainz."""
