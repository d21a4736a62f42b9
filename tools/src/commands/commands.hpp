// The CLI's commands, each given the arguments after its name. Each returns the exit status
// (0 no bug, 1 bug, 2 a file that could not be written) or throws UsageFailure, which cli_main
// turns into one line on stderr and exit status 2.
#pragma once

#include "options.hpp"

namespace weft::cli {

int cmd_list(const Args& args);
// `argv0` names the binary in the replay commands it prints.
int cmd_explore(const char* argv0, const Args& args);
int cmd_replay(const char* argv0, const Args& args);
int cmd_run(const Args& args);
// Combines the JSON reports of the shards of one run into the unsharded run's report.
int cmd_merge(const Args& args);

}  // namespace weft::cli
