// TensorBoard event files: TFRecord framing with masked CRC32C, and hand-decoded Event / Summary protobufs.
// Sources (docs/model.md): tensorflow/core/lib/io/record_writer.cc (framing: uint64 length, masked crc of
// the length, data, masked crc of the data), tensorflow/core/lib/hash/crc32c.h (mask: rotate right 15 and add
// 0xa282ead8), tensorflow/core/util/event.proto (Event: 1 wall_time double, 2 step int64, 3 file_version,
// 5 summary), tensorflow/core/framework/summary.proto (Summary: 1 repeated Value; Value: 1 tag, 2 simple_value
// float, 8 tensor), tensorflow/core/framework/tensor.proto (1 dtype, 4 tensor_content, 5 float_val,
// 6 double_val; DT_FLOAT = 1, DT_DOUBLE = 2).
#include <array>
#include <cstring>
#include <fstream>
#include <sstream>

#include "hp/files.hpp"
#include "hp/core.hpp"
#include "hp/logs.hpp"

namespace hp {
namespace {

const std::array<std::uint32_t, 256>& crc_table() {
  static const std::array<std::uint32_t, 256> table = [] {
    std::array<std::uint32_t, 256> t{};
    for (std::uint32_t i = 0; i < 256; ++i) {
      std::uint32_t c = i;
      for (int k = 0; k < 8; ++k) c = (c & 1U) ? (c >> 1) ^ 0x82F63B78U : c >> 1;  // Castagnoli, reflected
      t[i] = c;
    }
    return t;
  }();
  return table;
}

std::uint64_t load_le(const char* p, int n) {
  std::uint64_t v = 0;
  for (int i = n - 1; i >= 0; --i) v = (v << 8) | static_cast<unsigned char>(p[i]);
  return v;
}

void store_le(std::string& out, std::uint64_t v, int n) {
  for (int i = 0; i < n; ++i) out.push_back(static_cast<char>((v >> (8 * i)) & 0xFF));
}

// A protobuf field reader over one message's bytes.
struct Reader {
  const char* p;
  const char* end;
  std::string origin;

