// Helpers for the SVG pictures (see hp/svg.hpp).
#include "hp/svg.hpp"

#include <fmt/core.h>

#include <algorithm>
#include <cmath>
#include <string_view>

namespace hp::svg {

std::string escape(const std::string& s) {
  std::string o;
  for (char ch : s) {
    switch (ch) {
      case '&': o += "&amp;"; break;
      case '<': o += "&lt;"; break;
      case '>': o += "&gt;"; break;
      case '"': o += "&quot;"; break;
      default: o += ch;
    }
  }
  return o;
}

std::vector<double> linear_ticks(double max_value, int target) {
  if (!(max_value > 0) || !std::isfinite(max_value)) return {0, 1};
  target = std::max(target, 1);
  const double raw = max_value / target;
  const double p = std::pow(10.0, std::floor(std::log10(raw)));
  double step = 10 * p;
  for (double m : {1.0, 2.0, 5.0})
    if (m * p >= raw * (1 - 1e-9)) {
      step = m * p;
      break;
    }
  std::vector<double> t;
  for (int i = 0;; ++i) {
    t.push_back(i * step);
    if (i * step >= max_value * (1 - 1e-9)) break;
  }
  return t;
}

namespace {
constexpr double kSeries[] = {1, 1.5, 2, 3, 4, 5, 6, 8, 10};
}

double log_floor(double v) {
  const double p = std::pow(10.0, std::floor(std::log10(v)));
  double best = p;
  for (double m : kSeries)
    if (m * p <= v * (1 + 1e-9)) best = m * p;
  return best;
}

double log_ceil(double v) {
  const double p = std::pow(10.0, std::floor(std::log10(v)));
  for (double m : kSeries)
    if (m * p >= v * (1 - 1e-9)) return m * p;
  return 10 * p;
}

std::vector<double> log_ticks(double lo, double hi) {
  std::vector<double> t{lo};
  for (double d = std::floor(std::log10(lo)); d <= std::ceil(std::log10(hi)); d += 1)
    for (int k = 1; k <= 9; ++k) {
      const double v = k * std::pow(10.0, d);
      if (v > lo * (1 + 1e-9) && v < hi * (1 - 1e-9)) t.push_back(v);
    }
  t.push_back(hi);
  return t;
}

std::string tick_label(double v) {
  if (v == 0) return "0";
  const double a = std::fabs(v);
  if (a >= 1e-4 && a < 1e6) {
    // 4 significant digits as fixed-point, then trailing zeros (and a bare point) dropped.
    const int decimals = std::max(0, 3 - static_cast<int>(std::floor(std::log10(a))));
    std::string s = fmt::format("{:.{}f}", v, decimals);
    if (s.find('.') != std::string::npos) {
      while (s.back() == '0') s.pop_back();
      if (s.back() == '.') s.pop_back();
    }
    return s;
  }
  return fmt::format("{:.3g}", v);
}

double text_width(const std::string& text, double font_px, bool bold) {
  // Advance widths in em, rounded up from DejaVu Sans (the widest common sans-serif; Helvetica/Arial are
  // narrower): narrow punctuation, digits, lower and upper case. Bytes of a multi-byte UTF-8 character count
  // once (the lead byte), as one wide glyph.
  double em = 0;
  for (unsigned char c : text) {
    if ((c & 0xC0) == 0x80) continue;  // UTF-8 continuation byte
    if (c >= 0x80) em += 1.0;
    else if (std::string_view("il.,:;|!'` ").find(static_cast<char>(c)) != std::string_view::npos) em += 0.34;
    else if (std::string_view("fjrt()[]{}-/\\\"").find(static_cast<char>(c)) != std::string_view::npos) em += 0.45;
    else if (c == 'm' || c == 'w' || c == 'M' || c == 'W' || c == '%' || c == '@') em += 1.0;
    else if (c >= 'A' && c <= 'Z') em += 0.78;
    else em += 0.64;
  }
  return em * font_px * (bold ? 1.1 : 1.0);
}

}  // namespace hp::svg
