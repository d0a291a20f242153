"""Core of the agent desktop: services (business rules), CTI protocol/client/server,
configuration and command lines. Nothing here imports Qt widgets: it runs headless."""

__version__ = "0.1.0"
