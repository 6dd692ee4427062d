#include "tests/support/certificate.hpp"

#include <unistd.h>

#include <atomic>
#include <cstdlib>
#include <string>

namespace smsgw::testing {

test_certificate::test_certificate() {
  static std::atomic<int> made{0};
  dir_ = std::filesystem::temp_directory_path() /
         ("smsgw-tls-" + std::to_string(::getpid()) + "-" + std::to_string(made++));
  std::filesystem::create_directories(dir_);
  const std::string cmd =
      "openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj /CN=localhost "
      "-addext subjectAltName=DNS:localhost -keyout " +
      key().string() + " -out " + certificate().string() + " >/dev/null 2>&1";
  ok_ = std::system(cmd.c_str()) == 0;  // NOLINT(cert-env33-c): a fixed command, no input
}

test_certificate::~test_certificate() {
  std::error_code ignored;
  std::filesystem::remove_all(dir_, ignored);
}

}  // namespace smsgw::testing
