// Keys a query attends to on a sliding-window attention layer (Mistral 7B, Jiang et al. 2023, arXiv 2310.06825
// Section 2: the hidden state at position i of layer k attends to positions i - W .. i of layer k - 1, a window of
// W tokens; the same definition in Hugging Face's sliding_window and Megatron-Core's window_size). Formulas:
// docs/model.md, "Sliding-window attention".
#include <algorithm>

#include "hp/inference.hpp"

namespace hp {

double causal_window_keys(double seq, double window) {
  if (seq <= 0) return 0;
  // Query at position p (1-based) of a causal prompt sees min(p, W) keys: sum_{p=1..s} min(p, W) / s, which is
  // (s + 1) / 2 for s <= W (no window at all) and (W (W + 1) / 2 + (s - W) W) / s beyond.
  if (window <= 0 || seq <= window) return (seq + 1) / 2;
  return (window * (window + 1) / 2 + (seq - window) * window) / seq;
}

double window_mean_keys(double first, double last, double window) {
  // Mean of min(x, W) for a context x growing evenly from `first` to `last` (a decode phase): (first + last) / 2
  // below the window, W above it, and the two pieces' integrals divided by the length in between.
  if (window <= 0 || last <= window) return (first + last) / 2;
  if (first >= window || last <= first) return std::min(window, (first + last) / 2);
  return ((window * window - first * first) / 2 + window * (last - window)) / (last - first);
}

}  // namespace hp
