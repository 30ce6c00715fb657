"""The HTTP handle a diner adapter gets: one Locust FastHttpSession, every request reported under its name."""
from __future__ import annotations

from locust.exception import CatchResponseError

from scenarios.outcome import Answer, answer_of, failure_of


class Http:
    """One Locust HTTP session as the adapter sees it: each request is reported to Locust under its name."""

    __slots__ = ("session",)

    def __init__(self, session) -> None:
        self.session = session

    def send(self, method: str, path: str, name: str, *, json: object = None, headers: dict | None = None):
        """One request, the raw Locust response: a definite answer (2xx, 4xx) is a success in Locust's stats,
        a 5xx or no answer a failure. Reported by hand with the response's own record (less work per request)."""
        session = self.session
        resp = session.request(method, path, name=name, json=json, headers=headers, catch_response=True)
        failure = failure_of(resp)
        resp.request_meta["exception"] = None if failure is None else CatchResponseError(failure)
        session.request_event.fire(**resp.request_meta)
        return resp

    def call(self, method: str, path: str, name: str, *, json: object = None, headers: dict | None = None) -> Answer:
        """One request as an `Answer` (status, parsed JSON object body, transport error)."""
        return answer_of(self.send(method, path, name, json=json, headers=headers))
