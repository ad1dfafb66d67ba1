"""The hostile_names knob: Harvest's free-text fields replaced by attack payloads.

Security tests set `hostile_names` to strings such as `<script>...` or
`=HYPERLINK(...)` and check that every page, chart and export escapes them.
Each distinct original text gets the next payload in turn (cycling), and keeps
it for the sandbox's lifetime, so a client's name is the same payload on its
own record, inside a project and in a report row, and joins still line up.
"""

import threading

import orjson

# Keys whose string values are names or text a Harvest user typed.
TEXT_KEYS = frozenset(
    {
        "name",
        "first_name",
        "last_name",
        "notes",
        "subject",
        "body",
        "description",
        "title",
        "address",
        "code",
        "client_name",
        "project_name",
        "task_name",
        "user_name",
        "expense_category_name",
        "unit_name",
        "category_name",
    }
)


class HostileNames:
    """Remembers which payload each original text was given."""

    def __init__(self) -> None:
        self._given: dict[str, str] = {}
        self._lock = threading.Lock()

    def reset(self) -> None:
        with self._lock:
            self._given.clear()

    def apply(self, body: bytes, payloads: list[str]) -> bytes:
        """The JSON body with every text field replaced; other bodies unchanged."""
        try:
            data = orjson.loads(body)
        except orjson.JSONDecodeError:
            return body
        return orjson.dumps(self._walk(data, payloads))

    def _walk(self, value: object, payloads: list[str]) -> object:
        if isinstance(value, list):
            return [self._walk(item, payloads) for item in value]
        if not isinstance(value, dict):
            return value
        return {
            key: (
                self._payload_for(item, payloads)
                if key in TEXT_KEYS and isinstance(item, str) and item
                else self._walk(item, payloads)
            )
            for key, item in value.items()
        }

    def _payload_for(self, original: str, payloads: list[str]) -> str:
        with self._lock:
            given = self._given.get(original)
            if given is None or given not in payloads:
                given = payloads[len(self._given) % len(payloads)]
                self._given[original] = given
            return given
