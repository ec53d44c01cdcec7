"""Glance's default policy rules (upstream's current defaults), by rule name.

The check strings are upstream Glance's non-deprecated defaults from
``glance/policies/{base,image,discovery,tasks,cache}.py``, each written out as one
final string (no deprecated fallbacks: ``enforce_new_defaults = True``).

Targets, as upstream builds them (``glance.api.policy.ImageTarget``):
``project_id`` is the image's owner, ``member_id`` the caller's project when the
caller's project is a member of the image (else absent), ``visibility`` the
image's visibility and ``owner`` (for ``add_image``) the owner the new image
will have.  Every rule is checked only after the image was found *visible* to
the caller (a caller who cannot see an image gets 404, never 403).
"""

from __future__ import annotations

from oslo_policy import policy

ADMIN = "rule:context_is_admin"
PROJECT_MEMBER = "role:member and project_id:%(project_id)s"
PROJECT_READER = "role:reader and project_id:%(project_id)s"
IMAGE_MEMBER_CHECK = "project_id:%(member_id)s"
_VISIBLE = (
    "project_id:%(project_id)s or project_id:%(member_id)s or "
    "'community':%(visibility)s or 'public':%(visibility)s or 'shared':%(visibility)s"
)
ADMIN_OR_PROJECT_MEMBER = f"{ADMIN} or ({PROJECT_MEMBER})"
ADMIN_OR_PROJECT_READER = f"{ADMIN} or ({PROJECT_READER})"
ADMIN_OR_PROJECT_READER_GET_IMAGE = f"{ADMIN} or (role:reader and ({_VISIBLE}))"
ADMIN_OR_PROJECT_MEMBER_DOWNLOAD_IMAGE = f"{ADMIN} or (role:member and ({_VISIBLE}))"
ADMIN_OR_PROJECT_MEMBER_CREATE_IMAGE = f"{ADMIN} or ({PROJECT_MEMBER} and project_id:%(owner)s)"
ADMIN_OR_PROJECT_READER_OR_SHARED_MEMBER = (
    f"{ADMIN} or (role:reader and (project_id:%(project_id)s or {IMAGE_MEMBER_CHECK}))"
)
ADMIN_OR_SHARED_MEMBER = f"{ADMIN} or (role:member and {IMAGE_MEMBER_CHECK})"

BASE_RULES: dict[str, str] = {
    "default": "",
    "context_is_admin": "role:admin",
    "service_api": "role:service",
}

RULES: dict[str, str] = {
    # images
    "add_image": ADMIN_OR_PROJECT_MEMBER_CREATE_IMAGE,
    "delete_image": ADMIN_OR_PROJECT_MEMBER,
    "get_image": ADMIN_OR_PROJECT_READER_GET_IMAGE,
    "get_images": ADMIN_OR_PROJECT_READER,
    "modify_image": ADMIN_OR_PROJECT_MEMBER,
    "publicize_image": ADMIN,
    "communitize_image": ADMIN_OR_PROJECT_MEMBER,
    "download_image": ADMIN_OR_PROJECT_MEMBER_DOWNLOAD_IMAGE,
    "upload_image": ADMIN_OR_PROJECT_MEMBER,
    "delete_image_location": ADMIN_OR_PROJECT_MEMBER,
    "get_image_location": ADMIN_OR_PROJECT_READER,
    "set_image_location": ADMIN_OR_PROJECT_MEMBER,
    "deactivate": ADMIN_OR_PROJECT_MEMBER,
    "reactivate": ADMIN_OR_PROJECT_MEMBER,
    "copy_image": ADMIN,
    # members
    "add_member": ADMIN_OR_PROJECT_MEMBER,
    "delete_member": ADMIN_OR_PROJECT_MEMBER,
    "get_member": ADMIN_OR_PROJECT_READER_OR_SHARED_MEMBER,
    "get_members": ADMIN_OR_PROJECT_READER_OR_SHARED_MEMBER,
    "modify_member": ADMIN_OR_SHARED_MEMBER,
    # discovery
    "stores_info_detail": ADMIN,
    # tasks and cache (routes not served; the rules exist so policy files validate)
    "get_task": "rule:default",
    "get_tasks": "rule:default",
    "add_task": "rule:default",
    "modify_task": "rule:default",
    "tasks_api_access": ADMIN,
    "manage_image_cache": ADMIN,
    "cache_image": ADMIN,
    "cache_list": ADMIN,
    "cache_delete": ADMIN,
}


def defaults() -> list[policy.RuleDefault]:
    out = [policy.RuleDefault(name, check) for name, check in BASE_RULES.items()]
    out += [policy.RuleDefault(name, check, scope_types=["project"]) for name, check in RULES.items()]
    return out
