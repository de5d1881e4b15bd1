"""Sign-in attempts: failures are counted per name and per client, and every attempt is audited.

After `max_failures` failed sign-ins within `window` for the same name, or `max_client_failures` from the
same client (an office behind one address has many people), further attempts are refused without checking the password until the window has passed: guessing a password at
the speed of Argon2 is slow, and this makes it slower still. The audit log is one JSON line per attempt
(signed in, refused, blocked, signed out) with the time the app's clock gives.
"""

from __future__ import annotations

import datetime as dt
import threading
from collections import defaultdict, deque
from pathlib import Path

from serving.audit import JsonLines


class SignInGuard:
    def __init__(
        self,
        audit_path: Path,
        max_failures: int = 5,
        max_client_failures: int = 20,
        window: dt.timedelta = dt.timedelta(minutes=15),
    ):
        """Open the sign-in audit log at `audit_path`; raise AuditLogError if it cannot be written."""
        self._log = JsonLines(audit_path, "sign-in audit log")
        self.path = self._log.path
        self.max_failures, self.max_client_failures, self.window = max_failures, max_client_failures, window
        self._failures: dict[str, deque[dt.datetime]] = defaultdict(deque)
        self._lock = threading.Lock()

    def blocked(self, name: str, client: str, now: dt.datetime) -> bool:
        """Return whether sign-ins for `name` or from `client` are refused at `now`."""
        user, address = self._keys(name, client)
        with self._lock:
            return (
                len(self._recent(user, now)) >= self.max_failures
                or len(self._recent(address, now)) >= self.max_client_failures
            )

    def failed(self, name: str, client: str, now: dt.datetime) -> None:
        """Count a failed sign-in for `name` and `client`."""
        with self._lock:
            for key in self._keys(name, client):
                self._recent(key, now).append(now)

    def succeeded(self, name: str, client: str) -> None:
        """Forget the name's failures: its owner knows the password. The client's count stays."""
        with self._lock:
            self._failures.pop(f"user:{name}", None)

    def audit(self, event: str, name: str, client: str, now: dt.datetime) -> None:
        """Append one line: when, what (signed_in, refused, blocked, signed_out), who and from where."""
        self._log.append([{"at": now.isoformat(), "event": event, "user": name[:64], "client": client}])

    @staticmethod
    def _keys(name: str, client: str) -> tuple[str, str]:
        return f"user:{name}", f"client:{client}"

    def _recent(self, key: str, now: dt.datetime) -> deque[dt.datetime]:
        times = self._failures[key]
        while times and now - times[0] >= self.window:
            times.popleft()
        return times
