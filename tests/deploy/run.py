"""`make test-deploy`: the image and the compose deployment, built and driven for real.

1. Installs Debian's docker.io, docker-compose and mmdebstrap when missing.
2. Starts a Docker daemon of its own (data, exec root, pid file and socket under var/docker,
   no iptables, no bridge: containers use the host's network, deploy/compose.hostnet.yaml).
3. Builds two Debian bases from Debian's archive with mmdebstrap (cached in var/deploy-cache:
   Python for the image, PostgreSQL/RabbitMQ/nginx for the stand-ins of the official images
   no registry can serve here), imports them, builds the image, the proxy and the stand-ins.
4. Brings the stack up (deploy/compose.yaml + compose.hostnet.yaml, ports 18000-19999), waits
   for every health check, seeds the demo (one-shot `seed` service), then drives it through
   nginx over TLS: login as the demo parent (Secure cookies), dashboard, 20 bad logins from 20
   browsers do not lock anybody else while 20 from one browser lock that one, password reset
   mail in the mail catcher and its link, /metrics internal only, dead letters listed, a
   service restarted and the dashboard back, families' database dumped, dropped, restored
   with the command of deploy/OPERATIONS.md and the dashboard back again.
5. Tears everything down — containers, volumes, the daemon it started (by PID) — whatever
   happened. Images stay in var/docker as the next run's cache.

`python -m tests.deploy.run [--keep]` (--keep: leave the stack up for a look; stop it with
`python -m tests.deploy.run --down`).
"""

import argparse
import asyncio
import contextlib
import datetime
import hashlib
import ipaddress
import json
import os
import re
import secrets
import shutil
import signal
import ssl
import subprocess
import sys
import time
from collections.abc import Awaitable, Callable, Iterator, Sequence
from pathlib import Path
from typing import Any, TypeVar

ROOT = Path(__file__).resolve().parents[2]
VAR = ROOT / "var"
CACHE = VAR / "deploy-cache"
WORK = VAR / "deploy-test"
DOCKER_DIR = VAR / "docker"
SOCKET = DOCKER_DIR / "docker.sock"
PIDFILE = DOCKER_DIR / "dockerd.pid"
PROJECT = "portailtest"
PUBLIC = "https://127.0.0.1:18443"
PLAIN = "http://127.0.0.1:18088"
# The gateway runs two workers (GATEWAY_WORKERS in compose.yaml): one /metrics port each.
METRICS = {"gateway": 19090, "gateway, second worker": 19091, "auth": 19081,
           "families": 19082, "reservations": 19083, "billing": 19084, "notifier": 19085}
DEMO_PARENT = "parent.demo@example.org"
DEMO_PASSWORD = "demo-portail-2026"
BUILD_EXTRA = ROOT / "deploy" / "build-extra"

# The bases, from Debian's archive. The image's: Python 3.11 as `python`, and the libraries
# deploy/Dockerfile would otherwise install. The stand-ins': the servers.
PYTHON_BASE = ["python3", "python3-venv", "python-is-python3", "ca-certificates",
               "libpango-1.0-0", "libpangoft2-1.0-0", "libharfbuzz-subset0",
               "fonts-dejavu-core"]
INFRA_BASE = ["ca-certificates", "postgresql-15", "rabbitmq-server", "nginx-light"]
SUITE = "bookworm"

T = TypeVar("T")
STARTED = time.monotonic()
TIMINGS: list[tuple[str, float]] = []


def say(message: str) -> None:
    print(f"[test-deploy {time.monotonic() - STARTED:6.1f}s] {message}", flush=True)


@contextlib.contextmanager
def phase(name: str) -> Iterator[None]:
    started = time.monotonic()
    say(f"{name}…")
    try:
        yield
    finally:
        TIMINGS.append((name, time.monotonic() - started))


def docker_env() -> dict[str, str]:
    env = dict(os.environ)
    env["DOCKER_HOST"] = f"unix://{SOCKET}"
    env.pop("DOCKER_CONTEXT", None)
    # The project's own settings never leak from the caller's shell into the stack.
    for name in list(env):
        if name.startswith(("PORTAIL_", "AUTH_", "GATEWAY_", "NOTIFIER_", "POSTGRES_",
                            "RABBITMQ_")):
            del env[name]
    return env


def docker_bin() -> str:
    # Debian's client matches Debian's daemon (another client may come first on PATH).
    return "/usr/bin/docker" if Path("/usr/bin/docker").exists() else "docker"


