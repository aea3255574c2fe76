"""REST route matching as API Gateway does it: resource first, then method.

A literal segment beats a `{param}` segment, which beats a greedy `{param+}` tail; on the chosen
resource an exact method beats ANY.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from urllib.parse import unquote

from octag.manifest import RestRoute

_LITERAL, _PARAM, _GREEDY = 2, 1, 0


def _segments(path: str) -> list[str]:
    return [s for s in path.split("/") if s]


@dataclass(frozen=True)
class _Resource:
    path: str
    segments: tuple[str, ...]

    def match(self, parts: list[str]) -> tuple[tuple[int, ...], dict[str, str]] | None:
        """`(specificity, path parameters)` when `parts` fall under this resource."""
        rank: list[int] = []
        params: dict[str, str] = {}
        for i, seg in enumerate(self.segments):
            if seg.startswith("{") and seg.endswith("+}"):
                if i >= len(parts):
                    return None
                params[seg[1:-2]] = "/".join(parts[i:])
                rank.append(_GREEDY)
                return tuple(rank), params
            if i >= len(parts):
                return None
            if seg.startswith("{") and seg.endswith("}"):
                params[seg[1:-1]] = parts[i]
                rank.append(_PARAM)
            elif unquote(parts[i]) == seg:
                rank.append(_LITERAL)
            else:
                return None
        return (tuple(rank), params) if len(parts) == len(self.segments) else None


@dataclass(frozen=True)
class RouteMatch:
    route: RestRoute
    path_parameters: dict[str, str]


@dataclass(frozen=True)
class NoRoute:
    allowed_methods: tuple[str, ...]  # empty: no resource matched the path (404); else 405


class RestRouter:
    def __init__(self, routes: Iterable[RestRoute]) -> None:
        self._by_resource: dict[_Resource, dict[str, RestRoute]] = {}
        for route in routes:
            resource = _Resource(route.path, tuple(_segments(route.path)))
            self._by_resource.setdefault(resource, {})[route.method] = route

    def match(self, method: str, raw_path: str) -> RouteMatch | NoRoute:
        """Match a request; `raw_path` keeps its percent-encoding, as do the path parameters."""
        parts = _segments(raw_path)
        best: tuple[tuple[int, ...], dict[str, str], dict[str, RestRoute]] | None = None
        for resource, methods in self._by_resource.items():
            found = resource.match(parts)
            if found and (best is None or found[0] > best[0]):
                best = (found[0], found[1], methods)
        if best is None:
            return NoRoute(())
        _, params, methods = best
        route = methods.get(method.upper()) or methods.get("ANY")
        if route is None:
            return NoRoute(tuple(sorted(methods)))
        return RouteMatch(route, params)
