// Bounded whole-file reads and atomic whole-file writes (see hp/files.hpp).
#include "hp/files.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>

#include "hp/core.hpp"

namespace hp {

namespace {

std::string mib(std::size_t bytes) { return std::to_string(bytes >> 20) + " MiB"; }

struct Fd {
  int fd = -1;
  ~Fd() {
    if (fd >= 0) ::close(fd);
  }
};

}  // namespace

std::string read_file_limited(const std::string& path, std::size_t max_bytes, const std::string& what) {
  if (path.empty()) throw IoError(path, "empty path for the " + what);
  Fd f;
  // O_NONBLOCK: a FIFO with no writer must not block the open; cleared below for the reads.
  f.fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK);
  if (f.fd < 0) throw IoError(path, "cannot open the " + what + " for reading: " + std::strerror(errno));
  struct stat st {};
  if (::fstat(f.fd, &st) != 0) throw IoError(path, "cannot stat the " + what + ": " + std::strerror(errno));
  if (S_ISDIR(st.st_mode)) throw IoError(path, "is a directory, not a " + what);
  if (S_ISREG(st.st_mode) && static_cast<unsigned long long>(st.st_size) > max_bytes)
    throw IoError(path, "the " + what + " is " + std::to_string(st.st_size) + " bytes; the limit is " + mib(max_bytes));
  const int flags = ::fcntl(f.fd, F_GETFL);
  if (flags >= 0) ::fcntl(f.fd, F_SETFL, flags & ~O_NONBLOCK);
  std::string out;
  char buf[65536];
  for (;;) {
    const ssize_t n = ::read(f.fd, buf, sizeof buf);
    if (n == 0) break;
    if (n < 0) {
      if (errno == EINTR) continue;
      throw IoError(path, "read of the " + what + " failed: " + std::strerror(errno));
    }
    out.append(buf, static_cast<std::size_t>(n));
    if (out.size() > max_bytes)
      throw IoError(path, "the " + what + " is larger than the " + mib(max_bytes) + " limit");
  }
  return out;
}

void require_text(const std::string& text, const std::string& origin, const std::string& what) {
  const auto* p = reinterpret_cast<const unsigned char*>(text.data());
  const std::size_t n = text.size();
  for (std::size_t i = 0; i < n;) {
    const unsigned char c = p[i];
    std::size_t len = c < 0x80 ? 1 : (c >> 5) == 0x6 ? 2 : (c >> 4) == 0xE ? 3 : (c >> 3) == 0x1E ? 4 : 0;
    bool ok = len > 0 && c != 0 && i + len <= n && !(len == 2 && c < 0xC2);
    for (std::size_t k = 1; ok && k < len; ++k) ok = (p[i + k] & 0xC0) == 0x80;
    if (!ok) throw ConfigError(origin, "byte " + std::to_string(i), "not UTF-8 text; expected a " + what);
    i += len;
  }
}

void write_file_atomic(const std::string& path, const std::string& text, bool create_parents) {
  const std::filesystem::path parent = std::filesystem::path(path).parent_path();
  std::error_code ec;
  if (create_parents && !parent.empty()) std::filesystem::create_directories(parent, ec);
  if (ec) throw IoError(path, "cannot create the directory: " + ec.message());
  const std::string tmp = path + ".tmp" + std::to_string(::getpid());
  Fd f;
  f.fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0644);
  if (f.fd < 0) throw IoError(path, std::string("cannot write: ") + std::strerror(errno));
  const char* p = text.data();
  std::size_t left = text.size();
  int err = 0;
  while (left > 0) {
    const ssize_t n = ::write(f.fd, p, left);
    if (n < 0) {
      if (errno == EINTR) continue;
      err = errno;
      break;
    }
    p += n;
    left -= static_cast<std::size_t>(n);
  }
  if (err == 0 && ::fsync(f.fd) != 0) err = errno;
  if (::close(f.fd) != 0 && err == 0) err = errno;
  f.fd = -1;
  if (err == 0 && ::rename(tmp.c_str(), path.c_str()) != 0) err = errno;
  if (err != 0) {
    ::unlink(tmp.c_str());
    throw IoError(path, std::string("write failed: ") + std::strerror(err));
  }
}

}  // namespace hp
