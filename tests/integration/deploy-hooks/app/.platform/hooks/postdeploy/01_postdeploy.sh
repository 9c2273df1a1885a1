#!/bin/sh
echo "postdeploy $(pwd)" >> /var/app/current/order.log
