from pathlib import Path

import pytest

from octag.manifest import ManifestError, default_manifest, parse_manifest, resolve


def test_main_template_declares_the_foundation_routes():
    m = default_manifest()
    assert {(r.method, r.path, r.function) for r in m.rest_routes} >= {("GET", "/api/health", "health")}
    assert m.websocket is not None
    assert m.websocket.route_selection_expression == "$request.body.action"
    assert {"$connect", "$disconnect", "$default", "ping"} <= set(m.websocket.routes)
    assert all(route.function == "chat" for route in m.websocket.routes.values())
    assert m.function("health").code_dir == m.root / "functions" / "health"
    assert m.function("health").timeout == 10
    assert m.function("chat").timeout == 29  # from Globals


def test_every_queue_consumed_has_a_dead_letter_queue():
    m = default_manifest()
    for source in m.sqs_sources:
        queue = m.queues[source.queue]
        assert queue.dlq in m.queues, queue.name
        assert queue.max_receive_count
        assert source.report_batch_item_failures


def test_globals_environment_merges_with_function_environment():
    env = default_manifest().function("chat").environment
    assert env["POWERTOOLS_SERVICE_NAME"] == "chat"
    assert env["CRITICAL_EVENTS_QUEUE_URL"] == {"Ref": "CriticalEventsQueue"}
    assert env["CONNECTIONS_TABLE"] == {"Ref": "ConnectionsTable"}


def test_resolve_handles_ref_getatt_sub_and_join():
    refs = {"Queue": "http://q", "Fn": "fn"}
    attrs = {("Queue", "Arn"): "arn:aws:sqs:r:1:q"}
    pseudo = {"AWS::Region": "ap-northeast-2"}
    value = {
        "a": {"Ref": "Queue"},
        "b": {"Fn::GetAtt": ["Queue", "Arn"]},
        "c": {"Fn::Sub": "${AWS::Region}/${Queue.Arn}/${Fn}"},
        "d": {"Fn::Join": ["-", [{"Ref": "Fn"}, "x"]]},
        "e": {"Fn::Sub": ["${X}!", {"X": {"Ref": "Fn"}}]},
    }
    assert resolve(value, refs, attrs, pseudo) == {
        "a": "http://q",
        "b": "arn:aws:sqs:r:1:q",
        "c": "ap-northeast-2/arn:aws:sqs:r:1:q/fn",
        "d": "fn-x",
        "e": "fn!",
    }
    with pytest.raises(ManifestError, match="Missing"):
        resolve({"Ref": "Missing"}, refs, attrs, pseudo)


def _template(tmp_path: Path, body: str) -> Path:
    path = tmp_path / "template.yml"
    path.write_text("Resources:\n" + body)
    return path


def test_unknown_authorizer_is_a_clear_error(tmp_path):
    path = _template(
        tmp_path,
        """
  Fn:
    Type: AWS::Serverless::Function
    Properties:
      CodeUri: fn
      Events:
        Get: {Type: Api, Properties: {Path: /x, Method: get, Auth: {Authorizer: Nope}}}
""",
    )
    with pytest.raises(ManifestError, match="unknown authorizer 'Nope'"):
        parse_manifest(path)


def test_missing_dead_letter_queue_is_a_clear_error(tmp_path):
    path = _template(
        tmp_path,
        """
  Q:
    Type: AWS::SQS::Queue
    Properties:
      RedrivePolicy: {deadLetterTargetArn: !GetAtt Gone.Arn, maxReceiveCount: 3}
""",
    )
    with pytest.raises(ManifestError, match="dead-letter queue 'Gone'"):
        parse_manifest(path)


def test_request_authorizer_and_routes_are_read(tmp_path):
    path = _template(
        tmp_path,
        """
  Api:
    Type: AWS::Serverless::Api
    Properties:
      StageName: v1
      Auth:
        DefaultAuthorizer: Jwt
        Authorizers:
          Jwt:
            FunctionPayloadType: REQUEST
            FunctionArn: !GetAtt AuthFn.Arn
            Identity: {Headers: [Authorization], ReauthorizeEvery: 60}
  AuthFn:
    Type: AWS::Serverless::Function
    Properties: {CodeUri: functions/authorizer}
  Items:
    Type: AWS::Serverless::Function
    Properties:
      CodeUri: functions/items/
      Events:
        Get: {Type: Api, Properties: {Path: "/api/items/{id}", Method: get}}
        Open: {Type: Api, Properties: {Path: /api/open, Method: any, Auth: {Authorizer: NONE}}}
""",
    )
    m = parse_manifest(path)
    assert m.stage == "v1"
    assert m.rest_authorizers["Jwt"].function == "authorizer"
    assert m.rest_authorizers["Jwt"].identity_headers == ("Authorization",)
    assert m.rest_authorizers["Jwt"].ttl_seconds == 60
    routes = {(r.method, r.path): r.authorizer for r in m.rest_routes}
    assert routes == {("GET", "/api/items/{id}"): "Jwt", ("ANY", "/api/open"): None}
