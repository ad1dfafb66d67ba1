import csv
import io

from django.urls import reverse

from klips.actions import neutralise
from tests.klips.conftest import make_source
from tests.klips.helpers import make_dashboard, make_klip


def test_it_neutralises_formula_cells_and_keeps_numbers(owner_client, workspace, owner):
    source = make_source(
        workspace,
        owner,
        [
            {"project": {"name": '=HYPERLINK("http://x")'}, "hours": -2.0},
            {"project": {"name": "+1"}, "hours": 1.5},
            {"project": {"name": "@SUM(A1)"}, "hours": 1.0},
            {"project": {"name": "\tTab"}, "hours": 1.0},
            {"project": {"name": "-minus"}, "hours": 1.0},
            {"project": {"name": "Plain"}, "hours": 3.0},
        ],
    )
    dashboard = make_dashboard(workspace, owner)
    klip = make_klip(dashboard, source, kind="table")

    response = owner_client.get(reverse("klips:klip_csv", args=[dashboard.pk, klip.pk]))

    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert (
        response["Content-Disposition"] == 'attachment; filename="Hours-by-project.csv"'
    )
    rows = list(csv.reader(io.StringIO(response.content.decode())))
    assert rows == [
        ["Project name", "Hours"],
        ["'\tTab", "1.0"],
        ["'+1", "1.5"],
        ["'-minus", "1.0"],
        ['\'=HYPERLINK("http://x")', "-2.0"],
        ["'@SUM(A1)", "1.0"],
        ["Plain", "3.0"],
    ]


def test_it_neutralises_only_text():
    assert neutralise(-3.5) == -3.5
    assert neutralise("\rCR") == "'\rCR"
    assert neutralise(None) == ""
    assert neutralise("a=b") == "a=b"