  [[noreturn]] void fail(const std::string& why) const { throw LogParseError(origin + ": malformed event: " + why); }
  bool done() const { return p >= end; }
  std::uint64_t varint() {
    std::uint64_t v = 0;
    for (int shift = 0; shift < 64; shift += 7) {
      if (p >= end) fail("truncated varint");
      auto b = static_cast<unsigned char>(*p++);
      v |= static_cast<std::uint64_t>(b & 0x7F) << shift;
      if (!(b & 0x80)) return v;
    }
    fail("varint too long");
  }
  std::string_view bytes() {
    std::uint64_t n = varint();
    if (n > static_cast<std::uint64_t>(end - p)) fail("length past the end");
    std::string_view s(p, n);
    p += n;
    return s;
  }
  std::uint64_t fixed(int n) {
    if (end - p < n) fail("truncated fixed field");
    std::uint64_t v = load_le(p, n);
    p += n;
    return v;
  }
  void skip(int wire) {
    switch (wire) {
      case 0: varint(); break;
      case 1: fixed(8); break;
      case 2: bytes(); break;
      case 5: fixed(4); break;
      default: fail("unsupported wire type " + std::to_string(wire));
    }
  }
};

double as_float(std::uint64_t bits32) {
  auto b = static_cast<std::uint32_t>(bits32);
  float f;
  std::memcpy(&f, &b, 4);
  return f;
}
double as_double(std::uint64_t bits) {
  double d;
  std::memcpy(&d, &bits, 8);
  return d;
}

// TensorProto -> first element as double; false when the dtype is not float/double or there is no element.
bool tensor_scalar(std::string_view msg, const std::string& origin, double& out) {
  Reader r{msg.data(), msg.data() + msg.size(), origin};
  std::uint64_t dtype = 0;
  bool have = false;
  std::string_view content;
  while (!r.done()) {
    std::uint64_t key = r.varint();
    int field = static_cast<int>(key >> 3), wire = static_cast<int>(key & 7);
    if (field == 1 && wire == 0) {
      dtype = r.varint();
    } else if (field == 4 && wire == 2) {
      content = r.bytes();
    } else if (field == 5 && !have && (wire == 5 || wire == 2)) {  // float_val, unpacked or packed
      if (wire == 5) {
        out = as_float(r.fixed(4));
      } else {
        std::string_view packed = r.bytes();
        if (packed.size() < 4) continue;
        out = as_float(load_le(packed.data(), 4));
      }
      have = true;
    } else if (field == 6 && !have && (wire == 1 || wire == 2)) {  // double_val
      if (wire == 1) {
        out = as_double(r.fixed(8));
      } else {
        std::string_view packed = r.bytes();
        if (packed.size() < 8) continue;
        out = as_double(load_le(packed.data(), 8));
      }
      have = true;
    } else {
      r.skip(wire);
    }
  }
  if (have) return true;
  if (dtype == 1 && content.size() >= 4) {
    out = as_float(load_le(content.data(), 4));
    return true;
  }
  if (dtype == 2 && content.size() >= 8) {
    out = as_double(load_le(content.data(), 8));
    return true;
  }
  return false;
}

// Summary.Value: returns true and sets value when its tag matches and it holds a number.
bool summary_value(std::string_view msg, const std::string& tag, const std::string& origin, double& value) {
  Reader r{msg.data(), msg.data() + msg.size(), origin};
  std::string_view this_tag, tensor;
  bool have_simple = false;
  double simple = 0;
  while (!r.done()) {
    std::uint64_t key = r.varint();
    int field = static_cast<int>(key >> 3), wire = static_cast<int>(key & 7);
    if (field == 1 && wire == 2) {
      this_tag = r.bytes();
    } else if (field == 2 && wire == 5) {
      simple = as_float(r.fixed(4));
      have_simple = true;
    } else if (field == 8 && wire == 2) {
      tensor = r.bytes();
    } else {
      r.skip(wire);
    }
  }
  if (this_tag != tag) return false;
  if (have_simple) {
    value = simple;
    return true;
  }
  return !tensor.empty() && tensor_scalar(tensor, origin, value);
}

void decode_event(std::string_view msg, const std::string& tag, const std::string& origin,
                  std::vector<ScalarPoint>& out) {
  Reader r{msg.data(), msg.data() + msg.size(), origin};
  ScalarPoint point;
  std::vector<std::string_view> summaries;
  while (!r.done()) {
    std::uint64_t key = r.varint();
    int field = static_cast<int>(key >> 3), wire = static_cast<int>(key & 7);
    if (field == 1 && wire == 1) {
      point.wall_time_s = as_double(r.fixed(8));
    } else if (field == 2 && wire == 0) {
      point.step = static_cast<long long>(r.varint());
    } else if (field == 5 && wire == 2) {
      summaries.push_back(r.bytes());
    } else {
      r.skip(wire);
    }
  }
  for (std::string_view s : summaries) {
    Reader sr{s.data(), s.data() + s.size(), origin};
    while (!sr.done()) {
      std::uint64_t key = sr.varint();
      int field = static_cast<int>(key >> 3), wire = static_cast<int>(key & 7);
      if (field == 1 && wire == 2) {
        std::string_view v = sr.bytes();
        if (summary_value(v, tag, origin, point.value)) out.push_back(point);
      } else {
        sr.skip(wire);
      }
    }
  }
}

// Protobuf encoding helpers (writer).
void put_varint(std::string& out, std::uint64_t v) {
  while (v >= 0x80) {
    out.push_back(static_cast<char>((v & 0x7F) | 0x80));
    v >>= 7;
  }
  out.push_back(static_cast<char>(v));
}
void put_bytes(std::string& out, int field, const std::string& bytes) {
  put_varint(out, (static_cast<std::uint64_t>(field) << 3) | 2);
  put_varint(out, bytes.size());
  out += bytes;
}
void put_double(std::string& out, int field, double d) {
  put_varint(out, (static_cast<std::uint64_t>(field) << 3) | 1);
  std::uint64_t bits;
  std::memcpy(&bits, &d, 8);
  store_le(out, bits, 8);
}
void put_float(std::string& out, int field, float f) {
  put_varint(out, (static_cast<std::uint64_t>(field) << 3) | 5);
  std::uint32_t bits;
  std::memcpy(&bits, &f, 4);
  store_le(out, bits, 4);
}
void put_record(std::string& out, const std::string& data) {
  std::string len;
  store_le(len, data.size(), 8);
  out += len;
  store_le(out, masked_crc32c(len.data(), len.size()), 4);
  out += data;
  store_le(out, masked_crc32c(data.data(), data.size()), 4);
}

}  // namespace

std::uint32_t crc32c(const void* data, std::size_t size) noexcept {
  const auto& table = crc_table();
  const auto* p = static_cast<const unsigned char*>(data);
  std::uint32_t c = 0xFFFFFFFFU;
  for (std::size_t i = 0; i < size; ++i) c = table[(c ^ p[i]) & 0xFF] ^ (c >> 8);
  return c ^ 0xFFFFFFFFU;
}

std::uint32_t masked_crc32c(const void* data, std::size_t size) noexcept {
  std::uint32_t c = crc32c(data, size);
  return ((c >> 15) | (c << 17)) + 0xa282ead8U;
}

std::vector<ScalarPoint> parse_tensorboard_scalars(const std::string& bytes, const std::string& tag,
                                                   const std::string& origin) {
  std::vector<ScalarPoint> out;
  std::size_t pos = 0;
  while (pos < bytes.size()) {
    if (bytes.size() - pos < 12) break;  // truncated header of the last record
    const char* h = bytes.data() + pos;
    std::uint64_t len = load_le(h, 8);
    auto len_crc = static_cast<std::uint32_t>(load_le(h + 8, 4));
    if (masked_crc32c(h, 8) != len_crc)
      throw LogParseError(origin + ": length CRC mismatch in the record at byte " + std::to_string(pos) +
                          " (not a TensorBoard event file, or corrupt)");
    if (len > bytes.size() - pos - 12 || bytes.size() - pos - 12 - len < 4) break;  // truncated last record
    const char* data = h + 12;
    auto data_crc = static_cast<std::uint32_t>(load_le(data + len, 4));
    if (masked_crc32c(data, len) != data_crc)
      throw LogParseError(origin + ": data CRC mismatch in the record at byte " + std::to_string(pos));
    decode_event(std::string_view(data, len), tag, origin, out);
    pos += 12 + len + 4;
  }
  return out;
}

std::vector<ScalarPoint> read_tensorboard_scalars(const std::string& path, const std::string& tag) {
  return parse_tensorboard_scalars(read_file_limited(path, kMaxLogFileBytes, "TensorBoard event file"), tag, path);
}

std::string encode_tensorboard_scalars(const std::string& tag, const std::vector<ScalarPoint>& points,
                                       bool tensor_form) {
  std::string out;
  std::string first;
  put_double(first, 1, points.empty() ? 0.0 : points.front().wall_time_s);
  put_bytes(first, 3, "brain.Event:2");
  put_record(out, first);
  for (const ScalarPoint& p : points) {
    std::string value;
    put_bytes(value, 1, tag);
    if (tensor_form) {
      std::string tensor;
      put_varint(tensor, (1 << 3) | 0);  // dtype
      put_varint(tensor, 1);             // DT_FLOAT
      put_bytes(tensor, 2, "");          // scalar shape
      put_float(tensor, 5, static_cast<float>(p.value));
      put_bytes(value, 8, tensor);
    } else {
      put_float(value, 2, static_cast<float>(p.value));
    }
    std::string summary;
    put_bytes(summary, 1, value);
    std::string event;
    put_double(event, 1, p.wall_time_s);
    put_varint(event, (2 << 3) | 0);
    put_varint(event, static_cast<std::uint64_t>(p.step));
    put_bytes(event, 5, summary);
    put_record(out, event);
  }
  return out;
}

}  // namespace hp
