"""Rebuild the google provider's Terraform schema from the cdktn-provider-google wheel.

The wheel is CDK Terrain's prebuilt binding for one release of hashicorp/google. It carries a
jsii assembly (`package/.jsii`: every resource, data source and nested block with its typed,
optional-or-not properties, and a link to the registry page whose anchor is the Terraform name)
and the generated JavaScript (`package/lib/*/index.js`), which adds what the assembly leaves
out: whether an attribute is computed, whether a value is a block or an attribute, and whether
a collection is a list or a set. Together they give the schema `terraform providers schema
-json` would print for that release, minus descriptions and sensitivity.

Output: JSON in the `terraform providers schema -json` format, written with sorted keys so the
same wheel always gives the same bytes.
"""

from __future__ import annotations

import argparse
import io
import json
import re
import sys
import tarfile
import zipfile
from pathlib import Path

PROVIDER_ADDRESS = "registry.terraform.io/hashicorp/google"
ASSEMBLY_PREFIX = "@cdktn/provider-google."

_META_COMMENT = re.compile(
    r"^\s*// (\w+) - computed: (true|false), optional: (true|false), required: (true|false)$",
    re.MULTILINE,
)
_CLASS = re.compile(r"^class (\w+) extends [\w.]+ \{$(.*?)^\}$", re.MULTILINE | re.DOTALL)
_HCL_FUNCTION = re.compile(
    r"^function (\w+)ToHclTerraform\(struct\) \{$(.*?)^\}$", re.MULTILINE | re.DOTALL
)
_HCL_METHOD = re.compile(
    r"^    synthesizeHclAttributes\(\) \{$(.*?)^    \}$", re.MULTILINE | re.DOTALL
)
_HCL_ENTRY = re.compile(
    r"^\s+(\w+): \{\s*value: .*?\n\s*isBlock: (true|false),\s*type: \"(\w+)\","
    r"\s*storageClassType: \"(\w+)\",",
    re.MULTILINE,
)
_WRAPS_SET = re.compile(r"new \w+List\(this, \"(\w+)\", (true|false)\)")
_TOLIST_GETTER = re.compile(r"return cdktn\.Fn\.tolist\(this\.get\w+Attribute\('(\w+)'\)\)")
_DOC_ANCHOR = re.compile(r"#(\w+) \w+#\w+\}")
_DOC_TYPE_NAME = re.compile(
    r"\{@link https://registry\.terraform\.io/\S+/docs/(resources|data-sources)/\w+ (\w+)\}"
)
_PROVIDER_VERSION = re.compile(r"hashicorp/google/(\d+\.\d+\.\d+)/docs")

_PRIMITIVES = {"string": "string", "number": "number", "boolean": "bool"}
_STORAGE_CLASS_TYPES = {
    "string": "string",
    "number": "number",
    "boolean": "bool",
    "stringList": ["list", "string"],
    "numberList": ["list", "number"],
    "booleanList": ["list", "bool"],
    "stringMap": ["map", "string"],
    "numberMap": ["map", "number"],
    "booleanMap": ["map", "bool"],
}
_COMPUTED_CLASS_TYPES = {
    "cdktn.IResolvable": "bool",
    "cdktn.StringMap": ["map", "string"],
    "cdktn.NumberMap": ["map", "number"],
    "cdktn.BooleanMap": ["map", "bool"],
    "cdktn.StringMapList": ["list", ["map", "string"]],
}


