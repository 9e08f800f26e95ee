# keyward_unit_test(NAME name SOURCES a_test.cc ... LIBS keyward_x ... [LABELS extra ...]
#                   [WRAPPER script args...] [TIMEOUT seconds])
# One test executable = one CTest test, labelled "unit" plus LABELS. A WRAPPER (e.g.
# scripts/with-pcscd) runs the executable inside the services it needs; such tests should carry
# a label naming the service so `ctest -L unit -LE pcscd` can leave them out.
# Tests get KEYWARD_SOURCE_DIR / KEYWARD_TEST_DATA_DIR defined, and run with the build's bin/ on
# PATH (KEYWARD_BIN_DIR in the environment).
# keyward_unit_tests: every unit test that needs no service (what the sanitizer stage builds/runs).
if(NOT TARGET keyward_unit_tests)
  add_custom_target(keyward_unit_tests)
endif()

function(keyward_unit_test)
  cmake_parse_arguments(T "" "NAME;TIMEOUT" "SOURCES;LIBS;LABELS;WRAPPER" ${ARGN})
  add_executable(${T_NAME} ${T_SOURCES})
  target_link_libraries(${T_NAME} PRIVATE ${T_LIBS} GTest::gtest GTest::gmock GTest::gtest_main
    keyward_flags)
  target_compile_definitions(${T_NAME} PRIVATE
    KEYWARD_SOURCE_DIR="${PROJECT_SOURCE_DIR}"
    KEYWARD_TEST_DATA_DIR="${PROJECT_SOURCE_DIR}/tests/data"
    KEYWARD_BIN_DIR="${CMAKE_RUNTIME_OUTPUT_DIRECTORY}")
  if(NOT T_TIMEOUT)
    set(T_TIMEOUT 300)
  endif()
  add_test(NAME ${T_NAME} COMMAND ${T_WRAPPER} $<TARGET_FILE:${T_NAME}>)
  if(NOT "e2e" IN_LIST T_LABELS)
    add_dependencies(keyward_unit_tests ${T_NAME})
  endif()
  set_tests_properties(${T_NAME} PROPERTIES LABELS "unit;${T_LABELS}" TIMEOUT ${T_TIMEOUT}
    ENVIRONMENT "KEYWARD_BIN_DIR=${CMAKE_RUNTIME_OUTPUT_DIRECTORY};ASAN_OPTIONS=detect_leaks=1;UBSAN_OPTIONS=print_stacktrace=1")
endfunction()
