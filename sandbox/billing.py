"""Invoices (with payments and messages) and estimates of the sandbox account."""

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import TYPE_CHECKING

from sandbox import catalog

if TYPE_CHECKING:
    from sandbox.data import Dataset

MAYA = "Maya Okafor"
MAYA_EMAIL = "maya.okafor@example.com"


def _stamp(day: date, hour: int, minute: int = 0) -> str:
    from sandbox.data import stamp

    return stamp(day, hour, minute)


def _month_name(month: tuple[int, int]) -> str:
    return date(month[0], month[1], 1).strftime("%B %Y")


def _state_for(ds: "Dataset", month: tuple[int, int], client_id: int) -> str:
    """Older invoices are paid; last month's are open (one still a draft)."""
    from sandbox.data import _add_months, _month_key

    age = (_month_key(ds.today)[0] * 12 + _month_key(ds.today)[1]) - (
        month[0] * 12 + month[1]
    )
    if age <= 1:
        return "draft" if client_id == 5300008 else "open"
    if age == 2 and client_id == 5300003:
        return "open"  # Marlow pays late: overdue
    if client_id == 5300005 and _add_months(month, 1) >= _month_key(
        ds.today - timedelta(days=140)
    ):
        return "closed"  # Solace's last invoices were written off
    return "paid"


def _totals(lines: list[dict], client: catalog.ClientSpec) -> dict:
    subtotal = round(sum(line["amount"] for line in lines), 2)
    taxed = round(sum(line["amount"] for line in lines if line["taxed"]), 2)
    discount_amount = round(subtotal * (client.discount or 0) / 100, 2)
    taxed_after_discount = taxed * (1 - (client.discount or 0) / 100)
    tax_amount = round(taxed_after_discount * (client.tax or 0) / 100, 2)
    amount = round(subtotal - discount_amount + tax_amount, 2)
    return {
        "amount": amount,
        "tax": client.tax,
        "tax_amount": tax_amount,
        "tax2": None,
        "tax2_amount": 0.0,
        "discount": client.discount,
        "discount_amount": discount_amount,
    }


def _time_lines(ds: "Dataset", client_id: int, month, next_line_id) -> list[dict]:
    from sandbox.data import _month_bounds

    totals = ds.billing_totals().get((client_id, month), {"time": {}, "expenses": {}})
    first, last = _month_bounds(month)
    lines = []
    for (project_id, rate), centi in sorted(totals["time"].items(), key=str):
        spec = ds.project_by_id[project_id]
        quantity = centi / 100
        lines.append(
            {
                "id": next_line_id(),
                "kind": "Service",
                "description": f"{spec.name}: time {first.isoformat()} to {last.isoformat()}",
                "quantity": quantity,
                "unit_price": rate,
                "amount": round(quantity * (rate or 0), 2),
                "taxed": True,
                "taxed2": False,
                "project": {"id": spec.id, "name": spec.name, "code": spec.code},
            }
        )
    for project_id, amount in sorted(totals["expenses"].items()):
        spec = ds.project_by_id[project_id]
        lines.append(
            {
                "id": next_line_id(),
                "kind": "Product",
                "description": f"{spec.name}: expenses {_month_name(month)}",
                "quantity": 1.0,
                "unit_price": amount,
                "amount": amount,
                "taxed": False,
                "taxed2": False,
                "project": {"id": spec.id, "name": spec.name, "code": spec.code},
            }
        )
    return lines


def _fee_lines(ds: "Dataset", project_id: int, next_line_id) -> list[dict]:
    spec = ds.project_by_id[project_id]
    share = 0.5
    return [
        {
            "id": next_line_id(),
            "kind": "Service",
            "description": f"{spec.name}: fixed fee instalment (50 %)",
            "quantity": 1.0,
            "unit_price": round((spec.fee or 0) * share, 2),
            "amount": round((spec.fee or 0) * share, 2),
            "taxed": True,
            "taxed2": False,
            "project": {"id": spec.id, "name": spec.name, "code": spec.code},
        }
    ]


@dataclass
class _Ids:
    """Id sequences shared by every invoice of one dataset."""

    lines: Iterator[int] = field(default_factory=lambda: iter(range(8100001, 8199999)))
    payments: Iterator[int] = field(
        default_factory=lambda: iter(range(6600001, 6699999))
    )
    messages: Iterator[int] = field(
        default_factory=lambda: iter(range(6700001, 6799999))
    )


@dataclass
class _Timeline:
    """When an invoice was issued, sent, paid or closed, and its resulting state."""

    state: str
    issue: date
    paid_date: date

    @property
    def paid(self) -> bool:
        return self.state == "paid"

    @property
    def sent_at(self) -> str | None:
        return None if self.state == "draft" else _stamp(self.issue, 14, 2)

    @property
    def closed_at(self) -> str | None:
        if self.state != "closed":
            return None
        return _stamp(self.issue + timedelta(days=60), 9)


