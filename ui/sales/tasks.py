"""Where ui.sales's feature module imports spawn from; task launching is ui.kit.tasks."""
from ui.kit.tasks import spawn

__all__ = ["spawn"]