def run(*args: str, check: bool = True, capture: bool = False, stdin: bytes | None = None,
        timeout: float = 900, quiet: bool = False) -> subprocess.CompletedProcess[bytes]:
    if not quiet:
        say("$ " + " ".join(args))
    result = subprocess.run(args, env=docker_env(), input=stdin, timeout=timeout,
                            stdout=subprocess.PIPE if capture else None,
                            stderr=subprocess.PIPE if capture else None, check=False)
    if check and result.returncode != 0:
        detail = (result.stderr or b"").decode(errors="replace")[-3000:]
        raise RuntimeError(f"{' '.join(args)} exited {result.returncode}\n{detail}")
    return result


def docker(*args: str, **kwargs: Any) -> subprocess.CompletedProcess[bytes]:
    return run(docker_bin(), *args, **kwargs)


def compose(*args: str, **kwargs: Any) -> subprocess.CompletedProcess[bytes]:
    return run("docker-compose", "--project-name", PROJECT, "--env-file", str(WORK / ".env"),
               "-f", str(ROOT / "deploy" / "compose.yaml"),
               "-f", str(ROOT / "deploy" / "compose.hostnet.yaml"), *args, **kwargs)


# --- 1. packages ---------------------------------------------------------------------------

def install_packages() -> None:
    wanted = {"dockerd": "docker.io", "docker-compose": "docker-compose",
              "mmdebstrap": "mmdebstrap", "openssl": "openssl"}
    missing = [pkg for cmd, pkg in wanted.items() if shutil.which(cmd) is None]
    if not missing:
        return
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    say(f"installing {' '.join(missing)}")
    if subprocess.run(["apt-get", "install", "-y", "-qq", *missing], env=env,
                      stdout=subprocess.DEVNULL, check=False).returncode != 0:
        subprocess.run(["apt-get", "update", "-qq"], env=env, check=True)
        subprocess.run(["apt-get", "install", "-y", "-qq", *missing], env=env,
                       stdout=subprocess.DEVNULL, check=True)


# --- 2. the daemon -------------------------------------------------------------------------

class Daemon:
    """dockerd of this test only, stopped by its PID."""

    def __init__(self) -> None:
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        stop_stale_daemon()
        for sub in ("data", "exec"):
            (DOCKER_DIR / sub).mkdir(parents=True, exist_ok=True)
        log = (DOCKER_DIR / "dockerd.log").open("ab")
        self.process = subprocess.Popen(
            ["dockerd", "--data-root", str(DOCKER_DIR / "data"),
             "--exec-root", str(DOCKER_DIR / "exec"), "--pidfile", str(PIDFILE),
             "-H", f"unix://{SOCKET}", "--iptables=false", "--ip-masq=false",
             "--bridge=none", "--log-level=warn"],
            stdout=log, stderr=log, start_new_session=True)
        deadline = time.monotonic() + 60
        while docker("version", check=False, capture=True, quiet=True).returncode != 0:
            if self.process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"dockerd did not start; see {DOCKER_DIR / 'dockerd.log'}")
            time.sleep(0.5)
        say(f"dockerd running, PID {self.process.pid}, socket {SOCKET}")

    def stop(self) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        say(f"stopping dockerd (PID {self.process.pid})")
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(60)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(10)
        # The daemon leaves its default network namespace mounted under its exec root.
        netns = DOCKER_DIR / "exec" / "netns" / "default"
        if os.path.ismount(netns):
            subprocess.run(["umount", str(netns)], check=False)


def stop_stale_daemon() -> None:
    """A daemon a killed run of this test left behind (its PID file, its data root)."""
    if not PIDFILE.exists():
        return
    try:
        pid = int(PIDFILE.read_text().strip())
        cmdline = Path(f"/proc/{pid}/cmdline").read_bytes().decode(errors="replace")
    except (ValueError, OSError):
        return
    if "dockerd" in cmdline and str(DOCKER_DIR / "data") in cmdline:
        say(f"stopping the daemon a previous run left (PID {pid})")
        os.kill(pid, signal.SIGTERM)
        for _ in range(120):
            if not Path(f"/proc/{pid}").exists():
                return
            time.sleep(0.5)
        os.kill(pid, signal.SIGKILL)


# --- 3. images -----------------------------------------------------------------------------

