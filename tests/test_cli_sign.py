"""The command line of receipts (SPEC 8.4): keygen, key, sign and verify --receipts."""

from __future__ import annotations

import json
import stat
import subprocess
import sysconfig
from collections.abc import Callable
from datetime import datetime, timezone
from pathlib import Path
from typing import NamedTuple

import pytest

import consentkit
import consentkit.signing
from consentkit import Ledger, Receipt
from consentkit._cli import main
from consentkit.signing import SigningKey, verify_receipt

ROOT = Path(__file__).resolve().parent.parent
LEDGER = str(ROOT / "examples" / "first-session" / "ledger.json")
SCRIPT = Path(sysconfig.get_path("scripts")) / "consentkit"
PARTIES = ("mistress", "client")


class Result(NamedTuple):
    """What a run printed and how it exited."""

    code: int
    out: str
    err: str


Run = Callable[..., Result]


@pytest.fixture
def run(
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> Run:
    """Run `main` in `tmp_path`, returning its exit code and streams."""
    monkeypatch.chdir(tmp_path)

    def call(*args: str) -> Result:
        code = main(list(args))
        captured = capsys.readouterr()
        assert "Traceback" not in captured.err
        return Result(code, captured.out, captured.err)

    return call


def _ledger() -> Ledger:
    ledger: Ledger = consentkit.loads(Path(LEDGER).read_bytes(), "ledger")
    return ledger


def _key_file(path: Path, key: SigningKey, mode: int = 0o600) -> Path:
    path.write_text(key.to_multibase() + "\n", encoding="ascii")
    path.chmod(mode)
    return path


MISTRESS = SigningKey.from_seed(bytes(range(32)))
CLIENT = SigningKey.from_seed(bytes(range(1, 33)))


def _secrets_absent(result: Result, *keys: SigningKey) -> None:
    for key in keys:
        secret = key.to_multibase()
        assert secret not in result.out
        assert secret not in result.err
        assert secret[5:25] not in result.out + result.err


def _keys_file(tmp_path: Path, keys: object) -> str:
    path = tmp_path / "keys.json"
    path.write_text(json.dumps(keys), encoding="utf-8")
    return str(path)


def _both_keys(tmp_path: Path) -> str:
    return _keys_file(
        tmp_path,
        {
            "mistress": MISTRESS.public_key.multibase,
            "client": [CLIENT.public_key.multibase],
        },
    )


# -- keygen and key --------------------------------------------------------------


def test_keygen_creates_an_owner_only_key_file(run: Run, tmp_path: Path) -> None:
    """Keygen writes one line of secret, mode 0600, and prints the public key."""
    result = run("keygen", "ann.key")
    assert result.code == 0, result
    path = tmp_path / "ann.key"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    key = SigningKey.from_multibase(path.read_text("ascii").strip())
    assert path.read_text("ascii").count("\n") == 1
    assert f"public key: {key.public_key.multibase}" in result.out.splitlines()
    assert f"did: {key.public_key.did}" in result.out.splitlines()
    _secrets_absent(result, key)


def test_keygen_never_overwrites(run: Run, tmp_path: Path) -> None:
    """Keygen refuses a file that exists, and leaves it as it was."""
    path = tmp_path / "ann.key"
    path.write_text("precious\n", encoding="ascii")
    result = run("keygen", "ann.key")
    assert result.code == 2
    assert result.err == "ann.key: already exists; keygen never overwrites a key file\n"
    assert path.read_text("ascii") == "precious\n"
    assert result.out == ""


def test_keygen_into_a_missing_folder_is_bad_input(run: Run) -> None:
    """A key file that cannot be created is one line of bad input."""
    result = run("keygen", "nowhere/ann.key")
    assert result.code == 2
    assert result.err == "nowhere/ann.key: no such file or directory\n"


def test_key_prints_the_public_key_again(run: Run, tmp_path: Path) -> None:
    """Key prints the public multibase and did:key, never the secret."""
    _key_file(tmp_path / "m.key", MISTRESS)
    result = run("key", "m.key")
    assert result.code == 0
    assert result.out == (
        f"public key: {MISTRESS.public_key.multibase}\ndid: {MISTRESS.public_key.did}\n"
    )
    _secrets_absent(result, MISTRESS)


@pytest.mark.parametrize("mode", [0o644, 0o640, 0o604, 0o660, 0o700 | 0o007])
@pytest.mark.parametrize("command", ["key", "sign"])
def test_a_key_file_others_may_read_is_refused(
    run: Run, tmp_path: Path, mode: int, command: str
) -> None:
    """Like OpenSSH, key and sign refuse a key file with any group or other bit."""
    _key_file(tmp_path / "m.key", MISTRESS, mode)
    args = (
        ("key", "m.key")
        if command == "key"
        else ("sign", LEDGER, "--party", "mistress", "--key", "m.key", "-o", "r.json")
    )
    result = run(*args)
    assert result.code == 2
    assert result.err.startswith(f"permissions {mode:04o} for 'm.key' are too open")
    assert result.err.count("\n") == 1
    assert result.out == ""
    assert not (tmp_path / "r.json").exists()
    _secrets_absent(result, MISTRESS)


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (MISTRESS.public_key.multibase + "\n", "secret key: is a public key"),
        ("hello\n", "secret key: must start with `z`"),
        ("", "must hold exactly one line"),
        (MISTRESS.to_multibase() + "\n" + MISTRESS.to_multibase() + "\n", "one line"),
        ("z3u2é\n", "not ASCII text"),
        ("z" + "2" * 5000, "larger than 4096 bytes"),
        (MISTRESS.to_multibase()[:-1] + "0\n", "outside the base58btc alphabet"),
    ],
)
def test_a_malformed_key_file_is_one_clear_error(
    run: Run, tmp_path: Path, content: str, message: str
) -> None:
    """A key file that holds no secret key is one line naming the file and problem."""
    path = tmp_path / "bad.key"
    path.write_text(content, encoding="utf-8")
    path.chmod(0o600)
    result = run("key", "bad.key")
    assert result.code == 2
    assert result.err.startswith("bad.key: ")
    assert message in result.err
    assert result.err.count("\n") == 1
    _secrets_absent(result, MISTRESS)


