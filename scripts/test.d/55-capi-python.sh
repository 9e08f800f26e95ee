# shellcheck shell=bash disable=SC2154  # sourced by scripts/test, which sets root and count_results
# Stage (sourced by scripts/test): the C ABI and the Python binding, also from outside the tree.
#  1. pytest (bindings/python/tests) against the build tree's libkeyward-c;
#  2. the C ABI installed into a prefix ($KEYWARD_INSTALL_PREFIX when the packaging stage made
#     one, else a temporary prefix of our own), the package pip-installed (offline) into a
#     temporary target, and pytest run against the INSTALLED library and package, found the
#     standard way (dynamic loader), not through KEYWARD_LIBRARY;
#  3. examples/c built with cc + pkg-config against the installed header and library, and
#     examples/python, each verifying examples/cases;
#  4. both consumers must FAIL without the library and against a library lacking a symbol.
# Counts with count_results; never exits; starts no long-running process.

capi_pytest() {  # capi_pytest LABEL ENV... -- ARGS...: runs pytest, adds its counts
  local label=$1; shift
  local envs=()
  while [ "$1" != "--" ]; do envs+=("$1"); shift; done
  shift
  local log; log=$(mktemp)
  echo "-- capi: pytest ($label)"
  env "${envs[@]}" /usr/bin/python3 -m pytest -q -p no:cacheprovider "$@" >"$log" 2>&1
  local rc=$?
  tail -n 5 "$log"
  local p f e
  p=$(grep -oE '[0-9]+ passed' "$log" | tail -n 1 | grep -oE '[0-9]+')
  f=$(grep -oE '[0-9]+ failed' "$log" | tail -n 1 | grep -oE '[0-9]+')
  e=$(grep -oE '[0-9]+ errors?' "$log" | tail -n 1 | grep -oE '[0-9]+')
  p=${p:-0} f=${f:-0} e=${e:-0}
  if [ "$rc" = 5 ] || [ "$p" = 0 ]; then  # no tests collected is a failure
    f=$((f + 1))
  elif [ "$rc" != 0 ] && [ "$f" = 0 ] && [ "$e" = 0 ]; then
    f=1
  fi
  [ "$rc" = 0 ] || tail -n 40 "$log"
  count_results "$p" $((f + e))
  rm -f "$log"
}

capi_expect() {  # capi_expect DESCRIPTION CMD...: one check that CMD succeeds
  if "${@:2}" >/tmp/capi-expect.$$ 2>&1; then
    count_results 1 0
  else
    echo "capi: FAILED: $1"; tail -n 20 /tmp/capi-expect.$$
    count_results 0 1
  fi
  rm -f /tmp/capi-expect.$$
}

capi_expect_failure() {  # capi_expect_failure DESCRIPTION CMD...: CMD must fail
  if "${@:2}" >/tmp/capi-expect.$$ 2>&1; then
    echo "capi: FAILED: $1 (it succeeded)"
    count_results 0 1
  else
    count_results 1 0
  fi
  rm -f /tmp/capi-expect.$$
}

