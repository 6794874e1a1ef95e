#!/bin/sh
# As the official image's entrypoint: bare options run redis-server, and redis-server starts with
# protected mode off unless a later option turns it on again. The option goes after a config
# file argument (redis-server [file] [options]); --version and --help get nothing added.
set -e
if [ "${1#-}" != "$1" ]; then set -- redis-server "$@"; fi
if [ "$1" = redis-server ]; then
  case "${2:-}" in
    -v | --version | -h | --help) ;;
    '' | -*) shift; set -- redis-server --protected-mode no "$@" ;;
    *) conf="$2"; shift 2; set -- redis-server "${conf}" --protected-mode no "$@" ;;
  esac
fi
exec "$@"
