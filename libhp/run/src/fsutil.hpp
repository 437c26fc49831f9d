// Internal to hp::run: small file helpers (results directory I/O).
#pragma once

#include <string>

namespace hp::run {

/// Append one line and flush it to disk (the journal).
void append_line_synced(const std::string& path, const std::string& line);
/// Whole file, or "" when it does not exist; throws hp::IoError when it exists but cannot be read.
std::string read_text(const std::string& path);

}  // namespace hp::run