def _build_invoices(ds: "Dataset") -> list[dict]:
    ids = _Ids()
    invoices = []
    ds._payments = {}
    ds._messages = {}
    for invoice_id, number, month, client_id, kind in ds.invoice_plan:
        lines = _lines_for(ds, kind, client_id, month, ids)
        if not lines:
            continue

        client = ds.client_specs[client_id]
        totals = _totals(lines, client)
        timeline = _timeline(ds, invoice_id, month, client_id)
        payments = _payments_for(timeline, totals["amount"], client_id, ids, ds.today)
        invoice = _invoice_record(
            (invoice_id, number, month, kind), client, lines, totals, timeline, payments
        )

        invoices.append(invoice)
        ds._payments[invoice_id] = payments
        ds._messages[invoice_id] = _messages(invoice, client, payments, ids.messages)
    invoices.sort(key=lambda inv: (inv["issue_date"], inv["id"]), reverse=True)
    return invoices


def _lines_for(ds: "Dataset", kind: str, client_id: int, month, ids: _Ids) -> list:
    if kind == "time":
        return _time_lines(ds, client_id, month, lambda: next(ids.lines))
    return _fee_lines(ds, int(kind.split(":")[1]), lambda: next(ids.lines))


def _timeline(ds: "Dataset", invoice_id: int, month, client_id: int) -> _Timeline:
    from sandbox.data import _issue_date

    issue = min(_issue_date(month), ds.today)
    state = _state_for(ds, month, client_id)
    paid_date = issue + timedelta(days=9 + invoice_id % 7)
    if state == "paid" and paid_date > ds.today:
        state = "open"  # not paid yet as of "today"
    return _Timeline(state, issue, paid_date)


def _payments_for(
    timeline: _Timeline, amount: float, client_id: int, ids: _Ids, today
) -> list[dict]:
    """Paid invoices: one full payment. Harbor pays open invoices 40 % up front,
    five days after the issue date, so not yet for an invoice issued this week:
    a payment is never dated after "today"."""
    when = timeline.paid_date if timeline.paid else timeline.issue + timedelta(days=5)
    partial = timeline.state == "open" and client_id == 5300001 and when <= today
    if not (timeline.paid or partial):
        return []

    value = amount if timeline.paid else round(amount * 0.4, 2)
    return [
        {
            "id": next(ids.payments),
            "amount": value,
            "paid_at": _stamp(when, 0),
            "paid_date": when.isoformat(),
            "recorded_by": MAYA,
            "recorded_by_email": MAYA_EMAIL,
            "notes": "Bank transfer"
            if timeline.paid
            else "Partial payment by bank transfer",
            "transaction_id": None,
            "created_at": _stamp(when, 10, 5),
            "updated_at": _stamp(when, 10, 5),
            "payment_gateway": {"id": None, "name": None},
        }
    ]


def _invoice_record(
    plan: tuple,
    client: catalog.ClientSpec,
    lines: list[dict],
    totals: dict,
    timeline: _Timeline,
    payments: list[dict],
) -> dict:
    from sandbox.data import _month_bounds

    invoice_id, number, month, kind = plan
    issue, state, paid = timeline.issue, timeline.state, timeline.paid
    due_amount = round(totals["amount"] - sum(p["amount"] for p in payments), 2)
    if state in ("paid", "closed"):
        due_amount = 0.0
    updated = max(
        [_stamp(issue, 14, 0), timeline.sent_at or "", timeline.closed_at or ""]
        + [p["created_at"] for p in payments]
    )
    first, last = _month_bounds(month)
    term = client.payment_term_days
    return {
        "id": invoice_id,
        "client_key": f"{invoice_id:08x}{client.id:08x}{invoice_id * 31:016x}"[:40],
        "number": number,
        "purchase_order": f"PO-{5000 + invoice_id % 1000}" if client.tax else "",
        "amount": totals["amount"],
        "due_amount": due_amount,
        "tax": totals["tax"],
        "tax_amount": totals["tax_amount"],
        "tax2": totals["tax2"],
        "tax2_amount": totals["tax2_amount"],
        "discount": totals["discount"],
        "discount_amount": totals["discount_amount"],
        "subject": f"{client.name} - {_month_name(month)}",
        "notes": "Thank you for your business.",
        "state": state,
        "period_start": first.isoformat() if kind == "time" else None,
        "period_end": last.isoformat() if kind == "time" else None,
        "issue_date": issue.isoformat(),
        "due_date": (issue + timedelta(days=term)).isoformat(),
        "payment_term": f"net {term}",
        "sent_at": timeline.sent_at,
        "paid_at": _stamp(timeline.paid_date, 0) if paid else None,
        "paid_date": timeline.paid_date.isoformat() if paid else None,
        "closed_at": timeline.closed_at,
        "recurring_invoice_id": None,
        "created_at": _stamp(issue, 14, 0),
        "updated_at": updated,
        "currency": client.currency,
        "payment_options": ["credit_card"] if client.currency == "USD" else [],
        "client": {"id": client.id, "name": client.name},
        "estimate": _estimate_ref(client.id) if kind != "time" else None,
        "retainer": None,
        "creator": {"id": catalog.MAYA, "name": MAYA},
        "line_items": lines,
    }


