"""Record text rendered for people: one line, whatever people typed.

Notes, reasons, cues, labels and custom rules' messages are written by
people and programs the engine does not control.  Wherever such text is
rendered for people, control characters and line breaks are shown escaped
(SPEC 3.1), so that no record can make an explanation print a line that
looks like another verdict.
"""

from __future__ import annotations

import re
from typing import Final

__all__ = ["one_line"]

_NAMED: Final = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}
#: C0 and C1 controls, DEL, and the Unicode line and paragraph separators.
_UNSAFE: Final = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029]")


def _escape(match: re.Match[str]) -> str:
    char = match.group()
    return _NAMED.get(char) or f"\\u{ord(char):04x}"


def one_line(text: str) -> str:
    r"""Return `text` with control characters and line breaks escaped.

    Example:
        >>> one_line("yes\nplan: ALLOW\a")
        'yes\\nplan: ALLOW\\u0007'
    """
    if _UNSAFE.search(text) is None:
        return text
    return _UNSAFE.sub(_escape, text)
