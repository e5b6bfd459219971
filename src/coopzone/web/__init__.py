"""Server-rendered pages: layout, i18n, vendored static assets."""
