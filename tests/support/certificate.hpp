// A throwaway self-signed certificate for `localhost`, for the TLS tests of the SMPP client
// and the admin port.
#pragma once

#include <filesystem>

namespace smsgw::testing {

class test_certificate {
 public:
  /// Makes a key and certificate (RSA 2048, CN and subjectAltName localhost, 2 days) with the
  /// openssl command in a fresh temporary directory; ok() is false when that failed.
  test_certificate();
  ~test_certificate();
  test_certificate(const test_certificate&) = delete;
  test_certificate& operator=(const test_certificate&) = delete;

  [[nodiscard]] bool ok() const { return ok_; }
  [[nodiscard]] std::filesystem::path certificate() const { return dir_ / "cert.pem"; }
  [[nodiscard]] std::filesystem::path key() const { return dir_ / "key.pem"; }

 private:
  std::filesystem::path dir_;
  bool ok_ = false;
};

}  // namespace smsgw::testing
