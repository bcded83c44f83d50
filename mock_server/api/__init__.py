"""The mock's HTTP edge: the one pipeline every API request goes through (`pipeline`), the
exchange it carries and its end (`exchange`), the six operations, auth, headers, the
`Prefer:` header, rendering, replies, faults, the journal, webhooks, the refusal table
(`refusals`), the per-app state (`state`), the `Controls` and the admin blueprint.

May import: `contract`, `lifecycle` and the leaves `mock_server.errors`, `.choices`,
`.config`. Never `recordings` or the top level (`app`, `cli`, `server`, `serving`,
`channel`), which import it.
"""
