from datetime import date

from klips.query import run_klip
from klips.spec import parse_spec
from tests.klips.conftest import make_source

NAME = 'Team "A"); DROP TABLE x; --'
PATH = 'team"); SELECT 1; --'


def test_it_quotes_odd_column_names_and_binds_values(workspace, owner):
    source = make_source(
        workspace,
        owner,
        [
            {PATH: 'it\'s "quoted"', "hours": 2.0},
            {PATH: 'it\'s "quoted"', "hours": 1.0},
            {PATH: "'; DROP TABLE src; --", "hours": 4.0},
        ],
        columns=[
            {"name": NAME, "path": PATH, "type": "text"},
            {"name": "Hours", "path": "hours", "type": "hours"},
        ],
    )
    spec = parse_spec(
        {
            "sources": [source.pk],
            "group_by": [{"column": NAME}],
            "measures": [{"column": "Hours", "agg": "sum", "label": 'Sum "x"'}],
            "filters": [{"column": NAME, "op": "ne", "value": "x' OR '1'='1"}],
            "sort": [{"by": 'Sum "x"', "direction": "desc"}],
        }
    )

    result = run_klip(spec, {source.pk: source}, today=date(2026, 12, 9))

    assert [c.name for c in result.columns] == [NAME, 'Sum "x"']
    assert result.rows == [["'; DROP TABLE src; --", 4.0], ['it\'s "quoted"', 3.0]]
