// GPU catalogue with cited datasheet numbers, aliases as the published-runs CSV names GPUs, and user GPUs
// from YAML. Dense (no sparsity) peaks; bandwidths per GPU and per direction. Sources per entry below and in
// docs/model.md ("Hardware catalogue").
#include "yaml_util.hpp"
#include "hp/files.hpp"
#include "hp/perf.hpp"
#include "hp/hardware.hpp"

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <cctype>
#include <fstream>
#include <mutex>

#include "hp/core.hpp"

namespace hp {
namespace {

constexpr double kT = 1e12;  // TFLOP/s, TB/s
constexpr double kG = 1e9;   // GB/s

GpuSpec make(const char* name, double mem_gib, double hbm_tb_s, double bf16_tflops, double fp8_tflops,
             double nvlink_gb_s, int domain, double ib_gb_s, const char* family, const char* source,
             double fp4_tflops = 0) {
  GpuSpec g;
  g.name = name;
  // Capacity: the datasheet "GB" figure is what CUDA reports in GiB (A100 80GB = 81920 MiB), so GiB.
  g.memory_bytes = mem_gib * kGiB;
  g.memory_bandwidth_bytes_per_s = hbm_tb_s * kT;
  g.peak_bf16_flops_per_s = bf16_tflops * kT;
  g.peak_fp8_flops_per_s = fp8_tflops * kT;
  g.peak_fp4_flops_per_s = fp4_tflops * kT;
  g.nvlink_bandwidth_bytes_per_s = nvlink_gb_s * kG;
  g.nvlink_domain_size = domain;
  g.internode_bandwidth_bytes_per_s = ib_gb_s * kG;
  g.gpus_per_node = domain == 72 ? 4 : 8;
  g.family = family;
  g.source = source;
  return g;
}

// Host link per direction: PCIe Gen4 x16 32 GB/s (A100, L40S), Gen5 x16 64 GB/s (H100, H200, H20, B200,
// RTX PRO 6000); GB200's
// NVLink-C2C to its Grace CPU 900 GB/s bidirectional, 450 per direction (datasheets as below).
// Host DRAM bandwidth per GPU (optimizer CPU offload's CPU Adam): channels x transfer rate x 8 B per node over
// its GPUs. DGX A100: 2x AMD EPYC 7742, 8 channels DDR4-3200 each = 409.6 GB/s / 8 = 51.2; DGX H100 / H200 (and
// HGX H20, L40S and RTX PRO servers, taken as the same two-socket host): 2x Xeon Platinum 8480C, 8 channels
// DDR5-4800 = 614.4 GB/s / 8 = 76.8; DGX B200: 2x Xeon Platinum 8570, 8 channels DDR5-5600 = 716.8 / 8 = 89.6;
// GB200 NVL72: LPDDR5X up to 18.4 TB/s per rack / 72 = 255.6 (one Grace, up to 512 GB/s, per two GPUs).
// DGX A100 / H100 / B200 user guides (CPUs), the CPUs' product pages (channels, speed), GB200 NVL72 datasheet.
GpuSpec with_host(GpuSpec g, double host_gb_s, double host_memory_gb_s = 76.8) {
  g.host_bandwidth_bytes_per_s = host_gb_s * kG;
  g.host_memory_bandwidth_bytes_per_s = host_memory_gb_s * kG;
  return g;
}

std::vector<GpuSpec> builtin() {
  return {
      // NVIDIA A100 Tensor Core GPU datasheet (2021): 312 TFLOPS BF16 dense, 1,555 GB/s (40GB) /
      // 2,039 GB/s (80GB SXM), NVLink 600 GB/s bidirectional; DGX A100: 8x 200 Gb/s HDR per node.
      with_host(make("a100-40gb", 40, 1.555, 312, 0, 300, 8, 25, "ampere",
                     "NVIDIA A100 datasheet 2021 (SXM4 40GB); DGX A100 user guide (8x HDR 200 Gb/s)"), 32, 51.2),
      with_host(make("a100-80gb", 80, 2.039, 312, 0, 300, 8, 25, "ampere",
                     "NVIDIA A100 datasheet 2021 (SXM4 80GB); DGX A100 user guide (8x HDR 200 Gb/s)"), 32, 51.2),
      // NVIDIA H100 datasheet: SXM 989 TFLOPS BF16 / 1,979 FP8 dense (half the sparse figures), 3.35 TB/s,
      // NVLink 900 GB/s bidirectional; DGX H100: 8x 400 Gb/s NDR.
      with_host(make("h100-sxm", 80, 3.35, 989, 1979, 450, 8, 50, "hopper",
                     "NVIDIA H100 Tensor Core GPU datasheet (SXM5 80GB); DGX H100 user guide (8x NDR 400 Gb/s)"), 64),
      // NVIDIA H200 datasheet: 141 GB HBM3e, 4.8 TB/s, same Hopper compute and NVLink as H100 SXM.
      with_host(make("h200", 141, 4.8, 989, 1979, 450, 8, 50, "hopper",
                     "NVIDIA H200 Tensor Core GPU datasheet (SXM 141GB); DGX H200 (8x NDR 400 Gb/s)"), 64),
      // NVIDIA HGX B200 datasheet: 180 GB HBM3e, 8 TB/s, 2.25 PFLOPS BF16 / 4.5 PFLOPS FP8 dense per GPU,
      // NVLink 5 1.8 TB/s bidirectional; DGX B200: 8x 400 Gb/s ConnectX-7.
      // FP4: 144 PFLOPS sparse for 8 GPUs = 18 per GPU sparse, 9 dense.
      with_host(make("b200", 180, 8.0, 2250, 4500, 900, 8, 50, "blackwell",
                     "NVIDIA HGX B200 datasheet (per GPU, dense); DGX B200 user guide (8x 400 Gb/s)", 9000), 64, 89.6),
      // NVIDIA GB200 NVL72 datasheet: 72 GPUs, 180 PFLOPS BF16 / 360 PFLOPS FP8 dense (2.5 / 5 per GPU),
      // 13.4 TB HBM3e (186 GB per GPU), 8 TB/s, 130 TB/s NVLink (1.8 TB/s bidirectional per GPU), one NVLink
      // domain of 72; one 400 Gb/s ConnectX-7 per GPU for the scale-out network.
      // FP4: 1,440 PFLOPS sparse per rack = 720 dense = 10 PFLOPS per GPU; MXFP8 runs at the FP8 rate.
      with_host(make("gb200", 186, 8.0, 2500, 5000, 900, 72, 50, "blackwell",
                     "NVIDIA GB200 NVL72 datasheet (per GPU = rack / 72, dense); 400 Gb/s NIC per GPU", 10000), 450, 255.6),
      // NVIDIA H20 (China SKU) product brief: 96 GB HBM3, 4.0 TB/s, 148 TFLOPS BF16 / 296 FP8 dense, NVLink
      // 900 GB/s bidirectional (HGX H20, 8 GPUs, 400 Gb/s NIC per GPU).
      with_host(make("h20", 96, 4.0, 148, 296, 450, 8, 50, "hopper",
                     "NVIDIA H20 product brief (HGX H20, 96GB HBM3, dense); 400 Gb/s NIC per GPU"), 64),
      // NVIDIA L40S datasheet: 48 GB GDDR6, 864 GB/s, BF16 362.05 / FP8 733 TFLOPS dense (the starred figures
      // are with sparsity); no NVLink: PCIe Gen4 x16 64 GB/s bidirectional = 32 GB/s per direction between the
      // 8 GPUs of a server; one 200 Gb/s NIC per GPU assumed across servers.
      with_host(make("l40s", 48, 0.864, 362, 733, 32, 8, 25, "ada",
                     "NVIDIA L40S datasheet (dense; PCIe Gen4 x16 between GPUs, no NVLink)"), 32),
      // NVIDIA RTX PRO 6000 Blackwell Server Edition datasheet: 96 GB GDDR7, 1,597 GB/s, 4,000 AI TOPS FP4 with
      // sparsity = 2,000 dense; FP8 and BF16 at half and a quarter of the dense FP4 rate (5th-gen tensor core
      // ratios of the Blackwell architecture whitepaper); PCIe Gen5 x16 128 GB/s bidirectional, no NVLink.
      with_host(make("rtx-pro-6000", 96, 1.597, 500, 1000, 64, 8, 50, "blackwell",
                     "NVIDIA RTX PRO 6000 Blackwell Server Edition datasheet (dense = sparse / 2; PCIe Gen5 x16)",
                     2000), 64),
  };
}

std::mutex& registry_mutex() {
  static std::mutex m;
  return m;
}

std::vector<GpuSpec>& registry() {
  static std::vector<GpuSpec> gpus = builtin();
  return gpus;
}

// Lower-case alphanumerics only, parenthesised notes dropped: "A100-SXM4-80GB (DGX SuperPOD)" -> "a100sxm480gb".
std::string normalize(const std::string& name) {
  std::string out;
  int depth = 0;
  for (char c : name) {
    if (c == '(') ++depth;
    else if (c == ')') depth = std::max(0, depth - 1);
    else if (depth == 0 && std::isalnum(static_cast<unsigned char>(c)))
      out += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  }
  return out;
}

struct Alias {
  const char* alias;  // normalized
  const char* name;
};
// Names as sources print them (published_runs.csv gpu_type, NeMo docs, dgxc READMEs).
constexpr Alias kAliases[] = {
    {"a100", "a100-80gb"},       {"a10080gb", "a100-80gb"},  {"a100sxm480gb", "a100-80gb"},
    {"a100sxm80gb", "a100-80gb"}, {"dgxa100", "a100-80gb"},  {"a10040gb", "a100-40gb"},
    {"a100sxm440gb", "a100-40gb"}, {"a100sxm40gb", "a100-40gb"}, {"h100", "h100-sxm"},
    {"h100sxm", "h100-sxm"},     {"h100sxm5", "h100-sxm"},   {"h10080gb", "h100-sxm"},
    {"h100sxm80gb", "h100-sxm"}, {"h100sxm580gb", "h100-sxm"}, {"dgxh100", "h100-sxm"},
    {"h200sxm", "h200"},         {"h200141gb", "h200"},      {"h200sxm141gb", "h200"},
    {"dgxh200", "h200"},         {"dgxb200", "b200"},        {"hgxb200", "b200"},
    {"b200sxm", "b200"},         {"dgxgb200", "gb200"},      {"gb200nvl72", "gb200"},
    {"gb200nvl", "gb200"},       {"l40s48gb", "l40s"},       {"h2096gb", "h20"},
    {"rtxpro6000", "rtx-pro-6000"}, {"rtx6000pro", "rtx-pro-6000"}, {"rtxpro6000blackwell", "rtx-pro-6000"},
    {"rtx6000problackwell", "rtx-pro-6000"}, {"rtxpro6000blackwellserveredition", "rtx-pro-6000"},
    {"gb200192gb", "gb200"},     {"b200180gb", "b200"},
};

}  // namespace

const std::vector<GpuSpec>& gpu_catalog() {
  std::lock_guard<std::mutex> lock(registry_mutex());
  return registry();
}

void register_gpus(const std::vector<GpuSpec>& gpus) {
  std::lock_guard<std::mutex> lock(registry_mutex());
  auto& reg = registry();
  for (const auto& g : gpus) {
    auto it = std::find_if(reg.begin(), reg.end(), [&](const GpuSpec& x) { return normalize(x.name) == normalize(g.name); });
    if (it != reg.end()) *it = g;
    else reg.push_back(g);
  }
}

GpuSpec find_gpu(const std::string& name) {
  const std::string key = normalize(name);
  std::string target = key;
  for (const auto& a : kAliases)
    if (key == a.alias) target = a.name;
  std::lock_guard<std::mutex> lock(registry_mutex());
  std::string known;
  for (const auto& g : registry()) {
    if (normalize(g.name) == normalize(target)) return g;
    known += (known.empty() ? "" : ", ") + g.name;
  }
  throw ConfigError("gpu", name, "unknown GPU (known: " + known + "; add your own with a GPU YAML file)");
}

GpuSpec find_gpu(const std::string& name, const std::vector<GpuSpec>& extra) {
  for (const GpuSpec& g : extra)
    if (normalize(g.name) == normalize(name)) return g;
  return find_gpu(name);
}

GpuSpec gpu_for_memory_gb(int gpu_memory_gb) {
  if (gpu_memory_gb == 40) return find_gpu("a100-40gb");
  if (gpu_memory_gb == 80) return find_gpu("a100-80gb");
  throw ConfigError("gpu_memory_gb", std::to_string(gpu_memory_gb), "must be 40 or 80 (NeMo launcher values)");
}

namespace {

// A finite number in [0, max] (GiB, GB/s, TFLOP/s or a count; max keeps the unit conversions and int casts defined).
double positive(const YAML::Node& n, const std::string& key, const std::string& where, double max = 1e9) {
  const double v = yaml::get_double(n, where + "." + key);
  if (!(v >= 0 && v <= max))
    throw ConfigError(where + "." + key, yaml::text(n), "expected a number in [0, " + std::to_string(static_cast<long long>(max)) + "]");
  return v;
}

GpuSpec parse_gpu(const YAML::Node& node, const std::string& where) {
  if (!node.IsMap()) throw ConfigError(where, "", "each GPU must be a map");
  GpuSpec g;
  if (node["base"]) g = find_gpu(yaml::get_string(node["base"], where + ".base"));
  if (!node["name"]) throw ConfigError(where + ".name", "", "missing");
  for (const auto& kv : node) {
    const std::string key = kv.first.as<std::string>();
    const YAML::Node& v = kv.second;
    if (key == "name") g.name = yaml::get_string(v, where + ".name");
    else if (key == "base") continue;
    else if (key == "family") g.family = yaml::get_string(v, where + ".family");
    else if (key == "source") g.source = yaml::get_string(v, where + ".source");
    else if (key == "memory_gb") g.memory_bytes = positive(v, key, where) * kGiB;
    else if (key == "memory_bandwidth_gb_per_s") g.memory_bandwidth_bytes_per_s = positive(v, key, where) * kGB;
    else if (key == "peak_bf16_tflops") g.peak_bf16_flops_per_s = positive(v, key, where) * kTera;
    else if (key == "peak_fp8_tflops") g.peak_fp8_flops_per_s = positive(v, key, where) * kTera;
    else if (key == "peak_fp4_tflops") g.peak_fp4_flops_per_s = positive(v, key, where) * kTera;
    else if (key == "host_bandwidth_gb_per_s") g.host_bandwidth_bytes_per_s = positive(v, key, where) * kGB;
    else if (key == "host_memory_bandwidth_gb_per_s")
      g.host_memory_bandwidth_bytes_per_s = positive(v, key, where) * kGB;
    else if (key == "nvlink_bandwidth_gb_per_s") g.nvlink_bandwidth_bytes_per_s = positive(v, key, where) * kGB;
    else if (key == "internode_bandwidth_gb_per_s")
      g.internode_bandwidth_bytes_per_s = positive(v, key, where) * kGB;
    else if (key == "nvlink_domain_size") g.nvlink_domain_size = static_cast<int>(positive(v, key, where, kMaxLayoutSize));
    else if (key == "gpus_per_node") g.gpus_per_node = static_cast<int>(positive(v, key, where, kMaxLayoutSize));
    else throw ConfigError(where + "." + key, v.IsScalar() ? v.Scalar() : "", "unknown key");
  }
  if (g.peak_bf16_flops_per_s <= 0) throw ConfigError(where + ".peak_bf16_tflops", "0", "must be > 0");
  if (g.memory_bytes <= 0) throw ConfigError(where + ".memory_gb", "0", "must be > 0");
  if (g.nvlink_domain_size < 1) g.nvlink_domain_size = 1;
  if (g.gpus_per_node < 1) g.gpus_per_node = 1;
  return g;
}

}  // namespace

namespace {
std::vector<GpuSpec> read_gpus(const YAML::Node& root, const std::string& path);
}  // namespace

std::vector<GpuSpec> load_gpus_yaml(const std::string& path) {
  const YAML::Node root = yaml::parse(read_file_limited(path, kMaxConfigFileBytes, "GPU file"), path);
  try {
    return read_gpus(root, path);
  } catch (const YAML::Exception& e) {
    throw ConfigError(path, "line " + std::to_string(e.mark.line + 1), "unexpected YAML structure: " + e.msg);
  }
}

namespace {
std::vector<GpuSpec> read_gpus(const YAML::Node& root, const std::string& path) {
  const YAML::Node list = yaml::is_map(root) && root["gpus"] ? root["gpus"] : root;
  if (!list.IsSequence()) throw ConfigError(path + ":gpus", yaml::text(list), "expected a list of GPUs");
  std::vector<GpuSpec> out;
  for (std::size_t i = 0; i < list.size(); ++i) out.push_back(parse_gpu(list[i], "gpus[" + std::to_string(i) + "]"));
  return out;
}
}  // namespace

}  // namespace hp
