// bench_estimate: evaluations per second of hp::estimate over a grid of GPT-3 175B layouts on 1024 H100s, and
// the number of heap allocations inside the timed loop (expected 0).
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <new>
#include <vector>

#include "hp/catalog.hpp"
#include "hp/perf.hpp"

namespace {
std::atomic<long> g_allocations{0};
bool g_counting = false;
}  // namespace

void* operator new(std::size_t n) {
  if (g_counting) ++g_allocations;
  if (void* p = std::malloc(n ? n : 1)) return p;
  throw std::bad_alloc();
}
void operator delete(void* p) noexcept { std::free(p); }
void operator delete(void* p, std::size_t) noexcept { std::free(p); }

int main(int argc, char** argv) {
  const long rounds = argc > 1 ? std::atol(argv[1]) : 200;
  const hp::ModelSpec model = hp::find_model("gpt3/175b");
  const hp::GpuSpec gpu = hp::find_gpu("h100-sxm");
  const hp::Calibration cal = hp::default_calibration(gpu);
  std::vector<hp::Layout> grid;
  for (int tp : {1, 2, 4, 8})
    for (int pp : {1, 2, 4, 8, 16})
      for (int vp : {1, 2, 3})
        for (int mbs : {1, 2, 4})
          for (auto rc : {hp::Recompute::none, hp::Recompute::selective, hp::Recompute::full}) {
            hp::Layout l;
            l.num_gpus = 1024;
            l.gbs = 2048;
            l.tp = tp;
            l.pp = pp;
            l.vp = vp;
            l.mbs = mbs;
            l.recompute = rc;
            l.sequence_parallel = tp > 1;
            grid.push_back(l);
          }
  double checksum = 0;
  long feasible = 0;
  g_counting = true;
  const auto start = std::chrono::steady_clock::now();
  for (long r = 0; r < rounds; ++r)
    for (const auto& l : grid) {
      const hp::Estimate e = hp::estimate(model, l, gpu, cal);
      checksum += e.time.step_time_s;
      feasible += e.fits;
    }
  const auto stop = std::chrono::steady_clock::now();
  g_counting = false;
  const double seconds = std::chrono::duration<double>(stop - start).count();
  const double evaluations = static_cast<double>(rounds) * grid.size();
  std::printf("layouts per round: %zu, rounds: %ld, feasible share: %.3f\n", grid.size(), rounds,
              feasible / evaluations);
  std::printf("evaluations: %.0f in %.3f s -> %.0f evaluations/s (%.3f us each, one thread)\n", evaluations, seconds,
              evaluations / seconds, seconds / evaluations * 1e6);
  std::printf("heap allocations in the timed loop: %ld\n", g_allocations.load());
  std::printf("checksum: %.6g\n", checksum);
  return g_allocations.load() == 0 ? 0 : 1;
}
