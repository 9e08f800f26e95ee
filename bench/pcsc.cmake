# PC/SC: APDU exchange cost (in memory against the software card; through pcscd + vpcd when run
# under `scripts/with-pcscd --softpiv STATE build/bin/bench_pcsc_apdu`).
if(TARGET keyward_pcsc AND TARGET keyward_softpiv)
  add_executable(bench_pcsc_apdu pcsc_apdu_bench.cc)
  target_link_libraries(bench_pcsc_apdu PRIVATE keyward_bench_main keyward_pcsc keyward_softpiv
    keyward_flags)
endif()
