#include "tests/support/files.hpp"

#include <fstream>
#include <sstream>

namespace smsgw::testing {

std::string read_file(const std::filesystem::path& p) {
  std::ifstream in(p);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

}  // namespace smsgw::testing
