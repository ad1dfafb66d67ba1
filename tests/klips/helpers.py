"""Building dashboards and Klips for view tests."""

from klips.models import Dashboard, Klip

HOURS_BY_PROJECT = {
    "group_by": [{"column": "Project name"}],
    "measures": [{"column": "Hours", "agg": "sum", "label": "Hours"}],
}


def make_dashboard(workspace, owner, name="Team", shared=False) -> Dashboard:
    return Dashboard.objects.create(
        workspace=workspace, owner=owner, name=name, shared_with_workspace=shared
    )


def make_klip(dashboard, source, kind="bar", name="Hours by project", **spec) -> Klip:
    klip = Klip.objects.create(
        dashboard=dashboard,
        name=name,
        kind=kind,
        spec={"sources": [source.pk], **(spec or HOURS_BY_PROJECT)},
    )
    klip.sources.set([source])
    return klip
