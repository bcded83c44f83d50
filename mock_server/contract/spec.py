"""The contract: find spec/openapi.yaml, load it once, and answer questions about it."""

from __future__ import annotations

import hashlib
import os
import re
from dataclasses import dataclass
from functools import cached_property
from importlib import resources
from pathlib import Path
from typing import Any

import orjson

__all__ = ["Contract", "default_spec_path"]

_REPO_SPEC = Path(__file__).resolve().parents[2] / "spec" / "openapi.yaml"


def default_spec_path() -> Path:
    """The spec beside the package in a checkout, or the copy bundled in an installed wheel."""
    if _REPO_SPEC.is_file():
        return _REPO_SPEC
    bundled = resources.files("mock_server") / "_spec" / "openapi.yaml"
    with resources.as_file(bundled) as path:
        if path.is_file():
            return path
    raise FileNotFoundError(
        f"spec/openapi.yaml: expected it at {_REPO_SPEC} (a checkout) or bundled in the "
        "mock_server package (an installed wheel); found neither. Reinstall creatify-mock "
        "or pass --spec PATH."
    )


def _cache_file(raw: bytes) -> Path | None:
    """Where the parse of `raw` is kept, or None with no home to keep it in."""
    try:
        base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    except RuntimeError:  # no HOME and no passwd entry: an arbitrary-uid container
        return None
    return Path(base) / "creatify-mock" / f"spec-{hashlib.sha256(raw).hexdigest()[:32]}.json"


def _parse(raw: bytes) -> dict[str, Any]:
    """The YAML document, parsed once per content: importing and running PyYAML is a tenth
    of the mock's start, so each spec's parse is kept as JSON in the user's cache, under its
    digest. A document JSON cannot hold exactly (a date, an integer key) is not kept."""
    cached = _cache_file(raw)
    if cached is not None:
        try:
            kept = orjson.loads(cached.read_bytes())
            if isinstance(kept, dict):
                return kept
        except (OSError, orjson.JSONDecodeError):
            pass
    import yaml

    # libyaml's loader when PyYAML has it: five times faster at start.
    document = yaml.load(raw.decode("utf-8"), Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))
    if cached is not None and isinstance(document, dict):
        _cache(cached, document)
    return document  # type: ignore[no-any-return]


def _cache(cached: Path, document: dict[str, Any]) -> None:
    try:
        encoded = orjson.dumps(document)
        if orjson.loads(encoded) != document:
            return  # JSON would change it (a date, a NaN): parse it each time instead
        cached.parent.mkdir(parents=True, exist_ok=True)
        partial = cached.with_suffix(f".{os.getpid()}.tmp")
        partial.write_bytes(encoded)
        partial.replace(cached)  # whole or absent, even with mocks starting side by side
    except (OSError, TypeError):  # a read-only home; an integer key (JSONEncodeError)
        pass


def _named_groups(escaped_template: str) -> str:
    """Each escaped `{name}` of a path template as a `(?P<name>[^/]+)` group."""
    return re.sub(r"\\\{(\w+)\\\}", r"(?P<\1>[^/]+)", escaped_template)


@dataclass(frozen=True)
class Contract:
    """The parsed spec plus an openapi-core validator built from it."""

    path: Path
    document: dict[str, Any]

    @classmethod
    def load(cls, path: str | Path | None = None) -> Contract:
        spec_path = Path(path) if path is not None else default_spec_path()
        return cls(path=spec_path, document=_parse(spec_path.read_bytes()))

    @cached_property
    def openapi(self) -> Any:
        """openapi-core's view of the spec, built on first use (it costs about a second)."""
        from openapi_core import OpenAPI

        return OpenAPI.from_dict(self.document, base_uri=self.path.resolve().as_uri())

    @property
    def server_url(self) -> str:
        """The production server: the mock validates requests as if sent there."""
        return str(self.document["servers"][0]["url"]).rstrip("/")

    @cached_property
    def operations(self) -> dict[str, tuple[str, str]]:
        """operationId -> (method, path template)."""
        found: dict[str, tuple[str, str]] = {}
        for template, item in self.document["paths"].items():
            for method, operation in item.items():
                if isinstance(operation, dict) and "operationId" in operation:
                    found[operation["operationId"]] = (method.upper(), template)
        return found

    @cached_property
    def _path_patterns(self) -> list[tuple[re.Pattern[str], dict[str, str]]]:
        """(pattern, {method: operationId}) per path, literal paths first as DRF tries them;
        each `{name}` of a template is a named group."""
        by_path: dict[str, dict[str, str]] = {}
        for operation_id, (method, template) in self.operations.items():
            by_path.setdefault(template, {})[method] = operation_id
        ordered = sorted(by_path, key=lambda t: "{" in t)
        # \Z, not $: "$" also matches before a final newline ("/gen_image/%0A").
        return [(re.compile(_named_groups(re.escape(t)) + r"\Z"), by_path[t]) for t in ordered]

    def route(self, path: str) -> tuple[dict[str, str], dict[str, str]] | None:
        """({method: operationId}, path parameters) of the first documented path that
        `path` matches, or None."""
        for pattern, methods in self._path_patterns:
            match = pattern.match(path)
            if match:
                return methods, match.groupdict()
        return None

    def methods_for(self, path: str) -> list[str]:
        """The methods the spec documents on the path a request went to ([] if none)."""
        found = self.route(path)
        return list(found[0]) if found else []

    def operation_for(self, method: str, path: str) -> str | None:
        """The operationId a request goes to, if the spec has one."""
        found = self.route(path)
        return found[0].get(method.upper()) if found else None

    def schema(self, name: str) -> dict[str, Any]:
        found: dict[str, Any] = self.document["components"]["schemas"][name]
        return found

    def resolve(self, node: dict[str, Any]) -> dict[str, Any]:
        """Follow a local `$ref` (one level is all the spec uses for bodies)."""
        ref = node.get("$ref")
        if not ref:
            return node
        target: Any = self.document
        for part in ref.removeprefix("#/").split("/"):
            target = target[part]
        resolved: dict[str, Any] = target
        return resolved

    def request_schema(self, operation_id: str) -> dict[str, Any] | None:
        method, template = self.operations[operation_id]
        operation = self.document["paths"][template][method.lower()]
        body = operation.get("requestBody")
        if body is None:
            return None
        return self.resolve(body["content"]["application/json"]["schema"])

    def request_schema_name(self, operation_id: str) -> str | None:
        """The component name of the operation's request body schema."""
        method, template = self.operations[operation_id]
        body = self.document["paths"][template][method.lower()].get("requestBody")
        if body is None:
            return None
        ref = str(body["content"]["application/json"]["schema"].get("$ref", ""))
        return ref.rsplit("/", 1)[-1] or None

    def request_defaults(self, operation_id: str) -> dict[str, Any]:
        """The `default` of each request-body property, as the spec states it (a copy)."""
        return dict(self._defaults[operation_id])

    @cached_property
    def _defaults(self) -> dict[str, dict[str, Any]]:
        found = {}
        for operation_id in self.operations:
            schema = self.request_schema(operation_id) or {}
            found[operation_id] = {
                name: prop["default"]
                for name, prop in schema.get("properties", {}).items()
                if "default" in prop
            }
        return found

    def required_fields(self, operation_id: str) -> list[str]:
        schema = self.request_schema(operation_id) or {}
        return list(schema.get("required", []))
