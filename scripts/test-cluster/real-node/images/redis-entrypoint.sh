#!/bin/sh
# As the official image's entrypoint: bare options run redis-server, and redis-server starts with
# protected mode off unless a later option turns it on again.
set -e
if [ "${1#-}" != "$1" ]; then set -- redis-server "$@"; fi
if [ "$1" = redis-server ]; then
  shift
  set -- redis-server --protected-mode no "$@"
fi
exec "$@"
