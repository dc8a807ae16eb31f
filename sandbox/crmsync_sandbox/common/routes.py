"""Resolves a request to the template of the Starlette route that serves it."""

from __future__ import annotations

from collections.abc import Sequence

from starlette.routing import BaseRoute, Match, Mount
from starlette.types import Scope

#: Bound on remembered (method, path) lookups; paths carry record ids, so the cache must not grow
#: with the data.
_CACHE_LIMIT = 20_000


class RouteTemplates:
    """Maps a request's method and path to `"METHOD /path/{param}"` using the app's routes."""

    def __init__(self, routes: Sequence[BaseRoute]) -> None:
        """Remember the routes to match against.

        Args:
            routes: The app's route table (Route and Mount entries).
        """
        self._routes = routes
        self._cache: dict[tuple[str, str], str] = {}

    def key(self, scope: Scope) -> str:
        """The counter key of one HTTP request.

        Args:
            scope: The ASGI HTTP scope.

        Returns:
            `"METHOD /template"`, or `"METHOD /raw/path"` when no route matches.
        """
        method: str = scope["method"]
        path: str = scope["path"]
        cached = self._cache.get((method, path))
        if cached is not None:
            return cached
        template = _match(self._routes, {**scope, "root_path": ""}, "") or path
        key = f"{method} {template}"
        if len(self._cache) >= _CACHE_LIMIT:
            self._cache.clear()
        self._cache[(method, path)] = key
        return key


def _match(routes: Sequence[BaseRoute], scope: Scope, prefix: str) -> str | None:
    partial: str | None = None
    for route in routes:
        match, child_scope = route.matches(scope)
        if match is Match.NONE:
            continue
        template = _template_of(route, {**scope, **child_scope}, prefix)
        if match is Match.FULL:
            return template
        partial = partial or template
    return partial


def _template_of(route: BaseRoute, scope: Scope, prefix: str) -> str | None:
    if isinstance(route, Mount):
        # A Mount's path_format ends in `/{path}`; its own prefix is `path`.
        return _match(route.routes, scope, prefix + route.path)
    path_format: str = getattr(route, "path_format", "")
    return prefix + path_format
