"""Sample plan tables shipped with the package, for `hokoku demo` (real municipal documents)."""
