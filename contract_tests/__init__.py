"""The Hesabe contract suite (needs the ``[contract]`` extra: pytest and Hypothesis)."""

from hesabe_spec.extras import require_extra

require_extra("contract", "the Hesabe contract suite (contract_tests)")
