// Default options of the sanitizers' runtimes, linked into our executables only
// when HOLD_SANITIZE is set (CMakeLists.txt, hold_habits). ASAN_OPTIONS and
// UBSAN_OPTIONS in the environment are applied on top of these.
//
// detect_leaks=0: LibTorch (not built with ASan) keeps its operator and
//   dispatcher registrations, thread pools and allocator caches alive until exit
//   on purpose; LeakSanitizer reports them, and every process would fail.
// protect_shadow_gap=0: the CUDA driver maps memory into the range ASan reserves
//   as its shadow gap; without this, CUDA initialisation fails on a GPU machine.
// UBSan: a stack for every report, and stop at the first (a test fails on it).

extern "C" __attribute__((visibility("default"), used)) const char* __asan_default_options() {
  return "detect_leaks=0:protect_shadow_gap=0";
}

extern "C" __attribute__((visibility("default"), used)) const char* __ubsan_default_options() {
  return "print_stacktrace=1:halt_on_error=1";
}
