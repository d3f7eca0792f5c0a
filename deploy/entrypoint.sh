#!/bin/sh
# Container entrypoint (Dockerfile, compose.yaml): bring the schema up to date, then run the
# bot's server in the foreground. Arguments go to `hokoku serve` (e.g. --socket-mode).
set -eu
hokoku db upgrade
exec hokoku serve "$@"
