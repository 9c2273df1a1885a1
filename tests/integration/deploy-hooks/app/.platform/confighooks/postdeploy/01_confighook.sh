#!/bin/sh
echo "confighook postdeploy $(pwd)" >> /var/app/current/order.log
