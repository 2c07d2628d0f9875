"""The services present in the tree (a folder services/<name>/<name>/ with main.py), for tests that cover each one."""
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
ORDER = ["discovery", "identification", "assistance", "gradual_exit", "followup", "policy", "oversight", "exchange", "portal"]
SERVICES = [s for s in ORDER if (ROOT / "services" / s / s / "main.py").exists()]
