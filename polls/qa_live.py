"""The live hub of events' Q&A boards: keyed by event code, coalesced, versioned and rendered once per format
like the other hubs (polls.live.Hub). Its formats are the phones' and the projector's (each ordered by votes
or newest first, in every language), the control view's, and the audience's JSON."""

from __future__ import annotations

from polls.live import Hub


class QaHub(Hub):
    """A hub of its own type, so that handlers are given it by type beside the poll and event hubs."""
