"""The issuer's Ed25519 signing keys, kept on disk outside the repository.

Credentials live for years in learners' wallets and inboxes, so a key is never deleted: rotation makes a new
key the one that signs, and every older key stays in the published JWK Set so everything it signed still
verifies. A key's id is its RFC 7638 thumbprint, so a kid can never point at two different keys (not across
servers, not after a restore from backup).

Layout of the directory (created 0700; every file 0600, written atomically):

    <kid>.jwk.json   one private JWK per key
    active           the kid that signs new credentials

Several processes may open an empty directory at once (gunicorn workers starting together); the `active`
file is created exclusively, so they agree on one first key instead of each signing with its own. Rotation
is an operator's act (one process, e.g. a CLI command); running workers see the new key when they reload.
"""

from __future__ import annotations

import json
import os
import secrets
import stat
from pathlib import Path
from typing import Any

from joserfc.errors import JoseError
from joserfc.jwk import OKPKey

__all__ = ["SIGNING_ALGORITHM", "KeyRing", "KeyRingError"]

SIGNING_ALGORITHM = "EdDSA"
_ACTIVE = "active"
_SUFFIX = ".jwk.json"


class KeyRingError(RuntimeError):
    """The key directory is unusable: unsafe permissions, a missing or corrupt key. Fail loudly: signing with
    the wrong key, or not at all, must not be discovered by a learner's verifier months later."""


def _write_private(path: Path, content: str) -> None:
    """Write through a 0600 temporary file and rename, so a crash never leaves a half-written key and the
    secret is never readable by others, not even for an instant."""
    temp = path.with_name(f".{path.name}.{secrets.token_hex(8)}.tmp")
    fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(content)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(temp, 0o600)
        os.replace(temp, path)
    except BaseException:
        temp.unlink(missing_ok=True)
        raise


def _check_private(path: Path) -> None:
    mode = path.stat().st_mode
    if os.name == "posix" and mode & (stat.S_IRWXG | stat.S_IRWXO):
        raise KeyRingError(f"{path} is accessible to other users (mode {stat.filemode(mode)}); run chmod 600 on it")


def _new_key() -> OKPKey:
    key = OKPKey.generate_key("Ed25519", auto_kid=False)
    return OKPKey.import_key(key.as_dict(private=True, kid=key.thumbprint(), alg=SIGNING_ALGORITHM, use="sig"))


class KeyRing:
    """All of the issuer's keys; one is active (signs), all verify."""

    def __init__(self, directory: Path, keys: dict[str, OKPKey], active_kid: str) -> None:
        if active_kid not in keys:
            raise KeyRingError(f"the active key {active_kid!r} is not in {directory}")
        self.directory = directory
        self._keys = keys
        self._active_kid = active_kid

    @classmethod
    def load_or_create(cls, directory: Path | str) -> KeyRing:
        """Open the key directory, creating it and a first key when it is empty."""
        directory = Path(directory)
        directory.mkdir(mode=0o700, parents=True, exist_ok=True)
        if not (directory / _ACTIVE).exists():
            key = _new_key()
            kid = str(key.kid)
            _write_private(directory / f"{kid}{_SUFFIX}", json.dumps(key.as_dict(private=True)))
            # Write the pointer aside, then hard-link it into place: link() refuses to replace an existing
            # file, so exactly one process wins, and nobody ever reads a half-written pointer.
            pending = directory / f".{_ACTIVE}.{secrets.token_hex(8)}"
            _write_private(pending, kid)
            try:
                os.link(pending, directory / _ACTIVE)
            except FileExistsError:
                (directory / f"{kid}{_SUFFIX}").unlink(missing_ok=True)  # another process won; this key never signed
            finally:
                pending.unlink(missing_ok=True)
        return cls.load(directory)

    @classmethod
    def load(cls, directory: Path | str) -> KeyRing:
        """Open an existing ring and create nothing: a missing key must stop the app, not quietly give the
        issuer a new identity that no published JWKS knows."""
        directory = Path(directory)
        if os.name == "posix" and directory.stat().st_mode & (stat.S_IRWXG | stat.S_IRWXO):
            raise KeyRingError(f"{directory} is accessible to other users; run chmod 700 on it")
        # The pointer first: rotate() writes the key before the pointer, so the key it names is already listed.
        active_path = directory / _ACTIVE
        if not active_path.exists():
            raise KeyRingError(f"{directory} has no active key")
        _check_private(active_path)
        active_kid = active_path.read_text(encoding="utf-8").strip()
        keys: dict[str, OKPKey] = {}
        for path in sorted(directory.glob(f"*{_SUFFIX}")):
            try:
                _check_private(path)
                key = OKPKey.import_key(json.loads(path.read_text(encoding="utf-8")))
            except FileNotFoundError:
                continue  # a key that lost the first-key race, removed as we listed: it never signed anything
            except (ValueError, KeyError, TypeError, JoseError) as exc:
                raise KeyRingError(f"{path} is not a readable JWK: {exc}") from exc
            if not key.is_private or key.curve_name != "Ed25519":
                raise KeyRingError(f"{path} is not a private Ed25519 key")
            if key.kid != key.thumbprint() or path.name != f"{key.kid}{_SUFFIX}":
                raise KeyRingError(f"{path}: the kid does not match the key's thumbprint")
            keys[key.thumbprint()] = key
        return cls(directory, keys, active_kid)

    @property
    def active_kid(self) -> str:
        return self._active_kid

    @property
    def active_key(self) -> OKPKey:
        return self._keys[self._active_kid]

    @property
    def kids(self) -> list[str]:
        return sorted(self._keys)

    def rotate(self) -> str:
        """Make a new key the signing key; the old ones stay to verify what they signed. Returns the new kid."""
        key = _new_key()
        kid = str(key.kid)
        _write_private(self.directory / f"{kid}{_SUFFIX}", json.dumps(key.as_dict(private=True)))
        _write_private(self.directory / _ACTIVE, kid)
        self._keys[kid] = key
        self._active_kid = kid
        return kid

    def public_jwks(self) -> dict[str, Any]:
        """The JWK Set to publish (e.g. at /.well-known/jwks.json): public halves of every key, active first."""
        order = [self._active_kid, *(kid for kid in self.kids if kid != self._active_kid)]
        return {"keys": [dict(self._keys[kid].as_dict(private=False)) for kid in order]}
