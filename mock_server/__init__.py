"""The stateful Hesabe mock server (needs the ``[mock]`` extra: starlette and uvicorn).

The mock itself (:mod:`mock_server.app`, :mod:`mock_server.testing`) checks for the extra on
import and names it when it is missing. :class:`mock_server.control.MockControl`, an HTTP client
of a running mock's control plane, needs only the base install (``requests``): a test suite may
drive a mock that runs elsewhere.
"""
