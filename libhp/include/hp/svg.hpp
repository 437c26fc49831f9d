// Small pieces shared by the pictures the tool writes (report.html's charts, pareto.svg): escaping, "nice" axis
// ticks, and a text-width estimate so that labels are laid out without overlapping one another.
// Public header: standard-library types only.
#pragma once

#include <string>
#include <vector>

namespace hp::svg {

/// XML text/attribute escaping (&, <, >, ").
std::string escape(const std::string& text);

/// Ticks 0, s, 2s, ... for a linear axis from 0 that must show `max_value` (> 0): s is 1, 2 or 5 x 10^k giving
/// about `target` intervals, and the last tick is the first multiple of s at or past max_value (so the axis
/// ends just past the data). max_value <= 0 or not finite gives {0, 1}.
std::vector<double> linear_ticks(double max_value, int target = 5);

/// The largest value <= v (the smallest >= v) of the series 1, 1.5, 2, 3, 4, 5, 6, 8 x 10^k: the ends of a log
/// axis that fit the data without running to the next whole decade. v must be > 0 and finite.
double log_floor(double v);
double log_ceil(double v);

/// Ticks of a log axis over [lo, hi]: every k x 10^d (k = 1..9) inside, plus both ends.
std::vector<double> log_ticks(double lo, double hi);

/// A tick label: up to 4 significant digits, no exponent between 1e-4 and 1e6, trailing zeros dropped.
std::string tick_label(double v);

/// Upper estimate of the width in px of `text` drawn at `font_px` in a sans-serif font (DejaVu Sans /
/// Helvetica-like advance widths per character class; wide enough for both, so layouts computed with it do not
/// overlap when rendered). Bold text is 10% wider.
double text_width(const std::string& text, double font_px, bool bold = false);

}  // namespace hp::svg
