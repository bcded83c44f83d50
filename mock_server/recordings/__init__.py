"""Recordings of the real API as HAR files: reading and writing them (`har`), the drift of
a recording from the spec (`drift`), keeping secrets out of them (`scrub`), the recording
proxy (`recorder`) and the replay app (`replay`).

May import: `contract` (to judge what was recorded) and the leaves `mock_server.errors`,
`.choices`, `.config`. Never `lifecycle` or `api`: a recording is checked against the
contract, not against the mock.
"""
