"""deploy/compose.yaml, checked statically (Docker cannot run on the CI machine, so the file itself is UNTESTED in
a container): the services the deployment needs, each command one the code accepts, nginx given the shipped
configuration, the same ports as the systemd units and the nginx upstreams."""

from __future__ import annotations

from pathlib import Path

import yaml

from cli import build_parser

DEPLOY = Path(__file__).resolve().parents[2] / "deploy"


def test_compose_runs_every_service_with_real_commands() -> None:
    compose = yaml.safe_load((DEPLOY / "compose.yaml").read_text())
    services = compose["services"]
    assert set(services) == {"postgis", "init", "api", "dashboard-1", "dashboard-2", "poller", "publisher", "nginx"}
    assert (DEPLOY / services["api"]["build"]["dockerfile"].removeprefix("deploy/")).is_file()
    for name in ("init", "api", "poller"):
        command = services[name]["command"]
        assert command[:3] == ["python", "-m", "cli"]
        build_parser().parse_args(command[3:])  # SystemExit if the CLI no longer accepts it
    assert services["api"]["command"][-1] == "8502"
    nginx_conf = (DEPLOY / "nginx" / "envmon.conf").read_text()
    ports = [services[f"dashboard-{n}"]["command"][services[f"dashboard-{n}"]["command"].index("--server.port") + 1]
             for n in (1, 2)]  # fmt: skip
    assert all(f"server 127.0.0.1:{port};" in nginx_conf for port in ports) and "127.0.0.1:8502" in nginx_conf
    assert services["publisher"]["command"][:3] == ["python", "-m", "publish"]
    for mount in services["nginx"]["volumes"][:2]:
        assert (DEPLOY / mount.split(":")[0]).is_file()
    assert all(services[name]["network_mode"] == "host" for name in services)  # so envmon.conf works unchanged
    assert services["api"]["depends_on"]["init"]["condition"] == "service_completed_successfully"
    assert "postgis" in services["init"]["depends_on"] and "init" not in services["init"]["depends_on"]
