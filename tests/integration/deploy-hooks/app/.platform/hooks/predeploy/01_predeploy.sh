#!/bin/sh
echo predeploy >> /var/app/staging/order.log
