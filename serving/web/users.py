"""The people who may sign in to the pages: a users file of names, roles and password hashes.

Passwords are hashed with Argon2id through pwdlib (its recommended parameters); the file holds the hash
only, is replaced whole on every change (a reader never sees half of it) and is readable by its owner
alone. There is no default user and no default password: the pages refuse every sign-in until
`tradecredit users add` has written someone.
"""

from __future__ import annotations

import json
import os
import re
from dataclasses import asdict, dataclass
from pathlib import Path

from pwdlib import PasswordHash

from features.atomic import atomic_path

# viewer: reads every page; credit_officer: also records decisions on the advice; admin: everything.
ROLES = ("viewer", "credit_officer", "admin")
MIN_PASSWORD_LENGTH = 12
NAME_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._@-]{0,63}$")

_hasher = PasswordHash.recommended()
# Verifying against this when the name is unknown takes as long as a real check: timing tells no names apart.
_DUMMY_HASH = _hasher.hash("a password nobody has")


class UsersError(ValueError):
    """The users file or a change to it is refused; the message names the file, user or value and the rule."""


@dataclass(frozen=True)
class User:
    name: str
    role: str
    password_hash: str
    created: str  # ISO date-time, as the command that added the user was told

    def may(self, role: str) -> bool:
        """Return whether this user has `role` or a stronger one."""
        return ROLES.index(self.role) >= ROLES.index(role)


class UsersFile:
    """The users file at `path` (JSON); read afresh on every call, so a user added or removed counts at once."""

    def __init__(self, path: Path):
        self.path = Path(path).expanduser().resolve()

    def users(self) -> list[User]:
        """Return the users in the file, by name; none when the file does not exist."""
        if not self.path.exists():
            return []
        try:
            records = json.loads(self.path.read_text(encoding="utf-8"))["users"]
            users = [User(**record) for record in records]
        except (OSError, ValueError, KeyError, TypeError) as exc:
            raise UsersError(f"users file {self.path}: not readable as a users file ({exc})") from None
        return sorted(users, key=lambda u: u.name)

    def find(self, name: str) -> User | None:
        """Return the user called `name`, or None."""
        return next((u for u in self.users() if u.name == name), None)

    def add(self, name: str, role: str, password: str, created: str) -> User:
        """Add a user with a new password hash; return it. Raises UsersError for a taken name or a weak password."""
        check_name(name)
        if role not in ROLES:
            raise UsersError(f"role {role!r} is not one of {', '.join(ROLES)}")
        if len(password) < MIN_PASSWORD_LENGTH:
            raise UsersError(f"the password of {name} has {len(password)} characters: at least {MIN_PASSWORD_LENGTH}")
        users = self.users()
        if any(u.name == name for u in users):
            raise UsersError(f"users file {self.path}: {name} already exists (remove it first to change it)")
        user = User(name, role, _hasher.hash(password), created)
        self._write([*users, user])
        return user

    def remove(self, name: str) -> None:
        """Remove the user called `name`; raises UsersError when there is none."""
        users = self.users()
        if not any(u.name == name for u in users):
            raise UsersError(f"users file {self.path}: there is no user {name}")
        self._write([u for u in users if u.name != name])

    def authenticate(self, name: str, password: str) -> User | None:
        """Return the user when `password` is theirs, else None; an unknown name costs the same time."""
        user = self.find(name)
        valid = _hasher.verify(password, user.password_hash if user else _DUMMY_HASH)
        return user if valid and user else None

    def _write(self, users: list[User]) -> None:
        body = json.dumps({"users": [asdict(u) for u in sorted(users, key=lambda u: u.name)]}, indent=2)
        try:
            with atomic_path(self.path) as tmp:
                tmp.write_text(body + "\n", encoding="utf-8")
                os.chmod(tmp, 0o600)  # password hashes are for the service's eyes only
        except OSError as exc:
            raise UsersError(f"users file {self.path}: cannot be written ({exc.strerror or exc})") from None


def check_name(name: str) -> None:
    """Raise UsersError unless `name` is a sign-in name: letters, digits and . _ @ -, at most 64 characters."""
    if not NAME_PATTERN.match(name):
        raise UsersError(
            f"user name {name!r}: use letters, digits and . _ @ - (starting with a letter or digit), at most 64"
        )