def _estimate_ref(client_id: int) -> dict | None:
    """Fixed-fee instalments are invoiced from the client's accepted estimate."""
    for sequence, (estimate_client, _days, state, _text, _q) in enumerate(
        _ESTIMATE_PLAN, start=1
    ):
        if estimate_client == client_id and state == "accepted":
            return {"id": 8800000 + sequence}
    return None


def _messages(invoice: dict, client, payments: list[dict], ids) -> list[dict]:
    if invoice["sent_at"] is None:
        return []
    contact = next((c for c in catalog.CONTACTS if c[1] == client.id), None)
    recipients = []
    if contact is not None:
        recipients.append(
            {
                "name": f"{contact[3]} {contact[4]}",
                "email": f"{contact[3]}.{contact[4]}@example.com".lower(),
            }
        )
    events = [(invoice["sent_at"], False, f"Invoice {invoice['number']} is attached.")]
    if payments and invoice["state"] == "paid":
        events.append((payments[0]["created_at"], True, "Thank you for your payment!"))
    rows = []
    for when, thank_you, body in events:
        rows.append(
            {
                "id": next(ids),
                "sent_by": MAYA,
                "sent_by_email": MAYA_EMAIL,
                "sent_from": MAYA,
                "sent_from_email": MAYA_EMAIL,
                "include_link_to_client_invoice": False,
                "send_me_a_copy": True,
                "thank_you": thank_you,
                "reminder": False,
                "send_reminder_on": None,
                "created_at": when,
                "updated_at": when,
                "attach_pdf": True,
                "event_type": None,
                "recipients": recipients,
                "subject": f"Invoice {invoice['number']} from {catalog.ACCOUNT_NAME}",
                "body": body,
            }
        )
    rows.sort(key=lambda row: (row["created_at"], row["id"]), reverse=True)
    return rows


_ESTIMATE_PLAN = (
    # client id, days before today, state, description, quantity
    (5300001, 370, "accepted", "Replatform discovery and build", 2400.0),
    (5300002, 340, "accepted", "Mobile banking app, phase 1", 3200.0),
    (5300003, 290, "accepted", "Website redesign", 1200.0),
    (5300004, 310, "accepted", "Spring campaign creative", 600.0),
    (5300004, 100, "accepted", "Winter catalogue design", 220.0),
    (5300007, 150, "accepted", "Packaging refresh", 400.0),
    (5300005, 60, "declined", "Patient portal phase 2", 900.0),
    (5300001, 20, "sent", "Loyalty programme pages", 160.0),
    (5300008, 5, "draft", "Lookbook 2027 art direction", 120.0),
)


def _build_estimates(ds: "Dataset") -> list[dict]:
    rows = []
    for sequence, (client_id, days, state, text, quantity) in enumerate(
        _ESTIMATE_PLAN, start=1
    ):
        client = ds.client_specs[client_id]
        issue = ds.today - timedelta(days=days)
        rate = 150.0 if client.currency == "USD" else 110.0
        lines = [
            {
                "id": 8200000 + sequence,
                "kind": "Service",
                "description": text,
                "quantity": quantity,
                "unit_price": rate,
                "amount": round(quantity * rate, 2),
                "taxed": True,
                "taxed2": False,
            }
        ]
        totals = _totals(lines, client)
        sent_at = None if state == "draft" else _stamp(issue, 16)
        decided = _stamp(issue + timedelta(days=min(days, 3)), 8, 15)
        accepted_at = decided if state == "accepted" else None
        declined_at = decided if state == "declined" else None
        estimate_id = 8800000 + sequence
        rows.append(
            {
                "id": estimate_id,
                "client_key": f"{estimate_id:08x}{client_id:08x}{estimate_id * 17:016x}",
                "number": f"E-{sequence:04d}",
                "purchase_order": "",
                "amount": totals["amount"],
                "tax": totals["tax"],
                "tax_amount": totals["tax_amount"],
                "tax2": None,
                "tax2_amount": 0.0,
                "discount": totals["discount"],
                "discount_amount": totals["discount_amount"],
                "subject": f"{client.name} proposal",
                "notes": "",
                "state": state,
                "issue_date": issue.isoformat(),
                "sent_at": sent_at,
                "created_at": _stamp(issue, 15, 40),
                "updated_at": max(
                    _stamp(issue, 15, 40),
                    sent_at or "",
                    accepted_at or "",
                    declined_at or "",
                ),
                "accepted_at": accepted_at,
                "declined_at": declined_at,
                "currency": client.currency,
                "client": {"id": client.id, "name": client.name},
                "creator": {"id": catalog.MAYA, "name": MAYA},
                "line_items": lines,
            }
        )
    rows.sort(key=lambda row: (row["issue_date"], row["id"]), reverse=True)
    return rows
