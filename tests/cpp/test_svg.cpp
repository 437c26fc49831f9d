// hp::svg helpers behind every picture: axis ends just past the data, tick labels, text widths.
#include <catch2/catch.hpp>

#include <cmath>
#include <limits>

#include "hp/svg.hpp"

TEST_CASE("svg: linear ticks end at the first nice multiple at or past the maximum", "[svg]") {
  CHECK(hp::svg::linear_ticks(2.4) == std::vector<double>{0, 0.5, 1, 1.5, 2, 2.5});
  CHECK(hp::svg::linear_ticks(207.3) == std::vector<double>{0, 50, 100, 150, 200, 250});
  CHECK(hp::svg::linear_ticks(80) == std::vector<double>{0, 20, 40, 60, 80});  // a maximum on a tick ends there
  CHECK(hp::svg::linear_ticks(0.0012).back() == Approx(0.0015));  // step 0.0005 (about 5 intervals)
  for (double v : {0.37, 1.0, 9.99, 12.5, 999.0, 1234.5, 7e9}) {
    const auto t = hp::svg::linear_ticks(v);
    INFO(v);
    CHECK(t.front() == 0);
    CHECK(t.back() >= v);
    CHECK(t.back() <= 1.5 * v);
    CHECK(t.size() >= 3);
    CHECK(t.size() <= 11);
  }
  CHECK(hp::svg::linear_ticks(0) == std::vector<double>{0, 1});
  CHECK(hp::svg::linear_ticks(std::numeric_limits<double>::infinity()) == std::vector<double>{0, 1});
}

TEST_CASE("svg: log axis ends fit the data instead of whole decades", "[svg]") {
  CHECK(hp::svg::log_ceil(1236) == Approx(1500));  // not 10,000
  CHECK(hp::svg::log_floor(122) == Approx(100));
  CHECK(hp::svg::log_ceil(1200) == Approx(1500));
  CHECK(hp::svg::log_ceil(2000) == Approx(2000));
  CHECK(hp::svg::log_floor(5) == Approx(5));
  CHECK(hp::svg::log_ceil(8.1) == Approx(10));
  for (double v : {0.013, 0.9, 1.0, 3.3, 47.0, 999.0, 12345.0}) {
    INFO(v);
    CHECK(hp::svg::log_floor(v) <= v);
    CHECK(hp::svg::log_floor(v) >= v / 1.5);
    CHECK(hp::svg::log_ceil(v) >= v);
    CHECK(hp::svg::log_ceil(v) <= v * 1.5);
  }
  const auto t = hp::svg::log_ticks(100, 1500);
  CHECK(t.front() == 100);
  CHECK(t.back() == 1500);
  CHECK(t.size() == 11);  // 100 200 ... 900 1000 1500
}

TEST_CASE("svg: tick labels and text widths", "[svg]") {
  CHECK(hp::svg::tick_label(0) == "0");
  CHECK(hp::svg::tick_label(2.5) == "2.5");
  CHECK(hp::svg::tick_label(1500) == "1500");
  CHECK(hp::svg::tick_label(0.15) == "0.15");
  CHECK(hp::svg::tick_label(199.43) == "199.4");
  CHECK(hp::svg::tick_label(2e7) == "2e+07");
  // Widths grow with the text and the font; bold is wider; a UTF-8 character counts once.
  CHECK(hp::svg::text_width("1500", 12) == Approx(4 * 0.64 * 12));
  CHECK(hp::svg::text_width("WWW", 12) > hp::svg::text_width("iii", 12));
  CHECK(hp::svg::text_width("abc", 12, true) > hp::svg::text_width("abc", 12));
  CHECK(hp::svg::text_width("\xE2\x98\x85", 10) == Approx(10));
  CHECK(hp::svg::escape("a<b & \"c\">") == "a&lt;b &amp; &quot;c&quot;&gt;");
}