def test_a_missing_or_odd_key_file_is_bad_input(run: Run, tmp_path: Path) -> None:
    """A missing key file, or a folder, is one line of bad input."""
    assert run("key", "none.key").err == "none.key: no such file or directory\n"
    (tmp_path / "folder").mkdir(mode=0o700)
    assert run("key", "folder").err == "folder: not a regular file\n"


# -- sign -------------------------------------------------------------------------


def test_sign_writes_a_receipt_that_verifies(run: Run, tmp_path: Path) -> None:
    """Sign writes a receipt document for the last entry, which verifies."""
    _key_file(tmp_path / "m.key", MISTRESS)
    result = run(
        "sign",
        LEDGER,
        "--party",
        "mistress",
        "--key",
        "m.key",
        "--at",
        "2026-03-08T10:00:00+01:00",
    )
    assert result.code == 0, result
    receipt: Receipt = consentkit.loads(result.out, "receipt")
    ledger = _ledger()
    assert receipt.seq == len(ledger) - 1
    assert receipt.at == datetime(2026, 3, 8, 9, 0, tzinfo=timezone.utc)
    verify_receipt(receipt, ledger, {"mistress": MISTRESS.public_key})
    _secrets_absent(result, MISTRESS)


def test_sign_to_a_file_at_an_entry(run: Run, tmp_path: Path) -> None:
    """With --seq and -o, the receipt for that entry goes to the file."""
    _key_file(tmp_path / "c.key", CLIENT)
    result = run(
        "sign", LEDGER, "--party", "client", "--key", "c.key", "--seq", "1", "-o", "r"
    )
    assert result == Result(0, "", "")
    receipt: Receipt = consentkit.loads((tmp_path / "r").read_text("utf-8"), "receipt")
    assert receipt.seq == 1
    assert receipt.head == _ledger()[1].digest


