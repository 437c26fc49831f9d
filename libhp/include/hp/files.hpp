// Reading and writing whole files with the project's input limits and all-or-nothing writes.
// Public header: standard-library types only. Limits and exit codes: docs/usage.md "Limits".
#pragma once

#include <cstddef>
#include <string>

namespace hp {

/// Largest YAML/CSV input read (search configs, NeMo configs, GPU files, calibrations, measurement CSVs).
/// Real ones are a few KiB; the limit only stops /dev/zero-like inputs from reading forever.
constexpr std::size_t kMaxConfigFileBytes = std::size_t{16} << 20;  // 16 MiB
/// Largest training / benchmark log or TensorBoard event file read.
constexpr std::size_t kMaxLogFileBytes = std::size_t{256} << 20;    // 256 MiB

/// The whole file. A missing or unreadable path, a directory, or a file larger than max_bytes is an IoError
/// naming the path ("what" says which input: "config", "GPU file", ...). Never reads more than max_bytes + 1.
std::string read_file_limited(const std::string& path, std::size_t max_bytes, const std::string& what);

/// Text inputs (CSV, YAML) must be UTF-8 without NUL bytes: a binary file is a ConfigError naming the origin
/// and the first bad byte's offset ("expected a <what>"), not a table of garbage.
void require_text(const std::string& text, const std::string& origin, const std::string& what);

/// Write text through a temporary file in the same directory, fsync and rename: either the whole new file is
/// there or the old state is left untouched (no partial file on ENOSPC). create_parents: make missing parent
/// directories first (else a missing directory is an IoError).
void write_file_atomic(const std::string& path, const std::string& text, bool create_parents = true);

}  // namespace hp
