"""PyInstaller entry for agent-admin."""
from agent_app.cli.admin import main

raise SystemExit(main())
