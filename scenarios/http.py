"""The HTTP handle a diner adapter gets: one Locust FastHttpSession, every request reported under its name."""
from __future__ import annotations

import orjson
from locust.exception import CatchResponseError

from scenarios.outcome import Answer, answer_of, failure_of


JSON_HEADERS = {"Content-Type": "application/json", "Accept": "application/json"}  # what Locust's json= adds


class Judge:
    """Stands in for Locust's request event on a diner's session: a definite answer (2xx, 4xx: the stack working as
    specified) is a success in Locust's stats, a 5xx or no answer a failure ("http 503", "timeout", ...); then the
    real event fires. Judged as Locust reports the request, so no `catch_response` copy of every response is made."""

    __slots__ = ("event",)

    def __init__(self, event) -> None:
        self.event = event

    def fire(self, **meta) -> None:
        failure = failure_of(meta["response"])
        meta["exception"] = None if failure is None else CatchResponseError(failure)
        self.event.fire(**meta)


class Http:
    """One Locust HTTP session as the adapter sees it: each request is reported to Locust under its name, judged
    by `Judge` (installed on the session here)."""

    __slots__ = ("session",)

    def __init__(self, session) -> None:
        if not isinstance(session.request_event, Judge):
            session.request_event = Judge(session.request_event)
        self.session = session

    def send(self, method: str, path: str, name: str, *, json: object = None, headers: dict | None = None):
        """One request, the raw Locust response: a definite answer (2xx, 4xx) is a success in Locust's stats,
        a 5xx or no answer a failure. A JSON body is written by orjson (a tenth of json.dumps' cost, and this runs
        for every order inside the load generator), with the headers Locust's `json=` sets; what orjson cannot
        write (a non-str key, an int past 64 bits) goes through Locust's `json=` as before."""
        if json is not None:
            try:
                body = orjson.dumps(json)
            except orjson.JSONEncodeError:
                return self.session.request(method, path, name=name, json=json, headers=headers)
            return self.session.request(method, path, name=name, data=body,
                                        headers={**JSON_HEADERS, **headers} if headers else JSON_HEADERS)
        return self.session.request(method, path, name=name, headers=headers)

    def call(self, method: str, path: str, name: str, *, json: object = None, headers: dict | None = None) -> Answer:
        """One request as an `Answer` (status, parsed JSON object body, transport error)."""
        return answer_of(self.send(method, path, name, json=json, headers=headers))
