"""Output that cannot drive the terminal: control characters from input escaped.

Owns the guarantee that nothing `optsearch` prints, whatever run name, run
directory, file name or program text it echoes, reaches the terminal as a
control sequence (an escape byte that clears the screen or retitles the window).
Names are escaped where they are printed (`dsl.parser.one_line`), which also
keeps a message on one line; `guarded_streams` is the backstop under that: for
the length of one command, stdout and stderr escape every non-printable
character except the newline, tab and carriage return that the output's own
layout uses (the progress bar redraws its line with a carriage return).
"""

from __future__ import annotations

import contextlib
import sys
from typing import Iterator, TextIO

#: Layout characters the output itself writes; every other control is escaped.
LAYOUT = frozenset("\n\t\r")


def escape_controls(text: str) -> str:
    """`text` with every non-printable character but `LAYOUT` written as its
    Python escape (ESC becomes the four characters `\\x1b`)."""
    if text.isprintable():
        return text
    return "".join(
        c if c.isprintable() or c in LAYOUT else repr(c)[1:-1] for c in text
    )


class EscapingStream:
    """A text stream that writes through `escape_controls`; everything else
    (isatty, fileno, flush, encoding) is the wrapped stream's."""

    def __init__(self, stream: TextIO):
        self._stream = stream

    def write(self, text: str) -> int:
        self._stream.write(escape_controls(text))
        return len(text)  # what the caller handed over, as TextIO.write counts

    def writelines(self, lines) -> None:
        for line in lines:
            self.write(line)

    def __getattr__(self, name: str):
        return getattr(self._stream, name)


@contextlib.contextmanager
def guarded_streams() -> Iterator[None]:
    """stdout and stderr escaped for the block, restored after (if unchanged)."""
    saved = sys.stdout, sys.stderr
    guarded = EscapingStream(saved[0]), EscapingStream(saved[1])
    sys.stdout, sys.stderr = guarded
    try:
        yield
    finally:
        # Code inside may have swapped a stream itself (the Ray connect path
        # reopens stderr): keep its choice rather than undoing it.
        if sys.stdout is guarded[0]:
            sys.stdout = saved[0]
        if sys.stderr is guarded[1]:
            sys.stderr = saved[1]
