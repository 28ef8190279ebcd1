"""Recordings of real Hesabe traffic and what the mock makes of them (docs/recording.md).

:mod:`~mock_server.recording.proxy` records (``hesabe-mock record``), :mod:`~mock_server.recording.parity`
replays a recording against the mock and reports the differences (``hesabe-parity``), and
:mod:`~mock_server.recording.playback` answers from a recording (``hesabe-mock --replay``). The
cassette format itself is :mod:`hesabe_spec.cassettes`, so the contract suite reads it too.
"""
