"""The plan: its table imported (`table_import`), its names, tree, settings and lineage
across plan periods. Everything the office's year hangs on, and nothing about answers."""
