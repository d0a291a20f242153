"""CTI: protocol, routing core, server (agent-ctid), client."""
