"""Playlists: kept in the library database, read from and written to M3U, M3U8 and XSPF files."""
