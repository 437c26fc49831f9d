// The ranked winner against independent answers (issue 17): NVIDIA's published performance recipes
// (dgxc-benchmarking READMEs, rows of the project's published-runs file) are layouts NVIDIA tuned for a model,
// GPU count and global batch. Our search over the same space should rank them near its best: for each recipe we
// report the rank of the recipe's layout among the feasible layouts and the predicted gap to the predicted best.
#include <catch2/catch.hpp>

#include <algorithm>
#include <map>
#include <string>
#include <vector>

#include "hp/calibration.hpp"
#include "hp/core.hpp"
#include "hp/runs.hpp"
#include "hp/search.hpp"
#include "hp/search_config.hpp"

namespace {

struct RecipeCheck {
  std::string name;
  int rank = 0, feasible = 0;
  double gap = 0;  // predicted(recipe) / predicted(best) - 1
};

RecipeCheck check_recipe(const hp::RunRecord& r) {
  hp::TrainSettings train;
  hp::SearchSpace space = hp::default_space(r.model, train, r.gpu, r.layout.num_gpus, r.layout.gbs, r.layout.precision);
  const hp::Calibration cal = hp::default_calibration(r.gpu);
  const hp::SearchResult result = hp::rank_space(r.model, space, r.gpu, cal, hp::EstimateOptions{});
  const hp::Estimate recipe = hp::estimate(r.model, r.layout, r.gpu, cal);
  RecipeCheck c;
  c.name = r.model.name + " on " + std::to_string(r.layout.num_gpus) + " " + r.gpu.name + " (row " + r.row_id + ")";
  c.feasible = static_cast<int>(result.ranked.size());
  if (result.ranked.empty() || !recipe.fits) return c;
  c.rank = 1 + static_cast<int>(std::count_if(result.ranked.begin(), result.ranked.end(), [&](const auto& x) {
             return x.step_time_s < recipe.time.step_time_s;
           }));
  c.gap = recipe.time.step_time_s / result.ranked.front().step_time_s - 1;
  return c;
}

}  // namespace

TEST_CASE("NVIDIA's published H100 recipes rank near the model's best layout", "[search][winners]") {
  const auto runs = hp::runs_from_table(hp::parse_csv(hp::published_runs_csv(), "published_runs.csv"));
  std::map<std::string, const hp::RunRecord*> recipes;  // one row per model, GPU count and batch
  for (const auto& r : runs) {
    if (!r.ok() || r.source_key != "dgxc_benchmarking" || !r.dense() || !r.unflagged() || r.task != "pretrain" ||
        r.gpu.name != "h100-sxm" || r.layout.num_gpus > 512)
      continue;
    recipes.emplace(r.model.name + "/" + std::to_string(r.layout.num_gpus) + "/" + std::to_string(r.layout.gbs) +
                        (r.layout.fp8() ? "/fp8" : "/bf16"),
                    &r);
  }
  REQUIRE(recipes.size() >= 5);
  std::vector<RecipeCheck> checks;
  for (const auto& kv : recipes) checks.push_back(check_recipe(*kv.second));
  std::string table;  // printed on failure, or with -s (docs/testing.md "Winners" is this table)
  std::vector<double> gaps;
  int top_100 = 0, not_fitting = 0;
  for (const auto& c : checks) {
    table += c.name + ": rank " + std::to_string(c.rank) + " of " + std::to_string(c.feasible) + ", gap " +
             std::to_string(100 * c.gap) + " %\n";
    if (c.rank == 0) {
      ++not_fitting;
      continue;
    }
    gaps.push_back(c.gap);
    top_100 += c.rank <= 100;
  }
  INFO(table);
  REQUIRE(gaps.size() >= 20);
  std::sort(gaps.begin(), gaps.end());
  // Tolerances from the accuracy target, not from today's output: the held-out target is a 10 % mean step-time
  // error (docs/model.md), so two layouts closer than 2 x 10 % cannot be told apart. Each recipe within 20 % of the
  // predicted best, the median recipe within 10 %.
  CHECK(gaps.back() <= 0.20);
  CHECK(gaps[gaps.size() / 2] <= 0.10);
  // Most recipes are among the trials a search would launch (NeMo's default limit_search_runs = 100).
  CHECK(top_100 >= 0.75 * gaps.size());
  // Regression guard (known, docs/testing.md): Nemotron-4 340B on 128 GPUs is predicted not to fit (the memory
  // model is too pessimistic there, 2 rows); Llama 3.1 405B on 512 GPUs fits since the space searches the
  // embedding+loss pipeline split (issue 15).
  CHECK(not_fitting <= 4);
}
