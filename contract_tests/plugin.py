"""pytest plugin for the Hesabe contract suite (options and fixtures are added by the suite)."""
