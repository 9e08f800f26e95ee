# Compiler flags shared by every keyward target: warnings, sanitizers, fuzzing instrumentation.
add_library(keyward_flags INTERFACE)
target_compile_options(keyward_flags INTERFACE -Wall -Wextra -Wshadow -Wnon-virtual-dtor
  -Wcast-align -Wunused -Woverloaded-virtual -Wformat=2 -Wimplicit-fallthrough)
if(KEYWARD_WERROR)
  target_compile_options(keyward_flags INTERFACE -Werror)
endif()
if(KEYWARD_SANITIZE)
  target_compile_options(keyward_flags INTERFACE -fsanitize=address,undefined
    -fno-sanitize-recover=all -fno-omit-frame-pointer)
  target_link_options(keyward_flags INTERFACE -fsanitize=address,undefined)
endif()
if(KEYWARD_FUZZ)
  if(NOT CMAKE_CXX_COMPILER_ID STREQUAL "Clang")
    message(FATAL_ERROR "KEYWARD_FUZZ needs clang (CXX=clang++)")
  endif()
  target_compile_options(keyward_flags INTERFACE -fsanitize=fuzzer-no-link,address,undefined
    -fno-sanitize-recover=undefined -fno-omit-frame-pointer -DKEYWARD_FUZZING=1)
  target_link_options(keyward_flags INTERFACE -fsanitize=address,undefined)
endif()
