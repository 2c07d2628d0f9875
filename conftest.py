"""Registers the project-wide pytest fixtures (tests/fixtures.py) for every test folder."""
pytest_plugins = ["tests.fixtures"]
