"""Named exit codes and the two consoles every command prints through."""

from __future__ import annotations

from rich.console import Console

EXIT_OK = 0
EXIT_ERROR = 1  # a user-fixable problem (ProspectorError)
EXIT_INVALID = 3  # config, sequence or template problems found by validation
EXIT_NOT_FOUND = 4  # a named sequence, segment or contact does not exist
EXIT_CONFLICT = 5  # someone else decided this inbox item first; nothing was changed

console = Console(highlight=False, soft_wrap=True)
err_console = Console(stderr=True, highlight=False, soft_wrap=True)
