"""The deployment files (deploy/, .dockerignore, docs/production.md) hold together, checked by parsing them.

The development machines and CI have no Docker engine and no cluster, so no image is built and nothing is started
here. What can be caught offline is caught: a service, replica count, probe or healthcheck missing; a port, label,
volume path or secret key that does not match its other end; a variable Lotse does not read; a COPY of a file that
does not exist; a manifest that Kubernetes' own schema rejects (`kubectl kustomize` renders them, kubernetes-validate
checks them without a cluster). docs/production.md, "What was checked here and what was not", says the same.
"""

from __future__ import annotations

import fnmatch
import json
import re
import shlex
import shutil
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import yaml

from core import config

ROOT = config.ROOT
DEPLOY = ROOT / "deploy"
COMPOSE_DIR = DEPLOY / "compose"
K8S = DEPLOY / "k8s"
DOCKERFILES = {name: DEPLOY / "docker" / f"{name}.Dockerfile" for name in ("bot", "actions")}
PRODUCTION_DOC = ROOT / "docs" / "production.md"

# Read by the serving commands (`./lotse serve ...`) being added beside these files; once core/config.py reads them
# all, this set only repeats it.
SERVE_VARIABLES = {
    "LOTSE_LISTEN",
    "LOTSE_RASA_PORT",
    "LOTSE_ACTIONS_PORT",
    "LOTSE_ACTIONS_URL",
    "LOTSE_RASA_URLS",
    "LOTSE_RASA_MODEL",
}
# Read by compose and Caddy only, never by Lotse.
DEPLOYMENT_VARIABLES = {"LOTSE_DOMAIN"}
LOTSE_VARIABLE = re.compile(r"\bLOTSE_[A-Z0-9]+(?:_[A-Z0-9]+)*\b")
PLACEHOLDER = "CHANGE_ME"
# The oldest Kubernetes the manifests are written for (the CronJob's timeZone needs 1.27; kubectl here is 1.32).
KUBERNETES_VERSION = "1.32"

SERVERS = {"rasa", "actions", "telegram", "editor"}
# The images' LOTSE_CACHE_DIR: Rasa's models and the knowledge vectors are volumes below it.
CACHE_DIR = "/srv/lotse/cache"
REPLICAS = {"rasa": 2, "actions": 2, "telegram": 2, "editor": 1}
# Container mount paths that must be the same wherever the volume is mounted: the editor names models by path
# when it asks Rasa to load one, and writes the knowledge the action servers read.
SHARED_VOLUMES = {"knowledge": {"editor", "actions"}, "models": {"editor", "rasa"}, "embeddings": {"actions"}}
MOUNT_PATHS = {"models": f"{CACHE_DIR}/models", "embeddings": f"{CACHE_DIR}/embeddings"}


def lotse_variables_read_by_lotse() -> set[str]:
    """Every LOTSE_* name core/config.py reads, and the serving commands' ones."""
    return set(LOTSE_VARIABLE.findall((ROOT / "core" / "config.py").read_text(encoding="utf-8"))) | SERVE_VARIABLES


def module_exists(module: str) -> bool:
    path = ROOT.joinpath(*module.split("."))
    return path.with_suffix(".py").is_file() or (path / "__init__.py").is_file()


def modules_run_by(command: list[str] | str) -> list[str]:
    """The `python -m MODULE` modules of a command, also inside `sh -c "..."`."""
    text = command if isinstance(command, str) else " ".join(command)
    return re.findall(r"(?:^|\s)-m\s+([A-Za-z_][\w.]*)", text)


def read_env_file(path: Path) -> dict[str, str]:
    """KEY=VALUE lines, as compose's .env and kustomize's envs read them (comments and blank lines skipped)."""
    pairs = (line.split("=", 1) for line in path.read_text(encoding="utf-8").splitlines())
    return {key.strip(): value.strip() for key, value in (p for p in pairs if len(p) == 2 and not p[0].startswith("#"))}


# ---------------------------------------------------------------------------------------------- all YAML files


