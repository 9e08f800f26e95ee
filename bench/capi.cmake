# bench_capi: one ES256 assertion verified through the C++ API and through the C ABI
# (libkeyward-c.so, JSON expectations in, verdict JSON out) in one run. bench/capi/python_bench.py
# runs it beside the Python binding and python-fido2. Included from bench/CMakeLists.txt.
if(TARGET keyward_c AND TARGET keyward_webauthn)
  add_executable(bench_capi ${CMAKE_CURRENT_LIST_DIR}/capi/capi_bench.cc)
  target_link_libraries(bench_capi PRIVATE keyward_c keyward_webauthn keyward_flags)
endif()
if(TARGET keyward_c AND TARGET keyward_webauthn)
  # The same two measurements as a module python_bench.py loads (ctypes) to interleave them with
  # the binding's rounds in one process.
  add_library(bench_capi_module MODULE ${CMAKE_CURRENT_LIST_DIR}/capi/capi_bench.cc)
  target_compile_definitions(bench_capi_module PRIVATE KEYWARD_BENCH_MODULE=1)
  target_link_libraries(bench_capi_module PRIVATE keyward_c keyward_webauthn keyward_flags)
  set_target_properties(bench_capi_module PROPERTIES PREFIX "" CXX_VISIBILITY_PRESET hidden)
endif()
