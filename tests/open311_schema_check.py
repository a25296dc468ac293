#!/usr/bin/env python3
"""Checks a JSON document against one of the Open311 GeoReport v2 JSON Schemas.

usage: open311_schema_check.py SCHEMA_DIR SCHEMA_FILE DOCUMENT_FILE
Exit 0 when valid; 1 with the first error otherwise. Works with Debian 12's python3-jsonschema
(4.10, RefResolver) and newer ones (referencing)."""
import json
import sys

import jsonschema


def main():
    schema_dir, schema_name, document_file = sys.argv[1:4]
    with open(f"{schema_dir}/{schema_name}") as f:
        schema = json.load(f)
    with open(document_file) as f:
        document = json.load(f)
    store = {}
    for name in ("request.json", "requests.json", "service.json", "services.json", "service-definition.json"):
        with open(f"{schema_dir}/{name}") as f:
            store[name] = json.load(f)
    try:
        from referencing import Registry, Resource
        from referencing.jsonschema import DRAFT4
        registry = Registry().with_resources(
            [(name, Resource.from_contents(s, default_specification=DRAFT4)) for name, s in store.items()])
        validator = jsonschema.Draft4Validator(schema, registry=registry, format_checker=jsonschema.FormatChecker())
    except ImportError:
        resolver = jsonschema.RefResolver(base_uri="", referrer=schema, store=store)
        validator = jsonschema.Draft4Validator(schema, resolver=resolver, format_checker=jsonschema.FormatChecker())
    errors = sorted(validator.iter_errors(document), key=lambda e: list(e.path))
    if errors:
        e = errors[0]
        print(f"{schema_name}: {'/'.join(map(str, e.path))}: {e.message}")
        return 1
    print(f"{schema_name}: valid")
    return 0


if __name__ == "__main__":
    sys.exit(main())