capi_stage() {
  local build_lib="$root/build/lib/libkeyward-c.so.0"
  if [ ! -e "$build_lib" ]; then
    echo "capi: $build_lib missing (not built)"; count_results 0 1; return
  fi
  capi_pytest "build tree" "KEYWARD_LIBRARY=$build_lib" "KEYWARD_SOURCE_DIR=$root" \
    "PYTHONPATH=$root/bindings/python" -- \
    "$root/bindings/python/tests"

  local work; work=$(mktemp -d /tmp/keyward-capi-stage.XXXXXX)
  local prefix=${KEYWARD_INSTALL_PREFIX:-}
  [ -n "$prefix" ] || prefix="$work/prefix"
  # The packaging stage's full install already holds these; installing again is idempotent and
  # makes the stage work on its own. The library is in the package's runtime/dev components
  # (cmake/KeywardComponents.cmake), its header and keyward-c.pc in capi-dev.
  capi_expect "cmake --install (runtime, dev, capi-dev) into $prefix" \
    bash -c "cmake --install '$root/build' --prefix '$prefix' --component runtime &&
             cmake --install '$root/build' --prefix '$prefix' --component dev &&
             cmake --install '$root/build' --prefix '$prefix' --component capi-dev"
  local lib; lib=$(find "$prefix" -name 'libkeyward-c.so.0' | head -n 1)
  local libdir; libdir=$(dirname "${lib:-$prefix/lib/x}")
  capi_expect "installed SONAME libkeyward-c.so.0" \
    bash -c "readelf -d '$lib' | grep -q 'SONAME.*libkeyward-c.so.0'"
  capi_expect "installed library exports only keyward_* symbols" \
    bash -c "! nm -D --defined-only '$lib' | awk '{print \$3}' | grep -v -e '^keyward_' -e '^KEYWARD_C_0$' | grep -q ."

  # pip, offline, into a private target; tests from a copy so the source package is not on
  # sys.path; the library found by the dynamic loader in the prefix.
  capi_expect "pip install (offline) of bindings/python" \
    /usr/bin/python3 -m pip install -q --no-build-isolation --no-index --no-deps \
      --target "$work/site" "$root/bindings/python"
  cp -r "$root/bindings/python/tests" "$work/tests"
  capi_expect "installed package loads the installed library" \
    env -u KEYWARD_LIBRARY PYTHONPATH="$work/site" LD_LIBRARY_PATH="$libdir" \
      /usr/bin/python3 -c "import keyward, sys; sys.exit(0 if keyward.library_path and '$work/site' in keyward.__file__ else 1)"
  capi_pytest "installed library and package" "PYTHONPATH=$work/site" \
    "LD_LIBRARY_PATH=$libdir" "KEYWARD_SOURCE_DIR=$root" "KEYWARD_LIBRARY=" -- \
    --rootdir "$work/tests" "$work/tests"

  # examples/c with pkg-config against the installed header + library.
  capi_expect "examples/c builds with pkg-config against the prefix" \
    bash -c "cc -std=c11 -Wall -Werror '$root/examples/c/verify_cases.c' \
               \$(PKG_CONFIG_PATH='$libdir/pkgconfig' pkg-config --cflags --libs keyward-c) \
               -o '$work/verify_cases'"
  capi_expect "examples/c verifies examples/cases" \
    env LD_LIBRARY_PATH="$libdir" "$work/verify_cases" "$root"/examples/cases/*.json
  capi_expect "examples/python verifies examples/cases" \
    env -u KEYWARD_LIBRARY PYTHONPATH="$work/site" LD_LIBRARY_PATH="$libdir" \
      /usr/bin/python3 "$root/examples/python/verify_cases.py" "$root"/examples/cases/*.json

  # Without the library, and against one that lacks a symbol, both consumers fail.
  capi_expect_failure "examples/c runs without the library" \
    env LD_LIBRARY_PATH="$work/empty" "$work/verify_cases" "$root"/examples/cases/*.json
  capi_expect_failure "python binding imports without the library" \
    env PYTHONPATH="$work/site" KEYWARD_LIBRARY="$work/empty/libkeyward-c.so.0" \
      /usr/bin/python3 -c "import keyward"
  mkdir -p "$work/stub"
  printf 'const char* keyward_version(void) { return "stub"; }\n' >"$work/stub/stub.c"
  if cc -shared -fPIC -Wl,-soname,libkeyward-c.so.0 "$work/stub/stub.c" \
       -o "$work/stub/libkeyward-c.so.0" && ln -sf libkeyward-c.so.0 "$work/stub/libkeyward-c.so"; then
    capi_expect_failure "examples/c links against a library lacking keyward_verify_case" \
      cc -std=c11 "$root/examples/c/verify_cases.c" -I"$prefix/include" -L"$work/stub" \
        -lkeyward-c -o "$work/verify_cases_stub"
    capi_expect_failure "examples/c runs against a library lacking keyward_verify_case" \
      env LD_LIBRARY_PATH="$work/stub" LD_BIND_NOW=1 "$work/verify_cases" "$root"/examples/cases/*.json
    capi_expect "python binding refuses a library lacking a symbol, naming it" \
      bash -c "PYTHONPATH='$work/site' KEYWARD_LIBRARY='$work/stub/libkeyward-c.so.0' \
                 /usr/bin/python3 -c 'import keyward' 2>&1 | grep -q 'lacks the symbol keyward_'"
  else
    echo "capi: cannot build the stub library"; count_results 0 1
  fi
  rm -rf "$work"
}

capi_stage
