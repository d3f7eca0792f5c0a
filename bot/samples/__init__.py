"""Sample plan tables shipped with the package (real municipal documents; see SOURCES.md).

`hokoku demo` imports one of them; the tests read them through `files("bot.samples")`.
"""
