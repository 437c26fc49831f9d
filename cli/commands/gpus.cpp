// hp-cli gpus: the GPU catalogue the performance model uses (datasheet numbers, cited).
#include <fmt/core.h>

#include <memory>

#include "command.hpp"
#include "hp/core.hpp"
#include "hp/hardware.hpp"
#include "hp/perf.hpp"
#include "json.hpp"

namespace {

struct Opts {
  std::string gpu_file;
  bool json = false;
};

std::function<int()> setup(CLI::App& app) {
  auto o = std::make_shared<Opts>();
  app.description("List the GPUs the performance model knows (dense peaks, memory, links, calibration family)");
  app.add_option("--gpu-file", o->gpu_file, "also load your own GPUs from this YAML file");
  app.add_flag("--json", o->json, "print a JSON array");
  return [o] {
    if (!o->gpu_file.empty()) hp::register_gpus(hp::load_gpus_yaml(o->gpu_file));
    std::vector<std::string> items;
    if (!o->json)
      fmt::print("{:<12} {:>8} {:>8} {:>8} {:>8} {:>8} {:>8} {:>7} {:>8}  {:<10} {}\n", "name", "mem GiB", "HBM TB/s",
                 "BF16 TF", "FP8 TF", "FP4 TF", "NVL GB/s", "domain", "net GB/s", "family", "source");
    for (const auto& g : hp::gpu_catalog()) {
      if (o->json) {
        hpcli::JsonObject j;
        j.str("name", g.name).num("memory_bytes", g.memory_bytes).num("memory_bandwidth_bytes_per_s", g.memory_bandwidth_bytes_per_s);
        j.num("peak_bf16_flops_per_s", g.peak_bf16_flops_per_s).num("peak_fp8_flops_per_s", g.peak_fp8_flops_per_s);
        j.num("peak_fp4_flops_per_s", g.peak_fp4_flops_per_s);
        j.num("nvlink_bandwidth_bytes_per_s", g.nvlink_bandwidth_bytes_per_s).integer("nvlink_domain_size", g.nvlink_domain_size);
        j.num("internode_bandwidth_bytes_per_s", g.internode_bandwidth_bytes_per_s).integer("gpus_per_node", g.gpus_per_node);
        j.str("family", g.family).str("source", g.source).integer("calibration_runs", hp::default_calibration(g).num_fit_runs);
        items.push_back(j.dump());
      } else {
        fmt::print("{:<12} {:>8.0f} {:>8.2f} {:>8.0f} {:>8.0f} {:>8.0f} {:>8.0f} {:>7} {:>8.0f}  {:<10} {}\n", g.name,
                   g.memory_bytes / hp::kGiB, g.memory_bandwidth_bytes_per_s / 1e12, g.peak_bf16_flops_per_s / 1e12,
                   g.peak_fp8_flops_per_s / 1e12, g.peak_fp4_flops_per_s / 1e12, g.nvlink_bandwidth_bytes_per_s / 1e9, g.nvlink_domain_size,
                   g.internode_bandwidth_bytes_per_s / 1e9, g.family, g.source);
      }
    }
    if (o->json) fmt::print("{}\n", hpcli::json_array(items));
    return hpcli::kOk;
  };
}

}  // namespace

HP_CLI_COMMAND("gpus", 31, setup);
