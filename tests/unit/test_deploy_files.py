"""The deployment files hold together: the Kubernetes manifests parse, set every setting
production needs and probe real routes; the compose file documents and requires its
variables."""

import importlib
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

ROOT = Path(__file__).resolve().parents[2]
K8S = ROOT / "deploy" / "k8s"
PARTS = {"auth": "services.auth", "families": "services.families",
         "reservations": "services.reservations", "billing": "services.billing",
         "notifier": "services.notifier", "gateway": "gateway"}
# Settings that may keep a local address in production: where a part listens.
BIND_SETTINGS = {"host", "metrics_host", "signing_key_file"}


def documents(path: Path) -> list[dict[str, Any]]:
    return [doc for doc in yaml.safe_load_all(path.read_text()) if doc]


def manifests() -> Iterator[tuple[Path, dict[str, Any]]]:
    for path in sorted(K8S.glob("*.yaml")):
        if path.name == "kustomization.yaml":
            continue
        for doc in documents(path):
            yield path, doc


def kind(name: str) -> list[dict[str, Any]]:
    return [doc for _, doc in manifests() if doc["kind"] == name]


def deployment(part: str) -> dict[str, Any]:
    [found] = [d for d in kind("Deployment") if d["metadata"]["name"] == part]
    return found


def container_environment(part: str) -> dict[str, str]:
    """What the part's container sees: the ConfigMap, the Secret, then its own env."""
    [config] = [d for d in kind("ConfigMap") if d["metadata"]["name"] == "portail-config"]
    [secret] = [d for d in kind("Secret") if d["metadata"]["name"] == "portail-secrets"]
    [container] = deployment(part)["spec"]["template"]["spec"]["containers"]
    sources = {ref.get("configMapRef", ref.get("secretRef", {}))["name"]
               for ref in container["envFrom"]}
    assert sources == {"portail-config", "portail-secrets"}
    env = {**config["data"], **secret["stringData"]}
    env.update({item["name"]: str(item["value"]) for item in container.get("env", [])})
    return env


def test_every_manifest_parses_and_names_itself() -> None:
    found = list(manifests())
    assert len(found) > 10
    for path, doc in found:
        assert doc.get("apiVersion") and doc.get("kind") and doc["metadata"]["name"], path
    listed = set(documents(K8S / "kustomization.yaml")[0]["resources"])
    assert listed == {p.name for p in K8S.glob("*.yaml")} - {"kustomization.yaml"}


@pytest.mark.parametrize("part", PARTS)
def test_each_part_runs_the_one_image_with_its_command(part: str) -> None:
    spec = deployment(part)["spec"]
    [container] = spec["template"]["spec"]["containers"]
    assert container["image"] == "portail-famille"
    assert container["command"] == ["python", "-m", PARTS[part]]
    assert spec["replicas"] >= 2
    assert spec["template"]["spec"]["securityContext"]["runAsNonRoot"] is True


@pytest.mark.parametrize("part", PARTS)
def test_every_setting_production_needs_is_set(part: str, monkeypatch: pytest.MonkeyPatch,
                                               tmp_path: Path) -> None:
    """The part's settings, read from the manifests alone, are valid in production and point
    at no local default (a database, broker or service on 127.0.0.1 is a forgotten setting)."""
    env = container_environment(part)
    monkeypatch.chdir(tmp_path)  # no var/portail.env of a developer's machine
    for name in list(__import__("os").environ):
        if name.startswith(("PORTAIL_", f"{part.upper()}_")):
            monkeypatch.delenv(name)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    assert env["PORTAIL_ENV"] == "production"
    settings = importlib.import_module(f"{PARTS[part]}.settings").Settings()
    local = {name: value for name, value in settings.model_dump().items()
             if name not in BIND_SETTINGS
             and re.search(r"127\.0\.0\.1|localhost", str(value))}
    assert not local, f"{part} keeps local defaults in production: {local}"
    if part == "auth":
        assert env["AUTH_SIGNING_KEY"].startswith("-----BEGIN PRIVATE KEY-----")
    if part == "gateway":
        assert env["GATEWAY_SECRET"] and settings.secure_cookies


