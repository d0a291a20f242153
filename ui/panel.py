"""Where ui.call's feature module imports the panel base from; the base is ui.kit.panel."""
from ui.kit.panel import Panel

__all__ = ["Panel"]
