import re

from connectors.catalog import bucket_for, get_recipe, get_service, services
from datasources.actions import normalize_template
from datasources.relative_dates import find_unknown


def test_it_lists_harvest_with_its_recipes():
    harvest = services()["harvest"]

    assert harvest.name == "Harvest"
    assert len(harvest.recipes) >= 30
    assert len({r.slug for r in harvest.recipes}) == len(harvest.recipes)
    assert get_service("nope") is None


def test_it_has_time_entries_this_month_as_specified():
    recipe = get_recipe("harvest", "time-entries-this-month")

    assert recipe.query_url == (
        "/v2/time_entries?from={{start_of_month}}&to={{end_of_month}}"
    )
    assert recipe.bucket == "general"


def test_every_recipe_is_well_formed():
    for recipe in services()["harvest"].recipes:
        assert re.fullmatch(r"[a-z0-9-]+", recipe.slug), recipe.slug
        assert recipe.query_url.startswith("/v2/"), recipe.slug
        assert find_unknown(recipe.query_url) is None, recipe.slug
        assert recipe.bucket == bucket_for(recipe.query_url), recipe.slug
        assert recipe.refresh_minutes in {15, 30, 60, 240, 720}, recipe.slug
        assert recipe.description and recipe.name, recipe.slug


def test_it_covers_every_report():
    paths = {r.query_url.split("?")[0] for r in services()["harvest"].recipes}

    for report in (
        "time/clients",
        "time/projects",
        "time/tasks",
        "time/team",
        "expenses/clients",
        "expenses/projects",
        "expenses/categories",
        "expenses/team",
        "uninvoiced",
        "project_budget",
    ):
        assert f"/v2/reports/{report}" in paths, report


def test_every_recipe_query_url_is_already_normalized():
    """Saving a recipe's Query URL (or using it unchanged as custom settings)
    stores exactly the URL the catalog shows."""
    changed = {
        recipe.slug: normalize_template(recipe.query_url)
        for service in services().values()
        for recipe in service.recipes
        if normalize_template(recipe.query_url) != recipe.query_url
    }

    assert changed == {}
    assert (
        normalize_template("/v2/invoices?updated_since={{end_of_last_year}}T00:00:00Z")
        == "/v2/invoices?updated_since={{end_of_last_year}}T00:00:00Z"
    )
