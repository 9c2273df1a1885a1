#!/bin/sh
echo "hanging on purpose"
exec sleep 300
