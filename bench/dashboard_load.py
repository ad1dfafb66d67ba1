"""A 12-Klip dashboard under load, its weight, and its time to draw in Chromium.

Run: .venv/bin/python bench/dashboard_load.py [--rows 200000] [--seconds 20]

In one run on this machine: seeds a time-entries source (Parquet, `--rows`
entries) and a dashboard of 12 Klips, starts the app under gunicorn (DEBUG off,
static files through WhiteNoise), then
1. wrk, 20 connections: a page view mix (the dashboard page + its 12 Klip data
   requests) against a trivial Django view behind the same middleware; prints
   both p95 latencies and their ratio (target <= 5x);
2. page weight: the HTML, CSS, JS and the 12 Klip payloads, gzipped, without
   plotly.js (target <= 400 KB);
3. headless Chromium: time from navigation until all 12 Klips are drawn, on a
   first visit (a new browser context: plotly.js downloaded and compiled cold)
   and on later ones (target <= 2.5 s), with the plotly.js file it served (raw
   and gzipped) and where each visit's time went: plotly.js loaded and run, the
   Klip data requests, and Plotly.newPlot per Klip.
Klip results are cached per data version, so after the first view the load test
measures what a dashboard costs while its data does not change. Not a test.
"""

import argparse
import gzip
import json
import os
import re
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
BIN = Path(sys.executable).parent
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
CONNECTIONS = 20

_HOURS = {"column": "Hours", "agg": "sum", "label": "Hours"}
KLIPS = [
    ("bar", "Hours by project", {"group_by": [{"column": "Project name"}]}),
    ("bar", "Hours by person", {"group_by": [{"column": "User name"}]}),
    (
        "bar",
        "Billable by person",
        {
            "group_by": [{"column": "User name"}, {"column": "Billable"}],
            "display": {"bar_mode": "stacked"},
        },
    ),
    (
        "line",
        "Hours per week",
        {"group_by": [{"column": "Spent date", "bucket": "week"}]},
    ),
    (
        "area",
        "Hours per month",
        {"group_by": [{"column": "Spent date", "bucket": "month"}]},
    ),
    (
        "line",
        "Hours per day",
        {"group_by": [{"column": "Spent date", "bucket": "day"}]},
    ),
    ("pie", "Billable share", {"group_by": [{"column": "Billable"}]}),
    ("pie", "Top projects", {"group_by": [{"column": "Project name"}]}),
    (
        "number",
        "Hours this month",
        {"group_by": [{"column": "Spent date", "bucket": "month"}]},
    ),
    ("gauge", "Hours (all)", {"target": 900000}),
    ("table", "Projects", {"group_by": [{"column": "Project name"}], "limit": 50}),
    (
        "heatmap",
        "Person by week",
        {
            "group_by": [
                {"column": "Spent date", "bucket": "week"},
                {"column": "User name"},
            ]
        },
    ),
]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def setup_django(data_dir: Path) -> dict[str, str]:
    env = {
        "DATA_DIR": str(data_dir),
        "DJANGO_SETTINGS_MODULE": "bench.dashboard_settings",
        "DEBUG": "false",
        "REDIS_URL": os.environ.get("BENCH_REDIS_URL", ""),
    }
    os.environ.update(env)
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    call_command("collectstatic", "--no-input", verbosity=0)
    return env


