"""Database layer: SQLAlchemy 2 models, engine set-up, migrations, demo data.

Everything here runs headless and is shared by the desktop client, the CTI server and
`agent-admin`. The same models and migrations serve SQLite (embedded, demo, training)
and MySQL/MariaDB (a site's shared database, utf8mb4).
"""
