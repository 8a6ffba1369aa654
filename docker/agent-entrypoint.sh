#!/bin/sh
# Each agent container is one member: without MEMBER_ID it takes the container's host name, so replicas made with
# `docker compose up --scale agent=N` report distinct members in their status events and health statistics.
set -e
: "${MEMBER_ID:=$(hostname)}"
export MEMBER_ID
exec afm-agent "$@"
