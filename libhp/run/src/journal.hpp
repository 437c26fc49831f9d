// Internal to hp::run: the journal of a run (<results_dir>/journal.jsonl), one JSON object per line, appended and
// fsynced per event. One writer and one reader: the runner replays it on --resume, collect reads final states.
#pragma once

#include <string>
#include <vector>

namespace hp::run {

struct JournalEvent {
  std::string event;            ///< submitting, submitted, finished, abandoned, interrupted, dropped, promoted
  std::string trial;            ///< config name
  std::string job_id;
  // "finished" only:
  std::string state;            ///< JobState name
  int exit_code = 0;
  int signal = 0;
  std::string scheduler_state;
  double at_s = 0;              ///< wall-clock time of the event (Unix seconds; 0 = a journal written before it)
  std::string reason;           ///< "promoted" only: the reserve's new reason ("replaces an OOM (...)")
};

std::string journal_path(const std::string& results_dir);
/// Append one event and flush it to disk.
void append_journal(const std::string& results_dir, const JournalEvent& event);
/// Every complete event in order; a last line cut by a crash and unreadable lines are skipped. No journal: none.
std::vector<JournalEvent> read_journal(const std::string& results_dir);

}  // namespace hp::run
