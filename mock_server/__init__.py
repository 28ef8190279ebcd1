"""The stateful Hesabe mock server (needs the ``[mock]`` extra: starlette and uvicorn)."""

from hesabe_spec.extras import require_extra

require_extra("mock", "the Hesabe mock (mock_server)")