def seed(data_dir: Path, rows: int) -> dict:
    """A user, a time-entries source with `rows` entries, 12 Klips; a session."""
    from django.contrib.auth import (
        BACKEND_SESSION_KEY,
        HASH_SESSION_KEY,
        SESSION_KEY,
        get_user_model,
    )
    from django.contrib.sessions.backends.db import SessionStore
    from django.core.files.storage import default_storage

    from bench.klips_engine import write_entries
    from datasources.models import DataSource, DataVersion
    from klips.models import Dashboard, Klip
    from workspaces.models import Workspace

    user = get_user_model().objects.create_user(
        username="bench@example.com", email="bench@example.com", password="x" * 12
    )
    workspace = Workspace.objects.get(membership__user=user)
    source = DataSource.objects.create(
        workspace=workspace,
        owner=user,
        name="Time entries",
        account_id=1,
        query_url="/v2/time_entries",
        columns=[
            {"name": "Spent date", "path": "spent_date", "type": "date"},
            {"name": "Hours", "path": "hours", "type": "hours"},
            {"name": "Billable", "path": "billable", "type": "boolean"},
            {"name": "Project name", "path": "project.name", "type": "text"},
            {"name": "User name", "path": "user.name", "type": "text"},
        ],
    )
    name = f"datasets/{source.pk}/bench.parquet"
    path = Path(default_storage.path(name))
    path.parent.mkdir(parents=True, exist_ok=True)
    write_entries(path, rows)
    version = DataVersion.objects.create(
        source=source, file_name=name, row_count=rows, byte_size=path.stat().st_size
    )
    source.current_version = version
    source.status = DataSource.Status.OK
    source.save()

    dashboard = Dashboard.objects.create(workspace=workspace, owner=user, name="Bench")
    klip_ids = []
    for index, (kind, title, extra) in enumerate(KLIPS):
        spec = {"sources": [source.pk], "measures": [_HOURS], **extra}
        klip = Klip.objects.create(
            dashboard=dashboard,
            name=title,
            kind=kind,
            spec=spec,
            x=(index % 3) * 4,
            y=(index // 3) * 3,
            w=4,
            h=3,
        )
        klip.sources.set([source])
        klip_ids.append(klip.pk)

    session = SessionStore()
    session[SESSION_KEY] = str(user.pk)
    session[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
    session[HASH_SESSION_KEY] = user.get_session_auth_hash()
    session["workspace_id"] = workspace.pk
    session.create()
    return {
        "dashboard": dashboard.pk,
        "klips": klip_ids,
        "session": session.session_key,
        "file_mb": path.stat().st_size / 1e6,
    }


def start_gunicorn(env: dict, port: int, data_dir: Path) -> subprocess.Popen:
    log = (data_dir / "gunicorn.log").open("w")
    process = subprocess.Popen(
        [
            str(BIN / "gunicorn"),
            "harvestdash.wsgi:application",
            "--bind",
            f"127.0.0.1:{port}",
            "--workers",
            "2",
            "--threads",
            "4",
            "--worker-class",
            "gthread",
            "--log-level",
            "warning",
        ],
        cwd=ROOT,
        env={**os.environ, **env},
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/bench/trivial/", timeout=2)
            return process
        except OSError:
            time.sleep(0.3)
    process.kill()
    raise RuntimeError("gunicorn did not start; see gunicorn.log")


def fetch(url: str, cookie: str) -> tuple[int, bytes]:
    # Only ever the local gunicorn started above.
    request = urllib.request.Request(url, headers={"Cookie": cookie})  # noqa: S310
    with urllib.request.urlopen(request, timeout=60) as response:  # noqa: S310
        return response.status, response.read()


def dashboard_paths(seeded: dict) -> list[str]:
    board = seeded["dashboard"]
    return [f"/dashboards/{board}/"] + [
        f"/dashboards/{board}/klips/{klip}/data/" for klip in seeded["klips"]
    ]


WRK_SCRIPT = """
local paths = {%s}
local counter = 0
wrk.headers["Cookie"] = "%s"
request = function()
  counter = counter + 1
  return wrk.format("GET", paths[(counter %% #paths) + 1])
end
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format("P50_US=%%d\\nP95_US=%%d\\nREQUESTS=%%d\\nERRORS=%%d\\n",
    latency:percentile(50), latency:percentile(95), summary.requests,
    e.connect + e.read + e.write + e.status + e.timeout))
end
"""


def run_wrk(
    base: str, paths: list[str], cookie: str, seconds: int, folder: Path
) -> dict:
    script = folder / "mix.lua"
    script.write_text(WRK_SCRIPT % (", ".join(json.dumps(p) for p in paths), cookie))
    output = subprocess.run(
        [
            "wrk",
            "-t",
            "2",
            "-c",
            str(CONNECTIONS),
            "-d",
            f"{seconds}s",
            "--timeout",
            "30s",
            "-s",
            str(script),
            base,
        ],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    numbers = dict(re.findall(r"^(P50_US|P95_US|REQUESTS|ERRORS)=(\d+)$", output, re.M))
    return {key: int(value) for key, value in numbers.items()}


def page_weight(base: str, seeded: dict, cookie: str) -> dict:
    """The page's bytes without plotly.js (raw and gzipped), and plotly.js's."""
    _, html = fetch(base + dashboard_paths(seeded)[0], cookie)
    assets = re.findall(rb'(?:href|src)="(/static/[^"]+\.(?:css|js))"', html)
    bodies = [html]
    plotly = {"name": "none", "raw": 0, "gz": 0}
    for asset in dict.fromkeys(assets):
        _, body = fetch(base + asset.decode(), cookie)
        if b"plotly" in asset:
            name = asset.decode().rsplit("/", 1)[-1]
            plotly = {"name": name, "raw": len(body), "gz": len(gzip.compress(body, 6))}
            continue
        bodies.append(body)
    for path in dashboard_paths(seeded)[1:]:
        bodies.append(fetch(base + path, cookie)[1])
    return {
        "gz": sum(len(gzip.compress(body, 6)) for body in bodies),
        "raw": sum(len(body) for body in bodies),
        "plotly": plotly,
    }


def draw_times(base: str, seeded: dict, visits: int) -> tuple[list, list]:
    """Seconds from navigation start until every Klip card is drawn."""
    from playwright.sync_api import sync_playwright

    url = base + dashboard_paths(seeded)[0]
    times, marks = [], []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM, args=CHROMIUM_ARGS
        )
        context = browser.new_context(viewport={"width": 1600, "height": 1200})
        context.add_cookies(
            [{"name": "sessionid", "value": seeded["session"], "url": base}]
        )
        context.add_init_script(DRAW_PROBE)
        page = context.new_page()
        for _ in range(visits):
            page.goto(url)
            page.wait_for_function(
                "n => document.querySelectorAll("
                "'.klip[data-state=ready], .klip[data-state=empty]').length === n",
                arg=len(seeded["klips"]),
                timeout=60_000,
            )
            times.append(page.evaluate("() => performance.now()") / 1000)
            marks.append(page.evaluate(TIMINGS))
            errors = page.locator(".klip[data-state=error]").count()
            if errors:
                raise RuntimeError(f"{errors} Klips failed to draw")
        browser.close()
    return times, marks


# Installed before any page script: wraps Plotly.newPlot when plotly.js defines
# window.Plotly, to time each draw, and notes when plotly.js finished running.
DRAW_PROBE = """(() => {
  const probe = { plotlyReady: null, draws: [] };
  window.__benchProbe = probe;
  let plotly;
  Object.defineProperty(window, "Plotly", {
    configurable: true,
    get() { return plotly; },
    set(value) {
      plotly = value;
      if (!value || !value.newPlot || value.newPlot.__probed) return;
      probe.plotlyReady = performance.now();
      const newPlot = value.newPlot;
      value.newPlot = function () {
        const draw = { start: performance.now() };
        probe.draws.push(draw);
        const answer = newPlot.apply(this, arguments);
        draw.sync = performance.now() - draw.start;
        Promise.resolve(answer).then(() => { draw.end = performance.now(); });
        return answer;
      };
      value.newPlot.__probed = true;
    },
  });
})();"""

# Where a visit's time went: the page, plotly.js downloaded and run, the Klip
# data requests, and Plotly.newPlot per Klip (the table Klip is plain HTML).
TIMINGS = """() => {
  const s = ms => ms === null || ms === undefined ? null : ms / 1000;
  const resources = performance.getEntriesByType("resource");
  const plotly = resources.find(e => e.name.includes("plotly"));
  const data = resources.filter(e => e.name.includes("/data/"));
  const nav = performance.getEntriesByType("navigation")[0];
  const probe = window.__benchProbe || { draws: [] };
  const draws = probe.draws;
  return {
    html_s: s(nav.responseEnd),
    plotly_loaded_s: s(plotly ? plotly.responseEnd : null),
    plotly_ran_s: s(probe.plotlyReady),
    dom_content_loaded_s: s(nav.domContentLoadedEventEnd),
    data_requests: data.length,
    data_first_start_s: s(Math.min(...data.map(e => e.startTime))),
    data_last_end_s: s(Math.max(...data.map(e => e.responseEnd))),
    draws: draws.length,
    draw_first_start_s: s(draws.length ? draws[0].start : null),
    draw_sync_sum_s: s(draws.reduce((sum, d) => sum + d.sync, 0)),
    draw_sync_max_s: s(Math.max(0, ...draws.map(d => d.sync))),
    draw_last_end_s: s(Math.max(0, ...draws.map(d => d.end || 0))),
  };
}"""


def print_marks(label: str, marks: dict) -> None:
    print(
        f"{label} "
        + " ".join(
            f"{key}={value:.2f}" if isinstance(value, float) else f"{key}={value}"
            for key, value in marks.items()
        )
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=200_000)
    parser.add_argument("--seconds", type=int, default=20)
    parser.add_argument("--visits", type=int, default=5)
    args = parser.parse_args()
    if not shutil.which("wrk"):
        sys.exit("wrk is missing: apt-get install -y wrk")

    folder = Path(tempfile.mkdtemp(prefix="dashboard-load-"))
    env = setup_django(folder)
    seeded = seed(folder, args.rows)
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    cookie = f"sessionid={seeded['session']}"
    server = start_gunicorn(env, port, folder)
    try:
        started = time.perf_counter()
        for path in dashboard_paths(seeded):
            status, _ = fetch(base + path, cookie)
            assert status == 200, (path, status)
        first_view_s = time.perf_counter() - started

        trivial = run_wrk(base, ["/bench/trivial/"], cookie, args.seconds, folder)
        board = run_wrk(base, dashboard_paths(seeded), cookie, args.seconds, folder)
        weight = page_weight(base, seeded, cookie)
        times, marks = draw_times(base, seeded, args.visits)
        load_average = os.getloadavg()[0]
    finally:
        os.killpg(server.pid, 15)
        server.wait(timeout=30)
        shutil.rmtree(folder, ignore_errors=True)

    ratio = board["P95_US"] / trivial["P95_US"]
    print(
        f"rows={args.rows} file_mb={seeded['file_mb']:.1f} klips={len(seeded['klips'])}"
    )
    print(
        f"first_view_s={first_view_s:.2f} (13 sequential requests, results not cached)"
    )
    print(
        f"trivial_p95_ms={trivial['P95_US'] / 1000:.1f} "
        f"trivial_p50_ms={trivial['P50_US'] / 1000:.1f} "
        f"requests={trivial['REQUESTS']} errors={trivial['ERRORS']}"
    )
    print(
        f"dashboard_p95_ms={board['P95_US'] / 1000:.1f} "
        f"dashboard_p50_ms={board['P50_US'] / 1000:.1f} "
        f"requests={board['REQUESTS']} errors={board['ERRORS']} "
        f"(page + 12 Klip data requests, {CONNECTIONS} connections, {args.seconds} s)"
    )
    print(f"p95_ratio={ratio:.2f} (target <= 5)")
    print(
        f"page_weight_gzip_kb={weight['gz'] / 1024:.0f} (target <= 400; "
        f"raw {weight['raw'] / 1024:.0f} KB; plotly.js not counted)"
    )
    plotly = weight["plotly"]
    print(
        f"plotly_js={plotly['name']} raw_kb={plotly['raw'] / 1024:.0f} "
        f"gzip_kb={plotly['gz'] / 1024:.0f}"
    )
    later = times[1:]
    print(
        f"draw_all_12_first_visit_s={times[0]:.2f} "
        f"draw_all_12_median_later_s={statistics.median(later):.2f} "
        f"(later {min(later):.2f}-{max(later):.2f}, target <= 2.5)"
    )
    print(f"load_average_1m={load_average:.1f} (2 cores, shared with other work)")
    print_marks("first_visit", marks[0])
    print_marks("last_visit", marks[-1])


if __name__ == "__main__":
    main()
