"""The credit officers' pages: server-rendered with FastAPI and Jinja2, assets bundled."""
