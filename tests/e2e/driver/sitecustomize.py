"""Loaded by the interpreter of an `agent-app` process that an end-to-end test starts
(the test puts this folder first on PYTHONPATH). It changes nothing in the program:
when AGENT_DESK_E2E_DRIVER names a socket path it starts tests.e2e.driver's listener,
which lets the test look at the real widgets and press them, the way an accessibility
tool does. Nothing of it ships: the package never imports tests/."""
import os

if os.environ.get("AGENT_DESK_E2E_DRIVER"):
    import desk_driver

    desk_driver.start(os.environ["AGENT_DESK_E2E_DRIVER"])
