"""The review screen (Textual): a list on the left, the item on the right, one-key actions."""

from __future__ import annotations

from prospector.engine.inbox import Inbox


def run_app(service: Inbox) -> None:
    raise NotImplementedError("the review screen is being built; use `prospector inbox list`")
