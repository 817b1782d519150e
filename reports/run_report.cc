#include "reports/run_report.h"

#include <fmt/format.h>

#include <algorithm>
#include <map>

#include "reports/cluster_dot.h"
#include "reports/html.h"
#include "reports/svg_timeline.h"
#include "reports/timeline.h"

namespace kz::reports {

namespace {

std::string json_text(const nlohmann::json& j, const char* key) {
  auto it = j.find(key);
  if (it == j.end() || it->is_null()) return "?";
  return it->is_string() ? it->get<std::string>() : it->dump();
}

// `s` as one shell word: single-quoted when it holds anything a shell would split or expand.
std::string shell_word(const std::string& s) {
  if (!s.empty() && s.find_first_not_of("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789/._-+=:,@") ==
                        std::string::npos) {
    return s;
  }
  std::string out = "'";
  for (char c : s) out += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return out + "'";
}

std::string verdict_section(const RunData& run) {
  std::string out;
  bool pass = run.summary.value("result", std::string()) == "pass";
  std::string failed;
  const nlohmann::json checks = run.summary.value("checks", nlohmann::json::array());
  for (const nlohmann::json& c : checks) {
    if (c.is_object() && !c.value("ok", true)) {
      failed += fmt::format("<div><b>{}</b>: {}</div>", html_escape(c.value("checker", std::string("?"))),
                            html_escape(c.value("message", std::string())));
    }
  }
  if (pass) {
    out += fmt::format("<div class=\"verdict pass\"><b>PASS</b>: all {} checks passed.</div>\n", checks.size());
  } else {
    out += fmt::format("<div class=\"verdict fail\"><b>FAIL</b> ({}){}</div>\n",
                       html_escape(run.summary.value("result", std::string("fail"))), failed);
  }
  out += "<table><tr><th>checker</th><th>verdict</th><th>message</th></tr>\n";
  for (const nlohmann::json& c : checks) {
    if (!c.is_object()) continue;
    bool ok = c.value("ok", false);
    out += fmt::format("<tr{}><td>{}</td><td>{}</td><td>{}</td></tr>\n", ok ? "" : " class=\"bad\"",
                       html_escape(c.value("checker", std::string("?"))), ok ? "ok" : "FAILED",
                       html_escape(c.value("message", std::string())));
  }
  return out + "</table>\n";
}

std::string legend() {
  std::string out = "<div class=\"legend\">";
  for (auto [cls, text] : std::initializer_list<std::pair<const char*, const char*>>{{"up", "up (no role yet)"},
                                                                                     {"looking", "looking"},
                                                                                     {"following", "following"},
                                                                                     {"leading", "leading"},
                                                                                     {"standalone", "standalone"},
                                                                                     {"crashed", "crashed"},
                                                                                     {"powered-off", "powered off"},
                                                                                     {"paused", "paused"},
                                                                                     {"ok", "op ok"},
                                                                                     {"fail", "op fail"},
                                                                                     {"info", "op unknown (info)"},
                                                                                     {"fault", "fault"},
                                                                                     {"part", "partition"},
                                                                                     {"cut", "node cut off"},
                                                                                     {"clock", "clock fault"},
                                                                                     {"disk", "disk fault"},
                                                                                     {"clog", "clogged links"}}) {
    out += fmt::format("<span><i class=\"k-{}\"></i>{}</span>", cls, text);
  }
  return out +
         "<span><i style=\"background:#fff200\"></i>witness operation</span>"
         "<span>&#9660; instant event (restart, session expiry, clock jump, bit flip...)</span></div>\n";
}

std::string witness_section(const RunData& run, const std::vector<uint64_t>& ids) {
  if (ids.empty()) return {};
  std::string out = "<h2 id=\"witness\">Witness operations</h2>\n";
  out +=
      "<p class=\"note\">The operations the failed check points at; they are outlined in black on the timeline "
      "and marked by a yellow band across all lanes.</p>\n";
  // Which failed checks point at each operation.
  std::map<uint64_t, std::string> blamed;
  for (const nlohmann::json& c : run.summary.value("checks", nlohmann::json::array())) {
    if (!c.is_object() || c.value("ok", true) || !c.contains("witness_ops") || !c["witness_ops"].is_array()) continue;
    for (const nlohmann::json& id : c["witness_ops"]) {
      if (!id.is_number_integer()) continue;
      std::string& names = blamed[id.get<uint64_t>()];
      names += (names.empty() ? "" : ", ") + c.value("checker", std::string("?"));
    }
  }
  out +=
      "<table><tr><th>op</th><th>client</th><th>f</th><th>arguments</th><th>outcome</th><th>result</th>"
      "<th>invoked</th><th>completed</th><th>failed check</th></tr>\n";
  for (uint64_t id : ids) {
    auto it = std::lower_bound(run.ops.begin(), run.ops.end(), id, [](const Op& op, uint64_t v) { return op.id < v; });
    if (it == run.ops.end() || it->id != id) {
      out += fmt::format("<tr class=\"witness\"><td>{}</td><td colspan=\"8\">not in history.jsonl</td></tr>\n", id);
      continue;
    }
    const Op& op = *it;
    std::string result = op.result.is_null() ? "" : op.result.dump();
    if (!op.error.empty()) result += (result.empty() ? "" : " ") + op.error;
    out += fmt::format(
        "<tr class=\"witness\"><td>{}</td><td>{}</td><td>{}</td><td class=\"v\">{}</td><td>{}</td>"
        "<td class=\"v\">{}</td><td>{}</td><td>{}</td><td>{}</td></tr>\n",
        op.id, html_escape(op.process), html_escape(op.f), html_escape(truncate(op.args.dump(), 400)),
        html_escape(op.type), html_escape(truncate(result, 400)), format_ms(op.invoke_ns),
        op.complete_ns >= 0 ? format_ms(op.complete_ns) : "-", html_escape(blamed[id]));
  }
  out += "</table>\n";
  // The checkers' own witness excerpts, as recorded.
  for (const nlohmann::json& c : run.summary.value("checks", nlohmann::json::array())) {
    if (c.is_object() && !c.value("ok", true) && c.contains("witness")) {
      out += fmt::format("<p class=\"note\">{} witness as recorded in summary.json:</p><pre>{}</pre>\n",
                         html_escape(c.value("checker", std::string("?"))),
                         html_escape(truncate(c["witness"].dump(2), 20000)));
    }
  }
  return out;
}

std::string pictures_section(const Timeline& t, const DotRenderer& dot) {
  std::string out = "<h2 id=\"pictures\">The cluster at key moments</h2>\n";
  out +=
      "<p class=\"note\">Drawn with Graphviz at the start, each fault, each election and the final heal. "
      "Green: leader; blue: follower; yellow: looking; grey: crashed or powered off; boxes are clients. "
      "Grey lines: links that work both ways; orange arrows: only one direction works; red dotted lines: "
      "links cut by a partition.</p>\n";
  if (t.moments_total > t.moments.size()) {
    out += fmt::format("<p class=\"note\">{} key moments; {} of them are drawn, evenly spread.</p>\n", t.moments_total,
                       t.moments.size());
  }
  if (!dot) return out + "<p class=\"note\"><b>Cluster pictures unavailable</b>: no Graphviz renderer.</p>\n";
  // One dot process for all pictures: it reads the graphs one after another and writes one SVG each.
  std::string source;
  for (const Moment& m : t.moments) source += cluster_dot(m.state);
  Result<std::string> svgs = dot(source);
  if (!svgs.is_ok()) {
    return out + fmt::format("<p class=\"note\"><b>Cluster pictures unavailable</b>: {}</p>\n",
                             html_escape(svgs.status().message()));
  }
  std::vector<std::string> each = split_svgs(*svgs);
  if (each.size() != t.moments.size()) {
    return out + fmt::format(
                     "<p class=\"note\"><b>Cluster pictures unavailable</b>: Graphviz returned {} pictures for {} "
                     "graphs.</p>\n",
                     each.size(), t.moments.size());
  }
  std::string pics;
  for (size_t i = 0; i < t.moments.size(); i++) {
    const Moment& m = t.moments[i];
    pics += fmt::format("<div class=\"pic\"><p><b>{}</b> {}</p>{}</div>\n", format_ms(m.time_ns),
                        html_escape(truncate(m.title, 300)), inline_svg(each[i], fmt::format("m{}_", i)));
  }
  return out + "<div class=\"pics\">\n" + pics + "</div>\n";
}

std::string faults_section(const Timeline& t, size_t rows_max) {
  struct Row {
    int64_t begin, end;
    std::string text;
  };
  std::vector<Row> rows;
  for (const Span& s : t.fault_spans) rows.push_back({s.begin_ns, s.end_ns, s.label});
  for (const Mark& m : t.fault_marks) rows.push_back({m.time_ns, -1, m.label});
  std::stable_sort(rows.begin(), rows.end(), [](const Row& a, const Row& b) { return a.begin < b.begin; });
  std::string out = fmt::format("<h2 id=\"faults\">Faults ({})</h2>\n", rows.size());
  if (rows.empty()) return out + "<p class=\"note\">No faults were injected.</p>\n";
  out += "<table><tr><th>from</th><th>until</th><th>fault</th></tr>\n";
  for (size_t i = 0; i < rows.size() && i < rows_max; i++) {
    out += fmt::format("<tr><td>{}</td><td>{}</td><td>{}</td></tr>\n", format_ms(rows[i].begin),
                       rows[i].end >= 0 ? format_ms(rows[i].end) : "(instant)", html_escape(rows[i].text));
  }
  out += "</table>\n";
  if (rows.size() > rows_max) {
    out += fmt::format("<p class=\"note\">{} more in events.jsonl.</p>\n", rows.size() - rows_max);
  }
  return out;
}

std::string config_section(const RunData& run, const ReportOptions& options) {
  const nlohmann::json& s = run.summary;
  std::string replay =
      options.run_dir.empty() ? json_text(s, "replay") : "kz sim replay " + shell_word(options.run_dir);
  std::string out = "<h2 id=\"config\">Configuration</h2>\n<table>\n";
  auto row = [&](const char* key, const std::string& value) {
    out += fmt::format("<tr><th>{}</th><td class=\"v\">{}</td></tr>\n", key, html_escape(value));
  };
  row("scenario", json_text(s, "scenario"));
  row("scenario file", json_text(s, "scenario_path"));
  row("seed", json_text(s, "seed"));
  row("build id", json_text(s, "build"));
  row("trace hash", json_text(s, "trace_hash"));
  row("simulated time", json_text(s, "sim_ms") + " ms");
  row("wall time", json_text(s, "wall_ms") + " ms");
  row("trace events", json_text(s, "events"));
  row("operations", fmt::format("{} ({} history entries)", run.ops.size(), run.history_entries));
  row("cluster events", std::to_string(run.events.size()));
  row("replay", replay);
  out += "</table>\n<p class=\"note\">scenario.toml:</p>\n";
  return out + fmt::format("<pre>{}</pre>\n", html_escape(run.scenario_text));
}

constexpr std::string_view kZoomScript = R"JS(
<script>
(function(){var s=document.getElementById('timeline'),z=document.getElementById('zoom'),o=document.getElementById('zoomv');
var w=s.getAttribute('width'),h=s.getAttribute('height');
z.oninput=function(){s.setAttribute('width',w*z.value);s.setAttribute('height',h*z.value);o.textContent=z.value+'x';};})();
</script>
)JS";

}  // namespace

