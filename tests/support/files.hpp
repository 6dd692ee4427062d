// Files the tests read back: a child process's output, a log.
#pragma once

#include <filesystem>
#include <string>

namespace smsgw::testing {

/// The whole of file `p` ("" when it cannot be read).
std::string read_file(const std::filesystem::path& p);

}  // namespace smsgw::testing
