"""An operator's policy file (upstream rule syntax) overrides the defaults."""

from pathlib import Path

from tests.conftest import make_cloud


def test_operator_policy_file_overrides_default(tmp_path: Path) -> None:
    policy = tmp_path / "policy.yaml"
    # let any project member list projects (upstream: admin or readers with scope)
    policy.write_text('"identity:list_projects": "role:member"\n')
    gen = make_cloud(tmp_path / "data", policy_file=str(policy))
    cloud = next(gen)
    try:
        p = cloud.make_project()
        _, member = cloud.persona("member", project_id=p["id"])
        _, reader = cloud.persona("reader", project_id=p["id"])
        assert cloud.req("GET", "/projects", member).status_code == 200
        assert cloud.req("GET", "/projects", reader).status_code == 403
        # rules the file does not mention keep their defaults
        assert cloud.req("POST", "/projects", member, json={"project": {"name": "x"}}).status_code == 403
    finally:
        gen.close()
