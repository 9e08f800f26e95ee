# Stage 50 (issue #13, packaging): keyward as a consumer sees it, from outside the tree.
#  1. `cmake --install` of the main build into a fresh prefix ($root/build-install/prefix,
#     exported as KEYWARD_INSTALL_PREFIX for the C / Python stages that follow);
#  2. examples/cpp built out of tree against it with find_package, and again with pkg-config;
#     each run verifies examples/cases/*.json and must give every expected verdict;
#  3. the same binaries must FAIL when the library is missing and when a needed symbol is absent
#     (a stand-in libkeyward-webauthn with the right SONAME and no symbols);
#  4. the Debian packages built from a clean copy of the tree (dpkg-buildpackage -b -uc -us, tests
#     and benchmarks off, ccache on), installed with apt (root only), the example built against
#     /usr and run, then the packages purged again so the machine stays as it was.
#     KEYWARD_SKIP_DEB=1 leaves step 4 out (e.g. when not root); KEYWARD_PREBUILT_DEBS=DIR
#     installs and tests the .debs in DIR instead of building them.
# Sourced by scripts/test: counts with count_results, never exits.
pkg_passed=0 pkg_failed=0
pkg_check() {  # pkg_check NAME command...: one result
  local name=$1; shift
  if "$@"; then
    echo "ok   install: $name"; pkg_passed=$((pkg_passed + 1))
  else
    echo "FAIL install: $name"; pkg_failed=$((pkg_failed + 1))
  fi
}
pkg_fails() {  # pkg_fails NAME command...: passes when the dynamic loader refuses the program
  local name=$1 rc; shift
  "$@" >/dev/null 2>&1
  rc=$?
  if [ "$rc" = 127 ]; then
    echo "ok   install: $name (refused by the loader, as it must be)"; pkg_passed=$((pkg_passed + 1))
  else
    echo "FAIL install: $name (exit $rc, expected the loader's 127)"; pkg_failed=$((pkg_failed + 1))
  fi
}

