#!/bin/sh
# Runs on configuration deployments only; CONFIG_HOOK_FAIL=yes makes it fail.
if [ "${CONFIG_HOOK_FAIL:-}" = yes ]; then echo confighook-fail-output-line; exit 5; fi
echo "confighook predeploy ${CONFIG_NOTE:-} $(pwd)" >> /var/app/staging/order.log