class JsFacts:
    """What the generated JavaScript says that the jsii assembly does not."""

    def __init__(self) -> None:
        self.meta: dict[str, dict[str, tuple[bool, bool, bool]]] = {}  # class -> name -> c,o,r
        self.sets: dict[str, set[str]] = {}  # class -> names wrapping a set
        self.hcl: dict[str, dict[str, tuple[bool, str, str]]] = {}  # struct -> name -> facts

    def read(self, source: str) -> None:
        for match in _CLASS.finditer(source):
            name, body = match.group(1), match.group(2)
            self.meta[name] = {
                m.group(1): (m.group(2) == "true", m.group(3) == "true", m.group(4) == "true")
                for m in _META_COMMENT.finditer(body)
            }
            sets = {m.group(1) for m in _WRAPS_SET.finditer(body) if m.group(2) == "true"}
            sets |= {m.group(1) for m in _TOLIST_GETTER.finditer(body)}
            self.sets[name] = sets
            method = _HCL_METHOD.search(body)
            if method:
                self.hcl[name] = _hcl_entries(method.group(1))
        for match in _HCL_FUNCTION.finditer(source):
            struct = match.group(1)[0].upper() + match.group(1)[1:]
            self.hcl[struct] = _hcl_entries(match.group(2))


def _hcl_entries(body: str) -> dict[str, tuple[bool, str, str]]:
    return {
        m.group(1): (m.group(2) == "true", m.group(3), m.group(4))
        for m in _HCL_ENTRY.finditer(body)
    }


