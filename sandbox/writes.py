"""Changing time entries through the API: the overlay on top of generated data.

Reference: https://help.getharvest.com/api-v2/timesheets-api/timesheets/time-entries/
"""

from datetime import UTC, datetime
from typing import TYPE_CHECKING

from sandbox.http import Request, Response, json_response, message, not_found
from sandbox.pagination import BadParameter
from sandbox.params import parse_date

if TYPE_CHECKING:
    from sandbox.server import SandboxApp


def now_stamp() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


class TimeEntryWrites:
    def __init__(self, app: "SandboxApp") -> None:
        self.app = app

    @property
    def ds(self):
        return self.app.dataset

    def _me(self) -> int:
        return self.ds.me(self.app.knobs.member_role)["id"]

    def create(self, request: Request) -> Response:
        form = request.form()
        missing = [
            f for f in ("project_id", "task_id", "spent_date") if not form.get(f)
        ]
        if missing:
            return message(422, f"{', '.join(missing)} can't be blank")

        fields = self._fields(form, {"user_id": self._me(), "notes": ""})
        problem = self._assignment_problem(fields)
        if problem:
            return message(422, problem)

        stamp = now_stamp()
        running = form.get("hours") in (None, "")
        record = self.ds.compose_entry(
            self.ds.overlay.allocate_id(),
            fields["spent_date"],
            fields["user_id"],
            fields["project_id"],
            fields["task_id"],
            0 if running else fields["centi"],
            fields["notes"],
            stamp,
            stamp,
            timer_started_at=stamp if running else None,
            external_reference=_external_reference(form),
        )
        return json_response(self.ds.overlay.put(record), 201)

    # TODO: Harvest refuses to edit locked (approved/invoiced) entries for members and
    # managers; the sandbox lets every caller edit, and written entries never become
    # billed or appear on invoices.
    def update(self, request: Request) -> Response:
        existing = self.ds.get_time_entry(int(request.params["id"]))
        if existing is None:
            return not_found()

        form = request.form()
        current = {
            "user_id": existing["user"]["id"],
            "project_id": existing["project"]["id"],
            "task_id": existing["task"]["id"],
            "spent_date": existing["spent_date"],
            "hours": existing["hours"],
            "notes": existing["notes"],
        }
        fields = self._fields({**{k: str(v) for k, v in current.items()}, **form}, {})
        problem = self._assignment_problem(fields)
        if problem:
            return message(422, problem)
        return json_response(self._rebuild(existing, fields, form))

    def _rebuild(self, existing: dict, fields: dict, form: dict) -> dict:
        record = self.ds.compose_entry(
            existing["id"],
            fields["spent_date"],
            fields["user_id"],
            fields["project_id"],
            fields["task_id"],
            fields["centi"],
            fields["notes"],
            existing["created_at"],
            now_stamp(),
            timer_started_at=existing["timer_started_at"],
            external_reference=_external_reference(form)
            if "external_reference" in form
            else existing["external_reference"],
        )
        return self.ds.overlay.put(record)

    def stop(self, request: Request) -> Response:
        existing = self.ds.get_time_entry(int(request.params["id"]))
        if existing is None:
            return not_found()
        if not existing["is_running"]:
            return message(422, "Time entry is not running")
        record = {
            **existing,
            "is_running": False,
            "timer_started_at": None,
            "hours_without_timer": existing["hours"],
            "updated_at": now_stamp(),
        }
        return json_response(self.ds.overlay.put(record))

    def restart(self, request: Request) -> Response:
        existing = self.ds.get_time_entry(int(request.params["id"]))
        if existing is None:
            return not_found()
        if existing["is_running"]:
            return message(422, "Time entry is already running")
        stamp = now_stamp()
        record = {
            **existing,
            "is_running": True,
            "timer_started_at": stamp,
            "updated_at": stamp,
        }
        return json_response(self.ds.overlay.put(record))

    def delete(self, request: Request) -> Response:
        entry_id = int(request.params["id"])
        if self.ds.get_time_entry(entry_id) is None:
            return not_found()
        self.ds.overlay.delete(entry_id)
        return Response(200, b"", "application/json; charset=utf-8")

    def _fields(self, form: dict, defaults: dict) -> dict:
        merged = {**defaults, **{k: v for k, v in form.items() if v not in (None, "")}}
        try:
            hours = float(merged.get("hours", 0) or 0)
            return {
                "user_id": int(merged["user_id"]),
                "project_id": int(merged["project_id"]),
                "task_id": int(merged["task_id"]),
                "spent_date": parse_date(str(merged["spent_date"]), "spent_date"),
                "centi": max(0, round(hours * 100)),
                "notes": str(merged.get("notes", "")),
            }
        except (TypeError, ValueError, KeyError) as problem:
            raise BadParameter(f"invalid time entry field: {problem}") from None

    def _assignment_problem(self, fields: dict) -> str | None:
        project = self.ds.project_by_id.get(fields["project_id"])
        if project is None or project.archived is not None:
            return "Project must be an active project"
        if (fields["project_id"], fields["user_id"]) not in self.ds.ua_by_pair:
            return "User is not assigned to this project"
        if (fields["project_id"], fields["task_id"]) not in self.ds.ta_by_pair:
            return "Task is not assigned to this project"
        return None


def _external_reference(form: dict) -> dict | None:
    ref = form.get("external_reference")
    if not isinstance(ref, dict):
        return None
    keys = ("id", "group_id", "account_id", "permalink", "service", "service_icon_url")
    return {key: (str(ref[key]) if ref.get(key) is not None else None) for key in keys}