std::string render_run_report(const RunData& run, const ReportOptions& options, const DotRenderer& dot) {
  Timeline t = build_timeline(run, options.pictures_max);
  std::vector<uint64_t> witness = witness_op_ids(run.summary);
  OpSelection ops = select_ops(run.ops, witness, options.ops_drawn_max);
  std::string title =
      fmt::format("kz run: {} seed {}", json_text(run.summary, "scenario"), json_text(run.summary, "seed"));

  std::string out = "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\n";
  out += fmt::format("<title>{}</title>\n<style>{}</style></head><body>\n", html_escape(title), page_css());
  out += fmt::format("<h1>{}</h1>\n", html_escape(title));
  out += verdict_section(run);
  out += "<p class=\"note\">Sections: <a href=\"#timeline-h\">timeline</a>";
  if (!witness.empty()) out += " &middot; <a href=\"#witness\">witness</a>";
  out +=
      " &middot; <a href=\"#pictures\">cluster pictures</a> &middot; <a href=\"#faults\">faults</a> &middot; "
      "<a href=\"#config\">configuration</a></p>\n";

  out += "<h2 id=\"timeline-h\">Timeline</h2>\n";
  out += fmt::format(
      "<p class=\"note\">{} of simulated time. Hover a bar for details. Zoom: <input id=\"zoom\" type=\"range\" "
      "min=\"1\" max=\"8\" step=\"0.5\" value=\"1\"> <span id=\"zoomv\">1x</span></p>\n",
      format_ms(t.end_ns));
  if (!ops.note.empty()) out += fmt::format("<p class=\"note\">{}</p>\n", html_escape(ops.note));
  out += legend();
  out += "<div class=\"scroll\">\n" + render_timeline_svg(t, ops, witness) + "</div>\n";
  out += witness_section(run, witness);
  out += pictures_section(t, dot);
  out += faults_section(t, options.table_rows_max);
  out += config_section(run, options);
  out += kZoomScript;
  out += "</body></html>\n";
  return out;
}

}  // namespace kz::reports
