"""PyInstaller entry for the CTI server."""
from agent_app.cti.main import main

raise SystemExit(main())
