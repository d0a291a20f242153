"""What a panel is given at construction: no global registry, no god object.

The shell builds one AppContext after login and passes it to each panel; a panel
uses `runner` to call services off the GUI thread and `services` for the service
objects. Panels never hold a session or a socket (the CTI link is reached through the
bridge in ui/call/, which emits signals and takes commands).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from agent_app.config import WorkstationSettings
from agent_app.services.base import Actor
from db.engine import Database
from ui.kit.changes import ChangeBus
from ui.worker import DbRunner


@dataclass
class Services:
    """Service objects, created once per login. Feature areas add theirs lazily."""

    db: Database
    _cache: dict[str, Any] = field(default_factory=dict)

    def get(self, cls: type) -> Any:
        """The one instance of a service class for this database (`cls(db)`)."""
        key = f"{cls.__module__}.{cls.__qualname__}"
        if key not in self._cache:
            self._cache[key] = cls(self.db)
        return self._cache[key]


@dataclass
class AppContext:
    actor: Actor
    settings: WorkstationSettings
    runner: DbRunner
    services: Services
    demo: bool = False
    # The CTI bridge (ui.call.bridge.CtiBridge), set by ui.call's install(); None without it.
    cti: Any = None
    # (login, password) for the CTI link's own login (the protocol checks the password
    # against the same employee record). Held in memory only, never written anywhere.
    credentials: tuple[str, str] | None = None
    # The demo's built-in CTI server (agent_app.cti.embedded.EmbeddedServer) or None.
    demo_server: Any = None
    # Announces every save, so open panels refresh themselves (ui.kit.changes).
    changes: ChangeBus = field(default_factory=ChangeBus)
