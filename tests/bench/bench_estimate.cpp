// bench_estimate: evaluations per second of hp::estimate over a grid of GPT-3 175B layouts on 1024 H100s (BF16),
// the same grid in all five precision recipes on 1024 B200s (the precision search's space), and the number of
// heap allocations inside the timed loops (expected 0).
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <ctime>
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

namespace {

struct Timing {
  double evaluations = 0, seconds = 0, cpu_seconds = 0, feasible = 0, checksum = 0;
};

// CPU time of this thread: on a shared machine the wall clock also counts the time other processes held the core.
double thread_cpu_s() {
  timespec ts{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + 1e-9 * static_cast<double>(ts.tv_nsec);
}

// Evaluate the grid `rounds` times on one thread; heap allocations inside are counted.
Timing time_grid(const hp::ModelSpec& model, const std::vector<hp::Layout>& grid, const hp::GpuSpec& gpu, long rounds) {
  const hp::Calibration cal = hp::default_calibration(gpu);
  Timing t;
  g_counting = true;
  const auto start = std::chrono::steady_clock::now();
  const double cpu_start = thread_cpu_s();
  for (long r = 0; r < rounds; ++r)
    for (const auto& l : grid) {
      const hp::Estimate e = hp::estimate(model, l, gpu, cal);
      t.checksum += e.time.step_time_s;
      t.feasible += e.fits;
    }
  t.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  t.cpu_seconds = thread_cpu_s() - cpu_start;
  g_counting = false;
  t.evaluations = static_cast<double>(rounds) * grid.size();
  return t;
}

void report(const char* what, const std::vector<hp::Layout>& grid, long rounds, const Timing& t) {
  std::printf("%s: layouts per round: %zu, rounds: %ld, feasible share: %.3f\n", what, grid.size(), rounds,
              t.feasible / t.evaluations);
  std::printf("%s: evaluations: %.0f in %.3f s -> %.0f evaluations/s (%.3f us each, one thread)\n", what,
              t.evaluations, t.seconds, t.evaluations / t.seconds, t.seconds / t.evaluations * 1e6);
  std::printf("%s: %.3f s of CPU time -> %.0f evaluations per CPU-second\n", what, t.cpu_seconds,
              t.evaluations / t.cpu_seconds);
}

}  // namespace

int main(int argc, char** argv) {
  const long rounds = argc > 1 ? std::atol(argv[1]) : 200;
  const hp::ModelSpec model = hp::find_model("gpt3/175b");
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
  // The same grid in every precision recipe on B200 (all five run there): the precision search's space.
  std::vector<hp::Layout> precisions;
  for (auto p : {hp::Precision::bf16, hp::Precision::fp8_delayed, hp::Precision::fp8_current, hp::Precision::mxfp8,
                 hp::Precision::nvfp4})
    for (hp::Layout l : grid) {
      l.precision = p;
      precisions.push_back(l);
    }
  // The first call builds estimate()'s static tables (the layout field table: a one-time allocation, not one per
  // evaluation); warm up outside the counted loops.
  for (const char* name : {"h100-sxm", "b200"})
    hp::estimate(model, grid.front(), hp::find_gpu(name), hp::default_calibration(hp::find_gpu(name)));
  // Back to back, so both see about the same load; rounds of the larger grid scaled to the same evaluation count.
  const Timing h100 = time_grid(model, grid, hp::find_gpu("h100-sxm"), rounds);
  const Timing b200 = time_grid(model, precisions, hp::find_gpu("b200"), rounds / 5 > 0 ? rounds / 5 : 1);
  report("h100 bf16", grid, rounds, h100);
  report("b200 5 precisions", precisions, rounds / 5 > 0 ? rounds / 5 : 1, b200);
  std::printf("ratio b200-precisions / h100-bf16 time per evaluation: %.2f wall, %.2f CPU\n",
              (b200.seconds / b200.evaluations) / (h100.seconds / h100.evaluations),
              (b200.cpu_seconds / b200.evaluations) / (h100.cpu_seconds / h100.evaluations));
  std::printf("heap allocations in the timed loops: %ld\n", g_allocations.load());
  std::printf("checksum: %.6g\n", h100.checksum + b200.checksum);
  return g_allocations.load() == 0 ? 0 : 1;
}