@pytest.mark.parametrize("path", sorted(DEPLOY.rglob("*.y*ml")), ids=lambda path: str(path.relative_to(ROOT)))
def test_every_yaml_file_parses(path: Path) -> None:
    """A YAML slip (a tab, a bad indent) would only show when an operator starts the deployment."""
    documents = list(yaml.safe_load_all(path.read_text(encoding="utf-8")))
    assert documents, f"{path} is empty"


def test_operators_secrets_stay_out_of_the_repository() -> None:
    """The files operators fill with real secrets are ignored by git; the examples hold placeholders."""
    assert {".env", "secrets/"} <= set((COMPOSE_DIR / ".gitignore").read_text(encoding="utf-8").split())
    assert "secrets.env" in (K8S / ".gitignore").read_text(encoding="utf-8").split()
    for example in (COMPOSE_DIR / ".env.example", K8S / "secrets.env.example"):
        for key, value in read_env_file(example).items():
            if re.search(r"SECRET|TOKEN|PASSWORD|KEY|_URL$", key) and not key.endswith("WEBHOOK_URL"):
                assert PLACEHOLDER in value, f"{example.name}: {key} must be a {PLACEHOLDER} placeholder"


# ------------------------------------------------------------------------------------------------------ compose


@pytest.fixture(scope="module")
def compose() -> dict[str, Any]:
    data: dict[str, Any] = yaml.safe_load((COMPOSE_DIR / "compose.yml").read_text(encoding="utf-8"))
    return data


def environment(service: dict[str, Any]) -> dict[str, str]:
    return {key: str(value) for key, value in (service.get("environment") or {}).items()}


def test_compose_runs_every_component_with_its_replicas(compose: dict[str, Any]) -> None:
    """The contract's topology: several Rasa, action and gateway replicas, one editor, a daily cleanup."""
    services = compose["services"]
    assert set(services) == SERVERS | {"postgres", "redis", "retention", "proxy"}
    assert {name: services[name]["deploy"]["replicas"] for name in REPLICAS} == REPLICAS
    assert "-m tools.cli cleanup;" in " ".join(services["retention"]["command"])
    for name, service in services.items():
        if "command" in service and service["image"].startswith("lotse-"):
            modules = modules_run_by(service["command"])
            assert modules and all(module_exists(module) for module in modules), f"{name}: {service['command']}"


def test_compose_checks_the_health_of_every_server(compose: dict[str, Any]) -> None:
    """`depends_on: service_healthy` and `docker compose ps` mean nothing without healthchecks."""
    services = compose["services"]
    for name in SERVERS | {"postgres", "redis"}:
        assert services[name].get("healthcheck", {}).get("test"), f"{name} has no healthcheck"
    assert "/ready" in " ".join(services["actions"]["healthcheck"]["test"])  # ready once the router is built
    assert "pg_isready" in " ".join(services["postgres"]["healthcheck"]["test"])


def test_only_the_proxy_publishes_ports(compose: dict[str, Any]) -> None:
    """PostgreSQL, Redis, Rasa's API and the metrics must not be reachable from outside the host."""
    published = {name for name, service in compose["services"].items() if service.get("ports")}
    assert published == {"proxy"}


def test_servers_start_after_their_databases_are_healthy(compose: dict[str, Any]) -> None:
    """Every component opens (and migrates) its database at start; started too early it would exit."""
    services = compose["services"]
    for name in SERVERS | {"retention"}:
        assert services[name]["depends_on"]["postgres"]["condition"] == "service_healthy", name
    assert services["rasa"]["depends_on"]["redis"]["condition"] == "service_healthy"


