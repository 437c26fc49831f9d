// Binding: training HP search (hp::search). The pure-Python wrapper with .to_pandas() is bignlp_hp/search.py.
#include <pybind11/stl.h>

#include <set>

#include "binding.hpp"
#include "record.hpp"
#include "hp/core.hpp"
#include "hp/plan.hpp"
#include "hp/search.hpp"

namespace hppy {

hp::SearchConfig search_config_arg(const py::object& config, const std::vector<std::string>& precisions) {
  hp::SearchConfig c;
  if (py::isinstance<py::dict>(config)) {
    // JSON is YAML: a dict goes through the same parser (and the same checks) as a file.
    const std::string text = py::module_::import("json").attr("dumps")(config).cast<std::string>();
    c = hp::parse_search_config(text);
  } else {
    c = hp::load_search_config(py::str(config).cast<std::string>());
  }
  if (!precisions.empty()) {
    hp::parse_precisions(precisions, "precisions");  // an unknown word names the keyword
    c.train.precisions = precisions;                 // replaces the config's list and its fp8: true
    c.train.fp8 = false;
  }
  return c;
}

}  // namespace hppy

namespace {

namespace py = pybind11;

// Every ranked layout, column by column (cheap to turn into a DataFrame): the library's record, in rank order.
py::dict rows_dict(const hp::SearchResult& r) {
  std::set<std::string> planned;
  for (const auto& t : r.plan.trials) planned.insert(t.config_name);
  std::vector<hp::Record> rows;
  rows.reserve(r.ranked.size());
  long long rank = 0;
  for (const auto& x : r.ranked)
    rows.push_back(hp::ranked_layout_record(r, x, ++rank, planned.count(hp::result_row_name(r, x)) > 0));
  const hp::Record schema = rows.empty() ? hp::ranked_layout_record(r, hp::RankedLayout{}, 0, false) : rows.front();
  return hppy::record_columns(rows, schema);
}

py::dict search(const py::object& config, const std::string& policy, const std::string& results_dir, bool write_files,
                bool nemo_fix_bugs, bool legacy_names, bool force, const std::string& trial_nodes,
                const std::vector<std::string>& precisions) {
  const hp::SearchConfig c = hppy::search_config_arg(config, precisions);
  hp::SearchOptions options;
  options.policy = policy;
  options.results_dir = results_dir;
  options.force = force;
  options.write_files = write_files;
  options.nemo_fix_bugs = nemo_fix_bugs;
  options.legacy_names = legacy_names;
  if (!trial_nodes.empty()) options.trial_nodes = hp::to_string(hp::parse_trial_nodes(trial_nodes, "trial_nodes"));
  hp::SearchResult r;
  {
    py::gil_scoped_release release;
    r = hp::search(c, options);
  }
  py::dict d;
  d["policy"] = hp::to_string(r.policy);
  d["model"] = r.plan.model_name;
  d["gpu"] = r.gpu.name;
  d["num_nodes"] = r.num_nodes;
  d["gpus_per_node"] = r.gpus_per_node;
  d["gbs"] = r.gbs;
  d["enumerated"] = r.enumerated;
  d["evaluated"] = r.evaluated;
  d["feasible"] = r.feasible;
  d["elapsed_s"] = r.elapsed_s;
  d["evaluate_s"] = r.evaluate_s;
  d["results_dir"] = r.plan.results_dir;
  d["trial_nodes"] = r.plan.trial_nodes;
  d["gpu_hours"] = r.plan.gpu_hours();
  d["full_size_gpu_hours"] = r.plan.full_size_gpu_hours();
  d["message"] = r.message;
  d["suggestions"] = r.suggestions;
  py::list plan, infeasible;
  for (const auto& t : r.plan.trials) plan.append(hppy::record_dict(hp::trial_record(t)));
  for (const auto& x : r.infeasible) {
    py::dict i;
    i["reason"] = hp::to_string(x.reason);
    i["count"] = x.count;
    i["example"] = hp::describe_layout(x.example);
    i["example_memory_per_gpu_gib"] = x.example_memory_bytes / hp::kGiB;
    infeasible.append(i);
  }
  d["plan"] = plan;
  d["infeasible"] = infeasible;
  d["rows"] = rows_dict(r);
  return d;
}

}  // namespace

HP_PY_BINDING(40, [](py::module_& m) {
  m.def("_search", &search, py::arg("config"), py::arg("policy") = "", py::arg("results_dir") = "",
        py::arg("write_files") = true, py::arg("nemo_fix_bugs") = false, py::arg("legacy_names") = false, py::arg("force") = false,
        py::arg("trial_nodes") = "", py::arg("precisions") = std::vector<std::string>{},
        R"(Training HP search (raw result as a dict; use bignlp_hp.search for the result object).

config: path of a search config YAML (NeMo's search_config format) or a dict with the same keys.
policy: "model" (rank every layout with the performance model) or "nemo" (NeMo's grid); "" = the config's.
results_dir: where candidate_configs/, predicted_summary.csv, infeasible_summary.csv and plan.yaml go
    ("" = train_settings.logs, else ./results).
write_files: write the results directory.
nemo_fix_bugs: nemo policy: fix NeMo's known grid bugs.
legacy_names: candidate names without NeMo HEAD's _cp_<cp>_ep_<ep>_ (or train_settings.legacy_names).
trial_nodes: "min" (each trial on the fewest nodes it needs) or "full"; "" = train_settings.trial_nodes.
precisions: GEMM precisions to search (bf16, fp8, fp8-cs, mxfp8, nvfp4); [] = train_settings.precisions, else the
    base config's precision.)");
});
