#!/usr/bin/env bash
# check_symbols.sh LIB SYMBOL_LIST HEADER: the C ABI library exports exactly the committed list
# (capi/keyward-c.symbols) and nothing else, every listed symbol is declared in keyward.h, and
# the SONAME is libkeyward-c.so.0. A symbol that disappeared breaks callers: that needs a SONAME
# bump (and a new list), never a silent change.
set -uo pipefail
lib=$1 list=$2 header=$3
fail=0
soname=$(readelf -d "$lib" | sed -n 's/.*SONAME.*\[\(.*\)\]/\1/p')
[ "$soname" = "libkeyward-c.so.0" ] || { echo "SONAME is '$soname', expected libkeyward-c.so.0"; fail=1; }
exported=$(nm -D --defined-only "$lib" | awk '{print $3}' | sed 's/@.*//' | grep -v '^KEYWARD_C_0$' | sort -u)
committed=$(grep -v '^#' "$list" | sort -u)
missing=$(comm -13 <(echo "$exported") <(echo "$committed"))
extra=$(comm -23 <(echo "$exported") <(echo "$committed"))
if [ -n "$missing" ]; then
  echo "symbols removed from the C ABI (needs a SONAME bump):"; echo "$missing"; fail=1
fi
if [ -n "$extra" ]; then
  echo "symbols exported but not in $list (add them, or hide them):"; echo "$extra"; fail=1
fi
for s in $committed; do
  grep -q "\b$s(" "$header" || { echo "$s is not declared in $header"; fail=1; }
done
[ "$(echo "$committed" | grep -c .)" -gt 40 ] || { echo "symbol list too short"; fail=1; }
[ $fail = 0 ] && echo "libkeyward-c exports the $(echo "$committed" | grep -c .) committed symbols"
exit $fail