def test_compose_mounts_shared_volumes_at_the_same_path(compose: dict[str, Any]) -> None:
    """The editor writes what the action servers read, and names models by the path Rasa loads them from."""
    mounts: dict[str, dict[str, str]] = {}
    for name, service in compose["services"].items():
        for volume in service.get("volumes", []):
            source, target, *_ = volume.split(":")
            mounts.setdefault(source, {})[name] = target
    for volume, services in SHARED_VOLUMES.items():
        assert set(mounts[volume]) == services, volume
        assert len(set(mounts[volume].values())) == 1, f"{volume} is mounted at different paths: {mounts[volume]}"
        assert set(mounts[volume].values()) <= {MOUNT_PATHS.get(volume, f"/srv/lotse/{volume}")}, volume
    assert set(compose["volumes"]) >= {"pgdata", "knowledge", "models", "data"}
    env = {name: environment(service) for name, service in compose["services"].items()}
    assert (
        env["actions"]["LOTSE_KNOWLEDGE_DIR"] == env["editor"]["LOTSE_KNOWLEDGE_DIR"] == mounts["knowledge"]["editor"]
    )
    assert any(volume.endswith(":ro") for volume in compose["services"]["actions"]["volumes"])  # only the editor writes


def test_compose_gateways_are_in_webhook_mode_behind_the_proxy(compose: dict[str, Any]) -> None:
    """Several gateways only work in webhook mode; the proxy must send the webhook's path to them unchanged."""
    services = compose["services"]
    webhook = environment(services["telegram"])["LOTSE_TELEGRAM_WEBHOOK_URL"]
    assert webhook.startswith("https://") and "/telegram/" in webhook
    caddyfile = (COMPOSE_DIR / "Caddyfile").read_text(encoding="utf-8")
    port = environment(services["telegram"])["LOTSE_TELEGRAM_PORT"]
    assert "handle /telegram/*" in caddyfile and "name telegram" in caddyfile and f"port {port}" in caddyfile
    base_path = environment(services["editor"])["LOTSE_EDITOR_BASE_PATH"]
    assert f"path {base_path} {base_path}/*" in caddyfile
    assert f"editor:{environment(services['editor'])['LOTSE_EDITOR_PORT']}" in caddyfile
    assert "/run/secrets/" in environment(services["telegram"])["LOTSE_PSEUDONYM_KEY_FILE"]
    assert set(compose["secrets"]) == {"rasa_api_token", "pseudonym_key"}


def test_every_compose_variable_is_in_env_example() -> None:
    """An operator who copies .env.example must find every variable the compose file and Caddy read."""
    used = set(re.findall(r"\$\{([A-Z0-9_]+)", (COMPOSE_DIR / "compose.yml").read_text(encoding="utf-8")))
    used |= set(re.findall(r"\{\$([A-Z0-9_]+)\}", (COMPOSE_DIR / "Caddyfile").read_text(encoding="utf-8")))
    assert used - set(read_env_file(COMPOSE_DIR / ".env.example")) == set()


# -------------------------------------------------------------------------------------------------- variables


def deployment_texts() -> Iterator[tuple[Path, str]]:
    for path in sorted(p for p in DEPLOY.rglob("*") if p.is_file()):
        yield path, path.read_text(encoding="utf-8", errors="replace")
    yield PRODUCTION_DOC, PRODUCTION_DOC.read_text(encoding="utf-8")


def test_every_lotse_variable_named_is_one_lotse_reads() -> None:
    """A misspelt variable is silently ignored at run time and the default used instead."""
    known = lotse_variables_read_by_lotse() | DEPLOYMENT_VARIABLES
    for path, text in deployment_texts():
        unknown = set(LOTSE_VARIABLE.findall(text)) - known
        assert not unknown, f"{path.relative_to(ROOT)} names variables Lotse does not read: {sorted(unknown)}"


def test_the_production_doc_describes_every_variable() -> None:
    """Operators configure from docs/production.md's table: a variable missing there is one nobody sets."""
    doc = PRODUCTION_DOC.read_text(encoding="utf-8")
    table = {name for line in doc.splitlines() if line.startswith("| `") for name in LOTSE_VARIABLE.findall(line)}
    missing = lotse_variables_read_by_lotse() - table
    assert not missing, f"docs/production.md's variable table lacks {sorted(missing)}"
    assert "TELEGRAM_BOT_TOKEN" in doc


def test_the_production_doc_has_its_sections() -> None:
    """The sections operators are pointed to exist (the Metrics table is filled in with the metrics)."""
    headings = re.findall(r"^## (.+)$", PRODUCTION_DOC.read_text(encoding="utf-8"), flags=re.MULTILINE)
    for heading in ("The components", "Variables", "Docker Compose (one host)", "Kubernetes (kustomize)", "Scaling"):
        assert heading in headings
    assert {"Backups", "Upgrades and migrations", "Metrics", "What was checked here and what was not"} <= set(headings)


