"""The drafting desk: drafting sessions that belong to a user, not to a browser tab.

Each brief or refinement runs as a job in a background thread of the app process that took it;
every streamed token batch, every finished draft and every card edit is written to the system of
record as it happens, so a reload, a new tab, another device or a second app process shows the
same session, still streaming or finished. A job whose process died (no heartbeat) is marked
interrupted, keeps what it streamed, and can be resumed.
"""

from assistant.desk.jobs import Jobs
from assistant.desk.schemas import DeskOptions, DeskSessionView, DraftMedia, SessionSummary, StreamedDraft, Turn
from assistant.desk.store import Desk, DeskBusy, DeskNotFound

__all__ = ["Desk", "DeskBusy", "DeskNotFound", "DeskOptions", "DeskSessionView", "DraftMedia", "Jobs",
           "SessionSummary", "StreamedDraft", "Turn"]
