// weft::to_html: the page is written here by hand. It has one fixed frame, and every piece of
// user text goes through escape(), which also turns bytes that are not UTF-8 into U+FFFD. A
// template engine would add a dependency for the two loops below.
#include <weft/detail/report_html.hpp>
#include <weft/report_html.hpp>

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <fstream>
#include <map>
#include <numbers>
#include <optional>
#include <string>
#include <string_view>
#include <system_error>
#include <vector>

namespace weft {
namespace {

// A valid UTF-8 sequence starting at s[i]: its length, 0 when the byte there starts none.
std::size_t utf8_length(std::string_view s, std::size_t i) {
  const auto byte = [&](std::size_t k) { return static_cast<unsigned char>(s[i + k]); };
  const unsigned char c = byte(0);
  std::size_t n = 0;
  if (c >= 0xC2 && c <= 0xDF) {
    n = 2;
  } else if (c >= 0xE0 && c <= 0xEF) {
    n = 3;
  } else if (c >= 0xF0 && c <= 0xF4) {
    n = 4;
  }
  if (n == 0 || i + n > s.size()) return 0;
  for (std::size_t k = 1; k < n; ++k) {
    if ((byte(k) & 0xC0) != 0x80) return 0;
  }
  // Overlong forms, UTF-16 surrogates and code points past U+10FFFF.
  if ((c == 0xE0 && byte(1) < 0xA0) || (c == 0xED && byte(1) >= 0xA0) ||
      (c == 0xF0 && byte(1) < 0x90) || (c == 0xF4 && byte(1) >= 0x90)) {
    return 0;
  }
  return n;
}

// Text for an element's content or a quoted attribute.
void escape_into(std::string& out, std::string_view s) {
  for (std::size_t i = 0; i < s.size();) {
    const unsigned char c = static_cast<unsigned char>(s[i]);
    if (c < 0x80) {
      switch (c) {
        case '&':
          out += "&amp;";
          break;
        case '<':
          out += "&lt;";
          break;
        case '>':
          out += "&gt;";
          break;
        case '"':
          out += "&quot;";
          break;
        case '\'':
          out += "&#39;";
          break;
        default:
          // Control characters other than line breaks and tabs are not allowed in HTML text.
          out += (c < 0x20 && c != '\n' && c != '\t') || c == 0x7F ? ' ' : static_cast<char>(c);
      }
      ++i;
      continue;
    }
    const std::size_t n = utf8_length(s, i);
    if (n == 0) {
      out += "\xEF\xBF\xBD";
      ++i;
    } else {
      out.append(s.substr(i, n));
      i += n;
    }
  }
}

std::string number(double v) {
  char buffer[32];
  std::snprintf(buffer, sizeof buffer, "%.1f", v);
  return buffer;
}

// The lines of the user's source files that the steps name, read once per file. Files that
// cannot be read (another machine's path, a generated file) are simply not quoted.
class Sources {
 public:
  std::string line(const std::string& file, unsigned line) {
    if (file.empty() || line == 0) return {};
    auto it = files_.find(file);
    if (it == files_.end()) it = files_.emplace(file, read(file)).first;
    if (!it->second || line > it->second->size()) return {};
    std::string text = (*it->second)[line - 1];
    const std::size_t first = text.find_first_not_of(" \t");
    text.erase(0, first == std::string::npos ? text.size() : first);
    while (!text.empty() && (text.back() == ' ' || text.back() == '\t' || text.back() == '\r')) {
      text.pop_back();
    }
    if (text.size() > kMaxLine) text = text.substr(0, kMaxLine) + "…";
    return text;
  }

 private:
  static constexpr std::size_t kMaxLine = 160;
  static constexpr std::uintmax_t kMaxFile = 8u << 20;  // a source file, not a data dump

  static std::optional<std::vector<std::string>> read(const std::string& file) {
    std::error_code ec;
    const std::uintmax_t size = std::filesystem::file_size(file, ec);
    if (ec || size > kMaxFile) return std::nullopt;
    std::ifstream in(file, std::ios::binary);
    if (!in) return std::nullopt;
    std::vector<std::string> lines;
    for (std::string l; std::getline(in, l);) lines.push_back(std::move(l));
    return lines;
  }

