"""PyInstaller entry for the desktop client (a script, so the spec can freeze it)."""
from ui.app import main

raise SystemExit(main())
