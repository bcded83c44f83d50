"""Which processes hold a file: the ones to name when a second mock is refused its lock."""

from __future__ import annotations

import os
from contextlib import suppress

__all__ = ["alive", "holders"]


def alive(pid: int) -> bool:
    """Whether `pid` runs (someone else's process counts: it runs)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:  # someone else's: alive
        return True
    return True


def holders(file: os.stat_result) -> list[int]:
    """Every other process that has `file` open, where /proc tells (Linux); else none."""
    found = []
    with suppress(OSError):
        for entry in os.scandir("/proc"):
            if not entry.name.isdigit() or int(entry.name) == os.getpid():
                continue
            with suppress(OSError):
                for fd in os.scandir(f"/proc/{entry.name}/fd"):
                    with suppress(OSError):
                        if os.path.samestat(os.stat(fd.path), file):
                            found.append(int(entry.name))
                            break
    return sorted(found)
