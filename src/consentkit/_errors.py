"""The error hierarchy: one root, and each error also the builtin a caller catches."""

from __future__ import annotations

from collections.abc import Sequence

from consentkit._enum import Choice

__all__ = [
    "ConcurrentAppend",
    "ConsentkitError",
    "DecodeError",
    "InvalidKey",
    "InvalidRecord",
    "LedgerError",
    "ReceiptProblem",
    "SignatureError",
    "StoreError",
    "TamperedLedger",
    "UnknownLedger",
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


# -- the store (consentkit.store) ----------------------------------------------


class ConcurrentAppend(ConsentkitError, RuntimeError):
    """Another writer moved a stored ledger's head first; nothing was written.

    Attributes:
        ledger_id: The ledger written to.
        expected: The head the writer expected (None: a new or empty ledger).
        head: The head the store holds now, to load from and retry.
    """

    def __init__(self, ledger_id: str, expected: str | None, head: str | None) -> None:
        self.ledger_id = ledger_id
        self.expected = expected
        self.head = head
        now = "has no entries" if head is None else f"is at `{head}`"
        wanted = "no entries" if expected is None else f"`{expected}`"
        super().__init__(
            f"ledger `{ledger_id}`: another writer appended first: its head {now}, "
            f"not {wanted}; load it again and retry"
        )

    def __reduce__(self) -> tuple[type, tuple[str, str | None, str | None]]:
        return type(self), (self.ledger_id, self.expected, self.head)


class StoreError(ConsentkitError, OSError):
    """A ledger store cannot be opened or used; nothing was written.

    An unknown URL, a missing directory, a database of another schema
    version, a lost connection: the message says which.
    """

    def __reduce__(self) -> tuple[type, tuple[str]]:
        return type(self), (str(self),)


class UnknownLedger(ConsentkitError, LookupError):
    """The store holds no ledger of that id.

    Attributes:
        ledger_id: The id asked for.
    """

    def __init__(self, ledger_id: str) -> None:
        self.ledger_id = ledger_id
        super().__init__(f"the store holds no ledger `{ledger_id}`")

    def __reduce__(self) -> tuple[type, tuple[str]]:
        return type(self), (self.ledger_id,)
