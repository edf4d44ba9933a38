"""Helpers shared by more than one test folder: a uvicorn-in-a-thread server (``serve``), AWS for a
test (``aws``), ``stepstream dev`` as a subprocess (``devprocess``) and the small app it runs
(``devstack_app``). A helper only one folder uses stays in that folder."""
