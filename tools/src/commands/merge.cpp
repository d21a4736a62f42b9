// `merge`: the JSON reports of the shards of one run (explore --shard I/N --json FILE) combined
// into the report the unsharded run writes.
//
// Every schedule belongs to exactly one shard, and a shard learns what the whole run learns, so
// each schedule's outcome is in the report of the shard that owns it. The unsharded run stops at
// its first bug, that is at the lowest-numbered schedule with a bug: its report is the report of
// the shard that found the bug with the lowest schedule number (that shard ran its schedules up
// to that one; the other shards' schedules before it had no bug, else their bug would be the
// lowest). Without a bug, the unsharded run's last schedule is the highest any shard ran, and its
// report is that shard's. With --all-bugs the unsharded report lists every distinct bug in the
// order found, which needs the schedules' deduplication across shards: merge refuses it.
#include <cstdio>
#include <fstream>
#include <iostream>
#include <map>
#include <sstream>

#include <nlohmann/json.hpp>

#include "../junit_writer.hpp"
#include "commands.hpp"

namespace weft::cli {
namespace {

using Json = nlohmann::ordered_json;

std::string dump(const Json& value) {
  return value.dump(-1, ' ', /*ensure_ascii=*/false, Json::error_handler_t::replace);
}

struct Shard {
  std::string file;
  Json doc;
  std::uint64_t index = 0;
  std::uint64_t count = 1;
};

Shard read_shard(const std::string& file) {
  std::ifstream in(file, std::ios::binary);
  if (!in) throw UsageFailure{"merge: cannot read " + file};
  std::stringstream text;
  text << in.rdbuf();
  Shard s{file, Json::parse(text.str(), nullptr, /*allow_exceptions=*/false), 0, 1};
  if (s.doc.is_discarded()) throw UsageFailure{"merge: " + file + " is not JSON"};
  const auto bad = [&](const std::string& why) {
    return UsageFailure{"merge: " + file + " is not a weft explore report (" + why + ")"};
  };
  if (!s.doc.is_object() || s.doc.value("format", Json()) != "weft-report") {
    throw bad("no \"format\":\"weft-report\"");
  }
  if (s.doc.value("command", Json()) != "explore") throw bad("not made by explore");
  if (!s.doc.contains("options") || !s.doc["options"].is_object()) throw bad("no options");
  if (!s.doc.contains("scenarios") || !s.doc["scenarios"].is_array()) throw bad("no scenarios");
  Json& options = s.doc["options"];
  if (options.contains("shard")) {
    const Json& shard = options["shard"];
    if (!shard.is_object() || !shard.value("index", Json()).is_number_unsigned() ||
        !shard.value("count", Json()).is_number_unsigned()) {
      throw bad("its shard is not {index, count}");
    }
    s.index = shard["index"].get<std::uint64_t>();
    s.count = shard["count"].get<std::uint64_t>();
    if (s.count == 0 || s.index >= s.count) throw bad("its shard is out of range");
    options.erase("shard");
  }
  if (options.value("stop_on_first_bug", Json(true)) != Json(true)) {
    throw UsageFailure{"merge: " + file +
                       " was made with --all-bugs, whose reports cannot be merged (the "
                       "unsharded report's bug order depends on every shard's schedules)"};
  }
  for (const Json& scenario : s.doc["scenarios"]) {
    if (!scenario.is_object() || !scenario.value("name", Json()).is_string() ||
        !scenario.contains("report") || !scenario["report"].is_object() ||
        !scenario["report"].value("iterations", Json()).is_number_unsigned() ||
        !scenario["report"].value("bugs", Json()).is_array()) {
      throw bad("a scenario without name, report, iterations or bugs");
    }
  }
  return s;
}

// The shards must be one run's: the same document but for their shard and their outcomes.
void check_one_run(const std::vector<Shard>& shards) {
  const Shard& first = shards.front();
  std::map<std::uint64_t, const Shard*> seen;
  for (const Shard& s : shards) {
    const auto names = [](const Shard& x) {
      std::vector<std::string> out;
      for (const Json& scenario : x.doc["scenarios"]) out.push_back(scenario["name"]);
      return out;
    };
    if (s.doc["version"] != first.doc["version"] || s.doc["options"] != first.doc["options"] ||
        names(s) != names(first)) {
      throw UsageFailure{"merge: " + s.file + " and " + first.file +
                         " are not shards of the same run (their versions, options or scenarios "
                         "differ)"};
    }
    if (s.count != first.count) {
      throw UsageFailure{"merge: " + s.file + " is a shard of " + std::to_string(s.count) + ", " +
                         first.file + " of " + std::to_string(first.count)};
    }
    if (const auto [at, fresh] = seen.emplace(s.index, &s); !fresh) {
      throw UsageFailure{"merge: " + at->second->file + " and " + s.file + " are both shard " +
                         std::to_string(s.index) + "/" + std::to_string(s.count)};
    }
  }
  for (std::uint64_t i = 0; i < first.count; ++i) {
    if (!seen.contains(i)) {
      throw UsageFailure{"merge: shard " + std::to_string(i) + "/" + std::to_string(first.count) +
                         " is missing"};
    }
  }
}

// Scenario k of the unsharded run, from the shards' (see the comment at the top).
Json merged_scenario(const std::vector<Shard>& shards, std::size_t k) {
  const Json* buggy = nullptr;
  const Json* furthest = nullptr;
  bool exhausted = false;
  const auto iterations = [](const Json* s) {
    return (*s)["report"]["iterations"].get<std::uint64_t>();
  };
  for (const Shard& shard : shards) {
    const Json& s = shard.doc["scenarios"][k];
    exhausted = exhausted || s["report"].value("exhausted", false);
    if (!s["report"]["bugs"].empty()) {
      if (buggy == nullptr || iterations(&s) < iterations(buggy)) buggy = &s;
    } else if (furthest == nullptr || iterations(&s) > iterations(furthest)) {
      furthest = &s;
    }
  }
  if (buggy != nullptr) return *buggy;
  Json out = *furthest;
  // The strategy ran out in some shard: the unsharded run ran out at the same schedule.
  if (out["report"].contains("exhausted")) out["report"]["exhausted"] = exhausted;
  return out;
}

}  // namespace

int cmd_merge(const Args& args) {
  std::vector<std::string> files;
  std::string json_out;
  std::string junit_out;
  for (std::size_t i = 0; i < args.size(); ++i) {
    const std::string_view a = args[i];
    if (a == "--json" || a == "--junit") {
      if (i + 1 >= args.size()) throw UsageFailure{std::string(a) + " needs a value"};
      (a == "--json" ? json_out : junit_out) = args[++i];
    } else if (a.starts_with("-")) {
      throw UsageFailure{"unknown option '" + std::string(a) + "' for merge"};
    } else {
      files.emplace_back(a);
    }
  }
  if (files.empty()) throw UsageFailure{"merge needs the shards' JSON reports (REPORT.json...)"};
  if (!json_out.empty()) check_output_file("--json", json_out);
  if (!junit_out.empty()) check_output_file("--junit", junit_out);
  std::vector<Shard> shards;
  for (const std::string& f : files) shards.push_back(read_shard(f));
  check_one_run(shards);

  const Json& first = shards.front().doc;
  Json doc = Json::object();
  doc["format"] = first["format"];
  doc["version"] = first["version"];
  doc["command"] = first["command"];
  doc["options"] = first["options"];
  doc["scenarios"] = Json::array();
  std::vector<JunitCase> cases;
  std::size_t with_bugs = 0;
  for (std::size_t k = 0; k < first["scenarios"].size(); ++k) {
    Json s = merged_scenario(shards, k);
    const Json& report = s["report"];
    JunitCase c{s["name"], {}};
    if (!report["bugs"].empty()) {
      ++with_bugs;
      const Json& bug = report["bugs"][0];
      const std::string kind = bug.value("kind", "");
      const std::string message = bug.value("message", "");
      c.failure = JunitFailure{kind, message,
                               kind + ": " + message + " (schedule " +
                                   std::to_string(report["iterations"].get<std::uint64_t>()) +
                                   "; its trace is in the merged JSON report)"};
      std::cout << "BUG   " << c.name << "  (" << kind << " in schedule "
                << report["iterations"].get<std::uint64_t>() << ")\n";
    } else {
      std::cout << "ok    " << c.name << "  (" << report["iterations"].get<std::uint64_t>()
                << " schedules)\n";
    }
    cases.push_back(std::move(c));
    doc["scenarios"].push_back(std::move(s));
  }
  std::cout << "merged " << shards.size() << " shard" << (shards.size() == 1 ? "" : "s") << ": "
            << cases.size() << " scenario" << (cases.size() == 1 ? "" : "s") << ", " << with_bugs
            << " with a bug\n";
  std::cout.flush();
  int status = with_bugs > 0 ? 1 : 0;
  for (const auto& [path, text] :
       {std::pair{json_out, dump(doc) + "\n"}, std::pair{junit_out, junit_xml(cases)}}) {
    if (path.empty()) continue;
    if (const std::string error = write_file(path, text); !error.empty()) {
      std::fprintf(stderr, "weft: %s\n", error.c_str());
      status = 2;
    }
  }
  return status;
}

}  // namespace weft::cli