class SchemaBuilder:
    """Turns the assembly's types plus the JavaScript facts into Terraform schema blocks."""

    def __init__(self, types: dict, js: JsFacts) -> None:
        self.types = types
        self.js = js
        self._index: dict[str, str] = {}
        for fqn in types:
            self._index.setdefault(self._short(fqn), fqn)
        # cdktn names nested structs by path and reuses a name where the provider's own nesting
        # repeats (one resource does), which reads as a cycle; the walk stops at the repeat.
        self._open: set[str] = set()

    @staticmethod
    def _short(fqn: str) -> str:
        return fqn.rsplit(".", 1)[1]

    def _is_struct(self, fqn: str) -> bool:
        t = self.types.get(fqn)
        return bool(t and t["kind"] == "interface" and t.get("datatype"))

    def _tf_name(self, prop: dict, reference_class: str) -> str:
        """The Terraform name: the registry link's anchor, else the JavaScript's own comment."""
        docs = prop.get("docs", {})
        anchor = _DOC_ANCHOR.search(docs.get("summary", "") + docs.get("remarks", ""))
        if anchor:
            return anchor.group(1)
        # Getters carry no docs; match the camelCase name to the snake_case names the class's
        # comments list, which keeps digits right (detect_md5hash, not detect_md5_hash).
        squashed = prop["name"].lower()
        for name in self.js.meta.get(reference_class, {}):
            if name.replace("_", "") == squashed:
                return name
        return re.sub(r"(?<!^)(?=[A-Z])", "_", prop["name"]).lower()

    def _struct_element(self, ty: dict) -> str | None:
        """The struct fqn when `ty` is a struct or an array of structs (block-shaped)."""
        if "fqn" in ty and self._is_struct(ty["fqn"]):
            return ty["fqn"]
        for option in ty.get("union", {}).get("types", []):
            coll = option.get("collection")
            element = (coll or {}).get("elementtype", {}).get("fqn", "")
            if coll and coll["kind"] == "array" and self._is_struct(element):
                return element
        return None

    def block(self, struct_fqn: str, reference_class: str) -> dict:
        """Schema block for a config struct whose getters live in `reference_class`."""
        if struct_fqn in self._open:
            return {"attributes": {}}
        self._open.add(struct_fqn)
        try:
            return self._block(struct_fqn, reference_class)
        finally:
            self._open.discard(struct_fqn)

    def _block(self, struct_fqn: str, reference_class: str) -> dict:
        struct = self.types[struct_fqn]
        short = self._short(struct_fqn)
        meta = self.js.meta.get(reference_class, {})
        sets = self.js.sets.get(reference_class, set())
        hcl = self.js.hcl.get(short) or self.js.hcl.get(reference_class, {})
        attributes: dict[str, dict] = {}
        block_types: dict[str, dict] = {}
        configurable: set[str] = set()
        for prop in struct.get("properties", []):
            name = self._tf_name(prop, reference_class)
            configurable.add(prop["name"])
            computed, _, _ = meta.get(name, (False, True, False))
            required = not prop.get("optional", False)
            is_block, kind, storage = hcl.get(name, (None, "simple", ""))
            element = self._struct_element(prop["type"])
            is_set = kind == "set" or name in sets
            if element and is_block is not False:
                nested = self.block(element, self._short(element) + "OutputReference")
                if name == "timeouts":
                    block_types[name] = {"nesting_mode": "single", "block": nested}
                    continue
                entry: dict = {"nesting_mode": "set" if is_set else "list", "block": nested}
                if "fqn" in prop["type"]:
                    entry["max_items"] = 1
                if required:
                    entry["min_items"] = 1
                block_types[name] = entry
                continue
            attribute: dict = {"required": True} if required else {"optional": True}
            if computed and not required:
                attribute["computed"] = True
            if element:
                nested = self.block(element, self._short(element) + "OutputReference")
                mode = "single" if "fqn" in prop["type"] else ("set" if is_set else "list")
                attribute["nested_type"] = {
                    "attributes": nested["attributes"],
                    "nesting_mode": mode,
                }
            else:
                attribute["type"] = self._attribute_type(prop["type"], storage, is_set)
            if name.endswith("_wo"):
                # The provider's write-only arguments all end in _wo (paired with _wo_version);
                # the assembly has no flag for it, so the name is the evidence.
                attribute["write_only"] = True
            attributes[name] = attribute
        for prop in self.types.get(self._fqn_of(reference_class), {}).get("properties", []):
            if prop["name"] in configurable or prop.get("static") or not prop.get("immutable"):
                continue
            if prop["name"].endswith("Input") or prop["name"] in ("internalValue", "fqn"):
                continue
            name = self._tf_name(prop, reference_class)
            if name in attributes or name in block_types:
                continue
            attributes[name] = {
                "computed": True,
                "type": self._computed_type(prop["type"], name in sets),
            }
        result: dict = {"attributes": attributes}
        if block_types:
            result["block_types"] = block_types
        return result

    def _fqn_of(self, short: str) -> str:
        return self._index.get(short, "")

    def _attribute_type(self, ty: dict, storage: str, is_set: bool):
        if storage in _STORAGE_CLASS_TYPES:
            result = _STORAGE_CLASS_TYPES[storage]
        else:
            result = self._jsii_type(ty)
        if is_set and isinstance(result, list) and result[0] == "list":
            result = ["set", result[1]]
        return result

    def _jsii_type(self, ty: dict):
        if "primitive" in ty:
            if ty["primitive"] == "any":
                return "dynamic"
            return _PRIMITIVES[ty["primitive"]]
        if "collection" in ty:
            coll = ty["collection"]
            element = self._jsii_type(coll["elementtype"])
            return ["list" if coll["kind"] == "array" else "map", element]
        if "union" in ty:
            options = [o for o in ty["union"]["types"] if o.get("fqn") != "cdktn.IResolvable"]
            if len(options) == 1:
                return self._jsii_type(options[0])
        if ty.get("fqn") in _COMPUTED_CLASS_TYPES:
            return _COMPUTED_CLASS_TYPES[ty["fqn"]]
        raise ValueError(f"no Terraform type for jsii type {ty}")

    def _computed_type(self, ty: dict, is_set: bool):
        fqn = ty.get("fqn", "")
        if fqn.startswith(ASSEMBLY_PREFIX):
            short = self._short(fqn)
            if short.endswith("List"):
                element = short[: -len("List")] + "OutputReference"
                collection = "set" if is_set else "list"
            else:
                element, collection = short, "list"
            fields = {
                name: attr["type"]
                for name, attr in self.block_for_class(element)["attributes"].items()
            }
            return [collection, ["object", fields]]
        result = self._jsii_type(ty)
        if is_set and isinstance(result, list) and result[0] == "list":
            result = ["set", result[1]]
        return result

    def block_for_class(self, reference_class: str) -> dict:
        """A computed-only nested object: every getter of its reference class is an attribute."""
        struct = reference_class.removesuffix("OutputReference")
        struct_fqn = self._fqn_of(struct)
        if struct_fqn and self._is_struct(struct_fqn):
            return self.block(struct_fqn, reference_class)
        return self.block_from_getters(reference_class)

    def block_from_getters(self, reference_class: str) -> dict:
        sets = self.js.sets.get(reference_class, set())
        attributes = {}
        for prop in self.types[self._fqn_of(reference_class)].get("properties", []):
            if prop["name"].endswith("Input") or prop["name"] in ("internalValue", "fqn"):
                continue
            name = self._tf_name(prop, reference_class)
            attributes[name] = {
                "computed": True,
                "type": self._computed_type(prop["type"], name in sets),
            }
        return {"attributes": attributes}


