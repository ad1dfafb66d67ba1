"""Both of Harvest's pagination styles, envelope values on first, middle, last pages."""

from urllib.parse import parse_qs, urlsplit

from sandbox.data import Dataset
from tests.sandbox.conftest import TODAY


def walk(harvest, path: str) -> list[dict]:
    pages = []
    url = path
    while url:
        page = harvest.json(url)
        pages.append(page)
        url = page["links"]["next"]
    return pages


def test_it_pages_time_entries_by_number(sb, harvest):
    pages = walk(harvest, "/v2/time_entries?per_page=120")

    first, middle, last = pages
    assert [p["page"] for p in pages] == [1, 2, 3]
    assert [p["next_page"] for p in pages] == [2, 3, None]
    assert [p["previous_page"] for p in pages] == [None, 1, 2]
    assert {p["total_pages"] for p in pages} == {3}
    assert {p["total_entries"] for p in pages} == {300}
    assert [len(p["time_entries"]) for p in pages] == [120, 120, 60]
    assert middle["links"]["previous"] == first["links"]["next"].replace(
        "page=2", "page=1"
    )
    assert last["links"]["last"] == middle["links"]["next"]
    assert (
        first["links"]["first"] == sb.api_base + "/v2/time_entries?page=1&per_page=120"
    )


def test_it_lists_time_entries_newest_spent_date_first_without_gaps(harvest):
    pages = walk(harvest, "/v2/time_entries?per_page=70")
    entries = [e for p in pages for e in p["time_entries"]]

    keys = [(e["spent_date"], e["id"]) for e in entries]
    assert keys == sorted(keys, reverse=True)
    assert len({e["id"] for e in entries}) == 300


def test_it_defaults_to_2000_per_page_and_100_for_invoices(harvest):
    assert harvest.json("/v2/time_entries")["per_page"] == 2000
    assert harvest.json("/v2/invoices")["per_page"] == 100


def test_it_rejects_per_page_above_2000_unless_clamped(sb, harvest):
    refused = harvest.get("/v2/time_entries?per_page=2001")
    sb.knobs.per_page_over_max = "clamp"
    clamped = harvest.json("/v2/time_entries?per_page=2001")

    assert refused.status_code == 422
    assert clamped["per_page"] == 2000
    assert harvest.get("/v2/time_entries?per_page=0").status_code == 422


def test_it_pages_clients_by_cursor_with_null_numbers_in_the_middle(sb, harvest):
    pages = walk(harvest, "/v2/clients?is_active=true&per_page=2")
    active = [c for c in Dataset(42, 300, TODAY).clients() if c["is_active"]]

    assert [p["page"] for p in pages] == [1, None, None, 4]
    assert [p["next_page"] for p in pages] == [2, None, None, None]
    assert [p["previous_page"] for p in pages] == [None, None, None, 3]
    assert {p["total_entries"] for p in pages} == {7} == {len(active)}
    assert [c["id"] for p in pages for c in p["clients"]] == [c["id"] for c in active]
    for page in pages[:-1]:
        query = parse_qs(urlsplit(page["links"]["next"]).query)
        assert query["ref"] == ["next_cursor"]
        assert query["is_active"] == ["true"]
        assert "page" not in query
    assert pages[-1]["links"]["next"] is None
    assert "ref=previous" in pages[-1]["links"]["previous"]
    assert pages[1]["links"]["first"].endswith(
        "is_active=true&page=1&per_page=2&ref=first"
    )


def test_it_follows_a_previous_cursor_back(harvest):
    pages = walk(harvest, "/v2/clients?per_page=2")

    back = harvest.json(pages[2]["links"]["previous"])

    assert [c["id"] for c in back["clients"]] == [c["id"] for c in pages[1]["clients"]]


def test_it_rejects_a_forged_cursor(harvest):
    assert harvest.get("/v2/clients?cursor=bm90LWEtY3Vyc29y").status_code == 422


def test_it_builds_links_from_the_requests_own_host(sb, harvest):
    localhost_base = sb.api_base.replace("127.0.0.1", "localhost")

    page = harvest.json(localhost_base + "/v2/time_entries?per_page=100")

    assert page["links"]["next"].startswith(localhost_base + "/v2/time_entries?")


def test_it_answers_an_empty_page_past_the_end(harvest):
    page = harvest.json("/v2/time_entries?per_page=100&page=9")

    assert page["time_entries"] == []
    assert page["next_page"] is None
    assert page["previous_page"] == 8
    assert page["total_pages"] == 3


def test_it_serves_parallel_requests_consistently(sb, harvest):
    from concurrent.futures import ThreadPoolExecutor

    def fetch(page: int) -> list[int]:
        caller = type(harvest)(sb)
        body = caller.json(f"/v2/time_entries?per_page=50&page={page}")
        return [e["id"] for e in body["time_entries"]]

    with ThreadPoolExecutor(max_workers=6) as pool:
        pages = list(pool.map(fetch, [1, 2, 3, 4, 5, 6] * 3))

    assert pages[:6] == pages[6:12] == pages[12:]
    assert len({i for page in pages[:6] for i in page}) == 300