pkg_dir=$root/build-install
rm -rf "$pkg_dir"
mkdir -p "$pkg_dir"
export KEYWARD_INSTALL_PREFIX=$pkg_dir/prefix
pkg_cases=("$root"/examples/cases/*.json)
pkg_libdir=$KEYWARD_INSTALL_PREFIX/$(sed -n 's/^CMAKE_INSTALL_LIBDIR:[A-Z]*=//p' \
  "$root/build/CMakeCache.txt")
[ "$pkg_libdir" != "$KEYWARD_INSTALL_PREFIX/" ] || pkg_libdir=$KEYWARD_INSTALL_PREFIX/lib

pkg_check "cmake --install into $KEYWARD_INSTALL_PREFIX" \
  cmake --install "$root/build" --prefix "$KEYWARD_INSTALL_PREFIX"

# find_package
pkg_check "examples/cpp configured with find_package(keyward 0.2 COMPONENTS webauthn)" \
  cmake -S "$root/examples/cpp" -B "$pkg_dir/cmake-example" -G Ninja \
    -DCMAKE_PREFIX_PATH="$KEYWARD_INSTALL_PREFIX" -DCMAKE_BUILD_TYPE=RelWithDebInfo
pkg_check "examples/cpp built (find_package)" cmake --build "$pkg_dir/cmake-example"
pkg_check "find_package example verifies examples/cases" \
  "$pkg_dir/cmake-example/rp_example" "${pkg_cases[@]}"

# pkg-config
mkdir -p "$pkg_dir/pkgconfig-example"
pkg_check "examples/cpp built with pkg-config (keyward-webauthn.pc)" \
  env PKG_CONFIG_PATH="$pkg_libdir/pkgconfig" make -s -C "$root/examples/cpp" \
    OUT="$pkg_dir/pkgconfig-example/rp_example" CXXFLAGS="-O2 -Wall -Wextra -Werror"
pkg_check "pkg-config example verifies examples/cases" \
  env LD_LIBRARY_PATH="$pkg_libdir" "$pkg_dir/pkgconfig-example/rp_example" "${pkg_cases[@]}"

# Negative runs: the library missing, and a library with the SONAME but without the symbols.
mkdir -p "$pkg_dir/no-symbols"
pkg_soname=$(readelf -d "$pkg_libdir/libkeyward-webauthn.so" 2>/dev/null |
  sed -n 's/.*(SONAME).*\[\(.*\)\]/\1/p')
echo 'int keyward_stand_in_without_the_api;' >"$pkg_dir/no-symbols/stub.c"
cc -shared -fPIC -Wl,-soname,"$pkg_soname" -o "$pkg_dir/no-symbols/$pkg_soname" \
  "$pkg_dir/no-symbols/stub.c"
cp -a "$KEYWARD_INSTALL_PREFIX" "$pkg_dir/prefix-without-webauthn"
pkg_nolib=$pkg_dir/prefix-without-webauthn/${pkg_libdir#"$KEYWARD_INSTALL_PREFIX"/}
rm -f "$pkg_nolib"/libkeyward-webauthn.so*
if [ -e "/usr/lib/$(gcc -dumpmachine)/$pkg_soname" ]; then
  echo "note install: $pkg_soname is installed system-wide; the missing-library runs may find it"
fi
pkg_fails "pkg-config example without libkeyward-webauthn" \
  env LD_LIBRARY_PATH="$pkg_nolib" "$pkg_dir/pkgconfig-example/rp_example" "${pkg_cases[@]}"
pkg_fails "pkg-config example with a libkeyward-webauthn lacking the symbols" \
  env LD_LIBRARY_PATH="$pkg_dir/no-symbols" "$pkg_dir/pkgconfig-example/rp_example" "${pkg_cases[@]}"
pkg_fails "find_package example with a libkeyward-webauthn lacking the symbols" \
  env LD_LIBRARY_PATH="$pkg_dir/no-symbols" "$pkg_dir/cmake-example/rp_example" "${pkg_cases[@]}"
# The find_package build carries a RUNPATH to the prefix: build it against the copy, then take
# the library away from the copy.
cp -a "$KEYWARD_INSTALL_PREFIX/." "$pkg_dir/prefix-without-webauthn/"
if cmake -S "$root/examples/cpp" -B "$pkg_dir/cmake-example-nolib" -G Ninja \
     -DCMAKE_PREFIX_PATH="$pkg_dir/prefix-without-webauthn" >/dev/null &&
   cmake --build "$pkg_dir/cmake-example-nolib" >/dev/null; then
  rm -f "$pkg_nolib"/libkeyward-webauthn.so*
  pkg_fails "find_package example without libkeyward-webauthn" \
    "$pkg_dir/cmake-example-nolib/rp_example" "${pkg_cases[@]}"
else
  echo "FAIL install: example build against the prefix copy"; pkg_failed=$((pkg_failed + 1))
fi

# Debian packages.
if [ "${KEYWARD_SKIP_DEB:-0}" = 1 ] || [ "$(id -u)" != 0 ]; then
  echo "note install: Debian package build skipped (KEYWARD_SKIP_DEB=1 or not root)"
else
  pkg_src=$pkg_dir/deb/keyward
  mkdir -p "$pkg_src"
  if [ -n "${KEYWARD_PREBUILT_DEBS:-}" ]; then
    # Packages built elsewhere (another CI job, an earlier run): install and test those.
    echo "note install: using the packages in $KEYWARD_PREBUILT_DEBS (no dpkg-buildpackage)"
    cp "$KEYWARD_PREBUILT_DEBS"/*.deb "$pkg_dir/deb/"
  else
    # A clean tree: what git tracks (plus uncommitted edits), none of the build directories.
    (cd "$root" && git ls-files -z --cached --others --exclude-standard |
       grep -zv '^build' | xargs -0 cp --parents -t "$pkg_src") 2>/dev/null
    echo "== install: dpkg-buildpackage (log: $pkg_dir/deb/build.log)"
    pkg_check "dpkg-buildpackage -b -uc -us" \
      bash -c "cd '$pkg_src' && dpkg-buildpackage -b -uc -us -j$jobs >'$pkg_dir/deb/build.log' 2>&1"
  fi
  pkg_debs=("$pkg_dir"/deb/*.deb)
  if [ -e "${pkg_debs[0]}" ]; then
    ls -l "${pkg_debs[@]}"
    # Debian's policy checker over the runtime, -dev and CLI packages: no error-level tag.
    pkg_check "lintian: no errors" bash -c "lintian --fail-on error \
      \$(ls '$pkg_dir'/deb/*.deb | grep -v -- '-dbgsym_')"
    pkg_names=$(for d in "${pkg_debs[@]}"; do dpkg-deb -f "$d" Package; done | sort -u | xargs)
    # Only purge afterwards what this stage installed.
    pkg_preinstalled=""
    for p in $pkg_names; do
      dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' &&
        pkg_preinstalled="$pkg_preinstalled $p"
    done
    pkg_check "apt install ./*.deb" env DEBIAN_FRONTEND=noninteractive \
      apt-get -o DPkg::Lock::Timeout=600 install -y -qq --no-install-recommends "${pkg_debs[@]}"
    pkg_check "keyward --version from the package" /usr/bin/keyward --version
    pkg_check "man page keyward-verify(1) installed" test -e /usr/share/man/man1/keyward-verify.1.gz
    pkg_check "udev rules installed" test -e /usr/lib/udev/rules.d/70-keyward-fido.rules
    pkg_check "examples/cpp built against /usr (find_package)" bash -c \
      "cmake -S '$root/examples/cpp' -B '$pkg_dir/usr-example' -G Ninja >/dev/null &&
       cmake --build '$pkg_dir/usr-example' >/dev/null"
    pkg_check "/usr example verifies examples/cases" \
      "$pkg_dir/usr-example/rp_example" "${pkg_cases[@]}"
    mkdir -p "$pkg_dir/usr-pkgconfig-example"
    pkg_check "examples/cpp built against /usr (pkg-config)" \
      make -s -C "$root/examples/cpp" OUT="$pkg_dir/usr-pkgconfig-example/rp_example"
    pkg_check "/usr pkg-config example verifies examples/cases" \
      "$pkg_dir/usr-pkgconfig-example/rp_example" "${pkg_cases[@]}"
    pkg_fails "/usr example with a libkeyward-webauthn lacking the symbols" \
      env LD_LIBRARY_PATH="$pkg_dir/no-symbols" "$pkg_dir/usr-example/rp_example" "${pkg_cases[@]}"
    pkg_remove=""
    for p in $pkg_names; do
      case " $pkg_preinstalled " in *" $p "*) ;; *) pkg_remove="$pkg_remove $p" ;; esac
    done
    if [ -n "$pkg_remove" ]; then
      # shellcheck disable=SC2086
      pkg_check "apt purge of the packages again" env DEBIAN_FRONTEND=noninteractive \
        apt-get -o DPkg::Lock::Timeout=600 purge -y -qq $pkg_remove
    fi
  else
    echo "FAIL install: no .deb files were built; tail of the log:"
    tail -n 30 "$pkg_dir/deb/build.log"
    pkg_failed=$((pkg_failed + 1))
  fi
fi

echo "install: $pkg_passed passed, $pkg_failed failed"
count_results "$pkg_passed" "$pkg_failed"