# ------------------------------------------------------------------------------------------------- Dockerfiles


@dataclass(frozen=True)
class Instruction:
    keyword: str
    arguments: str


def instructions(dockerfile: Path) -> list[Instruction]:
    """The Dockerfile's instructions, continuation lines joined and comments dropped, as Docker reads them."""
    result: list[Instruction] = []
    current = ""
    for line in dockerfile.read_text(encoding="utf-8").splitlines():
        stripped = line.strip()
        if not stripped or stripped.startswith("#"):
            continue
        if stripped.endswith("\\"):
            current += stripped[:-1] + " "
            continue
        keyword, _, arguments = (current + stripped).partition(" ")
        result.append(Instruction(keyword.upper(), arguments.strip()))
        current = ""
    return result


def stages(dockerfile: Path) -> list[tuple[str, str, list[Instruction]]]:
    """(base image, stage name, the stage's instructions) for every FROM."""
    result: list[tuple[str, str, list[Instruction]]] = []
    for instruction in instructions(dockerfile):
        if instruction.keyword == "FROM":
            image, *alias = instruction.arguments.split()
            result.append((image, alias[-1] if alias else "", []))
        elif result:
            result[-1][2].append(instruction)
    return result


def copied_sources(instruction: Instruction) -> list[str]:
    """What a COPY/ADD takes from the build context (none when it copies from another stage)."""
    words = (
        json.loads(instruction.arguments)
        if instruction.arguments.startswith("[")
        else shlex.split(instruction.arguments)
    )
    if any(word.startswith("--from") for word in words):
        return []
    files = [word for word in words if not word.startswith("--")]
    return files[:-1]


def target_instructions(dockerfile: Path, target: str) -> list[Instruction]:
    """What makes the image of `target`: the instructions of the stages it is built FROM, then its own."""
    by_name = {name: (image, steps) for image, name, steps in stages(dockerfile)}
    image, steps = by_name[target]
    return (target_instructions(dockerfile, image) if image in by_name else []) + steps


def last(steps: list[Instruction], keyword: str) -> str:
    found = [step.arguments for step in steps if step.keyword == keyword]
    assert found, f"no {keyword}"
    return found[-1]


def dockerignore_patterns() -> list[str]:
    lines = (ROOT / ".dockerignore").read_text(encoding="utf-8").splitlines()
    return [line.strip() for line in lines if line.strip() and not line.startswith("#")]


def ignored(path: str, patterns: list[str]) -> bool:
    """Whether .dockerignore keeps `path` out of the build context (a pattern matches it or a folder above it)."""
    parts = path.split("/")
    prefixes = ["/".join(parts[: index + 1]) for index in range(len(parts))]
    return any(fnmatch.fnmatch(prefix, pattern) for prefix in prefixes for pattern in patterns)


@pytest.mark.parametrize("name", sorted(DOCKERFILES))
def test_base_images_are_pinned_to_a_version(name: str) -> None:
    """A floating tag (python:3.11-slim) rebuilds into a different image from the same commit."""
    names: set[str] = set()
    for image, stage_name, _ in stages(DOCKERFILES[name]):
        if image not in names:
            assert re.search(r":\d+(\.\d+)+[\w.-]*$|@sha256:[0-9a-f]{64}$", image), f"{image} is not pinned"
        names.add(stage_name)


@pytest.mark.parametrize("name", sorted(DOCKERFILES))
def test_dockerfiles_copy_and_install_files_that_exist(name: str) -> None:
    """A renamed file breaks `docker build`, which no machine here runs."""
    patterns = dockerignore_patterns()
    for instruction in instructions(DOCKERFILES[name]):
        if instruction.keyword in {"COPY", "ADD"}:
            for source in copied_sources(instruction):
                assert (ROOT / source).exists(), f"{name}: COPY {source}: no such file in the repository"
                assert source == "." or not ignored(source, patterns), f".dockerignore keeps {source} out"
        if instruction.keyword == "RUN":
            for lock in re.findall(r"-r\s+(\S+)", instruction.arguments):
                assert (ROOT / lock).is_file(), f"{name}: pip install -r {lock}: no such file"


