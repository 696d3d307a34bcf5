"""The emulated AWS account (moto in server mode, with the corrections of server.py), seeded as the runbook expects a
real one, and the wiring that points the project's own commands at it: used by the emulated-account tests
(tests/test_emulated_account.py) and by anyone through `pipenv run sandbox` (cli.py, tour.py; docs/sandbox.md)."""