def base_image(name: str, packages: list[str]) -> tuple[str, subprocess.Popen[bytes] | None]:
    """The tag of a Debian base with `packages`, and the mmdebstrap building its tarball when
    it is not cached yet."""
    key = hashlib.sha256(" ".join([SUITE, *packages]).encode()).hexdigest()[:12]
    tarball = CACHE / f"{name}-{key}.tar"
    tag = f"portail-test/{name}:{key}"
    if tarball.exists():
        return tag, None
    CACHE.mkdir(parents=True, exist_ok=True)
    say(f"mmdebstrap {name} base ({', '.join(packages)})")
    log = (CACHE / f"{name}-{key}.log").open("wb")
    process = subprocess.Popen(
        ["mmdebstrap", "--variant=minbase", "--include=" + ",".join(packages),
         "--format=tar", SUITE, str(tarball) + ".part"],
        stdout=log, stderr=subprocess.STDOUT)
    return tag, process


def import_base(tag: str, name: str) -> None:
    if docker("image", "inspect", tag, check=False, capture=True, quiet=True).returncode == 0:
        return
    key = tag.rsplit(":", 1)[1]
    docker("import", "--change", "CMD [\"bash\"]", str(CACHE / f"{name}-{key}.tar"), tag)


def build_bases() -> tuple[str, str]:
    python_tag, python_job = base_image("python", PYTHON_BASE)
    infra_tag, infra_job = base_image("infra", INFRA_BASE)
    for tag, job in ((python_tag, python_job), (infra_tag, infra_job)):
        if job is not None:
            if job.wait() != 0:
                raise RuntimeError(f"mmdebstrap of {tag} failed; see {CACHE}")
            part = Path(str(job.args[-1]))  # type: ignore[index]
            part.rename(str(part).removesuffix(".part"))
    import_base(python_tag, "python")
    import_base(infra_tag, "infra")
    return python_tag, infra_tag


class BuildExtras:
    """This machine's extra CA certificates and pip configuration, put where deploy/Dockerfile
    takes them (deploy/build-extra), and removed afterwards; an operator's own are kept."""

    def __init__(self) -> None:
        self.written: list[Path] = []

    def __enter__(self) -> "BuildExtras":
        certificates = BUILD_EXTRA / "ca-certificates"
        certificates.mkdir(parents=True, exist_ok=True)
        for source in sorted(Path("/usr/local/share/ca-certificates").glob("**/*.crt")):
            target = certificates / f"test-deploy-{source.name}"
            shutil.copyfile(source, target)
            self.written.append(target)
        pip_conf = BUILD_EXTRA / "pip.conf"
        if not pip_conf.exists():
            # This machine's pip configuration, less what names its local disk (find-links,
            # file:// indexes, a constraints file), which a build cannot see.
            lines = ["[global]", "timeout = 120", "retries = 5"]
            for key in ("index-url",):
                value = os.environ.get("PIP_" + key.upper().replace("-", "_"))
                if value and not value.startswith("file:"):
                    lines.append(f"{key} = {value}")
            pip_conf.write_text("\n".join(lines) + "\n")
            self.written.append(pip_conf)
        return self

    def __exit__(self, *exc: object) -> None:
        for path in self.written:
            path.unlink(missing_ok=True)


def build_images(python_tag: str, infra_tag: str) -> None:
    for target, tag in (("postgres", "portail-test/postgres:15"),
                        ("rabbitmq", "portail-test/rabbitmq:3")):
        docker("build", "--network", "host", "-q", "--build-arg", f"DEBIAN_IMAGE={infra_tag}",
               "--target", target, "-t", tag, "-f", "tests/deploy/stand-ins/Dockerfile",
               str(ROOT))
    with BuildExtras():
        compose("build", "mailcatcher", "proxy-hostnet")


# --- 4. the stack --------------------------------------------------------------------------

