"""The key that encrypts connected accounts' secrets at rest (Fernet: AES-128-CBC + HMAC-SHA256).

`ASSISTANT_SECRETS_KEY` when set (every app process and worker of an installation needs the same
one), else the key file `secrets_key_file` (by default in the user's config folder, outside the
repository and the data folder), made with 0600 permissions on first use and refused when others
can read it (`accounts.secret.private_file`). The database holds only ciphertext: a stolen
database without the key reveals no token. Nothing here logs or puts a secret in a message.
"""

from __future__ import annotations

from cryptography.fernet import Fernet, InvalidToken

from assistant.accounts.secret import private_file
from assistant.errors import ConfigError

MAKE_KEY = "python -c \"from cryptography.fernet import Fernet; print(Fernet.generate_key().decode())\""


class Vault:
    """Seals and opens secrets with the installation's key."""

    def __init__(self, key: str | bytes) -> None:
        try:
            self._fernet = Fernet(key)
        except (ValueError, TypeError):
            raise ConfigError("ASSISTANT_SECRETS_KEY (or the key file) is not a Fernet key: make one with "
                              f"`{MAKE_KEY}`", code="secrets_key_invalid") from None

    @classmethod
    def from_settings(cls, settings: object) -> Vault:
        configured = getattr(settings, "secrets_key", None)
        if configured is not None:
            return cls(configured.get_secret_value().strip())
        path = getattr(settings, "secrets_key_file")
        try:
            key = private_file(path, lambda: Fernet.generate_key().decode(), create=True,
                               renew="every connected account must then be connected again")
        except OSError as exc:
            raise ConfigError(f"the key file {path} cannot be made or read ({exc.strerror}): set "
                              "ASSISTANT_SECRETS_KEY_FILE to a private place this user can write, or set "
                              "ASSISTANT_SECRETS_KEY", code="secrets_key_file", path=str(path)) from None
        return cls(key)

    def seal(self, secret: str) -> str:
        return self._fernet.encrypt(secret.encode()).decode()

    def open(self, token: str, *, what: str = "a stored secret") -> str:
        try:
            return self._fernet.decrypt(token.encode()).decode()
        except InvalidToken:
            raise ConfigError(f"{what} cannot be decrypted with this key (ASSISTANT_SECRETS_KEY or the key file "
                              "changed?): restore the key it was sealed with, or connect the account again",
                              code="secret_unreadable") from None