@pytest.mark.parametrize("part", PARTS)
def test_probes_point_at_real_routes_on_the_served_port(
        part: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    env = container_environment(part)
    monkeypatch.chdir(tmp_path)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    # The example secret holds no real key: the app is built with one made here.
    monkeypatch.setenv("AUTH_SIGNING_KEY", Ed25519PrivateKey.generate().private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption()).decode())
    module = PARTS[part]
    settings = importlib.import_module(f"{module}.settings").Settings()
    app = importlib.import_module(f"{module}.app").create_app(settings=settings)
    routes = {route.resource.canonical for route in app.router.routes()
              if route.method == "GET" and route.resource is not None}
    [container] = deployment(part)["spec"]["template"]["spec"]["containers"]
    ports = {p["name"]: p["containerPort"] for p in container["ports"]}
    assert ports["http"] == settings.port
    assert ports["metrics"] == settings.metrics_port
    for probe in ("startupProbe", "readinessProbe", "livenessProbe"):
        get = container[probe]["httpGet"]
        assert get["path"] in routes, (probe, get["path"])
        assert get["port"] == "http"
    assert container["readinessProbe"]["httpGet"]["path"] == "/readyz"
    assert "/metrics" not in routes  # served on the metrics port only
    annotations = deployment(part)["spec"]["template"]["metadata"]["annotations"]
    assert int(annotations["prometheus.io/port"]) == settings.metrics_port


def test_services_expose_the_ports_the_urls_name() -> None:
    config = kind("ConfigMap")[0]["data"]
    for service in kind("Service"):
        name = service["metadata"]["name"]
        [port] = service["spec"]["ports"]
        if name != "gateway":
            assert config[f"PORTAIL_{name.upper()}_URL"] == f"http://{name}:{port['port']}"


# --- compose ---------------------------------------------------------------------------

COMPOSE = ROOT / "deploy" / "compose.yaml"
VARIABLE = re.compile(r"\$\{([A-Z0-9_]+)(:?[?-])?([^}]*)\}")
SECRETS = {"POSTGRES_PASSWORD", "RABBITMQ_PASSWORD", "AUTH_SIGNING_KEY", "GATEWAY_SECRET"}


def test_compose_variables_are_documented_and_secrets_required() -> None:
    text = COMPOSE.read_text()
    example = (ROOT / "deploy" / ".env.example").read_text()
    documented = set(re.findall(r"^([A-Z0-9_]+)=", example, re.MULTILINE))
    used = {m[1] for m in VARIABLE.finditer(text)}
    assert used - documented == set(), "variables of compose.yaml missing in .env.example"
    for match in VARIABLE.finditer(text):
        if match[1] in SECRETS:
            assert match[2] == ":?", f"{match[1]} must be required (${{{match[1]}:?…}})"
    for secret in SECRETS:
        assert re.search(rf"^{secret}=$", example, re.MULTILINE), f"{secret} has a value"


def test_compose_publishes_only_the_proxy_and_pins_images() -> None:
    stack = yaml.safe_load(COMPOSE.read_text())
    published = {name for name, service in stack["services"].items() if service.get("ports")
                 and not all(p.startswith("127.0.0.1:") for p in service["ports"])}
    assert published == {"proxy"}
    for name in ("postgres", "rabbitmq"):
        image = VARIABLE.sub(lambda m: m[3], stack["services"][name]["image"])
        assert re.search(r":\d+\.\d+", image), f"{name} image not pinned: {image}"
    for name in PARTS:
        service = stack["services"][name]
        assert service["depends_on"]["postgres"]["condition"] == "service_healthy"
        assert "healthcheck" in service
# --- Prometheus --------------------------------------------------------------------------

def test_alert_rules_parse_and_watch_exported_metrics() -> None:
    rules = documents(ROOT / "deploy" / "prometheus" / "alerts.yaml")[0]
    expressions = " ".join(rule["expr"] for group in rules["groups"]
                           for rule in group["rules"])
    sources = "\n".join(p.read_text() for p in (ROOT / "services").rglob("*.py"))
    for metric in ("portail_dead_letter_messages", "portail_outbox_lag_seconds"):
        assert metric in expressions and f'"{metric}"' in sources, metric
    assert "up" in expressions
    scrape = documents(ROOT / "deploy" / "prometheus" / "prometheus.yaml")[0]
    assert scrape["rule_files"] and scrape["scrape_configs"]