def test_sign_defaults_to_now_to_the_second(run: Run, tmp_path: Path) -> None:
    """Without --at, the receipt is signed now, in whole seconds."""
    _key_file(tmp_path / "m.key", MISTRESS)
    before = datetime.now(timezone.utc).replace(microsecond=0)
    result = run("sign", LEDGER, "--party", "mistress", "--key", "m.key")
    after = datetime.now(timezone.utc)
    receipt: Receipt = consentkit.loads(result.out, "receipt")
    assert before <= receipt.at <= after
    assert receipt.at.microsecond == 0


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (("--seq", "99"), "consentkit sign: seq: the ledger has entries 0..5"),
        (("--seq", "-1"), "consentkit sign: seq: the ledger has entries 0..5"),
        (("--party", " x"), "consentkit sign: party: must not start or end"),
        (
            ("--at", "2020-01-01T00:00:00Z"),
            "consentkit sign: at: `2020-01-01T00:00:00Z`",
        ),
        (("--at", "yesterday"), "argument --at"),
        (("--seq", "one"), "argument --seq"),
    ],
)
def test_sign_refuses_bad_input_and_writes_nothing(
    run: Run, tmp_path: Path, extra: tuple[str, ...], message: str
) -> None:
    """A seq outside the ledger, a bad party or time: exit 2, no file written."""
    _key_file(tmp_path / "m.key", MISTRESS)
    args = ["sign", LEDGER, "--party", "mistress", "--key", "m.key", "-o", "r.json"]
    for index in range(0, len(extra), 2):
        if extra[index] in args:
            args[args.index(extra[index]) + 1] = extra[index + 1]
        else:
            args += extra[index : index + 2]
    result = run(*args)
    assert result.code == 2
    assert message in result.err
    assert not (tmp_path / "r.json").exists()
    _secrets_absent(result, MISTRESS)


def test_sign_reports_a_bad_ledger_and_a_bad_key_together(
    run: Run, tmp_path: Path
) -> None:
    """Every input's problem is reported, one line each."""
    (tmp_path / "ledger.json").write_text("{", encoding="utf-8")
    _key_file(tmp_path / "m.key", MISTRESS, 0o644)
    result = run("sign", "ledger.json", "--party", "mistress", "--key", "m.key")
    assert result.code == 2
    lines = result.err.splitlines()
    assert len(lines) == 2
    assert lines[0].startswith("ledger.json: not valid JSON")
    assert lines[1].startswith("permissions 0644 for 'm.key' are too open")


# -- verify --receipts -----------------------------------------------------------------


def _receipts(tmp_path: Path, *parties: str, seq: int | None = None) -> list[str]:
    keys = {"mistress": MISTRESS, "client": CLIENT}
    ledger = _ledger()
    paths = []
    for party in parties:
        receipt = consentkit.signing.sign_receipt(
            ledger,
            party=party,
            key=keys[party],
            at=datetime(2026, 3, 8, tzinfo=timezone.utc),
            seq=seq,
        )
        path = tmp_path / f"{party}.json"
        path.write_text(consentkit.dumps(receipt), encoding="utf-8")
        paths.append(str(path.name))
    return paths


def test_verify_with_every_receipt_is_ok_and_signed(run: Run, tmp_path: Path) -> None:
    """Each author's receipt at the end: exit 0, even with --require-signed."""
    receipts = _receipts(tmp_path, *PARTIES)
    keys = _both_keys(tmp_path)
    result = run("verify", LEDGER, "--receipts", *receipts, "--keys", keys)
    assert result.code == 0, result
    assert "acknowledged: `client` up to entry 5" in result.out.splitlines()
    assert "acknowledged: `mistress` up to entry 5" in result.out.splitlines()
    assert "unsigned" not in result.out
    args = ("verify", LEDGER, "--receipts", *receipts, "--keys", keys)
    assert run(*args, "--require-signed").code == 0


def test_verify_lists_unsigned_entries(run: Run, tmp_path: Path) -> None:
    """Without the client's receipt, the client's entries are unsigned."""
    receipts = _receipts(tmp_path, "mistress")
    args = ("verify", LEDGER, "--receipts", *receipts, "--keys", _both_keys(tmp_path))
    result = run(*args)
    assert result.code == 0
    ledger = _ledger()
    expected = [
        f"unsigned: entry {e.seq} by `client`: no receipt of `client` at or after it"
        for e in ledger
        if e.event.by == "client"
    ]
    assert [x for x in result.out.splitlines() if x.startswith("unsigned")] == expected
    assert run(*args, "--require-signed").code == 1


def test_verify_fails_on_a_receipt_with_a_problem(run: Run, tmp_path: Path) -> None:
    """A receipt under another key is a problem line and exit 1."""
    receipts = _receipts(tmp_path, "mistress", "client")
    keys = _keys_file(
        tmp_path,
        {
            "mistress": MISTRESS.public_key.multibase,
            "client": MISTRESS.public_key.multibase,
        },
    )
    result = run("verify", LEDGER, "--receipts", *receipts, "--keys", keys)
    assert result.code == 1
    assert (
        "client.json: wrong_key: receipt of `client` for entry 5: signed with a key "
        "that is not one of `client`'s"
    ) in result.out.splitlines()


