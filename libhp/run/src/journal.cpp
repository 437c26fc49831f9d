#include "journal.hpp"

#include <yaml-cpp/yaml.h>

#include <fmt/core.h>

#include <chrono>

#include "fsutil.hpp"
#include "hp/run/json.hpp"

namespace hp::run {

std::string journal_path(const std::string& dir) { return dir + "/journal.jsonl"; }

void append_journal(const std::string& dir, const JournalEvent& e) {
  // The time of each event: what a trial's nodes were held for (GPU-hours), read back by collect.
  const double at = e.at_s > 0 ? e.at_s
                               : std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
  std::string line = fmt::format(R"({{"event":{},"trial":{},"job_id":{},"at_s":{:.3f})", json_string(e.event),
                                 json_string(e.trial), json_string(e.job_id), at);
  if (e.event == "promoted") line += fmt::format(R"(,"reason":{})", json_string(e.reason));
  if (e.event == "finished")
    line += fmt::format(R"(,"state":{},"exit_code":{},"signal":{},"scheduler_state":{})", json_string(e.state),
                        e.exit_code, e.signal, json_string(e.scheduler_state));
  append_line_synced(journal_path(dir), line + "}");
}

std::vector<JournalEvent> read_journal(const std::string& dir) {
  std::vector<JournalEvent> events;
  const std::string text = read_text(journal_path(dir));
  for (std::size_t start = 0, end; (end = text.find('\n', start)) != std::string::npos; start = end + 1) {
    try {
      const YAML::Node n = YAML::Load(text.substr(start, end - start));  // JSON is YAML: one parser for both files
      if (!n.IsMap() || !n["event"] || !n["trial"]) continue;
      JournalEvent e;
      e.event = n["event"].as<std::string>();
      e.trial = n["trial"].as<std::string>();
      e.job_id = n["job_id"].as<std::string>("");
      e.at_s = n["at_s"].as<double>(0);
      e.reason = n["reason"].as<std::string>("");
      if (e.event == "finished") {
        e.state = n["state"].as<std::string>();
        e.exit_code = n["exit_code"].as<int>();
        e.signal = n["signal"].as<int>();
        e.scheduler_state = n["scheduler_state"].as<std::string>();
      }
      events.push_back(e);
    } catch (const YAML::Exception&) {  // a line cut or garbled by a crash is no event
    }
  }
  return events;
}

}  // namespace hp::run
