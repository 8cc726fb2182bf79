"""A stand-in for hashicorp/google: it serves the real provider's schema and applies nothing.

Terraform validates configuration, and `terraform test` plans against `mock_provider "google"`,
using the schema a provider plugin reports over the plugin protocol. The real plugin cannot be
downloaded here, so this test double reports the schema that `extract_schema.py` rebuilt from
the cdktn-provider-google wheel. Every call that would touch Google Cloud fails loudly.

Run by Terraform through a `dev_overrides` entry (see `make_plugin_dir`); the schema file is
named by the STAND_IN_GOOGLE_SCHEMA environment variable or by `--schema`.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

from tf import provider as tf_provider
from tf import runner
from tf.gen import tfplugin_pb2 as pb

from .extract_schema import PROVIDER_ADDRESS

# Field 11 of tfplugin6 Schema.Attribute (protocol 6.8, Terraform 1.11) is `write_only`. The
# protobuf stubs in the `tf` package predate it, so the flag travels as a raw field that the
# stubs keep as an unknown field and serialize unchanged: tag (11 << 3 | varint) then true.
_WRITE_ONLY_FIELD = bytes([11 << 3 | 0, 1])
_NESTING = {
    "single": pb.Schema.NestedBlock.SINGLE,
    "list": pb.Schema.NestedBlock.LIST,
    "set": pb.Schema.NestedBlock.SET,
    "map": pb.Schema.NestedBlock.MAP,
}
_OBJECT_NESTING = {
    "single": pb.Schema.Object.SINGLE,
    "list": pb.Schema.Object.LIST,
    "set": pb.Schema.Object.SET,
    "map": pb.Schema.Object.MAP,
}


def _attribute(name: str, spec: dict) -> pb.Schema.Attribute:
    attribute = pb.Schema.Attribute(
        name=name,
        required=spec.get("required", False),
        optional=spec.get("optional", False),
        computed=spec.get("computed", False),
        sensitive=spec.get("sensitive", False),
    )
    if "nested_type" in spec:
        nested = spec["nested_type"]
        attribute.nested_type.CopyFrom(
            pb.Schema.Object(
                attributes=[_attribute(n, s) for n, s in sorted(nested["attributes"].items())],
                nesting=_OBJECT_NESTING[nested["nesting_mode"]],
            )
        )
    else:
        attribute.type = json.dumps(spec["type"], separators=(",", ":")).encode()
    if spec.get("write_only"):
        attribute = pb.Schema.Attribute.FromString(
            attribute.SerializeToString() + _WRITE_ONLY_FIELD
        )
    return attribute


def _block(spec: dict) -> pb.Schema.Block:
    return pb.Schema.Block(
        attributes=[_attribute(n, s) for n, s in sorted(spec.get("attributes", {}).items())],
        block_types=[
            pb.Schema.NestedBlock(
                type_name=name,
                block=_block(nested["block"]),
                nesting=_NESTING[nested["nesting_mode"]],
                min_items=nested.get("min_items", 0),
                max_items=nested.get("max_items", 0),
            )
            for name, nested in sorted(spec.get("block_types", {}).items())
        ],
    )


def _schema(spec: dict) -> pb.Schema:
    return pb.Schema(version=spec.get("version", 0), block=_block(spec["block"]))


def schema_response(document: dict) -> pb.GetProviderSchema.Response:
    """The GetProviderSchema answer for a `terraform providers schema -json` document."""
    schemas = document["provider_schemas"][PROVIDER_ADDRESS]
    return pb.GetProviderSchema.Response(
        provider=_schema(schemas["provider"]),
        provider_meta=pb.Schema(block=pb.Schema.Block()),
        resource_schemas={n: _schema(s) for n, s in schemas["resource_schemas"].items()},
        data_source_schemas={n: _schema(s) for n, s in schemas["data_source_schemas"].items()},
        server_capabilities=pb.ServerCapabilities(get_provider_schema_optional=True),
    )


def load_response(schema_path: Path) -> pb.GetProviderSchema.Response:
    """Load the schema answer, building and caching its protobuf form beside the JSON once."""
    cached = schema_path.with_suffix(".pb")
    if cached.exists() and cached.stat().st_mtime >= schema_path.stat().st_mtime:
        return pb.GetProviderSchema.Response.FromString(cached.read_bytes())
    response = schema_response(json.loads(schema_path.read_text()))
    tmp = cached.with_name(f"{cached.name}.{os.getpid()}.tmp")
    tmp.write_bytes(response.SerializeToString(deterministic=True))
    tmp.replace(cached)
    return response


def _refuse(what: str):
    def handler(self, request, context):
        import grpc

        context.abort(
            grpc.StatusCode.UNIMPLEMENTED,
            f"the stand-in google provider is a test double and cannot {what}; "
            'use mock_provider "google" in terraform test',
        )

    return handler


class StandInGoogleServicer(tf_provider.ProviderServicer):
    """Answers schema and validation calls; refuses everything that would reach Google Cloud."""

    schema_path: Path

    def __init__(self, app) -> None:
        super().__init__(app)
        self._response = load_response(self.schema_path)

    def GetMetadata(self, request, context):
        return pb.GetMetadata.Response(
            server_capabilities=pb.ServerCapabilities(get_provider_schema_optional=True),
            resources=[
                pb.GetMetadata.ResourceMetadata(type_name=n)
                for n in self._response.resource_schemas
            ],
            data_sources=[
                pb.GetMetadata.DataSourceMetadata(type_name=n)
                for n in self._response.data_source_schemas
            ],
        )

    def GetProviderSchema(self, request, context):
        return self._response

    # Terraform checks types, required arguments and unknown names against the schema itself;
    # the provider-side checks (enums, formats) are the real provider's and are not repeated.
    def ValidateProviderConfig(self, request, context):
        return pb.ValidateProviderConfig.Response()

    def ValidateResourceConfig(self, request, context):
        return pb.ValidateResourceConfig.Response()

    def ValidateDataResourceConfig(self, request, context):
        return pb.ValidateDataResourceConfig.Response()

    def ConfigureProvider(self, request, context):
        return pb.ConfigureProvider.Response()

    ReadResource = _refuse("read resources")
    PlanResourceChange = _refuse("plan resources")
    ApplyResourceChange = _refuse("apply resources")
    ImportResourceState = _refuse("import resources")
    ReadDataSource = _refuse("read data sources")
    UpgradeResourceState = _refuse("upgrade state")


class _App:
    """The minimum `tf.runner.run_provider` asks of a provider object."""

    def full_name(self) -> str:
        return PROVIDER_ADDRESS


def main(argv: list[str] | None = None) -> None:
    argv = list(sys.argv if argv is None else argv)
    schema = os.environ.get("STAND_IN_GOOGLE_SCHEMA")
    if "--schema" in argv:
        schema = argv[argv.index("--schema") + 1]
    if not schema:
        sys.exit("stand-in google provider: set STAND_IN_GOOGLE_SCHEMA or pass --schema")
    StandInGoogleServicer.schema_path = Path(schema)
    # run_provider builds its servicer from tf.provider.ProviderServicer at call time; pointing
    # that name at the stand-in reuses the package's go-plugin handshake, TLS and gRPC server.
    tf_provider.ProviderServicer = StandInGoogleServicer
    runner.run_provider(_App(), argv)


if __name__ == "__main__":
    main()