@pytest.mark.parametrize(
    ("keys", "message"),
    [
        ([1, 2], "must be an object of party ids to public keys"),
        ({"client": []}, '"client": must be a public key or a non-empty list'),
        ({" client": "z6Mk"}, '" client": not a party id'),
        ({"client": ["nope"]}, '"client"[0]: public key: must start with `z`'),
        ({"client": 7}, '"client": must be a public key or a non-empty list'),
        ({"client": MISTRESS.to_multibase()}, "public key: is a secret key"),
    ],
)
def test_verify_refuses_a_bad_keys_file(
    run: Run, tmp_path: Path, keys: object, message: str
) -> None:
    """A keys file that is not an object of party to keys is bad input, exit 2."""
    receipts = _receipts(tmp_path, "client")
    path = _keys_file(tmp_path, keys)
    result = run("verify", LEDGER, "--receipts", *receipts, "--keys", path)
    assert result.code == 2
    assert result.out == ""
    assert message in result.err
    _secrets_absent(result, MISTRESS)


def test_verify_refuses_receipts_without_keys(run: Run, tmp_path: Path) -> None:
    """--receipts or --require-signed without --keys is bad input."""
    receipts = _receipts(tmp_path, "client")
    result = run("verify", LEDGER, "--receipts", *receipts)
    assert result == Result(2, "", "consentkit verify: --receipts needs --keys KEYS\n")
    result = run("verify", LEDGER, "--require-signed")
    assert result.code == 2
    assert "--require-signed needs --keys" in result.err


def test_verify_reports_every_bad_file_and_prints_nothing(
    run: Run, tmp_path: Path
) -> None:
    """A bad receipt, a receipt of another kind and a bad keys file: every line."""
    (tmp_path / "bad.json").write_text("[]", encoding="utf-8")
    keys = _keys_file(tmp_path, "x")
    result = run(
        "verify", LEDGER, "--receipts", "bad.json", LEDGER, "none.json", "--keys", keys
    )
    assert result.code == 2
    assert result.out == ""
    lines = result.err.splitlines()
    assert len(lines) == 4
    assert lines[0].endswith(
        "must be an object of party ids to public keys (`z6Mk...`)"
    )
    assert lines[1].startswith("bad.json: must be a consentkit document")
    assert lines[2] == f"{LEDGER}: kind: expected `receipt`, got `ledger`"
    assert lines[3] == "none.json: no such file or directory"


