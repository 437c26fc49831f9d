#include "fsutil.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "hp/core.hpp"
#include "hp/files.hpp"

namespace fs = std::filesystem;

namespace hp::run {

void append_line_synced(const std::string& path, const std::string& line) {
  int fd = ::open(path.c_str(), O_WRONLY | O_APPEND | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0644);
  if (fd < 0) throw hp::IoError(path, "cannot open for appending");
  std::string data = line + "\n";
  const off_t before = ::lseek(fd, 0, SEEK_END);
  bool ok = ::write(fd, data.data(), data.size()) == static_cast<ssize_t>(data.size());
  if (ok) ok = ::fsync(fd) == 0;
  if (!ok && before >= 0) (void)::ftruncate(fd, before);  // ENOSPC: no half line left for the next reader
  ::close(fd);
  if (!ok) throw hp::IoError(path, "append failed");
}

std::string read_text(const std::string& path) {
  std::error_code ec;
  if (!fs::exists(path, ec)) return "";
  return hp::read_file_limited(path, hp::kMaxLogFileBytes, "results file");
}

}  // namespace hp::run
