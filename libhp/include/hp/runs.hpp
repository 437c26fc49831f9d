// Measured training runs as tables: CSV I/O and conversion of rows with the published-runs column names
// into (ModelSpec, Layout, GPU). Used by batch estimation, calibration and validation.
// Public header: standard-library types only.
#pragma once

#include <string>
#include <vector>

#include "hp/hardware.hpp"
#include "hp/model.hpp"
#include "hp/perf.hpp"

namespace hp {

/// A CSV table: header and rows of strings (RFC 4180 quoting).
struct Table {
  std::vector<std::string> columns;
  std::vector<std::vector<std::string>> rows;
  int column(const std::string& name) const;  ///< index or -1
};

/// Parse CSV text; `origin` names the source in errors (ConfigError "origin:line").
Table parse_csv(const std::string& text, const std::string& origin);
/// Read a CSV file (IoError when unreadable).
Table read_csv(const std::string& path);
/// Write a CSV file atomically (a temporary file renamed into place; no partial output on error).
void write_csv(const Table& table, const std::string& path);

/// The project's measured-runs file (libhp/data/published_runs.csv, embedded in the library).
const std::string& published_runs_csv();

/// One row turned into an evaluable run. A row that cannot be evaluated keeps `error` (never throws).
struct RunRecord {
  std::size_t index = 0;       ///< row index in the table (0-based, header excluded)
  std::string row_id;          ///< row_id column, or the 1-based row number
  std::string source_key;
  std::string gpu_type;        ///< as written in the row
  std::string task;            ///< pretrain, sft, lora, ...
  std::string arch_type;       ///< dense, moe, encoder-decoder, hybrid ...
  std::string quality_flags;
  std::string split;           ///< "fit", "holdout" or empty
  ModelSpec model;
  Layout layout;
  GpuSpec gpu;
  std::string error;           ///< why the row cannot be evaluated; empty = ok
  double measured_step_time_s = 0;   ///< step_time_s, else gbs*seq/(tokens_per_sec_per_gpu*GPUs); 0 = none
  double measured_memory_bytes = 0;  ///< memory_per_gpu_gb (read as GiB, as nvidia-smi reports); 0 = none

  bool ok() const noexcept { return error.empty(); }
  /// Dense decoder-only: arch_type "dense...", or no arch_type and a model without experts or a decoder stack.
  bool dense() const;
  /// No quality flag at all (published_runs.md section 5).
  bool unflagged() const;
  /// Usable for fitting: ok, measured time, no data-consistency flag, a Megatron framework.
  bool fit_quality() const;
};

/// Convert table rows. Defaults for empty cells are documented in docs/usage.md.
/// `extra_gpus`: a user's GPUs, found by gpu_type before the catalogue (the catalogue is not changed).
std::vector<RunRecord> runs_from_table(const Table& table, const std::vector<GpuSpec>& extra_gpus = {});

}  // namespace hp