def test_the_installed_script_signs_and_verifies(tmp_path: Path) -> None:
    """The console script runs keygen, sign and verify end to end."""

    def script(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(  # noqa: S603  # our own console script
            [str(SCRIPT), *args],
            cwd=tmp_path,
            capture_output=True,
            text=True,
            check=False,
        )

    made = script("keygen", "k")
    assert made.returncode == 0
    public = made.stdout.splitlines()[1].split()[-1]
    assert (
        script("sign", LEDGER, "--party", "client", "--key", "k", "-o", "r").returncode
        == 0
    )
    (tmp_path / "keys.json").write_text(json.dumps({"client": public}))
    done = script("verify", LEDGER, "--receipts", "r", "--keys", "keys.json")
    assert done.returncode == 0, done
    assert "acknowledged: `client` up to entry 5" in done.stdout
    secret = (tmp_path / "k").read_text().strip()
    assert secret not in made.stdout + done.stdout + done.stderr
    assert (tmp_path / "k").stat().st_mode & 0o077 == 0


# -- a ledger in a store ------------------------------------------------------------

AT = ("--at", "2026-03-08T10:00:00+01:00")


def _stored(tmp_path: Path, *receipts: Receipt) -> str:
    """A store in `tmp_path` holding the example ledger as `s`, and `receipts`."""
    from consentkit.store import open_store  # noqa: PLC0415  # only these tests

    path = tmp_path / "ledgers.db"
    with open_store(path) as store:
        store.append("s", _ledger(), None)
        for receipt in receipts:
            store.add_receipt("s", receipt)
    return str(path)


def _stored_receipts(url: str) -> tuple[Receipt, ...]:
    from consentkit.store import open_store  # noqa: PLC0415  # only these tests

    with open_store(url) as store:
        return store.receipts("s")


def _signed(party: str, seq: int | None = None) -> Receipt:
    key = MISTRESS if party == "mistress" else CLIENT
    return consentkit.signing.sign_receipt(
        _ledger(),
        party=party,
        key=key,
        at=datetime(2026, 3, 8, tzinfo=timezone.utc),
        seq=seq,
    )


def test_sign_reads_a_stored_ledger_and_adds_only_when_asked(
    run: Run, tmp_path: Path
) -> None:
    """`sign --store --id` signs as from the file; only --add keeps it in the store."""
    _key_file(tmp_path / "m.key", MISTRESS)
    url = _stored(tmp_path)
    signer = ("--party", "mistress", "--key", "m.key", *AT)
    from_file = run("sign", LEDGER, *signer)
    from_store = run("sign", "--store", url, "--id", "s", *signer)
    assert from_store == from_file
    assert from_store.code == 0
    assert _stored_receipts(url) == ()
    added = run("sign", "--store", url, "--id", "s", *signer, "--seq", "2", "--add")
    assert added.code == 0, added
    kept = _stored_receipts(url)
    assert kept == (consentkit.loads(added.out, "receipt"),)
    assert kept[0].seq == 2
    assert run("sign", "--ledger", LEDGER, *signer) == from_file
    _secrets_absent(added, MISTRESS)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("--add",), "consentkit sign: --add needs --store URL --id ID\n"),
        ((), "consentkit sign: a ledger is needed: LEDGER, --ledger LEDGER or "),
        (("STORE", "--id", "t"), "the store holds no ledger `t`"),
        (("STORE",), "--store: needs --id ID, the ledger to read\n"),
        (("STORE", "--id", "s", LEDGER), "give LEDGER, --ledger or --store, not two"),
        ((LEDGER, "--add"), "--add needs --store URL --id ID"),
    ],
)
def test_sign_refuses_a_bad_ledger_source_and_keeps_nothing(
    run: Run, tmp_path: Path, args: tuple[str, ...], message: str
) -> None:
    """No ledger, two, an unknown id or --add without a store: exit 2, nothing kept."""
    _key_file(tmp_path / "m.key", MISTRESS)
    url = _stored(tmp_path)
    given = [url if a == "STORE" else a for a in args]
    given = [x for a in given for x in (("--store", a) if a == url else (a,))]
    result = run("sign", *given, "--party", "mistress", "--key", "m.key")
    assert result.code == 2
    assert result.out == ""
    assert message in result.err
    assert len(result.err.splitlines()) == 1
    assert _stored_receipts(url) == ()


def test_verify_checks_the_receipts_a_store_keeps(run: Run, tmp_path: Path) -> None:
    """`verify --store --id --keys` audits the stored receipts with any files."""
    url = _stored(tmp_path, _signed("mistress"))
    keys = _both_keys(tmp_path)
    result = run("verify", "--store", url, "--id", "s", "--keys", keys)
    assert result.code == 0, result
    lines = result.out.splitlines()
    assert lines[0] == f"{url} `s`: chain intact, 6 entries, head {_ledger().head}"
    assert "acknowledged: `mistress` up to entry 5" in lines
    assert any(line.startswith("unsigned: entry") for line in lines)
    assert (
        run(
            "verify", "--store", url, "--id", "s", "--keys", keys, "--require-signed"
        ).code
        == 1
    )
    files = _receipts(tmp_path, "client")
    both = run(
        "verify",
        "--store",
        url,
        "--id",
        "s",
        "--receipts",
        *files,
        "--keys",
        keys,
        "--require-signed",
    )
    assert both.code == 0, both
    assert "acknowledged: `client` up to entry 5" in both.out.splitlines()
    without = run("verify", "--store", url, "--id", "s")
    assert without.code == 0
    assert without.out.splitlines()[1] == (
        f"{url} `s`: 1 receipts kept in the store (give --keys KEYS to check them)"
    )


def test_verify_names_a_stored_receipt_with_a_problem(run: Run, tmp_path: Path) -> None:
    """A stored receipt under another key fails verify, named by its place."""
    url = _stored(tmp_path, _signed("client", 1), _signed("mistress"))
    keys = _keys_file(
        tmp_path,
        {
            "mistress": MISTRESS.public_key.multibase,
            "client": MISTRESS.public_key.multibase,
        },
    )
    result = run("verify", "--store", url, "--id", "s", "--keys", keys)
    assert result.code == 1
    assert (
        f"{url} `s` receipts[0]: wrong_key: receipt of `client` for entry 1: signed "
        "with a key that is not one of `client`'s"
    ) in result.out.splitlines()
    missing = run("verify", "--store", url, "--id", "t", "--keys", keys)
    assert missing == Result(2, "", f"{url} `t`: the store holds no ledger `t`\n")
