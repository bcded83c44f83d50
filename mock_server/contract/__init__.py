"""The contract: the spec (`Contract`) and the judges of messages against it.

`violations` (Violation, RequestVerdict, Verdict) is a leaf every layer may read;
`formats` holds the format checks the compiled validator shares with openapi-core;
`compiled` the jsonschema-rs validators built once from the spec; `openapi` the adapter to
openapi-core, the validator of record; `validator` the `Validator` that asks the compiled
one first and openapi-core for the rest (two calls: `check_request`, `check_response`).

May import: the leaves `mock_server.errors`, `.choices`, `.config`, and libraries. Never
`lifecycle`, `api`, `recordings` or the top level: the contract knows nothing of records
or of how the mock answers.
"""
