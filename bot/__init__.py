"""Adapters and wiring: CLI, settings, HTTP server, Slack, LINE and the console.

Owns every platform import; translates payloads into handler calls and back.
"""
