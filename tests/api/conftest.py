"""The cooperation fixtures serve the API's input tests too."""

from tests.cooperation.conftest import coop, files_client

__all__ = ["coop", "files_client"]
