#!/bin/sh
echo "predeploy is about to fail"
echo "predeploy-fail-output-line" >&2
exit 7
