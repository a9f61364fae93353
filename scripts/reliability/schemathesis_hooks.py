"""schemathesis hooks (SCHEMATHESIS_HOOKS=schemathesis_hooks): give path parameters the ids of
objects that exist (from PRASANG_REAL_IDS, a JSON object the runner fills after seeding), half of
the time, so the checks reach the handlers' real work and not only their 404s."""

import json
import os

import schemathesis
from hypothesis import strategies as st

REAL_IDS = json.loads(os.environ.get("PRASANG_REAL_IDS", "{}"))


def _kind_of(path, name):
    """Which kind of object the path parameter `name` of `path` names."""
    if name == "user":
        return "users"
    if name == "report":
        return "reports"
    for prefix in ("events", "tickets", "users"):
        if path.startswith(f"/api/v1/{prefix}/"):
            return prefix
    return None


@schemathesis.hook
def flatmap_path_parameters(context, parameters):
    path = context.operation.path if context.operation else ""
    choices = {}
    for name in parameters or {}:
        ids = REAL_IDS.get(_kind_of(path, name) or "", [])
        if ids:
            choices[name] = st.sampled_from(ids)
    if not choices:
        return st.just(parameters)
    real = st.fixed_dictionaries(choices).map(lambda picked: {**parameters, **picked})
    return st.one_of(st.just(parameters), real)


@schemathesis.hook
def map_body(context, body):
    # A password change ends every session of the user, the run's own token included: the rest
    # of the authenticated run would only see 401s. The generated profile updates keep the rest.
    operation = context.operation
    if (
        operation is not None
        and operation.method.upper() == "PATCH"
        and operation.path == "/api/v1/me"
        and isinstance(body, dict)
    ):
        body = {key: value for key, value in body.items() if key != "password"}
    return body
