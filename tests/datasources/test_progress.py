"""The source page follows a running refresh through run_progress."""

import json
from urllib.parse import parse_qs, urlsplit

import responses
from django.urls import reverse

from datasources.models import RefreshRun
from datasources.refresh import refresh_source

from .conftest import API, paged_body, time_entry

PATH = "/v2/time_entries"


def test_progress_shows_pages_and_rows_as_they_arrive(owner_client, source, harvest):
    pages = [[time_entry(p * 10 + i, 1.0) for i in range(3)] for p in range(4)]
    run = RefreshRun.objects.create(source=source)
    progress_url = reverse("datasources:run_progress", args=[source.pk, run.pk])
    seen_mid_run: list[dict] = []

    def answer(request):
        number = int(parse_qs(urlsplit(request.url).query).get("page", ["1"])[0])
        # What a browser polling the page would read while page `number` loads.
        seen_mid_run.append(owner_client.get(progress_url).json())
        return 200, {}, json.dumps(paged_body("time_entries", pages, number, PATH))

    harvest.add_callback(responses.GET, f"{API}{PATH}", callback=answer)

    refresh_source(run.pk)

    progress = [
        (p["status"], p["pages_done"], p["pages_total"], p["rows"])
        for p in seen_mid_run
    ]
    assert progress == [
        ("running", 0, None, 0),
        ("running", 1, 4, 3),
        ("running", 2, 4, 6),
        ("running", 3, 4, 9),
    ]
    done = owner_client.get(progress_url).json()
    assert (done["status"], done["finished"], done["pages_done"], done["rows"]) == (
        "succeeded",
        True,
        4,
        12,
    )


def test_the_detail_page_polls_queued_and_running_runs_only(owner_client, source):
    running = RefreshRun.objects.create(source=source, status="running", pages_done=2)
    finished = RefreshRun.objects.create(source=source, status="succeeded")

    page = owner_client.get(reverse("datasources:source_detail", args=[source.pk]))

    text = page.content.decode()
    running_url = reverse("datasources:run_progress", args=[source.pk, running.pk])
    finished_url = reverse("datasources:run_progress", args=[source.pk, finished.pk])
    assert f'data-progress-url="{running_url}"' in text
    assert finished_url not in text
    assert "js/datasources.js" in text


def test_an_outsider_gets_no_progress(client, outsider, source):
    run = RefreshRun.objects.create(source=source, status="running")
    client.force_login(outsider)

    response = client.get(reverse("datasources:run_progress", args=[source.pk, run.pk]))

    assert response.status_code == 404