def write_environment(python_tag: str, infra_tag: str) -> None:
    """deploy/.env for this run: fresh secrets, the local images, TLS by a self-signed
    certificate made now."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
    from cryptography.x509.oid import NameOID

    WORK.mkdir(parents=True, exist_ok=True)
    tls = WORK / "tls"
    tls.mkdir(exist_ok=True)
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "portail test-deploy")])
    now = datetime.datetime.now(datetime.UTC)
    certificate = (
        x509.CertificateBuilder().subject_name(name).issuer_name(name)
        .public_key(key.public_key()).serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=2))
        .add_extension(x509.SubjectAlternativeName([
            x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
            critical=False)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256()))
    (tls / "fullchain.pem").write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    (tls / "privkey.pem").write_bytes(key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption()))
    (tls / "privkey.pem").chmod(0o644)  # read by nginx's master in the container
    signing = Ed25519PrivateKey.generate().private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption()).decode()
    values = {
        "POSTGRES_PASSWORD": secrets.token_hex(16),
        "RABBITMQ_PASSWORD": secrets.token_hex(16),
        "GATEWAY_SECRET": secrets.token_urlsafe(48),
        "AUTH_SIGNING_KEY": signing.strip().replace("\n", "\\n"),
        "PORTAIL_PUBLIC_URL": PUBLIC,
        "PORTAIL_TLS_DIR": str(tls),
        "PORTAIL_IMAGE": "portail-famille:test",
        "PORTAIL_PROXY_IMAGE": "portail-famille-proxy:test",
        "PORTAIL_BASE_IMAGE": python_tag,
        "PORTAIL_DEBIAN_IMAGE": infra_tag,
        "POSTGRES_IMAGE": "portail-test/postgres:15",
        "RABBITMQ_IMAGE": "portail-test/rabbitmq:3",
        # A client number of the DGFiP's test mode (nothing is paid from this stack).
        "BILLING_PAYFIP_NUMCLI": "123456",
        "BILLING_SEPA_ICS": "FR19ZZZ654321",
        "BILLING_SEPA_CREDITOR_IBAN": "FR7630004000310001234567865",
        "BILLING_SEPA_CREDITOR_BIC": "BNPAFRPP",
        # The collectivité's codes for the PES export to the public accountant.
        "BILLING_PES_SIRET": "21340070300012",
        "BILLING_PES_COLLECTIVITY_CODE": "034",
        "BILLING_PES_POST_ID": "034099",
        "BILLING_PAYFIP_SAISIE": "T",
    }
    (WORK / ".env").write_text("".join(f'{k}="{v}"\n' for k, v in values.items()))


def containers() -> list[str]:
    out = compose("ps", "-q", capture=True, quiet=True).stdout.decode()
    return [line for line in out.split() if line]


def health() -> dict[str, str]:
    states: dict[str, str] = {}
    for container in containers():
        raw = docker("inspect", "--format",
                     '{{index .Config.Labels "com.docker.compose.service"}} '
                     "{{.State.Status}} {{if .State.Health}}{{.State.Health.Status}}"
                     "{{else}}none{{end}}", container, capture=True, quiet=True,
                     check=False).stdout.decode().split()
        if len(raw) == 3:
            states[raw[0]] = raw[2] if raw[1] == "running" else raw[1]
    return states


def wait_healthy(services: Sequence[str], timeout: float = 300) -> None:
    deadline = time.monotonic() + timeout
    while True:
        states = health()
        if all(states.get(s) == "healthy" for s in services):
            return
        if time.monotonic() > deadline:
            raise RuntimeError(f"not healthy after {timeout:.0f} s: {states}")
        time.sleep(1)


STACK = ["postgres", "rabbitmq", "mailcatcher", "auth", "families", "reservations",
         "billing", "notifier", "gateway", "proxy-hostnet"]


def bring_up() -> None:
    compose("down", "--volumes", "--remove-orphans", check=False, capture=True)
    # docker-compose v1 gives up on a dependency it finds unhealthy at that moment instead of
    # waiting for it (a broker slow to answer its first pings on a busy host): `up` again,
    # which starts what is missing, until the deadline.
    deadline = time.monotonic() + 420
    while compose("up", "-d", "--no-build", check=False).returncode != 0:
        if time.monotonic() > deadline:
            raise RuntimeError("the stack did not come up: " + json.dumps(health()))
        time.sleep(5)
    wait_healthy(STACK)
    say("every health check passes: " + json.dumps(health()))
    compose("run", "--rm", "seed")


# --- the drive -----------------------------------------------------------------------------

async def eventually(condition: Callable[[], Awaitable[T | None]], what: str,
                     timeout: float = 90) -> T:
    deadline = time.monotonic() + timeout
    while True:
        with contextlib.suppress(Exception):
            result = await condition()
            if result:
                return result
        if time.monotonic() > deadline:
            raise AssertionError(f"{what}: not after {timeout:.0f} s")
        await asyncio.sleep(0.5)


def mails() -> list[dict[str, str]]:
    script = ("import json; from pathlib import Path; from deploy.mailsink import read_maildir; "
              "print(json.dumps([{'to': str(m['To']), 'subject': str(m['Subject']), "
              "'body': m.get_body(('plain',)).get_content()} "
              "for m in read_maildir(Path('/app/var/maildir'))]))")
    out = compose("exec", "-T", "mailcatcher", "python", "-c", script, capture=True,
                  quiet=True).stdout
    result: list[dict[str, str]] = json.loads(out)
    return result


async def drive() -> None:
    import aiohttp

    tls = ssl.create_default_context(cafile=str(WORK / "tls" / "fullchain.pem"))

    def browser(address: str = "127.0.0.1") -> aiohttp.ClientSession:
        connector = aiohttp.TCPConnector(ssl=tls, local_addr=(address, 0), force_close=True)
        return aiohttp.ClientSession(connector=connector,
                                     cookie_jar=aiohttp.CookieJar(unsafe=True),
                                     timeout=aiohttp.ClientTimeout(total=30))

    async def login(http: aiohttp.ClientSession, email: str, password: str
                    ) -> aiohttp.ClientResponse:
        async with http.get(PUBLIC + "/connexion") as page:
            html = await page.text()
            assert page.status == 200, page.status
        csrf = re.search(r'name="csrf" value="([^"]+)"', html)
        assert csrf, "no CSRF field on /connexion"
        async with http.post(PUBLIC + "/connexion", allow_redirects=False,
                             data={"email": email, "password": password,
                                   "csrf": csrf[1]}) as resp:
            await resp.read()
            return resp

    async def logged_in(http: aiohttp.ClientSession) -> aiohttp.ClientResponse:
        """Log in as the demo parent; a 503 (auth slow to hash on a loaded host: the gateway
        gave up waiting) is tried again, any other refusal fails."""

        async def attempt() -> aiohttp.ClientResponse | None:
            resp = await login(http, DEMO_PARENT, DEMO_PASSWORD)
            if resp.status == 503:
                return None
            assert resp.status == 303, resp.status
            return resp

        return await eventually(attempt, "the demo parent's login", timeout=120)

    async def dashboard(http: aiohttp.ClientSession) -> str | None:
        async with http.get(PUBLIC + "/mon-compte", allow_redirects=False) as resp:
            html = await resp.text()
            return html if resp.status == 200 and "Martin" in html else None

    async with browser() as http:
        say("plain HTTP is redirected to HTTPS")
        async with http.get(PLAIN + "/connexion", allow_redirects=False) as resp:
            assert resp.status == 301 and resp.headers["Location"].startswith(PUBLIC), \
                (resp.status, resp.headers.get("Location"))

        say("login through nginx over TLS as the demo parent: Secure cookies")
        resp = await logged_in(http)
        cookies = resp.headers.getall("Set-Cookie", [])
        assert cookies and all("Secure" in c for c in cookies), cookies
        html = await eventually(lambda: dashboard(http), "the dashboard")
        assert "Mon compte famille" in html or "Martin" in html

        say("/metrics: on each part's internal port, never through the proxy")
        async with http.get(PUBLIC + "/metrics") as resp:
            assert resp.status == 404, resp.status
        for part, port in METRICS.items():
            async with http.get(f"http://127.0.0.1:{port}/metrics") as resp:
                body = await resp.text()
                assert resp.status == 200 and "http_request_duration_seconds" in body, part

    say("20 bad logins from 20 browsers lock nobody else; 20 from one browser lock that one")
    for n in range(20):
        async with browser(f"127.0.0.{10 + n}") as http:
            resp = await login(http, f"inconnu{n}@example.org", "mauvais-mot-de-passe")
            # The form again with the error (503: the gateway gave up waiting on a loaded
            # host; auth counts the failure all the same).
            assert resp.status in (401, 503), resp.status
    async with browser("127.0.0.40") as http:
        for n in range(20):
            await login(http, f"autre{n}@example.org", "mauvais-mot-de-passe")
        async def refused() -> int | None:
            status = (await login(http, DEMO_PARENT, DEMO_PASSWORD)).status
            return None if status == 503 else status

        status = await eventually(refused, "an answer to the locked browser", timeout=120)
        assert status == 429, f"20 failures from one browser did not lock it ({status})"
    async with browser("127.0.0.41") as http:
        await logged_in(http)  # a browser of its own is not locked out

    say("password reset: the mail is in the mail catcher, its link opens the form")
    async with browser("127.0.0.42") as http:
        async with http.get(PUBLIC + "/mot-de-passe-oublie") as page:
            csrf = re.search(r'name="csrf" value="([^"]+)"', await page.text())
        assert csrf
        async with http.post(PUBLIC + "/mot-de-passe-oublie", allow_redirects=False,
                             data={"email": DEMO_PARENT, "csrf": csrf[1]}) as resp:
            assert resp.status == 303, resp.status

        async def reset_mail() -> dict[str, str] | None:
            found = [m for m in await asyncio.to_thread(mails)
                     if DEMO_PARENT in m["to"] and "mot de passe" in m["subject"]]
            return found[-1] if found else None

        mail = await eventually(reset_mail, "the password reset mail")
        link = re.search(re.escape(PUBLIC) + r"/\S+", mail["body"])
        assert link, mail["body"]
        async with http.get(link[0]) as resp:
            assert resp.status == 200 and "mot de passe" in (await resp.text()).lower()

    async with browser("127.0.0.43") as http:
        await logged_in(http)
        await eventually(lambda: dashboard(http), "the dashboard")

        say("dead letters: listed by the service's own command in its container")
        out = compose("exec", "-T", "notifier", "python", "-m", "services.notifier",
                      "dead-letters", "list", capture=True)
        assert b"dead letter(s)" in out.stderr, out.stderr

        say("restart one service container: the dashboard comes back")
        await asyncio.to_thread(compose, "restart", "families")
        await asyncio.to_thread(wait_healthy, ["families"])
        await eventually(lambda: dashboard(http), "the dashboard after a restart")

        say("back up families' database, drop it, restore it (deploy/OPERATIONS.md)")
        await asyncio.to_thread(backup_and_restore)
        await eventually(lambda: dashboard(http), "the dashboard after a restore")


def backup_and_restore() -> None:
    dump = compose("exec", "-T", "postgres", "pg_dump", "-U", "portail", "-Fc",
                   "portail_families", capture=True).stdout
    (WORK / "portail_families.dump").write_bytes(dump)
    assert len(dump) > 1000, len(dump)
    compose("stop", "families")
    compose("exec", "-T", "postgres", "dropdb", "-U", "portail", "portail_families")
    compose("exec", "-T", "postgres", "createdb", "-U", "portail", "portail_families")
    compose("exec", "-T", "postgres", "pg_restore", "-U", "portail", "-d", "portail_families",
            "--no-owner", stdin=dump)
    compose("start", "families")
    wait_healthy(["families"])


# --- 5. teardown ---------------------------------------------------------------------------

def tear_down() -> None:
    if SOCKET.exists():
        with contextlib.suppress(Exception):
            if (WORK / ".env").exists():
                compose("down", "--volumes", "--remove-orphans", "--timeout", "10",
                        check=False, timeout=180)


def dump_logs() -> None:
    with contextlib.suppress(Exception):
        say("health: " + json.dumps(health()))
        compose("logs", "--no-color", "--tail", "60", check=False, timeout=60)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tests.deploy.run")
    parser.add_argument("--keep", action="store_true", help="leave the stack and daemon up")
    parser.add_argument("--down", action="store_true", help="stop what --keep left")
    args = parser.parse_args(argv)
    daemon = Daemon()
    # SIGTERM/SIGINT (a CI time-out, Ctrl-C) end in the same teardown as a failure.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    if args.down:
        tear_down()
        stop_stale_daemon()
        return 0
    ok = False
    try:
        with phase("packages"):
            install_packages()
        with phase("daemon"):
            daemon.start()
        with phase("base images (mmdebstrap, cached)"):
            python_tag, infra_tag = build_bases()
        write_environment(python_tag, infra_tag)
        with phase("image, proxy and stand-in builds"):
            build_images(python_tag, infra_tag)
        with phase("stack up and healthy, demo seeded"):
            bring_up()
        with phase("drive"):
            asyncio.run(drive())
        ok = True
    except BaseException:
        dump_logs()
        raise
    finally:
        if not (args.keep and ok):
            with phase("teardown"):
                tear_down()
                daemon.stop()
        total = time.monotonic() - STARTED
        say("timings: " + ", ".join(f"{name} {seconds:.0f}s" for name, seconds in TIMINGS)
            + f"; total {total:.0f}s")
    say("PASSED" if ok else "FAILED")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
