# bench_authenticator: FinishLogin end to end against a SQLite store of 1,000,000 credentials,
# beside bare assertion verification. Included from bench/CMakeLists.txt:
#   include(${CMAKE_CURRENT_SOURCE_DIR}/authenticator.cmake)
if(TARGET keyward_authenticator AND TARGET keyward_webauthn)
  add_executable(bench_authenticator ${CMAKE_CURRENT_LIST_DIR}/authenticator_finish_login_bench.cc)
  target_link_libraries(bench_authenticator PRIVATE keyward_bench_main keyward_authenticator
    keyward_webauthn benchmark::benchmark keyward_flags)
endif()