@pytest.mark.parametrize("name", sorted(DOCKERFILES))
def test_venvs_are_installed_as_lotse_installs_them(name: str) -> None:
    """pip 24.0, then the frozen set without resolving, as the ./lotse script does; torch from PyTorch's CPU index."""
    assert re.search(r"pip==24\.0.*\n.*--no-deps -r", (ROOT / "lotse").read_text(encoding="utf-8"))
    runs = [i.arguments for i in instructions(DOCKERFILES[name]) if i.keyword == "RUN"]
    for lock in ("bot", "actions"):
        assert any(re.search(rf"pip==24\.0 .*--no-deps .*-r requirements/{lock}\.lock", run) for run in runs), lock
    actions = next(run for run in runs if "requirements/actions.lock" in run)
    assert "--extra-index-url https://download.pytorch.org/whl/cpu" in actions


@pytest.mark.parametrize(
    ("dockerfile", "target", "python", "module"),
    [
        ("bot", "rasa", ".venv-bot/bin/python", "tools.rasa_service"),
        ("actions", "actions", ".venv-actions/bin/python", "tools.cli"),
        ("actions", "editor", ".venv-actions/bin/python", "tools.cli"),
    ],
)
def test_images_run_a_lotse_module_as_a_user_on_every_interface(
    dockerfile: str, target: str, python: str, module: str
) -> None:
    """Each image runs its component from the right venv, not as root, on every interface (the
    defaults, 127.0.0.1, are unreachable from outside a container)."""
    steps = target_instructions(DOCKERFILES[dockerfile], target)
    command = json.loads(last(steps, "CMD"))
    assert command[0] == python and modules_run_by(command) == [module] and module_exists(module), command
    assert last(steps, "USER").split(":")[0] not in {"0", "root"}, f"{target} runs as root"
    env = " ".join(step.arguments for step in steps if step.keyword == "ENV")
    assert f"LOTSE_CACHE_DIR={CACHE_DIR}" in env and "LOTSE_LISTEN=0.0.0.0" in env
    if dockerfile == "actions":
        assert "LOTSE_TELEGRAM_LISTEN=0.0.0.0" in env and "LOTSE_EDITOR_HOST=0.0.0.0" in env
    assert ("/app/.venv-bot" in " ".join(step.arguments for step in steps)) is (target != "actions")  # Rasa's venv


def test_the_action_server_is_the_default_target() -> None:
    """`docker build` without --target builds the last stage: that must be the action server."""
    assert stages(DOCKERFILES["actions"])[-1][1] == "actions"


def test_dockerignore_keeps_local_state_and_secrets_out() -> None:
    """The build context must not carry local venvs, databases or an operator's secrets into an image."""
    patterns = dockerignore_patterns()
    for path in (".git", ".venv-bot", ".venv-actions", "var/lotse.db", "deploy/compose/.env", "deploy/k8s/secrets.env"):
        assert ignored(path, patterns), path


# -------------------------------------------------------------------------------------------------- Kubernetes


@pytest.fixture(scope="module")
def rendered(tmp_path_factory: pytest.TempPathFactory) -> list[dict[str, Any]]:
    """`kubectl kustomize deploy/k8s`, in a copy with secrets.env made from the example (the real one is never
    committed)."""
    kubectl = shutil.which("kubectl")
    if kubectl is None:
        pytest.fail(
            "kubectl (1.27 or later, with its built-in kustomize) is needed to render deploy/k8s: install it. "
            "These checks are not skipped without it: CI must render the manifests."
        )
    copy = tmp_path_factory.mktemp("k8s") / "k8s"
    shutil.copytree(K8S, copy, ignore=shutil.ignore_patterns("secrets.env"))
    shutil.copy(copy / "secrets.env.example", copy / "secrets.env")
    result = subprocess.run([kubectl, "kustomize", str(copy)], capture_output=True, text=True, timeout=120, check=False)
    assert result.returncode == 0, f"kubectl kustomize deploy/k8s failed:\n{result.stderr}"
    return [document for document in yaml.safe_load_all(result.stdout) if document]


