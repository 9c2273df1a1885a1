#!/bin/sh
echo "prebuild $(pwd)" >> /var/app/staging/order.log
