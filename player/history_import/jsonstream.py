"""Reading the elements of a JSON array one at a time, so a 1 GB export costs little memory."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import IO, Any

CHUNK = 1 << 16
_DECODER = json.JSONDecoder()
_SPACE = " \t\r\n"


class TruncatedJSON(ValueError):
    """The array ends before its closing bracket, or an element is not valid JSON.

    Attributes:
        index: The 1-based index of the element that could not be read.
    """

    def __init__(self, message: str, index: int) -> None:
        super().__init__(message)
        self.index = index


def iter_array(stream: IO[str]) -> Iterator[Any]:
    """Yield each element of the JSON array ``stream`` holds, reading it in chunks.

    Raises:
        TruncatedJSON: The text stops or goes wrong before the closing ``]``; the elements before
            it have been yielded.
    """
    buf = stream.read(CHUNK)
    pos = _skip(buf, 0)
    if pos >= len(buf) or buf[pos] != "[":
        raise TruncatedJSON("not a JSON array", 1)
    pos += 1
    index = 0
    expect_value = True  # after '[' or ','
    while True:
        pos = _skip(buf, pos)
        if pos >= len(buf):
            more = stream.read(CHUNK)
            if not more:
                raise TruncatedJSON(
                    f"the file ends inside the array, after element {index}", index + 1
                )
            buf, pos = more, 0
            continue
        char = buf[pos]
        if char == "]" and (index == 0 or not expect_value):
            return
        if not expect_value:
            if char != ",":
                raise TruncatedJSON(f"expected ',' or ']' after element {index}", index + 1)
            pos += 1
            expect_value = True
            continue
        try:
            value, end = _DECODER.raw_decode(buf, pos)
            complete = end < len(buf)  # a number at the very end may go on in the next chunk
        except json.JSONDecodeError as error:
            value, end, complete, reason = None, pos, False, error.msg
        if not complete:
            more = stream.read(CHUNK)
            if more:
                buf, pos = buf[pos:] + more, 0
                continue
            if end == pos:  # nothing more to read and still no value
                raise TruncatedJSON(
                    f"element {index + 1} is cut off or not valid JSON ({reason})", index + 1
                )
        index += 1
        expect_value = False
        yield value
        pos = end
        if pos > CHUNK:
            buf, pos = buf[pos:], 0


def _skip(buf: str, pos: int) -> int:
    while pos < len(buf) and buf[pos] in _SPACE:
        pos += 1
    return pos
