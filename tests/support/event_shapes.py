"""Structural comparison of the events the local runtime builds with AWS's documented samples."""

from __future__ import annotations

from typing import Any

# Objects whose keys are data, not structure: compared as maps only.
DATA_MAPS = frozenset(
    {
        "headers",
        "multiValueHeaders",
        "queryStringParameters",
        "multiValueQueryStringParameters",
        "pathParameters",
        "stageVariables",
        "requestContext.authorizer",
    }
)


def shape_mismatches(
    expected: Any,
    actual: Any,
    *,
    optional: frozenset[str] = frozenset(),
    extra: frozenset[str] = frozenset(),
    open_maps: frozenset[str] = frozenset(),
    path: str = "",
) -> list[str]:
    """Where `actual` departs from the structure of `expected` (a null in `expected` matches anything).

    `optional`: keys `actual` may lack; `extra`: keys it may add; `open_maps`: objects AWS documents
    as open ("API Gateway may add new keys"), where `actual` may add any key.
    """
    where = path or "<event>"
    if expected is None:
        return []
    if type(actual) is not type(expected):
        return [f"{where}: {type(actual).__name__}, AWS sends {type(expected).__name__}"]
    if isinstance(expected, list):
        if expected and actual:
            return shape_mismatches(expected[0], actual[0], path=f"{path}[]")
        return []
    if not isinstance(expected, dict) or path in DATA_MAPS:
        return []
    problems = []
    for key in sorted(expected.keys() - actual.keys()):
        if f"{path}.{key}".lstrip(".") not in optional:
            problems.append(f"{path}.{key}: missing".lstrip("."))
    for key in sorted(actual.keys() - expected.keys()):
        if f"{path}.{key}".lstrip(".") not in extra and path not in open_maps:
            problems.append(f"{path}.{key}: not in AWS's sample".lstrip("."))
    for key in sorted(expected.keys() & actual.keys()):
        child = f"{path}.{key}".lstrip(".")
        problems += shape_mismatches(
            expected[key], actual[key], optional=optional, extra=extra, open_maps=open_maps, path=child
        )
    return problems
