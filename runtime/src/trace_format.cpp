#include "trace_format.hpp"

#include <algorithm>

#include <weft/detail/platform.hpp>

#include "symbolize.hpp"

namespace weft::detail {

// The words that traces, object names and reports use for the model's objects and operations.

std::string_view to_string(ObjectKind k) {
  switch (k) {
    case ObjectKind::Thread:
      return "Thread";
    case ObjectKind::Mutex:
      return "Mutex";
    case ObjectKind::RecursiveMutex:
      return "RecursiveMutex";
    case ObjectKind::CondVar:
      return "CondVar";
    case ObjectKind::Shared:
      return "Shared";
    case ObjectKind::Atomic:
      return "Atomic";
    case ObjectKind::Semaphore:
      return "Semaphore";
    case ObjectKind::BoundedSemaphore:
      return "BoundedSemaphore";
    case ObjectKind::Event:
      return "Event";
    case ObjectKind::Barrier:
      return "Barrier";
    case ObjectKind::Queue:
      return "Queue";
    case ObjectKind::Other:
      return "object";
  }
  return "object";
}

std::string_view to_string(OpKind k) {
  switch (k) {
    case OpKind::Start:
      return "start";
    case OpKind::Spawn:
      return "spawn";
    case OpKind::Join:
      return "join";
    case OpKind::Yield:
      return "yield";
    case OpKind::Sleep:
      return "sleep";
    case OpKind::Lock:
      return "lock";
    case OpKind::TryLock:
      return "try_lock";
    case OpKind::Unlock:
      return "unlock";
    case OpKind::Wait:
      return "wait";
    case OpKind::Notify:
      return "notify_one";
    case OpKind::NotifyAll:
      return "notify_all";
    case OpKind::Load:
      return "load";
    case OpKind::Store:
      return "store";
    case OpKind::Rmw:
      return "rmw";
    case OpKind::Acquire:
      return "acquire";
    case OpKind::Release:
      return "release";
    case OpKind::Put:
      return "put";
    case OpKind::Get:
      return "get";
    case OpKind::TaskDone:
      return "task_done";
    case OpKind::Shutdown:
      return "shutdown";
    case OpKind::Size:
      return "size";
    case OpKind::Set:
      return "set";
    case OpKind::Clear:
      return "clear";
    case OpKind::IsSet:
      return "is_set";
    case OpKind::Done:
      return "done";
    case OpKind::Other:
      return "op";
    case OpKind::Fence:
      return "fence";
  }
  return "op";
}

namespace {

// Virtual time for traces: "1.5s", "100ms", "250us", "7ns".
std::string format_time(std::int64_t ns) {
  struct Unit {
    std::int64_t size;
    const char* name;
  };
  for (const Unit u : {Unit{1000000000, "s"}, Unit{1000000, "ms"}, Unit{1000, "us"}}) {
    if (ns >= u.size) {
      const std::int64_t whole = ns / u.size;
      const std::int64_t frac = (ns % u.size) * 1000 / u.size;
      std::string s = std::to_string(whole);
      if (frac != 0) {
        std::string f = std::to_string(frac);
        f.insert(0, 3 - f.size(), '0');
        while (f.back() == '0') f.pop_back();
        s += "." + f;
      }
      return s + u.name;
    }
  }
  return std::to_string(ns) + "ns";
}

// The location of a traced operation whose Location names no line and whose stack has no
// debug information for the user's code (an operator of Shared<T> in a build without -g):
// never empty, so that a row does not read as if it had no location at all.
std::string unnamed_location(const std::vector<void*>& stack) {
  const SymbolFrame f = symbol_frame(stack, stack.size() <= 2);
  const char* why = f.has_line ? "" : "(no debug info: built without -g)";
  if (f.text.empty()) return f.has_line ? "(unknown location)" : why;
  return std::string(why) + (f.has_line ? "in " : " in ") + f.text;
}

// "lock lock_a": the operation and the object it is on.
std::string operation_text(const TraceEntry& e, const Names& names) {
  std::string op(to_string(e.kind));
  if (e.object != kNoObject) {
    op += ' ';
    op += names.object(e.object);
  }
  return op;
}

// What a row shows as its value: a spawn's thread by the name it ends up with.
std::string entry_value(const TraceEntry& e, const Names& names) {
  return e.spawned != kNoThread ? names.thread(e.spawned) : e.value;
}

// The user's line from the captured stack, else the operation's Location, else what can be said
// without either.
std::string entry_location(const TraceEntry& e) {
  std::string where;
  if (!e.stack.empty()) where = user_frame(e.stack);
  if (where.empty() && e.where.file != nullptr && *e.where.file != '\0') {
    where = location_text(e.where);
  }
  if (where.empty()) where = unnamed_location(e.stack);
  return where;
}

}  // namespace

namespace {

struct Row {
  ThreadId tid = 0;
  std::string step, thread, op, value, where;
  bool same_operation(const Row& o) const {
    return thread == o.thread && op == o.op && value == o.value && where == o.where;
  }
};

// How many times rows[i, i + period) repeats right after itself.
std::size_t repeats(const std::vector<Row>& rows, std::size_t i, std::size_t period) {
  std::size_t k = 0;
  while (i + (k + 2) * period <= rows.size()) {
    for (std::size_t j = 0; j < period; ++j) {
      if (!rows[i + j].same_operation(rows[i + (k + 1) * period + j])) return k;
    }
    ++k;
  }
  return k;
}

// A line of the trace: a row, or a note standing for rows it hides.
struct Line {
  const Row* row = nullptr;
  std::string note;
};

// A loop that spins on the same operations (a livelock, a step limit) shows once, then one
// line says how often it repeated: the rows around it, where the cause is, stay in view.
std::vector<Line> collapse_repeats(const std::vector<Row>& rows, bool& collapsed) {
  constexpr std::size_t kLongestLoop = 4;  // operations per iteration that are recognised
  std::vector<Line> lines;
  for (std::size_t i = 0; i < rows.size();) {
    std::size_t best_period = 0;
    std::size_t best_repeats = 0;
    for (std::size_t period = 1; period <= kLongestLoop; ++period) {
      const std::size_t k = repeats(rows, i, period);
      // Two copies of a one-row loop read fine as they are; longer runs do not.
      if (k >= (period == 1 ? 2u : 1u) && k * period > best_repeats * best_period) {
        best_period = period;
        best_repeats = k;
      }
    }
    if (best_period == 0) {
      lines.push_back(Line{&rows[i], {}});
      ++i;
      continue;
    }
    for (std::size_t j = 0; j < best_period; ++j) lines.push_back(Line{&rows[i + j], {}});
    const std::size_t hidden = best_repeats * best_period;
    const Row& first_hidden = rows[i + best_period];
    const Row& last_hidden = rows[i + best_period + hidden - 1];
    lines.push_back(Line{
        nullptr, "... " +
                     std::string(best_period == 1
                                     ? "the operation above"
                                     : "the " + std::to_string(best_period) + " operations above") +
                     " x" + std::to_string(best_repeats) + " more (steps " + first_hidden.step +
                     "-" + last_hidden.step + ")"});
    collapsed = true;
    i += best_period + hidden;
  }
  return lines;
}

}  // namespace

std::string format_trace(std::span<const TraceEntry> trace, const Names& names, bool internal) {
  constexpr std::size_t kShown = 400;
  std::vector<Row> rows;
  rows.reserve(trace.size());
  std::size_t folded = 0;
  for (std::size_t i = 0; i < trace.size(); ++i) {
    const TraceEntry& e = trace[i];
    if (e.internal && !internal) {
      ++folded;
      continue;
    }
    Row r;
    r.tid = e.thread;
    r.step = std::to_string(i + 1);
    r.thread = names.thread(e.thread);
    r.op = operation_text(e, names);
    if (e.blocked) {
      r.value = e.value.empty() ? "(blocks)" : e.value;
    } else {
      r.value = entry_value(e, names);
    }
    r.where = entry_location(e);
    rows.push_back(std::move(r));
  }
  bool collapsed = false;
  std::vector<Line> lines = collapse_repeats(rows, collapsed);
  const std::size_t first = lines.size() > kShown ? lines.size() - kShown : 0;
  std::size_t rows_cut = 0;
  for (std::size_t i = 0; i < first; ++i) {
    if (lines[i].row != nullptr) ++rows_cut;
  }

  // Each thread's last row, shown at the end when rows were hidden.
  std::vector<const Row*> last;
  if (collapsed || first > 0) {
    for (const Row& r : rows) {
      if (last.size() <= r.tid) last.resize(r.tid + 1, nullptr);
      last[r.tid] = &r;
    }
  }
  const Row header{0, "step", "thread", "operation", "value", "location"};
  std::size_t w[4] = {header.step.size(), header.thread.size(), header.op.size(),
                      header.value.size()};
  auto widen = [&](const Row* r) {
    if (r == nullptr) return;
    w[0] = std::max(w[0], r->step.size());
    w[1] = std::max(w[1], r->thread.size());
    w[2] = std::max(w[2], r->op.size());
    w[3] = std::max(w[3], r->value.size());
  };
  for (std::size_t i = first; i < lines.size(); ++i) widen(lines[i].row);
  for (const Row* r : last) widen(r);
  std::string out;
  auto put = [&](const Row& r) {
    out += "  ";
    out += std::string(w[0] - r.step.size(), ' ') + r.step + "  ";
    out += r.thread + std::string(w[1] - r.thread.size(), ' ') + "  ";
    out += r.op + std::string(w[2] - r.op.size(), ' ') + "  ";
    out += r.value + std::string(w[3] - r.value.size(), ' ') + "  ";
    out += r.where;
    while (!out.empty() && out.back() == ' ') out.pop_back();
    out += '\n';
  };
  put(header);
  // Under the column header, where the rows it stands for would be.
  if (first > 0) {
    out += "  ... " + std::to_string(rows_cut) + " earlier operations not shown\n";
  }
  for (std::size_t i = first; i < lines.size(); ++i) {
    if (lines[i].row != nullptr) {
      put(*lines[i].row);
    } else {
      out += "        " + lines[i].note + "\n";
    }
  }
  if (collapsed || first > 0) {
    // What every thread did last, which a long trace may have pushed out of view (a thread
    // blocked since the start of a livelock).
    out += "  last operation of each thread:\n";
    for (const Row* r : last) {
      if (r != nullptr) put(*r);
    }
  }
  if (folded > 0) {
    // The step numbers keep counting them, so a gap shows where they were.
    out += "  (" + std::to_string(folded) + (folded == 1 ? " step" : " steps") +
           " inside weft's pools and futures not shown: Options::internal_steps or "
           "--internal-steps shows them)\n";
  }
  return out;
}

std::vector<TraceStep> format_steps(std::span<const TraceEntry> trace, const Names& names,
                                    bool internal) {
  std::vector<TraceStep> out;
  out.reserve(trace.size());
  for (std::size_t i = 0; i < trace.size(); ++i) {
    const TraceEntry& e = trace[i];
    if (e.internal && !internal) continue;
    TraceStep s;
    s.step = i + 1;
    s.thread = e.thread;
    s.thread_name = names.thread(e.thread);
    s.operation = operation_text(e, names);
    s.value = entry_value(e, names);
    s.blocked = e.blocked;
    s.location = entry_location(e);
    if (!e.stack.empty()) {
      SourceLine source = user_source_line(e.stack);
      s.file = std::move(source.file);
      s.line = source.line;
    }
    if (s.file.empty() && e.where.file != nullptr && *e.where.file != '\0') {
      s.file = e.where.file;
      s.line = e.where.line;
    }
    out.push_back(std::move(s));
  }
  return out;
}

void append_block_note(std::string& value, std::string_view holder, bool on_object,
                       std::int64_t deadline) {
  if (!value.empty()) value += " ";
  value += "(blocks";
  if (!holder.empty()) {
    value += ": held by ";
    value += holder;
  }
  if (deadline >= 0) {
    value += on_object ? ", deadline " : " until ";
    value += format_time(deadline);
  }
  value += ")";
}

}  // namespace weft::detail
