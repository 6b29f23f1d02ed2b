"""The web app's views, one module per domain (and three for what is not a domain's).

Each module exports exactly two names the app reads:

* ``routes``: a list of :func:`halqa.web.pipeline.view` routes. Every route declares who may use it
  (``access=Access.PUBLIC | MEMBER | ORGANISER``); the pipeline enforces it before the handler runs.
* ``nav``: the module's link in the header (:class:`halqa.web.pipeline.Nav`), or ``None``. A link is
  shown only to devices its page's route allows.

Handlers are ``handler(ctx) -> Response | dict | list``: read fields from ``ctx``, call one public
domain function, render a template or return JSON. They import the pipeline, never each other and
never :mod:`halqa.web.app`. A new domain adds ``views/<domain>.py`` and one entry in
:data:`halqa.web.app.VIEWS`; nothing registers itself on import.

Modules: ``home`` (quick entry, language, icon), ``listening``, ``ledger``, ``circles``,
``mutual_aid``, ``learning``, ``bridge``, ``publish`` (posters), ``places``, ``devices`` (pairing and
paired devices), ``vault`` (unlock, lock, status, panic).
"""
