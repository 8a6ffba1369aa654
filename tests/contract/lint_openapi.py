"""Checks openapi.yaml as a client generator and a reader need it, beyond what the OpenAPI schema itself says.

Usage: lint_openapi.py [openapi.yaml]

First the document is validated with openapi-spec-validator (OpenAPI 3.1); then these rules hold, each failure
printed with where it is:
  - every operation has an operationId (unique), a summary, a description, tags declared at the top, and a declared
    `security` naming only schemes that exist (an empty list for the open routes);
  - every request body and every success answer with content has an example, and every example, errors' too,
    is valid against its schema (JSON Schema 2020-12, formats asserted);
  - errors on /v2 are RFC 9457 problem details (application/problem+json, schema Problem), elsewhere `Error`;
  - one spelling per concept: no v2 schema names an agent `name` or a capability `type`/`version`, every member
    or parameter that ends in `_id` is a `Uuid`, and every deprecated parameter names its replacement.
Exit status 1 when any rule fails.
"""
import copy
import sys

import yaml
from jsonschema import Draft202012Validator, FormatChecker
from openapi_spec_validator import validate
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

path = sys.argv[1] if len(sys.argv) > 1 else "openapi.yaml"
spec = yaml.safe_load(open(path))
validate(spec)

ROOT = "urn:openapi"
registry = Registry().with_resource(ROOT, Resource.from_contents(spec, default_specification=DRAFT202012))
failures = []
METHODS = {"get", "put", "post", "delete", "patch", "head", "options"}


def absolute(schema):
    """The schema with its document-relative $refs made to point into the registered document."""
    schema = copy.deepcopy(schema)

    def walk(node):
        if isinstance(node, dict):
            if isinstance(node.get("$ref"), str) and node["$ref"].startswith("#"):
                node["$ref"] = ROOT + node["$ref"]
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(schema)
    return schema


def deref(node):
    if isinstance(node, dict) and "$ref" in node and node["$ref"].startswith("#/"):
        target = spec
        for part in node["$ref"][2:].split("/"):
            target = target[part]
        return deref(target)
    return node


def check_example(where, media):
    if "example" not in media:
        return False
    if "schema" in media:
        validator = Draft202012Validator(absolute(media["schema"]), registry=registry, format_checker=FormatChecker())
        for error in sorted(validator.iter_errors(media["example"]), key=str)[:3]:
            failures.append("%s: the example breaks its schema at %s: %s" % (where, "/".join(map(str, error.absolute_path)) or "(root)", error.message))
    return True


declared_tags = {tag["name"] for tag in spec.get("tags", [])}
schemes = set(spec.get("components", {}).get("securitySchemes", {}))
operation_ids = {}
for route, item in spec["paths"].items():
    version_two = route.startswith("/v2")
    for method, operation in item.items():
        if method not in METHODS:
            continue
        where = "%s %s" % (method.upper(), route)
        operation_id = operation.get("operationId")
        if not operation_id:
            failures.append(where + ": no operationId")
        elif operation_id in operation_ids:
            failures.append("%s: operationId %s is also %s's" % (where, operation_id, operation_ids[operation_id]))
        else:
            operation_ids[operation_id] = where
        for member in ("summary", "description"):
            if not str(operation.get(member, "")).strip():
                failures.append("%s: no %s" % (where, member))
        if not operation.get("tags"):
            failures.append(where + ": no tags")
        for tag in operation.get("tags", []):
            if tag not in declared_tags:
                failures.append("%s: tag %r is not declared at the top" % (where, tag))
        if "security" not in operation:
            failures.append(where + ": no security declared")
        for requirement in operation.get("security", []):
            for scheme in requirement:
                if scheme not in schemes:
                    failures.append("%s: security names %r, which is not a scheme" % (where, scheme))
        body = deref(operation.get("requestBody", {}))
        for media_type, media in body.get("content", {}).items():
            if not check_example("%s request %s" % (where, media_type), media):
                failures.append("%s: the %s request has no example" % (where, media_type))
        for parameter in item.get("parameters", []) + operation.get("parameters", []):
            parameter = deref(parameter)
            if parameter["name"].endswith("_id") and parameter["in"] != "path" and parameter["schema"].get("$ref") != "#/components/schemas/Uuid":
                failures.append("%s: parameter %s is not a Uuid" % (where, parameter["name"]))
            if parameter.get("deprecated") and "'s earlier name" not in parameter.get("description", ""):
                failures.append("%s: deprecated parameter %s does not name what replaces it" % (where, parameter["name"]))
        for status, answer in operation.get("responses", {}).items():
            answer = deref(answer)
            for media_type, media in answer.get("content", {}).items():
                described = "%s answer %s %s" % (where, status, media_type)
                has_example = check_example(described, media)
                if status.startswith("2") and not has_example:
                    failures.append("%s: no example" % described)
                if status[0] in "45":
                    expected = ("application/problem+json", "#/components/schemas/Problem") if version_two else ("application/json", "#/components/schemas/Error")
                    if (media_type, media.get("schema", {}).get("$ref")) != expected:
                        failures.append("%s: an error here is %s with %s" % (described, *expected))


def walk_schema(name, node, trail):
    """Members spelled otherwise than the concept's one spelling."""
    if isinstance(node, dict):
        properties = node.get("properties", {})
        if isinstance(properties, dict):
            if "agent_id" in properties and "name" in properties:
                failures.append("schema %s%s: an agent's name is agent_name" % (name, trail))
            if {"type", "version"} <= set(properties) and not name.endswith("Check") and not name.endswith("Result"):
                failures.append("schema %s%s: a capability is task_type and task_version" % (name, trail))
            for member, value in properties.items():
                if member.endswith("_id") and isinstance(value, dict) and value.get("$ref") != "#/components/schemas/Uuid":
                    failures.append("schema %s%s: member %s is not a Uuid" % (name, trail, member))
        for key, value in node.items():
            walk_schema(name, value, trail + "/" + str(key))
    elif isinstance(node, list):
        for index, value in enumerate(node):
            walk_schema(name, value, trail + "/" + str(index))


for name, schema in spec["components"]["schemas"].items():
    if name in ("HTTPCheck", "HTTPCheckResult", "TCPCheck", "TCPCheckResult", "TLSCheck", "TLSCheckResult",
                "DNSCheck", "DNSCheckResult", "ICMPCheck", "ICMPCheckResult"):
        continue  # the checks' own data, as afm-agent registers it
    walk_schema(name, schema, "")

for failure in failures:
    print(failure)
print("%s: %d operations, %d rule failures" % (path, len(operation_ids), len(failures)))
sys.exit(1 if failures else 0)
