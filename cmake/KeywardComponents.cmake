# Installed shared components, built from the static per-area targets (docs/packaging.md).
#
# The internal build (tests, tools, fuzzers, benchmarks) links the static archives keyward_core,
# keyward_webauthn, ... unchanged. Each installed component is a shared library
# libkeyward-<name>.so.<SOVERSION> that takes its own areas' archives whole
# (-Wl,--whole-archive) and exports only what the public headers declare
# (-fvisibility=hidden + KEYWARD_API_BEGIN/END in include/keyward/, and the version script
# cmake/keyward.map limiting the dynamic symbol table to keyward::* and keyward_*).
#
# How core is shared: `webauthn` is the base component. It holds core, attestation and webauthn,
# and exports the public core API (result.h, bytes.h, secret.h, version.h) besides the WebAuthn
# and attestation API. Every other component links the base (so a program gets one
# keyward::ErrorCodeName, one keyward::Version) and carries a private, hidden copy of whatever
# internal code it needs from other archives (linked with -Wl,--exclude-libs, so none of it is
# exported and nothing internal becomes ABI). A passkey-only server therefore needs
# libkeyward-webauthn alone, whose only run-time dependencies are OpenSSL and libcbor (checked by
# the test packaging_needed_libs).
#
# Adding a component is one call at the end of this file:
#   keyward_component(NAME AREAS <static targets taken whole> [DEPENDS <components>]
#                     [PUBLIC_DEPS <imported targets consumers need>] [REQUIRES <pkg-config names>])
# Everything else (export set, pkg-config file, install rules, the symbol check) follows from it.
# The C ABI (capi/, issue #13) joins at merge in one of two ways:
#  - built here from its archive: keyward_component(c AREAS keyward_capi DEPENDS authenticator)
#    gives libkeyward-c.so.0.2, keyward::c and keyward-c.pc (drop capi's own add_library/install
#    of keyward_c then); its C symbols (keyward_*) pass cmake/keyward.map as they are;
#  - or capi keeps building and installing its own shared target keyward_c (with its .pc file):
#    keyward_component(c TARGET keyward_c) only adds it to the CMake package as keyward::c.
# Either way, record its symbols once: scripts/abi-symbols --update <installed libdir>
# (abi/libkeyward-c.symbols), and add its Debian package stanza (docs/packaging.md).

include(GNUInstallDirs)
include(CMakePackageConfigHelpers)

# SemVer 0.x: a minor bump may break the ABI, so the SONAME carries MAJOR.MINOR while MAJOR is 0
# (libkeyward-webauthn.so.0.2); from 1.0 on it carries MAJOR only.
if(PROJECT_VERSION_MAJOR EQUAL 0)
  set(KEYWARD_SOVERSION "${PROJECT_VERSION_MAJOR}.${PROJECT_VERSION_MINOR}")
else()
  set(KEYWARD_SOVERSION "${PROJECT_VERSION_MAJOR}")
endif()
set(KEYWARD_CMAKE_INSTALL_DIR ${CMAKE_INSTALL_LIBDIR}/cmake/keyward)
set(KEYWARD_COMPONENTS "" CACHE INTERNAL "installed shared components")
# The .pc files locate the prefix relative to themselves (${pcfiledir}), so an installed tree can
# move; for the system prefix /usr (distribution packages) they name it, so that pkg-config
# recognizes /usr/include as a system directory and leaves it out of --cflags.
if(CMAKE_INSTALL_PREFIX STREQUAL "/usr")
  set(KEYWARD_PC_PREFIX "/usr")
else()
  file(RELATIVE_PATH rel /prefix/${CMAKE_INSTALL_LIBDIR}/pkgconfig /prefix)
  string(REGEX REPLACE "/$" "" rel "${rel}")
  set(KEYWARD_PC_PREFIX "\${pcfiledir}/${rel}")
endif()

# Every static keyward_* archive in TARGET's link closure (direct and transitive).
function(_keyward_static_closure target out)
  set(todo ${target})
  set(seen)
  while(todo)
    list(POP_FRONT todo t)
    if(NOT TARGET ${t} OR t IN_LIST seen)
      continue()
    endif()
    list(APPEND seen ${t})
    get_target_property(libs ${t} LINK_LIBRARIES)
    if(libs)
      foreach(l ${libs})
        if(l MATCHES "^keyward_" AND TARGET ${l})
          get_target_property(type ${l} TYPE)
          if(type STREQUAL "STATIC_LIBRARY")
            list(APPEND todo ${l})
          endif()
        endif()
      endforeach()
    endif()
  endwhile()
  set(${out} ${seen} PARENT_SCOPE)
endfunction()