def _load(wheel: Path) -> tuple[dict, JsFacts]:
    with zipfile.ZipFile(wheel) as zf:
        tgz_name = next(n for n in zf.namelist() if n.endswith(".jsii.tgz"))
        tgz = zf.read(tgz_name)
    assembly = None
    js = JsFacts()
    with tarfile.open(fileobj=io.BytesIO(tgz), mode="r:gz") as tar:
        for member in tar:
            if member.name == "package/.jsii":
                assembly = json.load(tar.extractfile(member))
            elif member.name.startswith("package/lib/") and member.name.endswith("/index.js"):
                js.read(tar.extractfile(member).read().decode())
    if assembly is None:
        raise SystemExit(f"{wheel}: no jsii assembly inside")
    return assembly, js


def extract(wheel: Path) -> dict:
    """Return the provider schema document for the google release the wheel was built from."""
    assembly, js = _load(wheel)
    types = assembly["types"]
    builder = SchemaBuilder(types, js)
    resources: dict[str, dict] = {}
    data_sources: dict[str, dict] = {}
    provider: dict | None = None
    version = None
    for fqn, t in sorted(types.items()):
        base = t.get("base")
        if t["kind"] != "class" or base not in (
            "cdktn.TerraformResource",
            "cdktn.TerraformDataSource",
            "cdktn.TerraformProvider",
        ):
            continue
        config = next(p for p in t["initializer"]["parameters"] if p["name"] == "config")
        block = builder.block(config["type"]["fqn"], builder._short(fqn))
        if base == "cdktn.TerraformProvider":
            # `alias` is a Terraform meta-argument that cdktn folds into the provider config.
            block["attributes"].pop("alias", None)
            provider = {"version": 0, "block": block}
            continue
        summary = t["docs"]["summary"]
        found = _DOC_TYPE_NAME.search(summary)
        if not found:
            raise SystemExit(f"{fqn}: no Terraform type name in {summary!r}")
        version = version or _PROVIDER_VERSION.search(summary).group(1)
        target = resources if found.group(1) == "resources" else data_sources
        target[found.group(2)] = {"version": 0, "block": block}
    if provider is None:
        raise SystemExit("no provider class in the assembly")
    return {
        "format_version": "1.0",
        "provider_version": version,
        "provider_schemas": {
            PROVIDER_ADDRESS: {
                "provider": provider,
                "resource_schemas": resources,
                "data_source_schemas": data_sources,
            }
        },
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("wheel", type=Path, help="cdktn_provider_google-*.whl")
    parser.add_argument("output", type=Path, help="where to write the schema JSON")
    args = parser.parse_args(argv)
    document = extract(args.wheel)
    tmp = args.output.with_suffix(".tmp")
    tmp.write_text(json.dumps(document, sort_keys=True, separators=(",", ":")))
    tmp.replace(args.output)
    schemas = document["provider_schemas"][PROVIDER_ADDRESS]
    print(
        f"google {document['provider_version']}: {len(schemas['resource_schemas'])} resources, "
        f"{len(schemas['data_source_schemas'])} data sources -> {args.output}",
        file=sys.stderr,
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
