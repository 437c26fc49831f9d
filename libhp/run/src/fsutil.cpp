#include "fsutil.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "hp/core.hpp"

namespace fs = std::filesystem;

namespace hpfe {

void append_line_synced(const std::string& path, const std::string& line) {
  int fd = ::open(path.c_str(), O_WRONLY | O_APPEND | O_CREAT, 0644);
  if (fd < 0) throw hp::IoError(path, "cannot open for appending");
  std::string data = line + "\n";
  bool ok = ::write(fd, data.data(), data.size()) == static_cast<ssize_t>(data.size());
  ::fsync(fd);
  ::close(fd);
  if (!ok) throw hp::IoError(path, "append failed");
}

std::string read_text(const std::string& path) {
  std::error_code ec;
  if (!fs::exists(path, ec)) return "";
  std::ifstream in(path, std::ios::binary);
  if (!in) throw hp::IoError(path, "cannot read");
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

}  // namespace hpfe
