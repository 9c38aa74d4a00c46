#!/bin/sh
# Monitoring check (Nagios/Icinga style): OK when the last run of every source succeeded, CRITICAL otherwise.
#   STEWARD_CONFIG=/etc/steward/config.yaml sh packaging/steward-status.sh
out=$(/opt/steward/.venv/bin/steward status 2>&1)
code=$?
case $code in
0) echo "OK - steward: every source's last run succeeded"; echo "$out"; exit 0 ;;
1) echo "CRITICAL - steward: a source's last run failed"; echo "$out"; exit 2 ;;
*) echo "UNKNOWN - steward status exited $code"; echo "$out"; exit 3 ;;
esac
