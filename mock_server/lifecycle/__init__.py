"""The life of a record: the record and its rules (`records`), the simulator that moves it
on the clock, how a phase ends (`outcomes`), the clocks, the SQLite store, and the errors a
wrong call raises (`RecordNotFound`, `WrongState`).

May import: the leaves `mock_server.errors`, `.choices`, `.config`, and the standard library.
No Flask, no werkzeug, no HTTP status: a wrong-state call raises a domain error, and the
API's edge (`api.refusals`) decides what answer it is.
"""
