#include "reports/svg_timeline.h"

#include <fmt/format.h>

#include <algorithm>
#include <map>

#include "reports/html.h"

namespace kz::reports {

namespace {

constexpr double kLabelWidth = 110;
constexpr double kPlotWidth = 1100;
constexpr double kRightMargin = 16;
constexpr double kAxisHeight = 26;
constexpr double kLaneGap = 4;
constexpr size_t kFaultRowsMax = 4;
constexpr size_t kValueChars = 160;

struct Scale {
  int64_t end_ns;
  double x(int64_t ns) const {
    double f = end_ns > 0 ? static_cast<double>(std::clamp<int64_t>(ns, 0, end_ns)) / static_cast<double>(end_ns) : 0;
    return kLabelWidth + f * kPlotWidth;
  }
  double w(int64_t begin, int64_t end) const { return std::max(1.0, x(end) - x(begin)); }
};

std::string num(double v) {
  return fmt::format("{:.1f}", v);
}

std::string value_text(const nlohmann::json& v) {
  if (v.is_null()) return "";
  return truncate(v.is_string() ? v.get<std::string>() : v.dump(), kValueChars);
}

void rect(std::string* out, const Scale& s, int64_t begin, int64_t end, double y, double h, const std::string& cls,
          const std::string& title, const std::string& text = "") {
  double x = s.x(begin), w = s.w(begin, end);
  *out += fmt::format("<g><rect class=\"{}\" x=\"{}\" y=\"{}\" width=\"{}\" height=\"{}\"><title>{}</title></rect>",
                      cls, num(x), num(y), num(w), num(h), html_escape(title));
  // Text only where it fits (about 6.5 px per character at 10 px).
  if (!text.empty() && w > 6.5 * static_cast<double>(text.size()) + 4) {
    *out +=
        fmt::format("<text class=\"in\" x=\"{}\" y=\"{}\">{}</text>", num(x + 3), num(y + h - 4), html_escape(text));
  }
  *out += "</g>\n";
}

void mark(std::string* out, const Scale& s, int64_t t, double y, const std::string& cls, const std::string& title) {
  double x = s.x(t);
  *out += fmt::format("<path class=\"mk {}\" d=\"M{} {}l-4 -7h8z\"><title>{}</title></path>\n", cls, num(x), num(y),
                      html_escape(fmt::format("{}: {}", format_ms(t), title)));
}

// Greedy interval packing into rows; spans past the last row share it.
std::vector<size_t> pack_rows(const std::vector<Span>& spans, size_t rows_max, size_t* rows_used) {
  std::vector<int64_t> row_end;
  std::vector<size_t> row_of(spans.size());
  for (size_t i = 0; i < spans.size(); i++) {
    size_t r = 0;
    while (r < row_end.size() && row_end[r] > spans[i].begin_ns) r++;
    if (r == row_end.size()) {
      if (row_end.size() < rows_max) {
        row_end.push_back(0);
      } else {
        r = rows_max - 1;
      }
    }
    row_end[r] = std::max(row_end[r], spans[i].end_ns);
    row_of[i] = r;
  }
  *rows_used = std::max<size_t>(1, row_end.size());
  return row_of;
}

std::string lane_label(double y, double h, const std::string& text, const std::string& title) {
  return fmt::format("<text class=\"lbl\" x=\"6\" y=\"{}\"><title>{}</title>{}</text>\n", num(y + h / 2 + 4),
                     html_escape(title), html_escape(text));
}

}  // namespace

OpSelection select_ops(const std::vector<Op>& ops, const std::vector<uint64_t>& witness_ids, size_t max_ops) {
  OpSelection sel;
  sel.total = ops.size();
  if (ops.size() <= max_ops) {
    for (const Op& op : ops) sel.drawn.push_back(&op);
    return sel;
  }
  std::vector<const Op*> witness, odd, ok;
  for (const Op& op : ops) {
    if (std::binary_search(witness_ids.begin(), witness_ids.end(), op.id)) {
      witness.push_back(&op);
    } else if (op.type == "ok") {
      ok.push_back(&op);
    } else {
      odd.push_back(&op);
    }
  }
  size_t budget = max_ops > witness.size() ? max_ops - witness.size() : 0;
  auto sample = [](const std::vector<const Op*>& from, size_t n, std::vector<const Op*>* into) {
    if (n >= from.size()) {
      into->insert(into->end(), from.begin(), from.end());
      return;
    }
    for (size_t k = 0; k < n; k++) into->push_back(from[k * from.size() / n]);
  };
  sel.drawn = witness;
  size_t odd_take = std::min(odd.size(), std::max(budget / 2, budget > ok.size() ? budget - ok.size() : 0));
  sample(odd, odd_take, &sel.drawn);
  sample(ok, budget - odd_take, &sel.drawn);
  std::sort(sel.drawn.begin(), sel.drawn.end(), [](const Op* a, const Op* b) { return a->id < b->id; });
  sel.note = fmt::format(
      "{} operations: the timeline draws {} of them (every witness operation, {} of {} failed or unknown, {} of {} "
      "ok, evenly spread). The tables and history.jsonl have them all.",
      ops.size(), sel.drawn.size(), odd_take, odd.size(), budget - odd_take, ok.size());
  return sel;
}

std::string op_tooltip(const Op& op) {
  std::string out = fmt::format("op {} by {}: {} {}", op.id, op.process, op.f, value_text(op.args));
  out += fmt::format("\n-> {}", op.type);
  if (!op.result.is_null()) out += " " + value_text(op.result);
  if (!op.error.empty()) out += " (" + truncate(op.error, kValueChars) + ")";
  out += fmt::format("\ninvoked {}", format_ms(op.invoke_ns));
  if (op.complete_ns >= 0) {
    out += fmt::format(", completed {} ({})", format_ms(op.complete_ns), format_ms(op.complete_ns - op.invoke_ns));
  }
  return out;
}

std::string render_timeline_svg(const Timeline& t, const OpSelection& ops, const std::vector<uint64_t>& witness_ids) {
  Scale s{std::max<int64_t>(t.end_ns, 1)};
  // Layers, bottom to top: lane backgrounds, grid and guides, witness bands, lane contents, witnesses.
  std::string bg, body;
  double y = kAxisHeight;

  // Fault lane.
  size_t fault_rows = 1;
  std::vector<size_t> row_of = pack_rows(t.fault_spans, kFaultRowsMax, &fault_rows);
  double fault_h = 12 + 10.0 * static_cast<double>(fault_rows);
  bg += fmt::format("<rect class=\"lane\" x=\"0\" y=\"{}\" width=\"{}\" height=\"{}\"/>\n", num(y),
                    num(kLabelWidth + kPlotWidth), num(fault_h));
  body += lane_label(y, fault_h, "faults", "every fault injected, with its extent; triangles are instant faults");
  for (size_t i = 0; i < t.fault_spans.size(); i++) {
    const Span& sp = t.fault_spans[i];
    rect(&body, s, sp.begin_ns, sp.end_ns, y + 10 + 10.0 * static_cast<double>(row_of[i]), 8, "f " + sp.kind,
         fmt::format("{} - {}: {}", format_ms(sp.begin_ns), format_ms(sp.end_ns), sp.label));
  }
  for (const Mark& m : t.fault_marks) mark(&body, s, m.time_ns, y + 9, m.kind == "skipped" ? "skip" : "fm", m.label);
  y += fault_h + kLaneGap;

  // Network lane.
  double net_h = 16;
  bg += fmt::format("<rect class=\"lane\" x=\"0\" y=\"{}\" width=\"{}\" height=\"{}\"/>\n", num(y),
                    num(kLabelWidth + kPlotWidth), num(net_h));
  body += lane_label(y, net_h, "network", "partitions in force: side | side (one-way: who cannot send to whom)");
  for (const Span& sp : t.network) {
    rect(&body, s, sp.begin_ns, sp.end_ns, y + 2, net_h - 4, "part",
         fmt::format("{} - {}: {}", format_ms(sp.begin_ns), format_ms(sp.end_ns), sp.label), sp.label);
  }
  y += net_h + kLaneGap;

  // Server lanes.
  std::map<std::string, double> client_y;
  for (const NodeLane& lane : t.lanes) {
    double h = lane.server ? 30 : 24;
    bg += fmt::format("<rect class=\"lane{}\" x=\"0\" y=\"{}\" width=\"{}\" height=\"{}\"/>\n",
                      lane.server ? "" : " cl", num(y), num(kLabelWidth + kPlotWidth), num(h));
    body += lane_label(y, h, lane.node, lane.server ? "server: role over time" : "client: its operations");
    if (lane.server) {
      for (const Span& sp : lane.state) {
        rect(&body, s, sp.begin_ns, sp.end_ns, y + 6, 15, "st " + sp.kind,
             fmt::format("{} {} - {}: {}", lane.node, format_ms(sp.begin_ns), format_ms(sp.end_ns), sp.label),
             sp.label);
      }
    } else {
      client_y[lane.node] = y;
    }
    double strip = y + h - 4;
    for (const Span& sp : lane.net) {
      rect(&body, s, sp.begin_ns, sp.end_ns, strip, 3, "cut",
           fmt::format("{} {} - {}: {}", lane.node, format_ms(sp.begin_ns), format_ms(sp.end_ns), sp.label));
    }
    for (const Span& sp : lane.faults) {
      rect(&body, s, sp.begin_ns, sp.end_ns, y + 1, 4, "nf " + sp.kind,
           fmt::format("{} {} - {}: {}", lane.node, format_ms(sp.begin_ns), format_ms(sp.end_ns), sp.label));
    }
    for (const Mark& m : lane.marks) mark(&body, s, m.time_ns, y + 8, m.kind, lane.node + " " + m.label);
    y += h + kLaneGap;
  }

  // Operations (witnesses last, so they sit on top).
  std::string witness_svg, band_svg;
  for (const Op* op : ops.drawn) {
    auto it = client_y.find(op->process);
    if (it == client_y.end()) continue;
    bool witness = std::binary_search(witness_ids.begin(), witness_ids.end(), op->id);
    int64_t end = op->complete_ns >= 0 ? op->complete_ns : t.end_ns;
    std::string title = op_tooltip(*op);
    if (witness) {
      title = "WITNESS " + title;
      band_svg += fmt::format("<rect class=\"band\" x=\"{}\" y=\"{}\" width=\"{}\" height=\"{}\"/>\n",
                              num(s.x(op->invoke_ns) - 2), num(kAxisHeight), num(s.w(op->invoke_ns, end) + 4),
                              num(y - kAxisHeight));
      rect(&witness_svg, s, op->invoke_ns, end, it->second + 3, 14, "op " + op->type + " witness", title);
      witness_svg += fmt::format("<text class=\"wl\" x=\"{}\" y=\"{}\">op {}</text>\n", num(s.x(end) + 3),
                                 num(it->second + 14), op->id);
    } else {
      rect(&body, s, op->invoke_ns, end, it->second + 4, 12, "op " + op->type, title);
    }
  }

  // Axis and vertical guides.
  std::string axis;
  double seconds = static_cast<double>(t.end_ns) / 1e9;
  double step = 0.001;
  for (double candidate : {0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1.0, 2.0, 5.0, 10.0, 20.0, 30.0, 60.0,
                           120.0, 300.0, 600.0}) {
    step = candidate;
    if (seconds / candidate <= 16) break;
  }
  for (int k = 0; static_cast<double>(k) * step <= seconds + 1e-9; k++) {
    int64_t ns = static_cast<int64_t>(static_cast<double>(k) * step * 1e9 + 0.5);
    double x = s.x(ns);
    axis += fmt::format(
        "<line class=\"tick\" x1=\"{0}\" x2=\"{0}\" y1=\"{1}\" y2=\"{2}\"/>"
        "<text class=\"ax\" x=\"{0}\" y=\"16\">{3:g} s</text>\n",
        num(x), num(kAxisHeight - 4), num(y), static_cast<double>(k) * step);
  }
  for (const Span& sp : t.fault_spans) {
    axis += fmt::format("<line class=\"fl\" x1=\"{0}\" x2=\"{0}\" y1=\"{1}\" y2=\"{2}\"/>\n", num(s.x(sp.begin_ns)),
                        num(kAxisHeight), num(y));
  }
  if (t.final_heal_ns >= 0) {
    axis += fmt::format(
        "<line class=\"heal\" x1=\"{0}\" x2=\"{0}\" y1=\"{1}\" y2=\"{2}\"><title>final heal at {3}</title></line>\n",
        num(s.x(t.final_heal_ns)), num(kAxisHeight - 6), num(y), format_ms(t.final_heal_ns));
  }
  double width = kLabelWidth + kPlotWidth + kRightMargin;
  return fmt::format(
      "<svg id=\"timeline\" viewBox=\"0 0 {0} {1}\" width=\"{0}\" height=\"{1}\">\n{2}{3}"
      "{4}{5}</svg>\n",
      num(width), num(y), bg + axis, band_svg, body, witness_svg);
}

}  // namespace kz::reports
