// What the fuzz targets share: stopping the run, with a reason, when a property fails.
#pragma once

#include <cstdio>
#include <cstdlib>
#include <exception>

namespace smsgw::fuzz {

/// Prints `what` and aborts, which libFuzzer reports as a crash with this input.
[[noreturn]] inline void fail(const char* what) {
  std::fprintf(stderr, "fuzz property failed: %s\n", what);
  std::abort();
}

/// Aborts with `what` unless `ok`.
inline void check(bool ok, const char* what) {
  if (!ok) fail(what);
}

/// Aborts naming an exception that the code under test must not let escape.
[[noreturn]] inline void unexpected_exception(const std::exception& e) {
  std::fprintf(stderr, "unexpected exception: %s\n", e.what());
  std::abort();
}

}  // namespace smsgw::fuzz
