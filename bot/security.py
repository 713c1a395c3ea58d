"""Security check of an installation (RULES §7: login accounts, passwords and devices are kept
safe from theft and attack): the files holding the bot token, the console key and personal
data are readable by their owner only, and the console's login links do not travel in clear
over the network. `govreply security check` lists the problems; the weekly inspection
(读网巡检) names them too.
"""

from __future__ import annotations

import stat
from pathlib import Path
from urllib.parse import urlparse

from sqlalchemy.engine import make_url

from bot.settings import Settings

LOCAL_HOSTS = {"127.0.0.1", "localhost", "::1"}


def _open_to_others(path: Path) -> bool:
    """Whether a file exists and its group or others may read or write it."""
    try:
        mode = path.stat().st_mode
    except OSError:
        return False
    return bool(mode & (stat.S_IRWXG | stat.S_IRWXO))


def check(settings: Settings, env_file: Path = Path(".env")) -> list[str]:
    """Problem codes (handlers/texts.py SECURITY names each), in a fixed order."""
    problems = []
    if _open_to_others(env_file):
        problems.append("env_file_readable")  # the bot token and other secrets
    if _open_to_others(Path(settings.data_dir) / "console_secret"):
        problems.append("console_secret_readable")
    url = make_url(settings.database_url)
    if url.get_backend_name() == "sqlite" and url.database and _open_to_others(Path(url.database)):
        problems.append("database_readable")  # citizens' messages, personal data
    console = urlparse(settings.console_url)
    if console.scheme != "https" and console.hostname not in LOCAL_HOSTS:
        problems.append("console_not_https")  # login links and session cookies in clear
    if settings.listen_host not in LOCAL_HOSTS and settings.console_url.startswith("http://"):
        problems.append("listening_in_clear")
    return problems
