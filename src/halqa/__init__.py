"""halqa (حلقة, "circle"): a local-first, encrypted toolkit for mutual-aid and workers' circles.

Start with :mod:`halqa.vault` (the encrypted store) and :mod:`halqa.domains` (all domains).
"""

from halqa.errors import HalqaError

__version__ = "0.1.0"
__all__ = ["HalqaError", "__version__"]
