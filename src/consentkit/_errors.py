"""The error hierarchy: one root, and each error also the builtin a caller catches."""

from __future__ import annotations

from collections.abc import Sequence

from consentkit._enum import Choice

__all__ = [
    "ConsentkitError",
    "DecodeError",
    "InvalidKey",
    "InvalidRecord",
    "LedgerError",
    "ReceiptProblem",
    "SignatureError",
    "TamperedLedger",
]


class ConsentkitError(Exception):
    """The root of every error consentkit raises on purpose."""


class InvalidRecord(ConsentkitError, ValueError):
    """A record was built with a value that breaks one of its rules.

    Attributes:
        record: The record's name, e.g. ``"Grant"``.
        field: The field to change.
        rule: The rule the value breaks, in words.
    """

    def __init__(self, record: str, field: str, rule: str) -> None:
        self.record = record
        self.field = field
        self.rule = rule
        super().__init__(f"{field}: {rule}")


class LedgerError(ConsentkitError, ValueError):
    """An event breaks a rule of the ledger; the ledger is unchanged.

    Attributes:
        rule: A stable slug naming the rule, e.g. ``"not-a-party"``.
        seq: The position the event would have taken.
    """

    def __init__(self, rule: str, message: str, *, seq: int | None = None) -> None:
        self.rule = rule
        self.seq = seq
        super().__init__(message)


class TamperedLedger(ConsentkitError, ValueError):
    """A ledger's hash chain does not hold at entry `seq`.

    Attributes:
        seq: The first entry whose chain is broken.
        message: What does not hold there.
        path: The entry's JSON path when read from a document
            (``data.entries[3]``), else None.
    """

    def __init__(self, seq: int, message: str, *, path: str | None = None) -> None:
        self.seq = seq
        self.message = message
        self.path = path
        super().__init__(f"{path or f'entry {seq}'}: {message}")


class DecodeError(ConsentkitError, ValueError):
    """A document could not be read; `problems` lists every problem found.

    Attributes:
        problems: ``(path, message)`` pairs, one per problem, paths like
            ``data.entries[3].event.at``.
    """

    def __init__(self, problems: Sequence[tuple[str, str]]) -> None:
        self.problems = tuple(problems)
        super().__init__("\n".join(f"{p}: {m}" if p else m for p, m in self.problems))


class InvalidKey(ConsentkitError, ValueError):
    """A key's text is not a key of the kind expected (SPEC 8.1).

    The message says what is wrong (prefix, length, alphabet, missing ``z``)
    and never shows the key's text.
    """


class ReceiptProblem(Choice):
    """Why a receipt does not verify against a ledger (SPEC 8.3), in checking order."""

    UNKNOWN_PARTY = "unknown_party"
    WRONG_KEY = "wrong_key"
    BAD_PROOF = "bad_proof"
    BEYOND_END = "beyond_end"
    OTHER_HEAD = "other_head"


class SignatureError(ConsentkitError, ValueError):
    """A signed document or receipt does not verify.

    Attributes:
        problem: For a receipt, which `ReceiptProblem`; None for a document.
    """

    def __init__(self, message: str, problem: ReceiptProblem | None = None) -> None:
        self.problem = problem
        super().__init__(message)
