"""Business rules. Each service takes a `Database`, plain arguments and the acting user,
owns its transaction, checks permissions itself, and returns plain dataclasses."""
