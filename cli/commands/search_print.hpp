// hp-cli search's text output: the answer in words (hp::summarize_search decides it), the plan, the next command.
#pragma once

#include <string>

#include "hp/search_result.hpp"

namespace hpcli {

/// What happens after the printout: the plan is launched now, written for later, or not written (--no-write).
enum class AfterSearch { launch, written, not_written };

void print_search_text(const hp::SearchResult& result, AfterSearch after);

}  // namespace hpcli
