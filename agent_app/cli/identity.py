"""The identity of commands run from a shell on the server (agent-admin, the demo loader,
agent-ctid's simulator): shell access to the configuration is the authority there.

It is an Actor like any other, a super administrator with the login "agent-admin" that
the audit log and updated_by columns record. Services have no identity-less path
(`actor=None`); a program that acts for the shell passes SHELL, built here and nowhere
else (tests/unit/test_admin_cli.py checks).
"""
from __future__ import annotations

from agent_app.services.base import Actor
from db.enums import Role


class CommandLine(Actor):
    def __init__(self) -> None:
        super().__init__(id=0, login="agent-admin", name="agent-admin", role=Role.SUPERADMIN)


SHELL = CommandLine()
