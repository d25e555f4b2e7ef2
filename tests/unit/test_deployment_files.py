"""The Docker deployment: Dockerfile, docker-compose.yml, HAProxy's Docker config and RabbitMQ's definitions.

No Docker engine is needed: the files are parsed and checked against each other, against the native
stack (haproxy/haproxy.cfg, scripts/stack) and the app's own settings, and linted by hadolint and haproxy -c.
HAProxy's retry and abuse-limit rules are also run: the native config in front of two fake replicas.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import json
import os
import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path
from urllib.parse import urlsplit

import httpx
import pytest
import yaml

from polls.config import Config
from polls.web.pages import VOTER_COOKIE
from tests.processes import free_port

ROOT = Path(__file__).resolve().parents[2]
DOCKER_CFG = ROOT / "haproxy" / "haproxy.docker.cfg"
NATIVE_CFG = ROOT / "haproxy" / "haproxy.cfg"
COMPOSE = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
SERVICES = COMPOSE["services"]
DEFINITIONS = json.loads((ROOT / "rabbitmq" / "definitions.json").read_text())


def dockerfile_instructions() -> list[list[tuple[str, str]]]:
    """The Dockerfile's instructions as (KEYWORD, arguments), continuations joined: first those before the
    first FROM (the global ARGs), then one list per stage."""
    stages: list[list[tuple[str, str]]] = [[]]
    pending = ""
    for raw in (ROOT / "Dockerfile").read_text().splitlines():
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        if line.endswith("\\"):
            pending += line[:-1] + " "
            continue
        keyword, _, rest = (pending + line).partition(" ")
        pending = ""
        if keyword.upper() == "FROM":
            stages.append([])
        stages[-1].append((keyword.upper(), rest.strip()))
    return stages


def dockerfile_stages() -> list[list[tuple[str, str]]]:
    return dockerfile_instructions()[1:]


def global_args() -> dict[str, str]:
    """The global ARGs and their defaults: {"PYTHON_IMAGE": "python:3.14-slim", ...}."""
    return dict(args.split("=", 1) for key, args in dockerfile_instructions()[0] if key == "ARG")


def compose_default(value: str) -> str:
    """`${VARIABLE:-default}` -> default; any other value as it is."""
    match = re.fullmatch(r"\$\{\w+:-(.*)\}", value)
    return match.group(1) if match else value


def arguments(stage: list[tuple[str, str]], keyword: str) -> list[str]:
    return [args for key, args in stage if key == keyword]


def final_env() -> dict[str, str]:
    pairs = [
        word.partition("=")
        for args in arguments(dockerfile_stages()[-1], "ENV")
        for word in shlex.split(args)
    ]
    return {name: value for name, _, value in pairs}


def haproxy_sections(path: Path) -> dict[str, list[str]]:
    """Each section ('defaults', 'backend web', ...) with its directives, without comments or extra spaces."""
    sections: dict[str, list[str]] = {}
    current = ""
    for raw in path.read_text().splitlines():
        line = " ".join(raw.split("#", 1)[0].split())
        if not line:
            continue
        if raw[0].isspace():
            sections[current].append(line)
        else:
            current = line
            sections[current] = []
    return sections


def bind_port(directive: str) -> int:
    """`bind :3000` or `bind ":${POLLS_HTTP_PORT-3000}"` (the native default) -> 3000."""
    return int(re.search(r"(\d+)\}?\"?$", directive).group(1))


def seconds(duration: str) -> float:
    units = {"h": 3600, "m": 60, "s": 1, "ms": 0.001}
    return sum(float(n) * units[unit] for n, unit in re.findall(r"(\d+(?:\.\d+)?)(ms|h|m|s)", duration))


def tool(name: str) -> str:
    found = shutil.which(name) or shutil.which(name, path=str(Path(sys.executable).parent))
    assert found, f"{name} is not installed (scripts/setup --for-tests installs it)"
    return found


# --- Dockerfile ------------------------------------------------------------------------------------------


def test_dockerfile_passes_hadolint_without_any_finding():
    result = subprocess.run(
        [tool("hadolint"), "--no-color", "Dockerfile"], cwd=ROOT, capture_output=True, text=True
    )
    findings = result.stdout + result.stderr
    assert result.returncode == 0, findings
    assert not findings.strip(), findings


def test_image_is_built_in_stages_from_pinned_slim_bases_by_default():
    defaults = global_args()
    bases = [arguments(stage, "FROM")[0].split()[0] for stage in dockerfile_stages()]
    assert bases == ["${NODE_IMAGE}", "${PYTHON_IMAGE}", "${PYTHON_IMAGE}"]
    assert re.fullmatch(r"node:\d+-slim", defaults["NODE_IMAGE"])
    assert defaults["PYTHON_IMAGE"] == "python:3.14-slim"


def test_compose_passes_the_base_images_and_defaults_them_as_the_dockerfile_does():
    args = SERVICES["web"]["build"]["args"]
    assert {name: compose_default(args[name]) for name in global_args()} == global_args()


def test_an_extra_ca_reaches_only_the_build_stages_and_is_empty_by_default():
    *builders, final = dockerfile_stages()
    assert all(("ARG", 'EXTRA_CA_CERT=""') in stage for stage in builders)
    assert not [args for key, args in final if "EXTRA_CA_CERT" in args]
    assert compose_default(SERVICES["web"]["build"]["args"]["EXTRA_CA_CERT"]) == ""


def test_the_image_holds_everything_create_app_reads(tmp_path):
    """The app is made from a tree that holds only what the final stage copies from the build context:
    a directory the Dockerfile forgets (the translations were, once) fails here, not in a container."""
    for args in arguments(dockerfile_stages()[-1], "COPY"):
        if args.startswith("--from="):
            continue
        source, target = args.split()
        shutil.copytree(ROOT / source, tmp_path / target)
    made = subprocess.run(
        [sys.executable, "-c", "from polls.app import create_app; create_app()"],
        cwd=tmp_path,
        env={"PYTHONPATH": str(tmp_path), "PATH": "/usr/bin:/bin", "POLLS_INSTANCE": "image-check"},
        capture_output=True,
        text=True,
    )
    assert made.returncode == 0, made.stderr[-2000:]


def test_node_stage_vendors_the_htmx_files_the_templates_load():
    node_stage, *_, final = dockerfile_stages()
    build = " ".join(arguments(node_stage, "RUN"))
    assert "npm ci" in build
    base_html = (ROOT / "webclient" / "templates" / "base.html").read_text()
    for vendored in re.findall(r"/static/vendor/([\w./-]+\.js)", base_html):
        assert f"node_modules/htmx.org/dist/{vendored}" in build
    assert any(
        args.startswith("--from=webclient ") and "static/vendor" in args for args in arguments(final, "COPY")
    )


def test_final_stage_runs_as_a_non_root_user():
    users = arguments(dockerfile_stages()[-1], "USER")
    assert users
    assert users[-1].split(":")[0] not in {"root", "0"}


def test_replica_listens_on_all_interfaces_on_port_8000_unbuffered():
    env = final_env()
    assert (env["POLLS_HOST"], env["POLLS_PORT"], env["PYTHONUNBUFFERED"]) == ("0.0.0.0", "8000", "1")
    assert env["PATH"].startswith("/opt/venv/bin:")
    assert arguments(dockerfile_stages()[-1], "EXPOSE") == ["8000"]


def test_image_healthcheck_asks_healthz_with_the_standard_library():
    (healthcheck,) = arguments(dockerfile_stages()[-1], "HEALTHCHECK")
    assert "urllib.request" in healthcheck
    assert "/healthz" in healthcheck


def test_container_runs_python_m_polls_as_scripts_stack_does():
    (command,) = arguments(dockerfile_stages()[-1], "CMD")
    assert json.loads(command) == ["python", "-m", "polls"]
    assert "command" not in SERVICES["web"]
    assert "entrypoint" not in SERVICES["web"]
    assert '"$PY" -m polls' in (ROOT / "scripts" / "stack").read_text()


def test_build_context_leaves_out_local_state():
    ignored = set((ROOT / ".dockerignore").read_text().split())
    assert {".git", ".venv", ".stack", "**/node_modules", "webclient/static/vendor", "tests"} <= ignored
    assert {".pytest_cache", ".ruff_cache", "**/__pycache__"} <= ignored


# --- docker-compose.yml ----------------------------------------------------------------------------------


def test_compose_has_exactly_the_proxy_the_replicas_the_database_and_the_broker():
    assert set(SERVICES) == {"reverse-proxy", "web", "db", "rabbitmq"}


@pytest.mark.parametrize("service", ["reverse-proxy", "web", "db", "rabbitmq"])
def test_every_service_has_a_healthcheck(service):
    assert SERVICES[service]["healthcheck"]["test"][0] == "CMD"


@pytest.mark.parametrize("service", ["reverse-proxy", "web", "db", "rabbitmq"])
def test_services_start_only_after_their_dependencies_are_healthy(service):
    for condition in SERVICES[service].get("depends_on", {}).values():
        assert condition == {"condition": "service_healthy"}


def test_starting_the_proxy_alone_starts_everything_it_needs():
    assert set(SERVICES["reverse-proxy"]["depends_on"]) == {"web"}
    assert set(SERVICES["web"]["depends_on"]) == {"db", "rabbitmq"}


def test_web_scales_because_it_has_no_fixed_name_and_no_published_port():
    web = SERVICES["web"]
    assert web["build"]["context"] == "."
    assert "container_name" not in web
    assert "ports" not in web


def test_web_outlasts_its_drain_and_graceful_shutdown_before_docker_kills_it():
    web = SERVICES["web"]
    env = web["environment"]
    drain, graceful = float(env["POLLS_DRAIN_SECONDS"]), float(env["POLLS_GRACEFUL_SHUTDOWN_TIMEOUT"])
    assert drain > 0
    assert seconds(web["stop_grace_period"]) > drain + graceful


def test_only_the_replicas_reach_both_networks():
    networks = {name: set(service["networks"]) for name, service in SERVICES.items()}
    assert networks == {
        "reverse-proxy": {"front"},
        "web": {"front", "back"},
        "db": {"back"},
        "rabbitmq": {"back"},
    }
    assert COMPOSE["networks"]["back"]["internal"] is True


def test_compose_names_services_never_addresses():
    text = (ROOT / "docker-compose.yml").read_text()
    addresses = set(re.findall(r"\b\d{1,3}(?:\.\d{1,3}){3}\b", text))
    assert addresses <= {"127.0.0.1"}, "only a container's own loopback, in its healthcheck"


def test_images_are_the_chosen_releases_by_default():
    image = {name: compose_default(service.get("image", "")) for name, service in SERVICES.items()}
    assert image["reverse-proxy"] == "haproxy:3.4"
    assert int(re.fullmatch(r"postgres:(\d+)", image["db"]).group(1)) >= 18
    assert re.fullmatch(r"rabbitmq:4\.\d+-management", image["rabbitmq"])


def test_the_proxy_sets_no_descriptor_limit_a_restricted_daemon_cannot_apply():
    assert "ulimits" not in SERVICES["reverse-proxy"]
    big = yaml.safe_load((ROOT / "docker-compose.big-event.yml").read_text())["services"]["reverse-proxy"]
    maxconn = int(big["environment"]["POLLS_PROXY_MAXCONN"])
    assert big["ulimits"]["nofile"] > 2 * maxconn


def test_database_lives_in_a_named_volume_at_the_postgres_18_location():
    assert SERVICES["db"]["volumes"] == ["db-data:/var/lib/postgresql"]
    assert "db-data" in COMPOSE["volumes"]


def test_web_reaches_the_database_as_the_user_the_db_service_creates():
    url = urlsplit(SERVICES["web"]["environment"]["POLLS_DATABASE_URL"])
    db = SERVICES["db"]["environment"]
    assert (url.scheme, url.hostname, url.port) == ("postgresql", "db", 5432)
    expected = (db["POSTGRES_USER"], db["POSTGRES_PASSWORD"], "/" + db["POSTGRES_DB"])
    assert (url.username, url.password, url.path) == expected


def test_web_reaches_the_broker_as_a_user_the_definitions_create():
    url = urlsplit(SERVICES["web"]["environment"]["POLLS_AMQP_URL"])
    assert (url.scheme, url.hostname, url.port, url.path) == ("amqp", "rabbitmq", 5672, "/")
    (user,) = [user for user in DEFINITIONS["users"] if user["name"] == url.username]
    assert user["hashing_algorithm"] == "rabbit_password_hashing_sha256"
    salted = base64.b64decode(user["password_hash"])
    assert salted[4:] == hashlib.sha256(salted[:4] + url.password.encode()).digest()


def test_proxy_serves_port_3000_and_stats_on_8404_from_the_docker_config():
    proxy = SERVICES["reverse-proxy"]
    assert proxy["ports"] == ["3000:3000", "8404:8404"]
    assert proxy["volumes"] == ["./haproxy/haproxy.docker.cfg:/usr/local/etc/haproxy/haproxy.cfg:ro"]


def test_proxy_healthcheck_asks_the_readiness_endpoint_of_the_stats_frontend():
    probe = " ".join(SERVICES["reverse-proxy"]["healthcheck"]["test"])
    assert "/dev/tcp/127.0.0.1/8404" in probe
    assert "GET /ready " in probe
    assert "' 200 '" in probe
    stats = haproxy_sections(DOCKER_CFG)["frontend stats"]
    assert any("status 200" in line and "{ path /ready } { nbsrv(web) gt 0 }" in line for line in stats)


def test_web_healthcheck_asks_healthz_on_the_port_the_image_listens_on():
    probe = " ".join(SERVICES["web"]["healthcheck"]["test"])
    assert f"http://127.0.0.1:{final_env()['POLLS_PORT']}/healthz" in probe


def test_broker_loads_the_definitions_from_where_compose_mounts_them():
    mounts = dict(volume.rsplit(":", 2)[:2] for volume in SERVICES["rabbitmq"]["volumes"])
    config = (ROOT / "rabbitmq" / "rabbitmq.conf").read_text()
    path = re.search(r"^definitions\.local\.path = (\S+)$", config, re.MULTILINE).group(1)
    assert mounts["./rabbitmq/definitions.json"] == path
    assert mounts["./rabbitmq/rabbitmq.conf"].startswith("/etc/rabbitmq/conf.d/")


# --- RabbitMQ definitions ----------------------------------------------------------------------------------


def test_definitions_declare_the_exchange_exactly_as_the_replicas_do():
    (exchange,) = DEFINITIONS["exchanges"]
    assert exchange["name"] == Config().exchange == SERVICES["web"]["environment"]["POLLS_EXCHANGE"]
    declared = {key: exchange[key] for key in ("vhost", "type", "durable", "auto_delete")}
    assert declared == {"vhost": "/", "type": "fanout", "durable": True, "auto_delete": False}


def test_definitions_leave_the_guest_user_alone_when_imported_natively():
    assert "guest" not in {user["name"] for user in DEFINITIONS["users"]}
    assert "guest" not in {permission["user"] for permission in DEFINITIONS["permissions"]}


def test_definitions_create_the_default_vhost_and_grant_it_to_the_polls_user():
    assert {"name": "/"} in DEFINITIONS["vhosts"]
    everything = {"user": "polls", "vhost": "/", "configure": ".*", "write": ".*", "read": ".*"}
    assert everything in DEFINITIONS["permissions"]


# --- HAProxy -------------------------------------------------------------------------------------------


@pytest.mark.parametrize("config", [NATIVE_CFG, DOCKER_CFG], ids=["native", "docker"])
def test_haproxy_config_is_valid_without_warnings(config):
    result = subprocess.run([tool("haproxy"), "-c", "-f", str(config)], capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "WARNING" not in result.stdout + result.stderr


def test_docker_haproxy_has_the_same_defaults_as_the_native_one():
    assert haproxy_sections(DOCKER_CFG)["defaults"] == haproxy_sections(NATIVE_CFG)["defaults"]


def test_docker_haproxy_checks_retries_and_balances_like_the_native_one():
    def policy(path: Path) -> list[str]:
        return [line for line in haproxy_sections(path)["backend web"] if not line.startswith("server")]

    assert policy(DOCKER_CFG) == policy(NATIVE_CFG)


@pytest.mark.parametrize("frontend", ["frontend www", "frontend stats"])
def test_docker_haproxy_frontends_listen_and_behave_like_the_native_ones(frontend):
    docker, native = haproxy_sections(DOCKER_CFG)[frontend], haproxy_sections(NATIVE_CFG)[frontend]
    assert [bind_port(line) for line in docker if line.startswith("bind ")] == [
        bind_port(line) for line in native if line.startswith("bind ")
    ]
    unbound = [line for line in native if not line.startswith("bind ")]
    assert [line for line in docker if line in unbound] == unbound


def test_docker_haproxy_discovers_the_scaled_replicas_through_docker_dns():
    sections = haproxy_sections(DOCKER_CFG)
    assert "nameserver docker 127.0.0.11:53" in sections["resolvers docker"]
    (template,) = [line for line in sections["backend web"] if line.startswith("server-template ")]
    words = template.split()
    assert words[3] == f"web:{final_env()['POLLS_PORT']}"
    assert int(words[2].split("-")[1]) >= 10
    assert "check" in words
    assert "resolvers docker" in template
    assert "init-addr none" in template
    assert not [line for line in sections["backend web"] if line.startswith("server ")]
    (live,) = [line for line in sections["backend live"] if line.startswith("server-template ")]
    assert live == template


@pytest.mark.parametrize("config", [NATIVE_CFG, DOCKER_CFG], ids=["native", "docker"])
def test_websockets_are_cut_when_their_replica_goes_down_and_requests_are_not(config):
    sections = haproxy_sections(config)
    assert "use_backend live if { hdr(upgrade) -i websocket }" in sections["frontend www"]
    assert "default-server on-marked-down shutdown-sessions" in sections["backend live"]
    assert not [
        line for line in sections["backend web"] + sections["defaults"] if "shutdown-sessions" in line
    ]


@pytest.mark.parametrize("config", [NATIVE_CFG, DOCKER_CFG], ids=["native", "docker"])
def test_a_request_to_a_vanished_replica_is_retried_elsewhere_before_it_is_marked_down(config):
    sections = haproxy_sections(config)
    (connect,) = [line for line in sections["defaults"] if line.startswith("timeout connect ")]
    (server,) = [line for line in sections["defaults"] if line.startswith("default-server ")]
    words = server.split()
    fall, fastinter = int(words[words.index("fall") + 1]), seconds(words[words.index("fastinter") + 1])
    # A connect that times out is retried on another replica while the dead one is still UP.
    assert seconds(connect.split()[-1]) <= 1
    assert "retries 3" in sections["defaults"] and "option redispatch 1" in sections["defaults"]
    assert "retry-on conn-failure empty-response response-timeout" in sections["backend web"]
    assert any(line.startswith("http-request disable-l7-retry unless ") for line in sections["backend web"])
    assert "balance roundrobin" in sections["backend web"]
    assert fall * fastinter < 1
    assert "observe layer4" in server and "on-error mark-down" in server


def test_the_proxy_sizes_maxconn_to_its_descriptor_limit_unless_told():
    for config in (NATIVE_CFG, DOCKER_CFG):
        text = config.read_text()
        assert '.if strneq("${POLLS_PROXY_MAXCONN}","")\n    maxconn "${POLLS_PROXY_MAXCONN}"\n.endif' in text


# --- HAProxy at work: retries and abuse limits ------------------------------------------------------------


class FakeReplica:
    """Answers HAProxy's health checks; records every other request and then answers it 200, or, with
    `answer=False`, closes the connection without a word, as a replica does that dies after its commit and
    before its answer."""

    def __init__(self, answer: bool) -> None:
        self.answer = answer
        self.port = free_port()
        self.seen: list[str] = []  # "METHOD /path" of each request that reached it
        self.server: asyncio.Server | None = None

    async def __aenter__(self) -> FakeReplica:
        self.server = await asyncio.start_server(self.serve, "127.0.0.1", self.port)
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        assert self.server is not None
        self.server.close()

    async def serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while True:
                head = (await reader.readuntil(b"\r\n\r\n")).decode("latin-1")
                method, target, _ = head.split(" ", 2)
                length = re.search(r"(?im)^content-length: *(\d+)", head)
                await reader.readexactly(int(length.group(1)) if length else 0)
                if target != "/healthz":
                    self.seen.append(f"{method} {target}")
                    if not self.answer:
                        return
                writer.write(
                    b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: 2\r\n\r\n{}"
                )
                await writer.drain()
        except (asyncio.IncompleteReadError, ConnectionError):
            pass
        finally:
            writer.close()


class Proxy:
    """haproxy/haproxy.cfg run in front of two fake replicas, on free ports, with extra environment."""

    def __init__(self, replicas: list[FakeReplica], log: Path, **env: str) -> None:
        self.port, self.stats_port = free_port(), free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.env = {
            **os.environ,
            "POLLS_HTTP_PORT": str(self.port),
            "POLLS_STATS_PORT": str(self.stats_port),
            "POLLS_WEB_1_PORT": str(replicas[0].port),
            "POLLS_WEB_2_PORT": str(replicas[1].port),
            **env,
        }
        self.log = log
        self.process: asyncio.subprocess.Process | None = None

    async def __aenter__(self) -> Proxy:
        with self.log.open("ab") as log:
            self.process = await asyncio.create_subprocess_exec(
                tool("haproxy"), "-f", str(NATIVE_CFG), env=self.env, stdout=log, stderr=subprocess.STDOUT
            )
        async with httpx.AsyncClient(timeout=2) as http:
            for _ in range(200):
                try:
                    rows = (await http.get(f"http://127.0.0.1:{self.stats_port}/stats;csv")).text.splitlines()
                    states = [row.split(",")[17] for row in rows if row.startswith("web,web-")]
                    if states == ["UP", "UP"]:
                        return self
                except httpx.HTTPError:
                    pass
                await asyncio.sleep(0.05)
        raise AssertionError(f"HAProxy did not see both fake replicas UP:\n{self.log.read_text()[-2000:]}")

    async def __aexit__(self, *exc_info: object) -> None:
        assert self.process is not None
        self.process.terminate()
        await asyncio.wait_for(self.process.wait(), timeout=10)


# Every write of the app; True where doing it twice has the effect of doing it once.
WRITES = [
    ("POST", "/api/polls/ABCDEF/votes", {}, True),
    ("POST", "/p/ABCDEF/vote", {"Cookie": f"{VOTER_COOKIE}=phone-0001"}, True),
    ("POST", "/e/ABCDEF/vote", {"Cookie": f"{VOTER_COOKIE}=phone-0001"}, True),
    # Without its cookie a page's ballot gets a voter made up by the replica: replayed, it would count twice.
    ("POST", "/p/ABCDEF/vote", {}, False),
    ("POST", "/e/ABCDEF/vote", {}, False),
    ("POST", "/api/polls", {}, False),
    ("POST", "/api/polls", {"Idempotency-Key": "4f1c2d6e-create-once"}, True),
    ("POST", "/polls", {}, False),
    ("POST", "/api/events", {}, False),
    ("POST", "/events", {}, False),
    ("POST", "/api/polls/ABCDEF/close", {}, False),
    ("POST", "/api/polls/ABCDEF/open", {}, False),
    ("POST", "/p/ABCDEF/status", {}, False),
    ("PATCH", "/api/events/ABCDEF", {}, False),
    ("POST", "/api/events/ABCDEF/questions", {}, False),
    ("PUT", "/api/events/ABCDEF/questions/GHJKMN", {}, False),
    ("DELETE", "/api/events/ABCDEF/questions/GHJKMN", {}, False),
    ("PUT", "/api/events/ABCDEF/order", {}, False),
    ("PUT", "/api/events/ABCDEF/live", {}, False),
    ("POST", "/api/events/ABCDEF/questions/GHJKMN/reset", {}, False),
    ("POST", "/api/events/ABCDEF/questions/GHJKMN/countdown", {}, False),
    ("POST", "/e/ABCDEF/control/up", {}, False),
    ("PUT", "/api/events/ABCDEF/live", {"Idempotency-Key": "9a0b-live-once"}, True),
    ("GET", "/api/polls/ABCDEF/results", {}, True),
    # A new voter id is stored nowhere: one issued twice is one the client never saw.
    ("POST", "/api/voters", {}, True),
]


async def test_only_requests_safe_to_replay_are_replayed_when_a_replica_dies_before_answering(tmp_path):
    """Both replicas take each request and close without an answer: HAProxy replays a request that is safe
    to do twice (on the other replica, 1 + `retries` times in all) and gives up at once on any other."""
    async with FakeReplica(answer=False) as web_1, FakeReplica(answer=False) as web_2:
        async with Proxy([web_1, web_2], tmp_path / "haproxy.log") as proxy:
            # HAProxy closes a connection after a 502: each request on a new one.
            fresh = httpx.Limits(max_keepalive_connections=0)
            async with httpx.AsyncClient(base_url=proxy.url, timeout=10, limits=fresh) as http:
                attempts = {}
                for method, path, headers, _ in WRITES:
                    before = len(web_1.seen) + len(web_2.seen)
                    body = None if method == "GET" else b'{"voter": "phone-0001", "options": [1]}'
                    response = await http.request(method, path, headers=headers, content=body)
                    assert response.status_code == 502
                    attempts[(method, path, tuple(headers))] = len(web_1.seen) + len(web_2.seen) - before
    expected = {(method, path, tuple(headers)): 4 if safe else 1 for method, path, headers, safe in WRITES}
    assert attempts == expected


def test_the_page_ballot_replay_rule_names_the_apps_voter_cookie():
    for config in (NATIVE_CFG, DOCKER_CFG):
        assert (
            f"acl names_its_voter req.cook({VOTER_COOKIE}) -m found"
            in haproxy_sections(config)["backend web"]
        )


LIMIT_VARIABLES = (
    "POLLS_LIMIT_CREATES",
    "POLLS_LIMIT_VOTES",
    "POLLS_LIMIT_SOCKETS",
    "POLLS_LIMIT_VOTERS",
    "POLLS_LIMIT_QA",  # Q&A questions and upvotes
)


def limit_lines(path: Path) -> list[str]:
    """The abuse-limit rules of the front: the table, the tracking, the counters, the thresholds, the 429s."""
    words = ("stick-table", "track-sc", "sc-inc-gpc", "over_limit", "wants_json", "POLLS_LIMIT_")
    return [line for line in haproxy_sections(path)["frontend www"] if any(word in line for word in words)]


def limit_defaults(path: Path) -> dict[str, int]:
    return {
        name: int(value)
        for line in limit_lines(path)
        for name, value in re.findall(r"\$\{(POLLS_LIMIT_\w+)-(\d+)\}", line)
    }


def test_the_abuse_limits_are_the_same_in_both_configs():
    assert limit_lines(NATIVE_CFG) == limit_lines(DOCKER_CFG)
    assert set(limit_defaults(NATIVE_CFG)) == set(LIMIT_VARIABLES)
    table = [line for line in limit_lines(NATIVE_CFG) if line.startswith("stick-table ")]
    assert table == ["stick-table type ipv6 size 100k expire 30s store gpc_rate(5,10s)"]
    tracked = "http-request track-sc0 src if creating or voting or connecting or enrolling or asking"
    assert tracked in limit_lines(NATIVE_CFG)


def test_the_default_limits_hold_a_lecture_hall_behind_one_address():
    """500 phones behind one NAT address: within the 10 s the limits look at, every phone may vote twice,
    reconnect its screen twice (a failover, a reload) and be given a voter id twice (a cleared cookie), and
    a tenth of them may create a poll."""
    hall = 500
    defaults = limit_defaults(NATIVE_CFG)
    assert defaults["POLLS_LIMIT_VOTES"] >= 2 * hall
    assert defaults["POLLS_LIMIT_SOCKETS"] >= 2 * hall
    assert defaults["POLLS_LIMIT_CREATES"] >= hall // 10
    assert defaults["POLLS_LIMIT_VOTERS"] >= 2 * hall
    # The failover tests vote from one address at up to ~150 ballots/s on two cores; twice as fast is safe.
    assert defaults["POLLS_LIMIT_VOTES"] >= 2 * 150 * 10


async def test_over_its_limit_an_address_gets_429_with_retry_after_and_reads_and_checks_go_on(tmp_path):
    """Limits of 2 per 10 s: the third create, ballot, websocket connect or new voter id (asked for, or made
    for a page that arrives without a voter cookie) is refused with a short JSON error under /api (a text
    elsewhere) and Retry-After, and not logged (a flood would fill the log); reads, a phone's page with its
    cookie, /healthz and the stats page never count, and the replicas' checks keep them UP."""
    limits = dict.fromkeys(LIMIT_VARIABLES, "2")
    async with FakeReplica(answer=True) as web_1, FakeReplica(answer=True) as web_2:
        async with Proxy([web_1, web_2], tmp_path / "haproxy.log", **limits) as proxy:
            async with httpx.AsyncClient(base_url=proxy.url, timeout=10) as http:
                creates = [
                    (await http.post(path)).status_code for path in ("/api/polls", "/events", "/polls")
                ]
                ballots = [
                    (await http.post(path)).status_code
                    for path in ("/api/polls/ABCDEF/votes", "/e/ABCDEF/vote", "/api/polls/ABCDEF/votes/")
                ]
                upgrade = {
                    "Connection": "Upgrade",
                    "Upgrade": "websocket",
                    "Sec-WebSocket-Key": "dGhlIHNhbXBsZSBub25jZQ==",
                    "Sec-WebSocket-Version": "13",
                }
                sockets = [
                    (await http.get(path, headers=upgrade)).status_code
                    for path in ("/api/polls/ABCDEF/live", "/p/ABCDEF/live", "/p/ABCDEF/live")
                ]
                voters = [
                    (await http.post("/api/voters")).status_code,
                    (await http.get("/e/ABCDEF")).status_code,  # no cookie: the replica would make an id
                    (await http.get("/p/ABCDEF")).status_code,
                ]
                refused_json = await http.post("/api/polls/ABCDEF/votes")
                refused_text = await http.post("/p/ABCDEF/vote")
                escaped = await http.post("/api/polls/ABCDEF/%76otes")
                phone = {"Cookie": f"{VOTER_COOKIE}=its-id"}  # a phone's page with its cookie never counts
                reads = [
                    (await http.get(path, headers=phone)).status_code
                    for path in ("/healthz", "/api/polls/ABCDEF", "/p/ABCDEF", "/healthz") * 3
                ]
                stats = await http.get(f"http://127.0.0.1:{proxy.stats_port}/stats;csv")
    assert (creates, ballots, sockets, voters) == ([200, 200, 429],) * 4
    assert refused_json.status_code == refused_text.status_code == escaped.status_code == 429
    assert refused_json.headers["content-type"] == "application/json"
    assert set(refused_json.json()) == {"error", "code"}
    assert refused_text.headers["content-type"].startswith("text/plain")
    assert refused_text.text and not refused_text.text.startswith("{")
    assert int(refused_json.headers["retry-after"]) == int(refused_text.headers["retry-after"]) == 10
    assert reads == [200] * 12
    log = (tmp_path / "haproxy.log").read_text()
    assert '"POST /api/polls HTTP/1.1"' in log and " 429 " not in log
    assert stats.status_code == 200
    assert [row.split(",")[17] for row in stats.text.splitlines() if row.startswith("web,web-")] == [
        "UP",
        "UP",
    ]


@pytest.mark.parametrize("config", [NATIVE_CFG, DOCKER_CFG], ids=["native", "docker"])
def test_the_proxy_logs_no_query_string_where_a_secret_link_would_show_its_token(config):
    defaults = haproxy_sections(config)["defaults"]
    (log_format,) = [line for line in defaults if line.startswith("log-format ")]
    assert "%HPO" in log_format
    assert not re.search(r"%(\{[^}]*\})?(r|HU|HQ)\b", log_format)
    assert "option httplog" not in defaults