  std::map<std::string, std::optional<std::vector<std::string>>> files_;
};

// A row's location names a site when it is that site, or that site followed by the function.
bool at_site(const TraceStep& s, const std::string& site) {
  if (site.empty() || s.location.size() < site.size()) return false;
  if (s.location.compare(0, site.size(), site) != 0) return false;
  return s.location.size() == site.size() || s.location[site.size()] == ' ';
}

// The object an operation is on: "lock lock_a" -> "lock_a".
std::string_view object_of(const TraceStep& s) {
  const std::size_t space = s.operation.find(' ');
  return space == std::string::npos ? std::string_view()
                                    : std::string_view(s.operation).substr(space + 1);
}

constexpr std::size_t kNone = static_cast<std::size_t>(-1);

// A race's access names the value it wrote or read ("writes 1"): a row of that thread at that
// site may be another iteration of the same loop, and the value tells them apart.
bool same_access(const TraceStep& s, std::string_view what) {
  for (const auto& [verb, op] :
       {std::pair<std::string_view, std::string_view>{"writes ", "store"}, {"reads ", "load"}}) {
    if (!what.starts_with(verb)) continue;
    const std::string_view value = what.substr(verb.size());
    return std::string_view(s.operation).starts_with(op) &&
           std::string_view(s.value).starts_with(value) &&
           (s.value.size() == value.size() || s.value[value.size()] == ' ');
  }
  return false;
}

// The last row at or before `limit` that `site` points at.
std::size_t find_site(const std::vector<TraceStep>& steps, const BugSite& site, std::size_t limit) {
  if (site.thread.empty()) return kNone;
  const std::size_t end = std::min(limit == kNone ? steps.size() : limit + 1, steps.size());
  std::string_view held;
  if (site.location.empty() && site.what.rfind("holds ", 0) == 0) {
    held = std::string_view(site.what).substr(6);
  }
  std::size_t fallback = kNone;
  for (std::size_t i = end; i-- > 0;) {
    const TraceStep& s = steps[i];
    if (s.thread_name != site.thread) continue;
    if (!site.location.empty()) {
      if (!at_site(s, site.location)) continue;
      if (same_access(s, site.what)) return i;
      if (fallback == kNone) fallback = i;
      continue;
    }
    // A holder or a joined thread: the step that took what the other waits for, else its last.
    if (fallback == kNone) fallback = i;
    if (held.empty()) return i;
    if (!s.blocked && object_of(s) == held) return i;
  }
  return fallback;
}

// A pair of sites joined by an arrow, and the rows it joins (kNone: not in the steps).
struct Arrow {
  const BugSite* from = nullptr;
  const BugSite* to = nullptr;
  std::size_t from_row = kNone;
  std::size_t to_row = kNone;
};

std::vector<Arrow> arrows_of(const Bug& bug, const std::vector<TraceStep>& steps) {
  std::vector<Arrow> arrows;
  for (std::size_t k = 0; k + 1 < bug.sites.size(); k += 2) {
    Arrow a{&bug.sites[k], &bug.sites[k + 1]};
    a.to_row = find_site(steps, *a.to, kNone);
    a.from_row = find_site(steps, *a.from, a.to_row);
    if (a.from_row == kNone) a.from_row = find_site(steps, *a.from, kNone);
    if (a.from_row == a.to_row) a.to_row = kNone;  // nothing to join
    arrows.push_back(a);
  }
  return arrows;
}

const char* kind_class(BugKind k) {
  switch (k) {
    case BugKind::Deadlock:
    case BugKind::LockOrderInversion:
      return "k-lock";
    case BugKind::DataRace:
    case BugKind::LostUpdate:
      return "k-race";
    default:
      return "k-other";
  }
}

// The word between the two sites of a pair.
const char* joiner(BugKind k) {
  switch (k) {
    case BugKind::DataRace:
    case BugKind::LostUpdate:
      return "races with";
    case BugKind::LockOrderInversion:
      return "then";
    case BugKind::Deadlock:
      return "is blocked by";
    default:
      return "→";
  }
}

void site_text(std::string& out, const BugSite& s) {
  out += "<span class=\"site\"><b>";
  escape_into(out, s.thread);
  out += "</b> ";
  escape_into(out, s.what);
  if (!s.location.empty()) {
    out += " <span class=\"at\">at ";
    escape_into(out, s.location);
    out += "</span>";
  }
  out += "</span>";
}

// A deadlock's wait-for graph: its threads on a circle, an arrow from each blocked thread to
// what it waits for, labelled with the object. Laid out here, so the page needs no script for it.
void wait_for_graph(std::string& out, const Bug& bug) {
  std::vector<std::string> nodes;
  std::vector<bool> is_object;
  auto node = [&](const std::string& name, bool object) {
    for (std::size_t i = 0; i < nodes.size(); ++i) {
      if (nodes[i] == name && is_object[i] == object) return i;
    }
    nodes.push_back(name);
    is_object.push_back(object);
    return nodes.size() - 1;
  };
  struct Edge {
    std::size_t from, to;
    std::string label;
  };
  std::vector<Edge> edges;
  for (std::size_t k = 0; k + 1 < bug.sites.size(); k += 2) {
    const BugSite& waiter = bug.sites[k];
    const BugSite& holder = bug.sites[k + 1];
    std::string label = waiter.what;
    for (std::string_view prefix : {"waits to join ", "waits for "}) {
      if (label.rfind(prefix, 0) == 0) label.erase(0, prefix.size());
    }
    const std::size_t from = node(waiter.thread, false);
    const std::size_t to = holder.thread.empty() ? node(label, true) : node(holder.thread, false);
    const bool joins = waiter.what.rfind("waits to join ", 0) == 0;
    edges.push_back({from, to, holder.thread.empty() ? std::string() : joins ? "join" : label});
  }
  if (edges.empty()) return;
  const double r_node = 28;
  const double radius = nodes.size() == 1 ? 0 : 40 + 16.0 * static_cast<double>(nodes.size());
  const double size = 2 * (radius + r_node + 24);
  const double c = size / 2;
  std::vector<double> x(nodes.size()), y(nodes.size());
  for (std::size_t i = 0; i < nodes.size(); ++i) {
    const double angle = -std::numbers::pi / 2 + 2 * std::numbers::pi * static_cast<double>(i) /
                                                     static_cast<double>(nodes.size());
    x[i] = c + radius * std::cos(angle);
    y[i] = c + radius * std::sin(angle);
  }
  out += "<figure class=\"waitfor\"><figcaption>wait-for graph</figcaption><svg viewBox=\"0 0 " +
         number(size) + " " + number(size) + "\" width=\"" + number(size) + "\" height=\"" +
         number(size) + "\" role=\"img\" aria-label=\"wait-for graph\">";
  out +=
      "<defs><marker id=\"wf-head\" viewBox=\"0 0 10 10\" refX=\"9\" refY=\"5\" markerWidth=\"7\" "
      "markerHeight=\"7\" orient=\"auto-start-reverse\"><path d=\"M0 0L10 5L0 10z\" "
      "fill=\"#b3261e\"/></marker></defs>";
  for (const Edge& e : edges) {
    if (e.from == e.to) continue;
    const double dx = x[e.to] - x[e.from], dy = y[e.to] - y[e.from];
    const double len = std::sqrt(dx * dx + dy * dy);
    const double ux = dx / len, uy = dy / len;
    const double x1 = x[e.from] + ux * r_node, y1 = y[e.from] + uy * r_node;
    const double x2 = x[e.to] - ux * (r_node + 2), y2 = y[e.to] - uy * (r_node + 2);
    // Bent to its right, so that the two arrows of a two-thread cycle do not overlap.
    const double bend = 28;
    const double qx = (x1 + x2) / 2 - uy * bend, qy = (y1 + y2) / 2 + ux * bend;
    out += "<path class=\"wf-edge\" d=\"M" + number(x1) + " " + number(y1) + "Q" + number(qx) +
           " " + number(qy) + " " + number(x2) + " " + number(y2) +
           "\" marker-end=\"url(#wf-head)\"/>";
    if (!e.label.empty()) {
      const double lx = 0.25 * x1 + 0.5 * qx + 0.25 * x2, ly = 0.25 * y1 + 0.5 * qy + 0.25 * y2;
      out += "<text class=\"wf-label\" x=\"" + number(lx) + "\" y=\"" + number(ly) + "\">";
      escape_into(out, e.label);
      out += "</text>";
    }
  }
  for (std::size_t i = 0; i < nodes.size(); ++i) {
    if (is_object[i]) {
      out += "<rect class=\"wf-object\" x=\"" + number(x[i] - r_node * 1.6) + "\" y=\"" +
             number(y[i] - r_node * 0.7) + "\" width=\"" + number(r_node * 3.2) + "\" height=\"" +
             number(r_node * 1.4) + "\" rx=\"6\"/>";
    } else {
      out += "<circle class=\"wf-thread\" cx=\"" + number(x[i]) + "\" cy=\"" + number(y[i]) +
             "\" r=\"" + number(r_node) + "\"/>";
    }
    out += "<text class=\"wf-name\" x=\"" + number(x[i]) + "\" y=\"" + number(y[i]) + "\">";
    escape_into(out, nodes[i]);
    out += "</text>";
  }
  out += "</svg></figure>";
}

// The steps as lanes. Rows that tell the story stay open (the bug's sites, blocked steps,
// stale reads, each thread's last step, the start and the end); runs of the others fold into
// one line that opens on a click.
void lanes(std::string& out, const std::string& id, const std::vector<TraceStep>& all_steps,
           const std::vector<Arrow>& arrows, Sources& sources) {
  // A trace can be as long as Options::max_steps: a page of a hundred thousand rows helps
  // nobody, and the end is where the bug is.
  constexpr std::size_t kMaxRows = 2000;
  const std::size_t cut = all_steps.size() > kMaxRows ? all_steps.size() - kMaxRows : 0;
  const std::vector<TraceStep> steps(all_steps.begin() + static_cast<std::ptrdiff_t>(cut),
                                     all_steps.end());

  std::vector<std::uint64_t> lane_threads;  // by lane: the thread id
  std::vector<std::string> lane_names;
  for (const TraceStep& s : steps) {
    if (std::find(lane_threads.begin(), lane_threads.end(), s.thread) == lane_threads.end()) {
      lane_threads.push_back(s.thread);
    }
  }
  std::sort(lane_threads.begin(), lane_threads.end());
  lane_names.resize(lane_threads.size());
  std::vector<std::size_t> last_of_lane(lane_threads.size(), kNone);
  auto lane_of = [&](std::uint64_t thread) {
    return static_cast<std::size_t>(
        std::lower_bound(lane_threads.begin(), lane_threads.end(), thread) - lane_threads.begin());
  };
  for (std::size_t i = 0; i < steps.size(); ++i) {
    const std::size_t lane = lane_of(steps[i].thread);
    lane_names[lane] = steps[i].thread_name;  // the name it ends with
    last_of_lane[lane] = i;
  }

  std::vector<std::string> marks(steps.size());  // data-a: the arrows a row starts or ends
  std::vector<bool> keep(steps.size(), false);
  for (std::size_t k = 0; k < arrows.size(); ++k) {
    for (const auto& [row, tag] :
         {std::pair{arrows[k].from_row, 'f'}, std::pair{arrows[k].to_row, 't'}}) {
      if (row == kNone || row < cut) continue;
      std::string& m = marks[row - cut];
      if (!m.empty()) m += ' ';
      m += tag + std::to_string(k);
      keep[row - cut] = true;
    }
  }
  constexpr std::size_t kHead = 2, kTail = 8;
  for (std::size_t i = 0; i < steps.size(); ++i) {
    const TraceStep& s = steps[i];
    if (s.blocked || i < kHead || i + kTail >= steps.size() ||
        s.value.find("stale") != std::string::npos) {
      keep[i] = true;
    }
  }
  for (const std::size_t last : last_of_lane) {
    if (last != kNone) keep[last] = true;
  }

  const std::string lanes_n = std::to_string(lane_threads.size());
  const std::string loc_column = std::to_string(lane_threads.size() + 2);
  out += "<div class=\"trace\" id=\"";
  escape_into(out, id);
  out += "\" style=\"--lanes:" + lanes_n + "\" data-arrows=\"" + std::to_string(arrows.size()) +
         "\"><svg class=\"arrows\" aria-hidden=\"true\"><defs><marker id=\"" + id +
         "-head\" viewBox=\"0 0 10 10\" refX=\"9\" refY=\"5\" markerWidth=\"7\" markerHeight=\"7\" "
         "orient=\"auto-start-reverse\"><path d=\"M0 0L10 5L0 10z\"/></marker></defs></svg>";
  if (cut > 0) {
    out += "<p class=\"cut\">the first " + std::to_string(cut) + " steps are left out; the last " +
           std::to_string(steps.size()) + " are shown</p>";
  }
  out += "<div class=\"row head\"><span class=\"n\">step</span>";
  for (std::size_t l = 0; l < lane_names.size(); ++l) {
    out += "<span class=\"lane\" style=\"grid-column:" + std::to_string(l + 2) + "\">";
    escape_into(out, lane_names[l]);
    out += "</span>";
  }
  out += "<span class=\"loc\" style=\"grid-column:" + loc_column + "\">location</span></div>";

  auto row = [&](std::size_t i) {
    const TraceStep& s = steps[i];
    const bool stale = s.value.find("stale") != std::string::npos;
    out += "<div class=\"row";
    if (s.blocked) out += " blocked";
    if (!marks[i].empty()) out += " site";
    if (stale) out += " stale";
    out += "\"";
    if (!marks[i].empty()) out += " data-a=\"" + marks[i] + "\"";
    out +=
        "><span class=\"n\">" + std::to_string(s.step != 0 ? s.step : cut + i + 1) +
        "</span><span class=\"op\" style=\"grid-column:" + std::to_string(lane_of(s.thread) + 2) +
        "\"><span class=\"t\"><b>";
    escape_into(out, s.operation);
    out += "</b>";
    if (!s.value.empty()) {
      out += " <span class=\"v\">";
      escape_into(out, s.value);
      out += "</span>";
    }
    if (stale) out += " <span class=\"badge\">stale read</span>";
    out += "</span></span><span class=\"loc\" style=\"grid-column:" + loc_column + "\">";
    escape_into(out, s.location);
    const std::string text = sources.line(s.file, s.line);
    if (!text.empty()) {
      out += "<code class=\"src\">";
      escape_into(out, text);
      out += "</code>";
    }
    out += "</span></div>";
  };

  constexpr std::size_t kMinFold = 6;
  for (std::size_t i = 0; i < steps.size();) {
    std::size_t j = i;
    while (j < steps.size() && !keep[j]) ++j;
    if (j - i >= kMinFold) {
      std::vector<std::string> who;
      for (std::size_t k = i; k < j; ++k) {
        if (std::find(who.begin(), who.end(), steps[k].thread_name) == who.end()) {
          who.push_back(steps[k].thread_name);
        }
      }
      std::string names;
      for (std::size_t w = 0; w < who.size() && w < 4; ++w) names += (w > 0 ? ", " : "") + who[w];
      if (who.size() > 4) names += ", …";
      out += "<details class=\"fold\"><summary>" + std::to_string(j - i) + " steps by ";
      escape_into(out, names);
      out += "</summary>";
      for (std::size_t k = i; k < j; ++k) row(k);
      out += "</details>";
      i = j;
    } else {
      for (; i < j; ++i) row(i);
    }
    if (i < steps.size()) row(i++);
  }
  out += "</div>";
}

// `previous`: the bug before this one in the report, if any.
void bug_section(std::string& out, const std::string& id, const Bug& bug, const Bug* previous,
                 const std::optional<std::vector<TraceStep>>& extra_steps,
                 const std::optional<std::string>& replay, Sources& sources) {
  const std::vector<TraceStep>* steps = &bug.steps;
  if (steps->empty() && extra_steps) steps = &*extra_steps;
  const std::vector<Arrow> arrows = arrows_of(bug, *steps);

  out += "<section class=\"bug\" id=\"";
  escape_into(out, id);
  out += "\"><h3><span class=\"kind ";
  out += kind_class(bug.kind);
  out += "\">";
  escape_into(out, to_string(bug.kind));
  out += "</span> ";
  escape_into(out, bug.message);
  out += "</h3><p class=\"meta\">found by schedule " + std::to_string(bug.iteration) + " · " +
         std::to_string(bug.schedule.size()) + " decisions · " + std::to_string(bug.preemptions) +
         (bug.preemptions == 1 ? " preemption" : " preemptions");
  if (!bug.shrunk.empty()) {
    out += " · ";
    escape_into(out, bug.shrunk);
  }
  out += "</p>";
  if (replay) {
    out += "<p class=\"replay\">replay: <code>";
    escape_into(out, *replay);
    out += "</code></p>";
  }
  if (!arrows.empty()) {
    out += "<ol class=\"sites\">";
    for (std::size_t k = 0; k < arrows.size(); ++k) {
      out += "<li data-pair=\"" + std::to_string(k) + "\">";
      site_text(out, *arrows[k].from);
      out += " <span class=\"join\">";
      out += joiner(bug.kind);
      out += " →</span> ";
      site_text(out, *arrows[k].to);
      out += "</li>";
    }
    out += "</ol>";
  }
  if (bug.kind == BugKind::Deadlock) wait_for_graph(out, bug);
  // The assertion a race breaks: one schedule found both, and its lanes are just above.
  if (previous != nullptr && previous->schedule == bug.schedule && bug.sites.empty() &&
      !steps->empty()) {
    out +=
        "<p class=\"meta\">the same schedule as the bug above, whose steps it shows</p>"
        "<details class=\"text\"><summary>the trace as text</summary><pre>";
    escape_into(out, bug.trace);
    out += "</pre></details></section>";
    return;
  }
  if (!steps->empty()) {
    lanes(out, id + "-trace", *steps, arrows, sources);
    out += "<details class=\"text\"><summary>the trace as text</summary><pre>";
  } else {
    out += "<pre class=\"text\">";
  }
  escape_into(out, bug.trace);
  out += "</pre>";
  if (!steps->empty()) out += "</details>";
  out += "</section>";
}

constexpr std::string_view kStyle = R"(
:root{--ink:#1d1b20;--muted:#5f5b66;--line:#e4e1ea;--race:#b3261e;--lock:#7a4a00;--site:#fff3c4;
--blocked:#fde7e4;--lane:11rem;font:14px/1.45 system-ui,-apple-system,"Segoe UI",sans-serif;color:var(--ink)}
body{margin:0 auto;padding:1.5rem 2rem 4rem;max-width:100rem}
h1{font-size:1.4rem;margin:0 0 .3rem}h2{font-size:1.15rem;margin:2.2rem 0 .4rem;border-bottom:2px solid var(--line);padding-bottom:.3rem}
h3{font-size:1rem;font-weight:600;margin:0 0 .3rem}
.summary,.meta,.cut{color:var(--muted);margin:.2rem 0}
.ok{color:#1b6e2a;font-weight:600}.bad{color:var(--race);font-weight:600}
nav ul{margin:.4rem 0;padding-left:1.2rem}
.bug{border:1px solid var(--line);border-radius:8px;padding:1rem 1.2rem;margin:1rem 0;background:#fff}
.kind{display:inline-block;border-radius:4px;padding:0 .45rem;margin-right:.3rem;color:#fff;font-size:.9em}
.k-race{background:var(--race)}.k-lock{background:var(--lock)}.k-other{background:#4a4458}
.replay code,pre,.src{font:12.5px/1.4 ui-monospace,SFMono-Regular,Menlo,Consolas,monospace}
.replay code{background:#f4f2f7;padding:.1rem .3rem;border-radius:3px;word-break:break-all}
.sites{margin:.5rem 0;padding-left:1.4rem}.sites li{margin:.15rem 0}
.site{background:var(--site);border-radius:3px;padding:0 .3rem}.at{color:var(--muted)}
.join{color:var(--race);font-weight:600;white-space:nowrap}
.waitfor{margin:.6rem 0}.waitfor figcaption{color:var(--muted);font-size:.9em}
.wf-edge{fill:none;stroke:#b3261e;stroke-width:2}.wf-thread{fill:#f4f2f7;stroke:#4a4458;stroke-width:1.5}
.wf-object{fill:#fff;stroke:#4a4458;stroke-dasharray:4 3}
.wf-name{text-anchor:middle;dominant-baseline:central;font-weight:600;font-size:13px}
.wf-label{text-anchor:middle;font-size:12px;fill:#b3261e;paint-order:stroke;stroke:#fff;stroke-width:4px}
.trace{position:relative;overflow-x:auto;margin-top:.8rem;border:1px solid var(--line);border-radius:6px}
.arrows{position:absolute;left:0;top:0;pointer-events:none;overflow:visible;z-index:2}
.arrows path.arrow{fill:none;stroke:var(--race);stroke-width:2.2;opacity:.85}
.arrows marker path{fill:var(--race)}
.row{display:grid;grid-template-columns:3.5rem repeat(var(--lanes),minmax(var(--lane),1fr)) minmax(16rem,1.2fr);
min-width:calc(19.5rem + var(--lanes)*var(--lane));border-top:1px solid var(--line);align-items:start}
.row>span{padding:.2rem .5rem;min-width:0;overflow-wrap:anywhere}
.row .n{grid-column:1;color:var(--muted);text-align:right;font-variant-numeric:tabular-nums}
.head{position:sticky;top:0;background:#f4f2f7;font-weight:600;z-index:1;border-top:0}
.op{border-left:3px solid #c9c4d3}.op .v{color:var(--muted)}
.blocked .op{background:var(--blocked);border-left-color:var(--race)}
.site .op{background:var(--site);border-left-color:#e0a800}
.stale .op{outline:1px dashed var(--race)}
.badge{display:inline-block;font-size:.8em;color:#fff;background:var(--race);border-radius:3px;padding:0 .3rem}
.loc{color:var(--muted);font-size:.92em}.src{display:block;color:var(--ink);white-space:pre-wrap}
details.fold>summary{cursor:pointer;color:var(--muted);padding:.2rem .5rem .2rem 4rem;border-top:1px solid var(--line);background:repeating-linear-gradient(-45deg,#fafafa 0 6px,#f3f3f5 6px 12px)}
details.text{margin-top:.6rem}details.text>summary{cursor:pointer;color:var(--muted)}
pre{overflow-x:auto;background:#f8f7fa;padding:.6rem;border-radius:4px}
)";

// Draws the arrow of each pair of sites over the lanes, from the row of the first site to the
// row of the second; redrawn when the window or a fold changes the layout.
constexpr std::string_view kScript = R"(
(function(){
var NS='http://www.w3.org/2000/svg';
function draw(){
  document.querySelectorAll('.trace').forEach(function(t){
    var svg=t.querySelector('svg.arrows');
    svg.querySelectorAll('path.arrow').forEach(function(p){p.remove();});
    svg.setAttribute('width',t.scrollWidth);svg.setAttribute('height',t.scrollHeight);
    var box=t.getBoundingClientRect(),n=+t.dataset.arrows;
    for(var k=0;k<n;k++){
      var a=t.querySelector('[data-a~="f'+k+'"] .t'),b=t.querySelector('[data-a~="t'+k+'"] .t');
      if(!a||!b||!a.getClientRects().length||!b.getClientRects().length)continue;
      var ra=a.getBoundingClientRect(),rb=b.getBoundingClientRect(),sx=t.scrollLeft-box.left,sy=t.scrollTop-box.top;
      var y1=ra.top+ra.height/2+sy,y2=rb.top+rb.height/2+sy,x1,x2,d;
      if(Math.abs(ra.left-rb.left)<2){
        x1=ra.left+sx-4;x2=rb.left+sx-4;var out=Math.min(60,20+Math.abs(y2-y1)/6);
        d='M'+x1+' '+y1+'C'+(x1-out)+' '+y1+' '+(x2-out)+' '+y2+' '+x2+' '+y2;
      }else{
        var right=ra.left<rb.left;
        x1=(right?ra.right+4:ra.left-4)+sx;x2=(right?rb.left-4:rb.right+4)+sx;var m=(x1+x2)/2;
        d='M'+x1+' '+y1+'C'+m+' '+y1+' '+m+' '+y2+' '+x2+' '+y2;
      }
      var p=document.createElementNS(NS,'path');
      p.setAttribute('class','arrow');p.setAttribute('data-pair',k);p.setAttribute('d',d);
      p.setAttribute('marker-end','url(#'+t.id+'-head)');svg.appendChild(p);
    }
  });
}
window.addEventListener('load',draw);window.addEventListener('resize',draw);
document.addEventListener('toggle',draw,true);
})();
)";

std::string page_title(const std::vector<detail::HtmlScenario>& scenarios) {
  if (scenarios.size() == 1 && !scenarios.front().name.empty()) {
    return "weft: " + scenarios.front().name;
  }
  return "weft report";
}

}  // namespace

std::string detail::html_page(const std::vector<HtmlScenario>& scenarios) {
  Sources sources;
  std::size_t with_bugs = 0, bugs = 0;
  for (const HtmlScenario& s : scenarios) {
    if (!s.report.ok()) ++with_bugs;
    bugs += s.report.bugs.size();
  }
  std::string out =
      "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><meta name=\"viewport\" "
      "content=\"width=device-width,initial-scale=1\"><meta name=\"generator\" content=\"weft\">"
      "<title>";
  escape_into(out, page_title(scenarios));
  out += "</title><style>";
  out += kStyle;
  out += "</style></head><body><header><h1>";
  escape_into(out, page_title(scenarios));
  out += "</h1><p class=\"summary\">" + std::to_string(scenarios.size()) +
         (scenarios.size() == 1 ? " scenario, " : " scenarios, ") + std::to_string(with_bugs) +
         " with bugs, " + std::to_string(bugs) + (bugs == 1 ? " bug" : " bugs") + "</p>";
  if (scenarios.size() > 1) {
    out += "<nav><ul>";
    for (std::size_t i = 0; i < scenarios.size(); ++i) {
      out += "<li><a href=\"#s" + std::to_string(i + 1) + "\">";
      escape_into(out, scenarios[i].name);
      out += "</a> ";
      out += scenarios[i].report.ok()
                 ? "<span class=\"ok\">ok</span>"
                 : "<span class=\"bad\">" + std::to_string(scenarios[i].report.bugs.size()) +
                       (scenarios[i].report.bugs.size() == 1 ? " bug" : " bugs") + "</span>";
      out += "</li>";
    }
    out += "</ul></nav>";
  }
  out += "</header><main>";
  for (std::size_t i = 0; i < scenarios.size(); ++i) {
    const HtmlScenario& s = scenarios[i];
    const Report& r = s.report;
    const std::string sid = "s" + std::to_string(i + 1);
    out += "<section class=\"scenario\" id=\"" + sid + "\">";
    if (!s.name.empty()) {
      out += "<h2>";
      escape_into(out, s.name);
      out += "</h2>";
    }
    out += "<p class=\"summary\">";
    out += r.ok() ? "<span class=\"ok\">no bug</span>"
                  : "<span class=\"bad\">" + std::to_string(r.bugs.size()) +
                        (r.bugs.size() == 1 ? " bug" : " bugs") + "</span>";
    out += " · " + std::to_string(r.iterations) + (r.iterations == 1 ? " schedule" : " schedules") +
           (r.exhausted ? " (all of them)" : "") + " · strategy ";
    escape_into(out, r.strategy.empty() ? std::string("replay") : r.strategy);
    out += " · seed " + std::to_string(r.seed) + "</p>";
    for (std::size_t b = 0; b < r.bugs.size(); ++b) {
      const std::optional<std::vector<TraceStep>> none;
      bug_section(out, sid + "-bug" + std::to_string(b + 1), r.bugs[b],
                  b > 0 ? &r.bugs[b - 1] : nullptr, b < s.steps.size() ? s.steps[b] : none,
                  b < s.replay.size() ? s.replay[b] : std::nullopt, sources);
    }
    if (r.ok() && s.run && !s.run->empty()) {
      out += "<p class=\"meta\">the schedule's run:</p>";
      lanes(out, sid + "-run", *s.run, {}, sources);
    }
    out += "</section>";
  }
  out += "</main><script>";
  out += kScript;
  out += "</script></body></html>\n";
  return out;
}

std::string to_html(const Report& report) {
  return detail::html_page({detail::HtmlScenario{"", report, {}, {}, {}}});
}

void write_html(const Report& report, const std::filesystem::path& path) {
  const std::string page = to_html(report);
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  if (out) out.write(page.data(), static_cast<std::streamsize>(page.size()));
  if (out) out.close();
  if (!out) {
    const int error = errno != 0 ? errno : EIO;
    throw std::system_error(error, std::generic_category(),
                            "weft::write_html: cannot write " + path.string());
  }
}

}  // namespace weft
