"""Root of the project's tests: the mock fixtures (``hesabe_mock``, ``hesabe_mock_inprocess``)."""

pytest_plugins = ["mock_server.testing"]
