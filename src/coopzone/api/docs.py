"""The API's Swagger UI page, served offline and started from a static file (no inline
script, so the site-wide Content-Security-Policy holds here too)."""

from __future__ import annotations

from html import escape

from fastapi.responses import HTMLResponse

PAGE = """<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<link rel="stylesheet" href="/static/vendor/swagger-ui/swagger-ui.css">
<link rel="icon" href="/static/favicon.svg" type="image/svg+xml">
<title>{title}</title>
</head>
<body>
<div id="swagger-ui" data-openapi-url="{openapi_url}"></div>
<script src="/static/vendor/swagger-ui/swagger-ui-bundle.js"></script>
<script src="/static/js/swagger-init.js"></script>
</body>
</html>
"""


def swagger_page(openapi_url: str, title: str) -> HTMLResponse:
    return HTMLResponse(PAGE.format(title=escape(title), openapi_url=escape(openapi_url)))
