#!/bin/sh
# No init system runs in a container: packages installed in a build must not try to start their services
# (Debian's rabbitmq-server, haproxy, postgresql would). As in Debian's official docker images.
exit 101