def objects(rendered: list[dict[str, Any]], kind: str) -> dict[str, dict[str, Any]]:
    return {item["metadata"]["name"]: item for item in rendered if item["kind"] == kind}


def generated(name: str) -> str:
    """A generated ConfigMap's or Secret's name without kustomize's content hash."""
    return name.rsplit("-", 1)[0]


def pod_spec(workload: dict[str, Any]) -> dict[str, Any]:
    spec = workload["spec"]
    template = spec["jobTemplate"]["spec"]["template"] if workload["kind"] == "CronJob" else spec["template"]
    result: dict[str, Any] = template["spec"]
    return result


def workloads(rendered: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    return {**objects(rendered, "Deployment"), **objects(rendered, "CronJob")}


def mebibytes(quantity: str) -> float:
    match = re.fullmatch(r"(\d+(?:\.\d+)?)(Mi|Gi)", quantity)
    assert match, f"memory {quantity} not in Mi or Gi"
    return float(match[1]) * (1024 if match[2] == "Gi" else 1)


def test_manifests_have_every_kind(rendered: list[dict[str, Any]]) -> None:
    """Every object of the contract renders, the generated ConfigMaps and Secret included."""
    expected = {
        "Deployment": SERVERS,
        "Service": SERVERS | {"rasa-pods"},
        "HorizontalPodAutoscaler": {"rasa", "actions"},
        "CronJob": {"retention"},
        "Ingress": {"lotse"},
        "PersistentVolumeClaim": {"knowledge", "models"},
    }
    for kind, names in expected.items():
        assert names <= set(objects(rendered, kind)), kind
    assert {generated(name) for name in objects(rendered, "ConfigMap")} == {"lotse-config", "counsellor-groups"}
    assert {generated(name) for name in objects(rendered, "Secret")} == {"lotse-secrets"}


def test_deployments_have_their_replicas_and_probes(rendered: list[dict[str, Any]]) -> None:
    """Probes on the endpoints each server offers, on a port it opens: without them Kubernetes sends
    traffic to pods still building their router or loading their model."""
    deployments = objects(rendered, "Deployment")
    assert {name: deployment["spec"]["replicas"] for name, deployment in deployments.items()} == REPLICAS
    assert deployments["editor"]["spec"]["strategy"]["type"] == "Recreate"
    paths = {
        "rasa": ("/", "/"),
        "actions": ("/ready", "/health"),
        "telegram": ("/ready", "/health"),
        "editor": ("/editor/health", "/editor/health"),
    }
    for name, deployment in deployments.items():
        for container in pod_spec(deployment)["containers"]:
            ports = {port["name"] for port in container["ports"]} | {
                port["containerPort"] for port in container["ports"]
            }
            for probe in ("readinessProbe", "livenessProbe"):
                assert probe in container, f"{name}: no {probe}"
                assert container[probe]["httpGet"]["port"] in ports, f"{name}: {probe} on a port it does not open"
            probed = (container["readinessProbe"]["httpGet"]["path"], container["livenessProbe"]["httpGet"]["path"])
            assert probed == paths[name], name
            if "args" in container:  # else the image's command (test_images_run_lotse_modules_...)
                modules = modules_run_by(container["args"])
                assert modules and all(module_exists(module) for module in modules), name


def test_containers_are_locked_down(rendered: list[dict[str, Any]]) -> None:
    """Non-root, no privilege escalation, read-only images where the server writes nothing into them, and
    memory requests the scheduler can plan with (Rasa and the action server need about 1.5 GiB)."""
    for name, workload in workloads(rendered).items():
        spec = pod_spec(workload)
        assert spec["securityContext"]["runAsNonRoot"] is True and spec["securityContext"]["runAsUser"] != 0, name
        assert spec["automountServiceAccountToken"] is False, name
        for container in spec["containers"]:
            context = container["securityContext"]
            assert context["allowPrivilegeEscalation"] is False and context["capabilities"]["drop"] == ["ALL"], name
            # The editor's retraining rewrites data/nlu inside the image (docs/production.md).
            assert context["readOnlyRootFilesystem"] is (name != "editor"), name
            resources = container["resources"]
            assert {"cpu", "memory"} <= set(resources["requests"]) and "memory" in resources["limits"], name
    for name in ("rasa", "actions"):
        container = pod_spec(objects(rendered, "Deployment")[name])["containers"][0]
        assert mebibytes(container["resources"]["requests"]["memory"]) >= 1536, f"{name} needs about 1.5 GiB"


def test_containers_get_configuration_and_only_existing_secrets(rendered: list[dict[str, Any]]) -> None:
    """A missing Secret key or ConfigMap keeps a pod from starting, and only a cluster would say so."""
    config_maps = objects(rendered, "ConfigMap")
    (secret,) = objects(rendered, "Secret").values()
    settings = next(item["data"] for name, item in config_maps.items() if generated(name) == "lotse-config")
    assert {settings[name] for name in ("LOTSE_LISTEN", "LOTSE_TELEGRAM_LISTEN", "LOTSE_EDITOR_HOST")} == {"0.0.0.0"}
    assert settings["LOTSE_TELEGRAM_WEBHOOK_URL"].startswith("https://")  # several gateways: webhook mode
    assert set(secret["data"]) == set(read_env_file(K8S / "secrets.env.example"))
    for name, workload in workloads(rendered).items():
        spec = pod_spec(workload)
        for container in spec["containers"]:
            assert [ref["configMapRef"]["name"] for ref in container["envFrom"]] == [
                next(n for n in config_maps if generated(n) == "lotse-config")
            ], name
            for variable in container.get("env", []):
                if "valueFrom" in variable:
                    reference = variable["valueFrom"]["secretKeyRef"]
                    assert reference["name"] == secret["metadata"]["name"], name
                    assert reference["key"] in secret["data"], f"{name}: {reference['key']} is not in the Secret"
        for volume in spec.get("volumes", []):
            if "secret" in volume:
                assert volume["secret"]["secretName"] == secret["metadata"]["name"], name
                assert {item["key"] for item in volume["secret"]["items"]} <= set(secret["data"]), name
            if "configMap" in volume:
                assert volume["configMap"]["name"] in config_maps, name
            if "persistentVolumeClaim" in volume:
                assert volume["persistentVolumeClaim"]["claimName"] in objects(rendered, "PersistentVolumeClaim")


def test_shared_volumes_are_read_write_many_and_mounted_at_the_same_path(rendered: list[dict[str, Any]]) -> None:
    """Pods on different nodes share them; the editor names models by the path Rasa loads them from."""
    claims = objects(rendered, "PersistentVolumeClaim")
    for claim, users in SHARED_VOLUMES.items():
        assert claims[claim]["spec"]["accessModes"] == ["ReadWriteMany"], claim
        paths: dict[str, str] = {}
        for name in users:
            spec = pod_spec(objects(rendered, "Deployment")[name])
            volume = next(
                v["name"] for v in spec["volumes"] if v.get("persistentVolumeClaim", {}).get("claimName") == claim
            )
            paths[name] = next(m["mountPath"] for m in spec["containers"][0]["volumeMounts"] if m["name"] == volume)
        assert set(paths.values()) == {MOUNT_PATHS.get(claim, f"/srv/lotse/{claim}")}, f"{claim}: {paths}"


def test_autoscalers_target_existing_deployments(rendered: list[dict[str, Any]]) -> None:
    """An autoscaler with a misnamed target, or over pods without a CPU request, never scales."""
    deployments = objects(rendered, "Deployment")
    for name, autoscaler in objects(rendered, "HorizontalPodAutoscaler").items():
        target = autoscaler["spec"]["scaleTargetRef"]
        assert target["kind"] == "Deployment" and target["name"] in deployments, name
        assert autoscaler["spec"]["minReplicas"] >= 2 and autoscaler["spec"]["maxReplicas"] > 2, name
        assert autoscaler["spec"]["metrics"][0]["resource"]["name"] == "cpu", name
        requests = pod_spec(deployments[target["name"]])["containers"][0]["resources"]["requests"]
        assert "cpu" in requests, f"{name}: CPU utilisation needs a CPU request"


def test_services_select_the_pods_of_a_deployment(rendered: list[dict[str, Any]]) -> None:
    """A selector matching no pod gives a Service without endpoints; the editor needs the headless one."""
    deployments = objects(rendered, "Deployment")
    for name, service in objects(rendered, "Service").items():
        selector = service["spec"]["selector"].items()
        matches = [d for d in deployments.values() if selector <= d["spec"]["template"]["metadata"]["labels"].items()]
        assert len(matches) == 1, f"Service {name} selects {len(matches)} Deployments"
        port_names = {port["name"] for port in pod_spec(matches[0])["containers"][0]["ports"]}
        assert {port["targetPort"] for port in service["spec"]["ports"]} <= port_names, name
    assert objects(rendered, "Service")["rasa-pods"]["spec"]["clusterIP"] == "None"  # the editor reaches every pod
    settings = next(item["data"] for name, item in objects(rendered, "ConfigMap").items() if "lotse-config" in name)
    assert "//rasa-pods:" in settings["LOTSE_RASA_URLS"] and "//rasa:" in settings["LOTSE_RASA_URL"]


def test_ingress_sends_the_webhook_and_the_editor_to_their_services_with_tls(rendered: list[dict[str, Any]]) -> None:
    """Telegram calls the webhook's path and volunteers open the editor's base path, both over HTTPS."""
    services = objects(rendered, "Service")
    (ingress,) = objects(rendered, "Ingress").values()
    assert ingress["spec"]["tls"][0]["secretName"]
    routes = {path["path"]: path["backend"]["service"] for path in ingress["spec"]["rules"][0]["http"]["paths"]}
    assert {path: backend["name"] for path, backend in routes.items()} == {"/telegram": "telegram", "/editor": "editor"}
    for backend in routes.values():
        assert backend["port"]["name"] in {port["name"] for port in services[backend["name"]]["spec"]["ports"]}
    settings = next(item["data"] for name, item in objects(rendered, "ConfigMap").items() if "lotse-config" in name)
    assert settings["LOTSE_EDITOR_BASE_PATH"] == "/editor"
    assert "/telegram/" in settings["LOTSE_TELEGRAM_WEBHOOK_URL"]


def test_retention_runs_cleanup_daily_and_never_twice_at_once(rendered: list[dict[str, Any]]) -> None:
    """The retention periods promised to users hold only if cleanup runs every day."""
    cronjob = objects(rendered, "CronJob")["retention"]
    assert cronjob["spec"]["concurrencyPolicy"] == "Forbid"
    minute, hour, *days = cronjob["spec"]["schedule"].split()
    assert minute.isdigit() and hour.isdigit() and days == ["*", "*", "*"]
    (container,) = pod_spec(cronjob)["containers"]
    assert modules_run_by(container["args"]) == ["tools.cli"] and container["args"][-1] == "cleanup"
    assert {variable["name"] for variable in container["env"]} >= {"LOTSE_DATABASE_URL", "LOTSE_TRACKER_DB_URL"}


def test_manifests_pass_the_kubernetes_schema(rendered: list[dict[str, Any]]) -> None:
    """Strict: an unknown or misspelt field fails, as `kubectl apply` would reject it on a real cluster."""
    try:
        import kubernetes_validate  # type: ignore[import-untyped]
    except ImportError:
        pytest.fail("kubernetes-validate is needed for the schema check (requirements/actions.lock): ./lotse test")
    problems = []
    for item in rendered:
        try:
            kubernetes_validate.validate(item, KUBERNETES_VERSION, strict=True)
        except kubernetes_validate.ValidationError as error:
            field = ".".join(str(part) for part in error.path)
            problems.append(f"{item['kind']} {item['metadata']['name']}, {field}: {error.message}")
    assert not problems, "\n".join(problems)