function(keyward_component name)
  cmake_parse_arguments(C "" "TARGET" "AREAS;DEPENDS;PUBLIC_DEPS;REQUIRES" ${ARGN})
  if(C_TARGET)  # a shared library built and installed elsewhere: only join the CMake package
    if(NOT TARGET ${C_TARGET})
      message(STATUS "keyward component ${name}: ${C_TARGET} is not built, component skipped")
      return()
    endif()
    add_library(keyward::${name} ALIAS ${C_TARGET})
    set_target_properties(${C_TARGET} PROPERTIES EXPORT_NAME ${name})
    install(TARGETS ${C_TARGET} EXPORT keywardTargets
      LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR} COMPONENT runtime NAMELINK_COMPONENT dev)
    set(KEYWARD_COMPONENTS ${KEYWARD_COMPONENTS} ${name} CACHE INTERNAL "")
    return()
  endif()
  foreach(a ${C_AREAS})
    if(NOT TARGET ${a})
      message(STATUS "keyward component ${name}: ${a} is not built, component skipped")
      return()
    endif()
  endforeach()
  foreach(d ${C_DEPENDS})
    if(NOT TARGET keyward_${d}_shared)
      message(STATUS "keyward component ${name}: needs component ${d}, skipped")
      return()
    endif()
  endforeach()
  set(t keyward_${name}_shared)
  # A shared library needs a source of its own; the code comes from the archives.
  set(anchor ${CMAKE_CURRENT_BINARY_DIR}/components/${name}.cc)
  file(CONFIGURE OUTPUT ${anchor}
    CONTENT "// libkeyward-${name}: its code comes from the archives ${C_AREAS}.\n")
  add_library(${t} SHARED ${anchor})
  add_library(keyward::${name} ALIAS ${t})
  set_target_properties(${t} PROPERTIES
    OUTPUT_NAME keyward-${name} EXPORT_NAME ${name}
    VERSION ${PROJECT_VERSION} SOVERSION ${KEYWARD_SOVERSION}
    LINK_DEPENDS ${PROJECT_SOURCE_DIR}/cmake/keyward.map)
  # The component's own archives, whole, ahead of everything else on the link line. They are also
  # linked normally (for their usage requirements and dependencies); a second appearance adds
  # nothing, while $<LINK_LIBRARY:WHOLE_ARCHIVE,...> would take an archive whole each time the
  # areas' PUBLIC links repeat it (duplicate definitions).
  set(whole)
  foreach(a ${C_AREAS})
    list(APPEND whole "$<TARGET_FILE:${a}>")
  endforeach()
  list(JOIN whole " " whole)
  target_link_options(${t} PRIVATE "SHELL:-Wl,--whole-archive ${whole} -Wl,--no-whole-archive")
  target_link_libraries(${t} PRIVATE ${C_AREAS})
  foreach(d ${C_DEPENDS})
    target_link_libraries(${t} PUBLIC keyward_${d}_shared)
  endforeach()
  # Internal archives this component needs but does not own: linked, and hidden.
  set(closure)
  foreach(a ${C_AREAS})
    _keyward_static_closure(${a} c)
    list(APPEND closure ${c})
  endforeach()
  list(REMOVE_DUPLICATES closure)
  list(REMOVE_ITEM closure ${C_AREAS})
  set(excluded)
  foreach(x ${closure})
    list(APPEND excluded lib${x}.a)
  endforeach()
  if(excluded)
    list(JOIN excluded ":" excluded)
    target_link_options(${t} PRIVATE "LINKER:--exclude-libs,${excluded}")
  endif()
  target_link_options(${t} PRIVATE "LINKER:--version-script=${PROJECT_SOURCE_DIR}/cmake/keyward.map"
    "LINKER:--no-undefined" "LINKER:--as-needed")
  target_include_directories(${t} INTERFACE
    $<BUILD_INTERFACE:${PROJECT_SOURCE_DIR}/include> $<BUILD_INTERFACE:${PROJECT_BINARY_DIR}/include>
    $<INSTALL_INTERFACE:${CMAKE_INSTALL_INCLUDEDIR}>)
  target_compile_features(${t} INTERFACE cxx_std_20)
  if(C_PUBLIC_DEPS)
    target_link_libraries(${t} INTERFACE ${C_PUBLIC_DEPS})
  endif()
  install(TARGETS ${t} EXPORT keywardTargets
    LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR} COMPONENT runtime NAMELINK_COMPONENT dev)

  # pkg-config: keyward-<name>.pc
  set(KEYWARD_PC_NAME ${name})
  set(requires ${C_REQUIRES})
  foreach(d ${C_DEPENDS})
    list(APPEND requires keyward-${d})
  endforeach()
  list(JOIN requires ", " KEYWARD_PC_REQUIRES)
  configure_file(${PROJECT_SOURCE_DIR}/cmake/templates/keyward-component.pc.in
    ${PROJECT_BINARY_DIR}/pkgconfig/keyward-${name}.pc @ONLY)
  install(FILES ${PROJECT_BINARY_DIR}/pkgconfig/keyward-${name}.pc
    DESTINATION ${CMAKE_INSTALL_LIBDIR}/pkgconfig COMPONENT dev)

  set(KEYWARD_COMPONENTS ${KEYWARD_COMPONENTS} ${name} CACHE INTERNAL "")
endfunction()

# ---- The components -------------------------------------------------------------------------
# The base: WebAuthn relying party + attestation + the public core API. Run time: OpenSSL, libcbor.
# Its public headers include <openssl/crypto.h> (SecretBytes wipes with OPENSSL_cleanse inline).
keyward_component(webauthn AREAS keyward_core keyward_attestation keyward_webauthn
  PUBLIC_DEPS OpenSSL::Crypto REQUIRES libcrypto)
# The store/policy facade (SQLite; the PostgreSQL store joins here).
keyward_component(authenticator AREAS keyward_authenticator DEPENDS webauthn)
keyward_component(pcsc AREAS keyward_pcsc DEPENDS webauthn)
keyward_component(pkcs11 AREAS keyward_pkcs11 DEPENDS webauthn)
keyward_component(fido AREAS keyward_fido DEPENDS webauthn)
# Smart-card enrolment; its headers use nlohmann::json (keyward/core/json.h).
keyward_component(enroll AREAS keyward_enroll DEPENDS pcsc pkcs11
  PUBLIC_DEPS nlohmann_json::nlohmann_json REQUIRES nlohmann_json)
# The C ABI (capi/): built and versioned there (libkeyward-c.so.0, only keyward_* exported by
# capi/keyward-c.map, its own keyward-c.pc); here it only joins the CMake package as keyward::c.
keyward_component(c TARGET keyward_c)
