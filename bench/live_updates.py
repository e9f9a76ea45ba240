"""What live updates cost a write: the same request with their publishing switched off.

``item create (live updates off)`` sends Keel's own create (the same URL, view, services
and INSERT) with ``X-Bench-Live-Updates: off``; for that request this middleware
disconnects the receiver that publishes committed writes to the owner's sockets
(``realtime.events.resource_event_publish``), so the kit does not even build the event.
The ratio of the two creates, measured in the same rounds, is what live updates add to
the REST path (issue 16). Bench settings only; sync workers serve one request at a time,
so the switch never reaches another request.
"""

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse

from realtime.events import resource_event_publish
from resources.events import resource_committed

HEADER = "X-Bench-Live-Updates"
RECEIVER_UID = "realtime.publish"  # as realtime.apps connects it


class LiveUpdatesSwitch:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.headers.get(HEADER) != "off":
            return self.get_response(request)
        resource_committed.disconnect(dispatch_uid=RECEIVER_UID)
        try:
            return self.get_response(request)
        finally:
            resource_committed.connect(resource_event_publish, dispatch_uid=RECEIVER_UID)
