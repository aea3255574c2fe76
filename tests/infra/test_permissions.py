"""A function may use what its environment gives it the address of, and nothing more."""

from __future__ import annotations

from typing import Any

import pytest

from infra_cdk.lambdas import FUNCTION_TAG

pytestmark = pytest.mark.slow


def _allowed_actions(template: dict[str, Any]) -> dict[str, set[str]]:
    """Actions in each tagged function's role policies, by function name."""
    resources = template["Resources"]
    role_of = {
        fn["Properties"]["Role"]["Fn::GetAtt"][0]: tag["Value"]
        for fn in resources.values()
        if fn["Type"] == "AWS::Lambda::Function"
        for tag in fn["Properties"].get("Tags", ())
        if tag["Key"] == FUNCTION_TAG
    }
    actions: dict[str, set[str]] = {name: set() for name in role_of.values()}
    for policy in (r for r in resources.values() if r["Type"] == "AWS::IAM::Policy"):
        for role in policy["Properties"]["Roles"]:
            for statement in policy["Properties"]["PolicyDocument"]["Statement"]:
                listed = statement["Action"]
                actions[role_of[role["Ref"]]].update([listed] if isinstance(listed, str) else listed)
    return actions


def test_functions_get_the_access_their_environment_implies(templates: dict[str, dict[str, Any]]) -> None:
    actions = _allowed_actions(templates["OctagApi"])

    assert all("sqs:SendMessage" in allowed for allowed in actions.values())  # every function emits events
    assert {"dynamodb:PutItem", "execute-api:ManageConnections"} <= actions["chat"]
    assert "sqs:ReceiveMessage" in actions["events"]
    assert not {"dynamodb:PutItem", "execute-api:ManageConnections", "sqs:ReceiveMessage"} & actions["health"]
    for name in ("chat", "chat_api", "rag"):  # they ask the LLM: Bedrock by default in the cloud
        assert "bedrock:InvokeModelWithResponseStream" in actions[name], name
    assert not any(action.startswith("bedrock:") for action in actions["auth"] | actions["health"])


def test_functions_read_the_signing_keys_and_none_can_change_them(
    templates: dict[str, dict[str, Any]],
) -> None:
    actions = _allowed_actions(templates["OctagApi"])

    for name in ("auth", "authorizer", "admin", "chat"):
        assert "secretsmanager:GetSecretValue" in actions[name], name
    writes = {"secretsmanager:PutSecretValue", "secretsmanager:UpdateSecret", "secretsmanager:DeleteSecret"}
    assert not any(writes & allowed for allowed in actions.values())
