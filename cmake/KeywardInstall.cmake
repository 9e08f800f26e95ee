# `cmake --install`: headers, the shared components (cmake/KeywardComponents.cmake), the CMake
# package and pkg-config files, the `keyward` CLI, udev rules and docs. Install components (for
# `cmake --install --component`): runtime (libraries), dev (headers, .so links, CMake/pkg-config
# files), cli (keyward, udev rules), doc. Details: docs/packaging.md.
#
# The software devices keyward-softpiv and keyward-softctap are test fixtures (a software PIV card
# and CTAP key with a published test CA); they are not installed.

# Public headers: include/keyward/ is the whole installed API, plus the generated version.h.
install(DIRECTORY ${PROJECT_SOURCE_DIR}/include/keyward
  DESTINATION ${CMAKE_INSTALL_INCLUDEDIR} COMPONENT dev
  FILES_MATCHING PATTERN "*.h" PATTERN "*.inc")
install(FILES ${PROJECT_BINARY_DIR}/include/keyward/version.h
  DESTINATION ${CMAKE_INSTALL_INCLUDEDIR}/keyward COMPONENT dev)

if(KEYWARD_SHARED AND KEYWARD_COMPONENTS)
  install(EXPORT keywardTargets NAMESPACE keyward:: FILE keywardTargets.cmake
    DESTINATION ${KEYWARD_CMAKE_INSTALL_DIR} COMPONENT dev)
  configure_package_config_file(${PROJECT_SOURCE_DIR}/cmake/templates/keywardConfig.cmake.in
    ${PROJECT_BINARY_DIR}/cmake/keywardConfig.cmake INSTALL_DESTINATION ${KEYWARD_CMAKE_INSTALL_DIR})
  # SemVer 0.x: 0.2.x is compatible with 0.2 requests only (a minor bump may break);
  # from 1.0 on, SameMajorVersion.
  if(PROJECT_VERSION_MAJOR EQUAL 0)
    set(compat SameMinorVersion)
  else()
    set(compat SameMajorVersion)
  endif()
  write_basic_package_version_file(${PROJECT_BINARY_DIR}/cmake/keywardConfigVersion.cmake
    VERSION ${PROJECT_VERSION} COMPATIBILITY ${compat})
  install(FILES ${PROJECT_BINARY_DIR}/cmake/keywardConfig.cmake
    ${PROJECT_BINARY_DIR}/cmake/keywardConfigVersion.cmake
    DESTINATION ${KEYWARD_CMAKE_INSTALL_DIR} COMPONENT dev)
endif()

# The CLI. It links the static archives (it uses internal headers besides the public API), so it
# does not depend on the shared components.
if(TARGET keyward)
  install(TARGETS keyward RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR} COMPONENT cli)
endif()

set(KEYWARD_UDEV_RULES_DIR "lib/udev/rules.d" CACHE STRING
  "udev rules directory (relative to the install prefix, or absolute)")
# udev rules for FIDO keys, rendered for the group plugdev (udev/install-rules renders others).
set(KEYWARD_FIDO_GROUP plugdev)
configure_file(${PROJECT_SOURCE_DIR}/udev/70-keyward-fido.rules.in
  ${PROJECT_BINARY_DIR}/udev/70-keyward-fido.rules @ONLY)
install(FILES ${PROJECT_BINARY_DIR}/udev/70-keyward-fido.rules
  DESTINATION ${KEYWARD_UDEV_RULES_DIR} COMPONENT cli)

install(FILES ${PROJECT_SOURCE_DIR}/README.md DESTINATION ${CMAKE_INSTALL_DOCDIR} COMPONENT doc)
install(DIRECTORY ${PROJECT_SOURCE_DIR}/docs/ DESTINATION ${CMAKE_INSTALL_DOCDIR} COMPONENT doc
  FILES_MATCHING PATTERN "*.md")
install(FILES ${PROJECT_SOURCE_DIR}/udev/README.md DESTINATION ${CMAKE_INSTALL_DOCDIR}/udev
  COMPONENT doc)
