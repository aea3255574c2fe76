"""The manifest's `Ref` / `Fn::GetAtt` / `Fn::Sub`, resolved to CDK tokens of the deployed resources."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

import aws_cdk as cdk

from octag.manifest import ManifestError, resolve

PSEUDO_PARAMETERS: Mapping[str, str] = {
    "AWS::AccountId": cdk.Aws.ACCOUNT_ID,
    "AWS::Partition": cdk.Aws.PARTITION,
    "AWS::Region": cdk.Aws.REGION,
    "AWS::StackName": cdk.Aws.STACK_NAME,
    "AWS::URLSuffix": cdk.Aws.URL_SUFFIX,
}


class _Refs(Mapping[str, str]):
    """`Ref` of each resource, noting which were asked for."""

    def __init__(self, resources: Mapping[str, cdk.CfnResource], used: set[str]) -> None:
        self._resources = resources
        self._used = used

    def __getitem__(self, logical_id: str) -> str:
        resource = self._resources[logical_id]
        self._used.add(logical_id)
        return resource.ref

    def __iter__(self) -> Iterator[str]:
        return iter(self._resources)

    def __len__(self) -> int:
        return len(self._resources)


class _Attributes(Mapping[tuple[str, str], str]):
    """`Fn::GetAtt` of each resource, noting which were asked for."""

    def __init__(self, resources: Mapping[str, cdk.CfnResource], used: set[str]) -> None:
        self._resources = resources
        self._used = used

    def __getitem__(self, key: tuple[str, str]) -> str:
        logical_id, attribute = key
        resource = self._resources[logical_id]
        self._used.add(logical_id)
        return cdk.Token.as_string(resource.get_att(attribute))

    def __contains__(self, key: object) -> bool:
        return isinstance(key, tuple) and key[0] in self._resources

    def __iter__(self) -> Iterator[tuple[str, str]]:
        raise TypeError("attributes are looked up, not listed")

    def __len__(self) -> int:
        return len(self._resources)


class References:
    """Resolves manifest values against the CloudFormation resources declared for its logical ids.

    The resources keep the manifest's types, so `Ref` and `GetAtt` mean what they mean in the template.
    """

    def __init__(self, resources: Mapping[str, cdk.CfnResource]) -> None:
        self.resources = resources

    def resolve(self, value: Any) -> tuple[Any, set[str]]:
        """The value with its intrinsics replaced by tokens, and the logical ids it referenced."""
        used: set[str] = set()
        return resolve(
            value, _Refs(self.resources, used), _Attributes(self.resources, used), PSEUDO_PARAMETERS
        ), used

    def resolve_string(self, value: Any) -> tuple[str, set[str]]:
        resolved, used = self.resolve(value)
        if isinstance(resolved, dict | list):
            raise ManifestError(f"cannot resolve {value!r} to a string")
        return str(resolved), used
