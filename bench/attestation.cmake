# Registration verification with attestation (packed x5c chain of 2, tpm) beside the raw floor.
add_executable(bench_registration registration_bench.cc
  ${PROJECT_SOURCE_DIR}/tests/unit/attestation/test_pki.cc)
target_link_libraries(bench_registration PRIVATE keyward_bench_main keyward_webauthn
  keyward_attestation keyward_flags)
target_compile_definitions(bench_registration PRIVATE KEYWARD_SOURCE_DIR="${PROJECT_SOURCE_DIR}")
