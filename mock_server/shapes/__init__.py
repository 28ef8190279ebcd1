"""Hesabe's wire shapes of the mock's records: what the replies, callbacks and webhooks carry.

Records in (``mock_server.state``), Hesabe's JSON out, key order and types as the real server
writes them. With the handlers, these modules are where the mock's wire names live: the domain
(``mock_server.state``) never imports them (``tests/test_dependency_rule.py``).
"""
